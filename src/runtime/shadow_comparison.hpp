#pragma once
// What a proposed pattern set would have raised beside what the live set
// raised, on the same posts of the stream, since the proposal began to run
// in shadow: the evidence an operator approves a set on.

#include <cstdint>
#include <map>
#include <string>

namespace wachtpost {

struct ShadowComparison {
  std::string live_hash;
  std::string shadow_hash;
  std::int64_t since_unix_ms = 0;
  std::uint64_t posts = 0;  // scanned by both sets
  struct Counts {
    std::uint64_t live = 0;
    std::uint64_t shadow = 0;
  };
  std::map<std::string, Counts, std::less<>> alerts_by_rule;  // rules of either set that fired
};

}  // namespace wachtpost

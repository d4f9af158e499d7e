#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "cli/pattern_source.hpp"

namespace wachtpost {

// `wachtpost replay --patterns CANDIDATE [--baseline DIR] [--protected FILE]
//  (FILE | --brokers B --topic T --from TIME --to TIME) [--json]`: runs a
// candidate set and a baseline (default: the embedded set) over the same
// posts and prints what the candidate changes: added, lost and changed
// alerts, each with its excerpt; with labelled posts also precision and
// recall of both. `--json` for machines. The posts come from a file, one per
// line, or from a topic: every message stamped from TIME (inclusive) to TIME
// (exclusive), partition by partition, each message one post, as `run` would
// see it; the running job's offsets are left alone.
struct ReplayOptions {
  PatternSetLocation candidate;
  std::string baseline_dir;  // empty: the embedded set
  std::string input;         // a posts file; empty when reading a topic
  std::string brokers;
  std::string topic;
  std::string from;  // TIME (parse_replay_time), inclusive
  std::string to;    // TIME, exclusive
  bool json = false;
};

// A replay TIME: RFC 3339 ("2026-11-01T10:00:00Z", "...T11:00:00+01:00") or
// milliseconds since the epoch ("1793527200000"), as Kafka stamps messages.
// nullopt when it is neither.
std::optional<std::int64_t> parse_replay_time(std::string_view text);

int run_replay(const ReplayOptions& options, std::ostream& out, std::ostream& err);

}  // namespace wachtpost

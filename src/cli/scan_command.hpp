#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "cli/cli.hpp"
#include "cli/pattern_source.hpp"

namespace wachtpost {

struct ScanOptions {
  PatternSetLocation patterns;
  std::string input = "-";  // a file, or "-" for standard input
  std::size_t max_post_bytes = 1U << 20;
  std::string pseudonym_key_file;  // empty: WACHTPOST_PSEUDONYM_KEY, else no author_ref
  std::uint32_t pseudonym_rotation_hours = 24;
};

// Reads newline-delimited posts, writes alerts as JSON lines to `out`, one
// error line per refused input line and a summary to `err`. Returns an exit code.
int run_scan(const ScanOptions& options, std::ostream& out, std::ostream& err);

}  // namespace wachtpost

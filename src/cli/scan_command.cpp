#include "cli/scan_command.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <map>
#include <ostream>

#include "ingest/line_reader.hpp"
#include "ingest/post_parser.hpp"
#include "ingest/rfc3339.hpp"
#include "runtime/post_processor.hpp"

namespace wachtpost {

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct ScanCounts {
  std::uint64_t lines = 0;
  std::uint64_t blank = 0;
  std::uint64_t scanned = 0;
  std::uint64_t not_public = 0;
  std::uint64_t rejected = 0;
  std::uint64_t alerts = 0;
  std::uint64_t bytes = 0;
  std::uint64_t suppressed = 0;
  std::map<std::string_view, std::uint64_t> rejected_by_reason;
};

}  // namespace

int run_scan(const ScanOptions& options, std::ostream& out, std::ostream& err) {
  std::shared_ptr<const PatternSet> set;
  std::shared_ptr<const AuthorPseudonymizer> pseudonymizer;
  try {
    set = load_pattern_set(options.patterns);
    pseudonymizer = load_author_pseudonymizer(options.pseudonym_key_file, options.pseudonym_rotation_hours);
  } catch (const std::exception& e) {
    err << "wachtpost scan: " << e.what() << '\n';
    return kExitConfigError;
  }
  for (const auto& notice : set->notices()) err << "wachtpost scan: note: " << notice << '\n';

  const bool from_stdin = options.input == "-";
  const std::string input_name = from_stdin ? "<stdin>" : options.input;
  int fd = 0;
  if (!from_stdin) {
    fd = ::open(options.input.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      err << "wachtpost scan: " << input_name << ": " << std::strerror(errno) << '\n';
      return kExitConfigError;
    }
  }
  struct FdCloser {
    int fd;
    ~FdCloser() {
      if (fd > 0) ::close(fd);
    }
  } closer{fd};

  ParseLimits limits;
  limits.max_document_bytes = options.max_post_bytes;
  LineReader reader(fd, limits.max_document_bytes, simdjson::SIMDJSON_PADDING);
  PostParser parser(limits);
  PostProcessorOptions processor_options;
  processor_options.pseudonymizer = pseudonymizer;
  PostProcessor processor(processor_options);

  ScanCounts counts;
  std::vector<Line> lines;
  std::vector<Alert> alerts;
  std::string json;
  const auto started = std::chrono::steady_clock::now();
  const auto on_line = [&](const Line& line, ParseOutcome outcome, const Post& post, const ParseFailure& failure) {
    ++counts.lines;
    counts.bytes += line.original_size;
    if (outcome == ParseOutcome::kBlank) {
      ++counts.blank;  // blank lines separate nothing in NDJSON; skip them quietly
      return;
    }
    if (outcome == ParseOutcome::kRejected) {
      ++counts.rejected;
      ++counts.rejected_by_reason[reject_reason_name(failure.reason)];
      err << input_name << ':' << line.number << ": rejected (" << reject_reason_name(failure.reason)
          << "): " << failure.detail << '\n';
      return;
    }
    alerts.clear();
    const std::string detected_at = format_rfc3339_ms(now_ms());
    if (processor.process(set, post, detected_at, alerts) == PostVerdict::kDroppedNotPublic) {
      ++counts.not_public;
      return;
    }
    ++counts.scanned;
    counts.suppressed += processor.last_suppressed();
    for (const auto& alert : alerts) {
      json.clear();
      append_alert_json(alert, json);
      json += '\n';
      out.write(json.data(), static_cast<std::streamsize>(json.size()));
      ++counts.alerts;
    }
    // Alerts are rare; flushing each batch keeps `tail -f | wachtpost scan` live.
    if (!alerts.empty()) out.flush();
  };
  try {
    while (reader.next_block(lines)) parser.parse_lines(lines, on_line);
  } catch (const std::system_error& e) {
    err << "wachtpost scan: " << input_name << ": " << e.what() << '\n';
    return kExitIo;
  }
  out.flush();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  err << "wachtpost scan: " << input_name << ": " << counts.lines << " lines, " << counts.scanned << " posts scanned, " << counts.not_public
      << " dropped (not public), " << counts.rejected << " rejected";
  if (!counts.rejected_by_reason.empty()) {
    err << " (";
    bool first = true;
    for (const auto& [reason, n] : counts.rejected_by_reason) {
      err << (first ? "" : ", ") << reason << ": " << n;
      first = false;
    }
    err << ")";
  }
  err << ", " << counts.alerts << " alerts, " << counts.suppressed << " threat matches excluded; "
      << describe(*set) << "; " << counts.bytes << " bytes in " << seconds << " s\n";
  return counts.rejected > 0 ? kExitRejectedInput : kExitOk;
}

}  // namespace wachtpost

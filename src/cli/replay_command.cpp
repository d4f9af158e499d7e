#include "cli/replay_command.hpp"

#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "alert/alert_diff.hpp"
#include "alert/json_writer.hpp"
#include "cli/cli.hpp"
#include "ingest/line_reader.hpp"
#include "ingest/post_parser.hpp"
#include "runtime/post_processor.hpp"

namespace wachtpost {

namespace {

std::string targets_text(const Alert& alert) {
  std::string out;
  for (const auto& t : alert.targets) out += (out.empty() ? "" : ", ") + (t.id.empty() ? t.role : t.id);
  return out.empty() ? "-" : out;
}

std::string fixed(double value) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%.3f", value);
  return buffer;
}

void write_alert_fields(JsonWriter& w, const Alert& alert) {
  w.field("severity", severity_name(alert.severity)).field("category", alert.category);
  w.key("targets").begin_array();
  for (const auto& t : alert.targets) w.string(t.id.empty() ? "role:" + t.role : t.id);
  w.end_array();
}

void write_quality(JsonWriter& w, const SetQuality& quality) {
  w.key("precision").string(fixed(quality.precision()));
  w.key("recall").string(fixed(quality.recall()));
}

}  // namespace

int run_replay(const ReplayOptions& options, std::ostream& out, std::ostream& err) {
  std::shared_ptr<const PatternSet> candidate;
  std::shared_ptr<const PatternSet> baseline;
  try {
    candidate = load_pattern_set(options.candidate);
    baseline = load_pattern_set({options.baseline_dir, options.candidate.protected_file});
  } catch (const PatternSetError& e) {
    for (const auto& problem : e.problems()) err << problem << '\n';
    err << "wachtpost replay: a pattern set is refused\n";
    return kExitConfigError;
  } catch (const std::exception& e) {
    err << "wachtpost replay: " << e.what() << '\n';
    return kExitConfigError;
  }
  const int fd = ::open(options.input.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err << "wachtpost replay: " << options.input << ": " << std::strerror(errno) << '\n';
    return kExitConfigError;
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};

  ParseLimits limits;
  LineReader reader(fd, limits.max_document_bytes, simdjson::SIMDJSON_PADDING);
  PostParser parser(limits);
  PostProcessor before;
  PostProcessor after;
  std::vector<Alert> baseline_alerts;
  std::vector<Alert> candidate_alerts;
  simdjson::ondemand::parser labels;
  AlertDiff diff;
  std::uint64_t rejected = 0;
  std::vector<Line> lines;
  // A fixed detection time: the same post gives the same alert in both sets.
  constexpr std::string_view kDetectedAt = "1970-01-01T00:00:00.000Z";
  const auto on_line = [&](const Line& line, ParseOutcome outcome, const Post& post, const ParseFailure& failure) {
    if (outcome == ParseOutcome::kBlank) return;
    if (outcome == ParseOutcome::kRejected) {
      ++rejected;
      err << options.input << ':' << line.number << ": rejected (" << reject_reason_name(failure.reason)
          << "): " << failure.detail << '\n';
      return;
    }
    std::optional<bool> expected;
    simdjson::ondemand::document document;
    bool alert = false;
    if (labels.iterate(line.bytes.data(), line.bytes.size(), line.capacity).get(document) == simdjson::SUCCESS &&
        document["expect"]["alert"].get(alert) == simdjson::SUCCESS) {
      expected = alert;
    }
    baseline_alerts.clear();
    candidate_alerts.clear();
    before.process(baseline, post, kDetectedAt, baseline_alerts);
    after.process(candidate, post, kDetectedAt, candidate_alerts);
    diff.add_post(baseline_alerts, candidate_alerts, expected);
  };
  try {
    while (reader.next_block(lines)) parser.parse_lines(lines, on_line);
  } catch (const std::system_error& e) {
    err << "wachtpost replay: " << options.input << ": " << e.what() << '\n';
    return kExitIo;
  }

  auto of_kind = [&](AlertChange::Kind kind) {
    std::vector<const AlertChange*> out_changes;
    for (const auto& change : diff.changes()) {
      if (change.kind == kind) out_changes.push_back(&change);
    }
    return out_changes;
  };
  const auto added = of_kind(AlertChange::Kind::kAdded);
  const auto lost = of_kind(AlertChange::Kind::kLost);
  const auto changed = of_kind(AlertChange::Kind::kChanged);

  if (options.json) {
    std::string json;
    JsonWriter w(json);
    w.begin_object().field("input", options.input).field("posts", static_cast<std::int64_t>(diff.posts()));
    for (const auto& [name, set, alerts, quality] :
         {std::tuple{"baseline", baseline.get(), diff.baseline_alerts(), &diff.baseline_quality()},
          std::tuple{"candidate", candidate.get(), diff.candidate_alerts(), &diff.candidate_quality()}}) {
      w.key(name).begin_object().field("pattern_set", set->hash()).field("alerts", static_cast<std::int64_t>(alerts));
      if (diff.labelled()) write_quality(w, *quality);
      w.end_object();
    }
    for (const auto& [name, list] : {std::pair{"added", &added}, std::pair{"lost", &lost}}) {
      w.key(name).begin_array();
      for (const AlertChange* change : *list) {
        const Alert& alert = change->candidate ? *change->candidate : *change->baseline;
        w.begin_object().field("post_id", change->post_id).field("rule", change->rule);
        write_alert_fields(w, alert);
        w.field("excerpt", alert.excerpt).end_object();
      }
      w.end_array();
    }
    w.key("changed").begin_array();
    for (const AlertChange* change : changed) {
      w.begin_object().field("post_id", change->post_id).field("rule", change->rule);
      w.key("before").begin_object();
      write_alert_fields(w, *change->baseline);
      w.end_object().key("after").begin_object();
      write_alert_fields(w, *change->candidate);
      w.end_object().field("excerpt", change->candidate->excerpt).end_object();
    }
    w.end_array().end_object();
    out << json << '\n';
  } else {
    out << "replay: " << diff.posts() << " posts of " << options.input << "; baseline " << baseline->hash() << ": "
        << diff.baseline_alerts() << " alerts; candidate " << candidate->hash() << ": " << diff.candidate_alerts()
        << " alerts\n";
    auto line_of = [](char sign, const AlertChange& change, const Alert& alert) {
      return std::string(1, sign) + " " + change.post_id + " " + change.rule + " " +
             std::string(severity_name(alert.severity)) + " " + alert.category + " [" + targets_text(alert) + "] \"" +
             alert.excerpt + "\"\n";
    };
    out << "added (" << added.size() << "):\n";
    for (const AlertChange* change : added) out << "  " << line_of('+', *change, *change->candidate);
    out << "lost (" << lost.size() << "):\n";
    for (const AlertChange* change : lost) out << "  " << line_of('-', *change, *change->baseline);
    out << "changed (" << changed.size() << "):\n";
    for (const AlertChange* change : changed) {
      const Alert& b = *change->baseline;
      const Alert& c = *change->candidate;
      out << "  ~ " << change->post_id << ' ' << change->rule << ' ' << severity_name(b.severity) << " -> "
          << severity_name(c.severity) << ", " << b.category << " -> " << c.category << ", [" << targets_text(b)
          << "] -> [" << targets_text(c) << "] \"" << c.excerpt << "\"\n";
    }
    if (diff.labelled()) {
      const auto& bq = diff.baseline_quality();
      const auto& cq = diff.candidate_quality();
      out << "labelled posts: " << bq.threats << " threats, " << bq.harmless << " harmless; baseline precision "
          << fixed(bq.precision()) << " recall " << fixed(bq.recall()) << "; candidate precision "
          << fixed(cq.precision()) << " recall " << fixed(cq.recall()) << '\n';
    }
  }
  return rejected > 0 ? kExitRejectedInput : kExitOk;
}

}  // namespace wachtpost

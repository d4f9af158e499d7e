#include "cli/replay_command.hpp"

#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "alert/alert_diff.hpp"
#include "alert/json_writer.hpp"
#include "cli/cli.hpp"
#include "ingest/line_reader.hpp"
#include "ingest/post_parser.hpp"
#include "ingest/rfc3339.hpp"
#include "runtime/post_processor.hpp"
#include "runtime/topic_range_reader.hpp"

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

std::optional<std::int64_t> parse_replay_time(std::string_view text) {
  if (auto ms = parse_rfc3339_ms(text)) return ms;
  std::int64_t ms = 0;
  const char* end = text.data() + text.size();
  if (text.empty() || text.front() == '-' || text.front() == '+') return std::nullopt;
  const auto [last, ec] = std::from_chars(text.data(), end, ms);
  if (ec != std::errc() || last != end) return std::nullopt;
  return ms;
}

int run_replay(const ReplayOptions& options, std::ostream& out, std::ostream& err) {
  std::shared_ptr<const PatternSet> candidate;
  std::shared_ptr<const PatternSet> baseline;
  try {
    candidate = load_pattern_set(options.candidate);
    // The baseline sees the same protected persons as the candidate.
    PatternSetLocation baseline_location = options.candidate;
    baseline_location.patterns_dir = options.baseline_dir;
    baseline = load_pattern_set(baseline_location);
  } catch (const PatternSetError& e) {
    for (const auto& problem : e.problems()) err << problem << '\n';
    err << "wachtpost replay: a pattern set is refused\n";
    return kExitConfigError;
  } catch (const std::exception& e) {
    err << "wachtpost replay: " << e.what() << '\n';
    return kExitConfigError;
  }
  // The posts: a file, or a time range of a topic. Either way each post is
  // named by its place in the error lines: file:line or topic/partition/offset.
  const bool from_topic = !options.topic.empty();
  std::optional<TopicRangeReader> topic_reader;
  std::string input_name = options.input;  // "input" of the report
  if (from_topic) {
    const auto from_ms = parse_replay_time(options.from);
    const auto to_ms = parse_replay_time(options.to);
    if (!from_ms || !to_ms || options.brokers.empty()) {
      err << "wachtpost replay: --brokers, --topic, --from and --to go together (TIME: RFC 3339 or epoch ms)\n";
      return kExitConfigError;
    }
    if (*to_ms <= *from_ms) {
      err << "wachtpost replay: --to (" << options.to << ") must be after --from (" << options.from << ")\n";
      return kExitConfigError;
    }
    try {
      topic_reader.emplace(
          TopicRange{.brokers = options.brokers, .topic = options.topic, .from_ms = *from_ms, .to_ms = *to_ms});
    } catch (const std::exception& e) {
      err << "wachtpost replay: " << e.what() << '\n';
      return kExitConfigError;
    }
    const auto& plan = topic_reader->plan();
    if (const auto scanned = std::count_if(plan.begin(), plan.end(), [](const PartitionSpan& span) {
          return !span.by_timestamp && span.start < span.end;
        })) {
      // The broker (e.g. librdkafka's mock cluster) does not look offsets up
      // by time; the result is the same, the read is longer.
      err << "wachtpost replay: " << options.topic << ": no offsets by time from the brokers; reading " << scanned
          << " partition(s) from their beginning\n";
    }
    input_name = options.topic;
  } else if (options.input.empty()) {
    err << "wachtpost replay: give a posts FILE, or --brokers, --topic, --from and --to\n";
    return kExitConfigError;
  }
  const int fd = from_topic ? -1 : ::open(options.input.c_str(), O_RDONLY | O_CLOEXEC);
  if (!from_topic && fd < 0) {
    err << "wachtpost replay: " << options.input << ": " << std::strerror(errno) << '\n';
    return kExitConfigError;
  }
  struct FdCloser {
    int fd;
    ~FdCloser() {
      if (fd >= 0) ::close(fd);
    }
  } closer{fd};

  ParseLimits limits;
  std::optional<LineReader> reader;
  if (!from_topic) reader.emplace(fd, limits.max_document_bytes, simdjson::SIMDJSON_PADDING);
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
  // `bytes` is readable up to `capacity` (simdjson's padding) for the labels.
  const auto consider = [&](const Post& post, std::string_view bytes, std::size_t capacity) {
    std::optional<bool> expected;
    simdjson::ondemand::document document;
    bool alert = false;
    if (labels.iterate(bytes.data(), bytes.size(), capacity).get(document) == simdjson::SUCCESS &&
        document["expect"]["alert"].get(alert) == simdjson::SUCCESS) {
      expected = alert;
    }
    baseline_alerts.clear();
    candidate_alerts.clear();
    before.process(baseline, post, kDetectedAt, baseline_alerts);
    after.process(candidate, post, kDetectedAt, candidate_alerts);
    diff.add_post(baseline_alerts, candidate_alerts, expected);
  };
  const auto reject = [&](const auto& place, const ParseFailure& failure) {
    ++rejected;
    err << place << ": rejected (" << reject_reason_name(failure.reason) << "): " << failure.detail << '\n';
  };
  const auto on_line = [&](const Line& line, ParseOutcome outcome, const Post& post, const ParseFailure& failure) {
    if (outcome == ParseOutcome::kBlank) return;
    if (outcome == ParseOutcome::kRejected) {
      reject(options.input + ':' + std::to_string(line.number), failure);
      return;
    }
    consider(post, line.bytes, line.capacity);
  };
  if (from_topic) {
    // One message is one post, as `run` reads them; copied once into a
    // padded buffer that the parser and the labels share.
    std::string padded;
    Post post;
    ParseFailure failure;
    try {
      topic_reader->read([&](const TopicMessage& message) {
        padded.assign(message.value);
        padded.append(simdjson::SIMDJSON_PADDING, '\0');
        const std::string_view bytes(padded.data(), message.value.size());
        if (parser.parse(bytes, padded.size(), post, failure) == ParseOutcome::kPost) {
          consider(post, bytes, padded.size());
        } else {
          reject(options.topic + '/' + std::to_string(message.partition) + '/' + std::to_string(message.offset),
                 failure);
        }
      });
    } catch (const std::exception& e) {
      err << "wachtpost replay: " << e.what() << '\n';
      return kExitIo;
    }
  } else {
    try {
      while (reader->next_block(lines)) parser.parse_lines(lines, on_line);
    } catch (const std::system_error& e) {
      err << "wachtpost replay: " << options.input << ": " << e.what() << '\n';
      return kExitIo;
    }
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
    w.begin_object().field("input", input_name);
    // Where the posts came from; the rest of the report has one shape for both.
    w.key("source").begin_object();
    if (from_topic) {
      w.field("kind", "topic").field("brokers", options.brokers).field("topic", options.topic);
      w.field("from", format_rfc3339_ms(topic_reader->range().from_ms));
      w.field("to", format_rfc3339_ms(topic_reader->range().to_ms));
    } else {
      w.field("kind", "file").field("path", options.input);
    }
    w.end_object().field("posts", static_cast<std::int64_t>(diff.posts()));
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
    out << "replay: " << diff.posts() << " posts of ";
    if (from_topic) {
      out << "topic " << options.topic << " from " << format_rfc3339_ms(topic_reader->range().from_ms) << " to "
          << format_rfc3339_ms(topic_reader->range().to_ms);
    } else {
      out << options.input;
    }
    out << "; baseline " << baseline->hash() << ": " << diff.baseline_alerts() << " alerts; candidate "
        << candidate->hash() << ": " << diff.candidate_alerts() << " alerts\n";
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

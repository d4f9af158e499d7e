#include "http/alert_feed.hpp"

#include "alert/json_writer.hpp"

namespace wachtpost {

void AlertFeed::push(std::string type, std::string data) {
  events_.push_back({next_id_++, std::move(type), std::move(data)});
  while (events_.size() > capacity_) events_.pop_front();
}

void AlertFeed::publish_alert(std::string_view alert_id, std::string_view rule, std::string_view json) {
  const std::lock_guard lock(mutex_);
  // The same alert read twice (the topic from its tail after a reconnect, or
  // the output of a retried batch) is shown once.
  if (rules_.contains(alert_id)) return;
  push("alert", std::string(json));
  rules_[std::string(alert_id)] = std::string(rule);
  alert_order_.emplace_back(alert_id);
  while (alert_order_.size() > capacity_) {
    rules_.erase(alert_order_.front());
    alert_order_.pop_front();
  }
}

std::vector<FeedEvent> AlertFeed::since(std::uint64_t last_id, bool* missed) const {
  const std::lock_guard lock(mutex_);
  if (missed != nullptr) *missed = !events_.empty() && last_id != 0 && events_.front().id > last_id + 1;
  std::vector<FeedEvent> out;
  for (const auto& event : events_) {
    if (event.id > last_id) out.push_back(event);
  }
  return out;
}

std::uint64_t AlertFeed::last_id() const {
  const std::lock_guard lock(mutex_);
  return next_id_ - 1;
}

std::optional<Acknowledgement> AlertFeed::acknowledge(std::string_view alert_id, std::string_view by,
                                                      std::string_view disposition, std::string_view at) {
  const std::lock_guard lock(mutex_);
  const auto rule = rules_.find(alert_id);
  if (rule == rules_.end()) return std::nullopt;
  Acknowledgement ack{std::string(alert_id), rule->second, std::string(by), std::string(at), std::string(disposition)};
  std::string json;
  JsonWriter w(json);
  w.begin_object();
  w.field("alert_id", ack.alert_id);
  w.field("rule", ack.rule);
  w.field("by", ack.by);
  w.field("at", ack.at);
  w.field("disposition", ack.disposition);
  w.end_object();
  push("ack", std::move(json));
  return ack;
}

}  // namespace wachtpost

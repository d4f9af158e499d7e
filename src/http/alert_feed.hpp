#pragma once
// The desk's feed: the most recent alerts and acknowledgements, numbered, so
// a desk that reconnects asks for everything after the last number it saw
// (SSE's Last-Event-ID) and misses nothing still held.
//
// Shared by the loop thread (publish) and the HTTP thread (read, acknowledge);
// every call takes one short lock.

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wachtpost {

struct FeedEvent {
  std::uint64_t id = 0;
  std::string type;  // "alert" or "ack"
  std::string data;  // one line of JSON
};

struct Acknowledgement {
  std::string alert_id;
  std::string rule;
  std::string by;  // the token's name
  std::string at;  // RFC 3339 UTC
  std::string disposition;
};

class AlertFeed {
 public:
  explicit AlertFeed(std::size_t capacity = 2000) : capacity_(capacity) {}

  // `json` is the alert as written to the alert topic (one line). An alert
  // id already held is not published again.
  void publish_alert(std::string_view alert_id, std::string_view rule, std::string_view json);

  // Events after `last_id` still held, oldest first; `missed` says whether
  // some after it were already dropped (the desk then reloads).
  std::vector<FeedEvent> since(std::uint64_t last_id, bool* missed = nullptr) const;
  [[nodiscard]] std::uint64_t last_id() const;

  // Records an officer's disposition and publishes it; nullopt when the
  // alert is not (or no longer) held.
  std::optional<Acknowledgement> acknowledge(std::string_view alert_id, std::string_view by,
                                             std::string_view disposition, std::string_view at);

 private:
  void push(std::string type, std::string data);

  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<FeedEvent> events_;
  std::uint64_t next_id_ = 1;
  std::map<std::string, std::string, std::less<>> rules_;  // alert id -> rule, for held alerts
  std::deque<std::string> alert_order_;
};

}  // namespace wachtpost

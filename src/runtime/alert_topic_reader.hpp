#pragma once
// Follows the alert topic for the desk. Every instance of a consumer group
// writes its own share of the alerts; reading them back from the topic
// (read_committed) gives each instance's desk all of them, whichever
// instance a load balancer sends an officer to.

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "http/alert_feed.hpp"
#include "runtime/run_config.hpp"

namespace wachtpost {

class AlertTopicReader {
 public:
  // Starts at the last `tail_per_partition` alerts of each partition, then
  // follows. Throws std::runtime_error when the topic cannot be read.
  AlertTopicReader(const RunConfig& config, std::shared_ptr<AlertFeed> feed, std::int64_t tail_per_partition = 200);
  ~AlertTopicReader();
  AlertTopicReader(const AlertTopicReader&) = delete;
  AlertTopicReader& operator=(const AlertTopicReader&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace wachtpost

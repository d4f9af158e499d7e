#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/cli.hpp"

namespace wachtpost {

// `wachtpost topics apply`: the topics of topics/topics.yaml on a real cluster.
struct TopicsApplyOptions {
  std::string brokers;           // bootstrap servers, host:port,...
  std::string definitions_file;  // empty: topics/topics.yaml as embedded in the binary
  bool dry_run = false;          // print the plan, change nothing
  int timeout_ms = 30000;        // per cluster request (metadata, DescribeConfigs, CreateTopics)
  // Extra librdkafka client properties (security.protocol, sasl.*, ssl.*, ...).
  std::vector<std::pair<std::string, std::string>> properties;
};

// "key=value" -> {key, value} (the value may contain '='); nullopt without
// '=' or with an empty key.
std::optional<std::pair<std::string, std::string>> parse_kafka_property(std::string_view text);

// Prints one line per topic on `out`:
//   create wachtpost.alerts partitions=6 replication=3 retention.ms=2592000000 ...
//   ok wachtpost.posts partitions=12 replication=3, config as defined
//   mismatch wachtpost.posts.dlq partitions 1 != 3
//   failed wachtpost.alerts partitions=6 ...: <why the cluster refused it>
// and a summary on `err`. Missing topics are created (not with dry_run);
// existing ones are only checked. Exit codes (cli.hpp): 0 all as defined (or
// to be created), 1 a mismatch or a topic that could not be created, 2 bad
// options or definitions, 3 the cluster could not be reached.
int run_topics_apply(const TopicsApplyOptions& options, std::ostream& out, std::ostream& err);

}  // namespace wachtpost

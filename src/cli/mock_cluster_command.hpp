#pragma once

#include <iosfwd>
#include <string>

#include "cli/cli.hpp"

namespace wachtpost {

// `wachtpost mock-cluster`: librdkafka's mock Kafka cluster as a process of
// its own, for local runs of `wachtpost run`, kcat and the integration tests.
struct MockClusterOptions {
  int brokers = 3;               // number of mock brokers
  std::string definitions_file;  // empty: topics/topics.yaml as embedded in the binary
};

// Starts the cluster, creates the defined topics, prints the bootstrap
// servers as the first line of `out` (flushed, so a parent process can read
// it at once), one line per topic on `err`, then blocks until SIGINT or
// SIGTERM and returns 0. The cluster lives only as long as the process: every
// message is in memory.
int run_mock_cluster(const MockClusterOptions& options, std::ostream& out, std::ostream& err);

}  // namespace wachtpost

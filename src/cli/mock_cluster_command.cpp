#include "cli/mock_cluster_command.hpp"

#include <signal.h>

#include <algorithm>
#include <optional>
#include <ostream>

#include "runtime/mock_cluster.hpp"
#include "runtime/topic_plan.hpp"

namespace wachtpost {

namespace {

constexpr std::string_view kCommand = "wachtpost mock-cluster: ";

// SIGINT and SIGTERM blocked for the lifetime of this object and taken with
// sigwait: no handler, no global flag. Created before the mock cluster starts
// its threads, which inherit the mask, so only wait() ever sees the signals.
class StopSignalWait {
 public:
  StopSignalWait() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
  }
  ~StopSignalWait() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  StopSignalWait(const StopSignalWait&) = delete;
  StopSignalWait& operator=(const StopSignalWait&) = delete;

  // Blocks until one of the signals arrives; returns it.
  int wait() const {
    int signal = 0;
    for (;;) {
      if (sigwait(&signals_, &signal) == 0) return signal;
    }
  }

 private:
  sigset_t signals_{};
  sigset_t previous_{};
};

}  // namespace

int run_mock_cluster(const MockClusterOptions& options, std::ostream& out, std::ostream& err) {
  std::vector<TopicDefinition> topics;
  try {
    topics = load_topic_definitions_file(options.definitions_file);
  } catch (const std::exception& e) {
    err << kCommand << e.what() << '\n';
    return kExitConfigError;
  }
  if (options.brokers < 1) {
    err << kCommand << "needs at least one broker\n";
    return kExitConfigError;
  }

  const StopSignalWait stop;
  std::optional<MockCluster> cluster;
  try {
    cluster.emplace(options.brokers);
    cluster->create_topics(topics);
  } catch (const std::exception& e) {
    err << kCommand << e.what() << '\n';
    return kExitIo;
  }

  // The first line of stdout is the whole interface for scripts and tests;
  // without the flush it could sit in a pipe buffer until exit.
  out << cluster->bootstrap_servers() << '\n';
  out.flush();
  for (const auto& topic : topics) {
    err << kCommand << "topic " << topic.name << " (" << topic.role << "): " << topic.partitions << " partitions, "
        << std::min(topic.replication_factor, options.brokers) << " replicas\n";
  }
  err << kCommand << options.brokers << " brokers at " << cluster->bootstrap_servers()
      << "; messages are kept in memory only; stop with Ctrl-C or SIGTERM\n";
  err.flush();

  const int signal = stop.wait();
  err << kCommand << (signal == SIGINT ? "SIGINT" : "SIGTERM") << ", stopping\n";
  cluster.reset();
  return kExitOk;
}

}  // namespace wachtpost

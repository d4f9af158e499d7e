#pragma once
// Test support for the Kafka integration tests: wachtpost processes started
// and killed like an operator (or a crash) would, a producer of posts and a
// read_committed reader of a whole topic. Everything talks to the mock
// cluster over TCP.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/kafka_handles.hpp"

extern char** environ;

namespace wachtpost::testing {

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "wachtpost-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A child process with stdout and stderr in files.
class Process {
 public:
  Process(std::vector<std::string> args, const std::string& stdout_path, const std::string& stderr_path)
      : stdout_path_(stdout_path), stderr_path_(stderr_path) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Process() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void signal(int sig) const { ::kill(pid_, sig); }

  // Exit status, or 128 + signal; -1 when it did not end in time.
  int wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      const pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  [[nodiscard]] std::string out() const { return read_text(stdout_path_); }
  [[nodiscard]] std::string err() const { return read_text(stderr_path_); }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string stdout_path_;
  std::string stderr_path_;
};

inline KafkaClient make_client(rd_kafka_type_t type, const std::vector<std::pair<std::string, std::string>>& props) {
  KafkaConf conf(rd_kafka_conf_new());
  char reason[512];
  for (const auto& [key, value] : props) {
    EXPECT_EQ(rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), reason, sizeof reason), RD_KAFKA_CONF_OK)
        << key << ": " << reason;
  }
  rd_kafka_t* client = rd_kafka_new(type, conf.get(), reason, sizeof reason);
  EXPECT_NE(client, nullptr) << reason;
  if (client != nullptr) static_cast<void>(conf.release());
  return KafkaClient(client);
}

// A post or bad line, keyed so that the partitioner spreads them.
class PostProducer {
 public:
  explicit PostProducer(const std::string& bootstrap)
      : producer_(make_client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}, {"linger.ms", "5"}})) {}
  void send(const std::string& topic, const std::string& key, const std::string& value) {
    for (;;) {
      const auto err = produce_copy(producer_.get(), topic.c_str(), key, value);
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
        break;
      }
      rd_kafka_poll(producer_.get(), 50);
    }
    rd_kafka_poll(producer_.get(), 0);
  }
  void flush() { ASSERT_EQ(rd_kafka_flush(producer_.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR); }

 private:
  KafkaClient producer_;
};

struct Record {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
};

// Every record of `topic`, read with isolation.level=read_committed.
inline std::vector<Record> read_topic(const std::string& bootstrap, const std::string& topic, int partitions) {
  KafkaClient consumer = make_client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                                         {"group.id", "test-reader"},
                                                         {"isolation.level", "read_committed"},
                                                         {"enable.auto.commit", "false"}});
  KafkaPartitionList assignment(rd_kafka_topic_partition_list_new(partitions));
  std::map<std::int32_t, std::int64_t> ends;
  for (std::int32_t p = 0; p < partitions; ++p) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    EXPECT_EQ(rd_kafka_query_watermark_offsets(consumer.get(), topic.c_str(), p, &low, &high, 10000),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    if (high > low) {
      ends[p] = high;
      rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), p)->offset = low;
    }
  }
  std::vector<Record> records;
  if (ends.empty()) return records;
  EXPECT_EQ(rd_kafka_assign(consumer.get(), assignment.get()), RD_KAFKA_RESP_ERR_NO_ERROR);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!ends.empty() && std::chrono::steady_clock::now() < deadline) {
    KafkaMessage message(rd_kafka_consumer_poll(consumer.get(), 200));
    if (!message || message->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    Record record;
    record.partition = message->partition;
    record.offset = message->offset;
    if (message->key != nullptr) record.key.assign(static_cast<const char*>(message->key), message->key_len);
    record.value.assign(static_cast<const char*>(message->payload), message->len);
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(message.get(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name = nullptr;
      const void* value = nullptr;
      std::size_t size = 0;
      for (std::size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i) {
        record.headers[name] = value == nullptr ? std::string() : std::string(static_cast<const char*>(value), size);
      }
    }
    records.push_back(std::move(record));
    if (const auto it = ends.find(message->partition); it != ends.end() && message->offset + 1 >= it->second) {
      ends.erase(it);
    }
  }
  EXPECT_TRUE(ends.empty()) << "topic " << topic << " not read to its end";
  rd_kafka_consumer_close(consumer.get());
  return records;
}

inline std::int64_t topic_size(const std::string& bootstrap, const std::string& topic, int partitions) {
  KafkaClient client = make_client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}});
  std::int64_t total = 0;
  for (std::int32_t p = 0; p < partitions; ++p) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    if (rd_kafka_query_watermark_offsets(client.get(), topic.c_str(), p, &low, &high, 5000) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      total += high - low;
    }
  }
  return total;
}

}  // namespace wachtpost::testing

#pragma once
// Runs the real wachtpost binary, as a user would, and captures what it says.

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace wachtpost::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  [[nodiscard]] std::vector<std::string> out_lines() const {
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

inline std::string source_path(const std::string& relative) {
  return std::string(WACHTPOST_SOURCE_DIR) + "/" + relative;
}

// `args` is a shell-quoted argument string; `env` is prefixed (e.g. "A=b").
inline CommandResult run_wachtpost(const std::string& args, const std::string& env = "",
                                   const std::string& stdin_file = "") {
  static int counter = 0;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("wachtpost-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  const auto out_path = dir / "out";
  const auto err_path = dir / "err";
  std::string command = (env.empty() ? "" : "env " + env + " ") + std::string(WACHTPOST_BINARY) + " " + args +
                        " > '" + out_path.string() + "' 2> '" + err_path.string() + "'";
  if (!stdin_file.empty()) command += " < '" + stdin_file + "'";
  const int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  std::filesystem::remove_all(dir);
  return result;
}

}  // namespace wachtpost::testing

// Every invalid run config, rule folder, protected-person registry and
// tokens file under tests/data/invalid/ (README.md there) is refused where
// the program reads it at start, naming file:line and the reason its
// `# expect:` comment lines give; nothing else is reported. A pattern set
// that cannot be built is also refused by a reload, which names the same
// places and keeps the live set.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/command_runner.hpp"
#include "cli/pattern_source.hpp"
#include "http/bearer_tokens.hpp"
#include "runtime/pattern_reloader.hpp"
#include "runtime/run_config.hpp"

namespace wachtpost {
namespace {

namespace fs = std::filesystem;

const fs::path kInvalid = fs::path(WACHTPOST_SOURCE_DIR) / "tests/data/invalid";
const std::string kScanRules = std::string(WACHTPOST_SOURCE_DIR) + "/tests/data/scan/rules";

// "# expect: FILE:LINE: REASON", or "# expect: FILE: REASON" for a problem of
// a whole file or folder, which has no line.
struct Expectation {
  std::string file;
  int line = 0;  // 0: the file as a whole
  std::string reason;
  std::string text;  // as written, for messages
};

std::vector<Expectation> expectations_in(const fs::path& file) {
  static const std::regex kWithLine(R"(^# expect: ([^:]+):([0-9]+): (.+)$)");
  static const std::regex kWithoutLine(R"(^# expect: ([^:]+): (.+)$)");
  std::vector<Expectation> out;
  std::ifstream in(file, std::ios::binary);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("# expect:")) continue;
    std::smatch m;
    if (std::regex_match(line, m, kWithLine)) {
      out.push_back({m[1].str(), std::stoi(m[2].str()), m[3].str(), line});
    } else if (std::regex_match(line, m, kWithoutLine)) {
      out.push_back({m[1].str(), 0, m[2].str(), line});
    } else {
      ADD_FAILURE() << file << ": cannot read the expectation: " << line;
    }
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string listed(const std::vector<std::string>& problems) {
  std::string text;
  for (const auto& p : problems) text += "\n  " + p;
  return text;
}

// Each expectation is met by a problem of its own, and every problem is
// expected: a case checks what it says it checks and nothing is missed.
// `name_of` says how the program names a file of the case in its messages.
void expect_exactly(const std::vector<std::string>& problems, const std::vector<Expectation>& expected,
                    const std::function<std::string(const std::string&)>& name_of) {
  ASSERT_FALSE(expected.empty()) << "a case without '# expect:' lines";
  std::vector<bool> used(problems.size(), false);
  for (const auto& e : expected) {
    const std::string place = name_of(e.file) + (e.line > 0 ? ":" + std::to_string(e.line) : "") + ": ";
    bool found = false;
    for (std::size_t i = 0; i < problems.size() && !found; ++i) {
      if (used[i] || !problems[i].starts_with(place)) continue;
      if (problems[i].find(e.reason, place.size()) == std::string::npos) continue;
      used[i] = true;
      found = true;
    }
    EXPECT_TRUE(found) << "expected: " << e.text << "\nas: " << place << e.reason << "\nreported:" << listed(problems);
  }
  for (std::size_t i = 0; i < problems.size(); ++i) {
    EXPECT_TRUE(used[i]) << "not expected: " << problems[i];
  }
}

std::vector<fs::path> entries_of(const fs::path& folder, bool folders) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_directory() == folders) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// --- run configs ---------------------------------------------------------------

// The start path of `wachtpost run --config FILE` (no flags): the file, then
// the checks that wait for the flags.
std::vector<std::string> run_config_problems(const fs::path& file) {
  try {
    const RunConfig config = load_run_config(file.string());
    validate_run_config(config);
  } catch (const ConfigError& e) {
    return lines_of(e.what());
  }
  return {};
}

TEST(InvalidInputs, EveryInvalidRunConfigNamesFileLineAndReason) {
  const auto files = entries_of(kInvalid / "config", false);
  ASSERT_GE(files.size(), 10U);
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    const auto problems = run_config_problems(file);
    ASSERT_FALSE(problems.empty()) << "accepted";
    expect_exactly(problems, expectations_in(file), [&](const std::string& name) {
      EXPECT_EQ(name, file.filename().string()) << "a config case names its own file";
      return file.string();
    });
  }
}

TEST(InvalidInputs, AnUnreadableRunConfigIsNamed) {
  EXPECT_EQ(run_config_problems(kInvalid / "config/no-such-file.yaml"),
            std::vector<std::string>{(kInvalid / "config/no-such-file.yaml").string() +
                                     ": cannot be read: No such file or directory"});
  EXPECT_EQ(run_config_problems(kInvalid / "config"),
            std::vector<std::string>{(kInvalid / "config").string() + ": is a folder, not a file"});
}

// --- rule folders and registries -------------------------------------------------

std::vector<std::string> pattern_set_problems(const PatternSetLocation& location) {
  try {
    load_pattern_set(location);
  } catch (const PatternSetError& e) {
    return e.problems();
  }
  return {};
}

TEST(InvalidInputs, EveryInvalidRuleFolderNamesFileLineAndReason) {
  const auto cases = entries_of(kInvalid / "rules", true);
  ASSERT_GE(cases.size(), 20U);
  for (const auto& folder : cases) {
    SCOPED_TRACE(folder.filename().string());
    std::vector<Expectation> expected;
    for (const auto& entry : fs::recursive_directory_iterator(folder)) {
      if (!entry.is_regular_file()) continue;
      const auto found = expectations_in(entry.path());
      expected.insert(expected.end(), found.begin(), found.end());
    }
    // A registry beside the rules (the loader skips protected*.yaml in the folder).
    const fs::path registry = folder / "protected.yaml";
    const auto problems =
        pattern_set_problems({folder.string(), fs::exists(registry) ? registry.string() : std::string(), {}});
    ASSERT_FALSE(problems.empty()) << "accepted";
    // Rule files are named relative to their folder; "." is the folder itself.
    expect_exactly(problems, expected, [&](const std::string& name) {
      return name == "." ? folder.string() : name == "protected.yaml" ? registry.string() : name;
    });
  }
}

TEST(InvalidInputs, EveryInvalidRegistryNamesFileLineAndReason) {
  const auto files = entries_of(kInvalid / "protected", false);
  ASSERT_GE(files.size(), 10U);
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    const auto problems = pattern_set_problems({kScanRules, file.string(), {}});
    ASSERT_FALSE(problems.empty()) << "accepted";
    expect_exactly(problems, expectations_in(file), [&](const std::string& name) {
      EXPECT_EQ(name, file.filename().string());
      return file.string();
    });
  }
}

TEST(InvalidInputs, MissingFoldersAndFilesAreNamed) {
  const std::string not_a_folder = (kInvalid / "README.md").string();
  EXPECT_EQ(pattern_set_problems({not_a_folder, "", {}}), std::vector<std::string>{not_a_folder + ": not a directory"});
  const std::string missing = (kInvalid / "protected/no-such-registry.yaml").string();
  EXPECT_EQ(pattern_set_problems({kScanRules, missing, {}}), std::vector<std::string>{missing + ": cannot be read"});
}

// --- tokens files --------------------------------------------------------------------

TEST(InvalidInputs, EveryInvalidTokensFileNamesFileLineAndReason) {
  const auto files = entries_of(kInvalid / "tokens", false);
  ASSERT_GE(files.size(), 5U);
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    std::vector<std::string> problems;
    try {
      (void)BearerTokens::load(file);
    } catch (const std::runtime_error& e) {
      problems = lines_of(e.what());
    }
    ASSERT_FALSE(problems.empty()) << "accepted";
    expect_exactly(problems, expectations_in(file), [&](const std::string& name) {
      EXPECT_EQ(name, file.filename().string());
      return file.string();
    });
    // Tokens are secrets: a message names the line, never the token.
    for (const auto& p : problems) EXPECT_EQ(p.find("token-0123456789"), std::string::npos) << p;
  }
}

// --- the same through the program ----------------------------------------------------

class TempFolder {
 public:
  TempFolder() {
    std::string pattern = (fs::temp_directory_path() / "wachtpost-invalid-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(file(name), std::ios::binary) << content;
    return file(name);
  }

 private:
  fs::path path_;
};

// `wachtpost run --config FILE` stops before it connects anywhere: exit 2 and
// the place and reason on stderr. (The brokers named do not exist.)
void expect_run_refused(const std::string& config, const std::string& message) {
  const auto started = std::chrono::steady_clock::now();
  const auto result = testing::run_wachtpost("run --config '" + config + "' --http-addr '' --metrics-addr ''");
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find(message), std::string::npos) << "expected: " << message << "\nstderr: " << result.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30)) << "refused at start, not later";
}

TEST(InvalidInputs, RunRefusesToStartNamingThePlace) {
  const fs::path config = kInvalid / "config";
  expect_run_refused((config / "unknown_keys.yaml").string(),
                     "wachtpost run: " + (config / "unknown_keys.yaml").string() + ":4: unknown key 'bokers'");
  expect_run_refused((config / "missing_brokers.yaml").string(),
                     (config / "missing_brokers.yaml").string() + ":1: brokers: not set");
  expect_run_refused((config / "kafka_properties.yaml").string(),
                     (config / "kafka_properties.yaml").string() + ":24: producer: message.max.bytes: value '1e6'");

  // A config that is fine, pointing at a broken rule folder or registry.
  const TempFolder dir;
  const std::string rules = dir.write(
      "rules.yaml", "brokers: 127.0.0.1:1\npatterns: " + (kInvalid / "rules/unknown_target_role").string() + "\n");
  expect_run_refused(rules, "rules.yaml:10: rule 'x.kill': unknown target role 'king'");
  const std::string registry =
      dir.write("registry.yaml", "brokers: 127.0.0.1:1\npatterns: " + kScanRules +
                                     "\nprotected: " + (kInvalid / "protected/duplicate_person.yaml").string() + "\n");
  expect_run_refused(
      registry, (kInvalid / "protected/duplicate_person.yaml").string() + ":7: person 'pieter-jansen': duplicate id");
}

// --- a reload of a broken folder ------------------------------------------------------

class InvalidReload : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.file("rules"));
    fs::copy(kScanRules, dir_.file("rules"), fs::copy_options::recursive);
    live_ = load_pattern_set({dir_.file("rules"), "", {}});
  }

  std::unique_ptr<PatternReloader> start(std::string registry = "") {
    ReloadOptions options;
    options.gate.policy = ReloadPolicy::kSingleOperator;  // a set that passed would go live at once
    options.gate.audit_log = dir_.file("audit.jsonl");
    const std::string rules = dir_.file("rules");
    options.build = [rules, registry] { return load_pattern_set({rules, registry, {}}); };
    options.source = rules;
    options.watched = {rules};
    ReloadHooks hooks;
    hooks.activate = [this](std::shared_ptr<const PatternSet> set) {
      const std::lock_guard lock(mutex_);
      activated_.emplace_back(set->hash());
    };
    hooks.shadow = [](std::shared_ptr<const PatternSet>) {};
    return std::make_unique<PatternReloader>(std::move(options), live_, std::move(hooks));
  }

  // The audit line of the n-th decision (1-based), waiting for it.
  std::string decision(std::size_t n) {
    std::vector<std::string> lines;
    for (int i = 0; i < 600; ++i) {
      std::ifstream in(dir_.file("audit.jsonl"));
      lines.clear();
      for (std::string line; std::getline(in, line);) {
        if (!line.empty()) lines.push_back(line);
      }
      if (lines.size() >= n) return lines[n - 1];
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "no decision " << n;
    return {};
  }

  std::vector<std::string> activated() {
    const std::lock_guard lock(mutex_);
    return activated_;
  }

  TempFolder dir_;
  std::shared_ptr<const PatternSet> live_;
  std::mutex mutex_;
  std::vector<std::string> activated_;
};

TEST_F(InvalidReload, ABrokenFolderIsRefusedWithFileAndLineAndTheLiveSetStays) {
  auto reloader = start();
  int decisions = 0;
  for (const std::string name : {"duplicate_yaml_key", "bad_expressions", "lexicon_problems"}) {
    SCOPED_TRACE(name);
    const fs::path folder = kInvalid / "rules" / name;
    for (const auto& file : entries_of(folder, false)) {
      fs::copy_file(file, dir_.file("rules/" + file.filename().string()), fs::copy_options::overwrite_existing);
    }
    reloader->request("local:SIGHUP", true);
    const std::string audit = decision(static_cast<std::size_t>(++decisions));
    EXPECT_NE(audit.find(R"("result":"refused")"), std::string::npos) << audit;
    for (const auto& file : entries_of(folder, false)) {
      for (const auto& e : expectations_in(file)) {
        EXPECT_NE(audit.find(e.file + ":" + std::to_string(e.line) + ": "), std::string::npos) << e.text << "\n"
                                                                                               << audit;
        EXPECT_NE(audit.find(e.reason.substr(0, 30)), std::string::npos) << e.text << "\n" << audit;
      }
    }
    EXPECT_TRUE(activated().empty()) << "a refused set never goes live";
    EXPECT_NE(reloader->status_json().find("\"live\":{\"hash\":\"" + std::string(live_->hash()) + "\""),
              std::string::npos)
        << reloader->status_json();
    for (const auto& file : entries_of(folder, false)) fs::remove(dir_.file("rules/" + file.filename().string()));
  }
  // With the broken files gone the same folder builds and goes live again:
  // the refusals were about those files, not the reloader.
  reloader->request("local:SIGHUP", true);
  EXPECT_NE(decision(static_cast<std::size_t>(++decisions)).find(R"("result":"unchanged")"), std::string::npos);
}

TEST_F(InvalidReload, ABrokenRegistryIsRefusedWithFileAndLine) {
  const std::string registry = dir_.file("protected.yaml");
  fs::copy_file(kInvalid / "protected/unknown_person_field.yaml", registry);
  auto reloader = start(registry);
  reloader->request("local:SIGHUP", true);
  const std::string audit = decision(1);
  EXPECT_NE(audit.find(R"("result":"refused")"), std::string::npos) << audit;
  EXPECT_NE(audit.find(registry + ":6: person 'pieter-jansen': unknown key 'alias'"), std::string::npos) << audit;
  EXPECT_TRUE(activated().empty());
}

}  // namespace
}  // namespace wachtpost

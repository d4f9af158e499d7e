#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "match/pattern_loader.hpp"
#include "match/scanner.hpp"

using namespace wachtpost;
namespace fs = std::filesystem;

namespace {

const char* const kRules =
    "lang: nl\n"
    "targets:\n  - role: judge\n    terms: ['rechters?']\n"
    "rules:\n  - id: t.kill\n    rev: 1\n    description: d\n    author: a\n"
    "    category: death_threat\n    severity: critical\n    threat: ['afmaken']\n";

class DatabaseCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("wachtpost-cache-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::shared_ptr<const PatternSet> build(const DatabaseCache& cache, const std::string& rules = kRules) {
    const RuleSource sources[] = {{"r.yaml", rules}};
    return build_pattern_set({sources, std::nullopt, "", &cache});
  }

  std::vector<fs::path> files() const {
    std::vector<fs::path> out;
    if (!fs::exists(dir_)) return out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path());
    return out;
  }

  static std::size_t hits(const std::shared_ptr<const PatternSet>& set, std::string_view text) {
    Scanner scanner;
    std::vector<Hit> found;
    scanner.scan(set, text, found);
    return found.size();
  }

  fs::path dir_;
};

}  // namespace

TEST_F(DatabaseCacheTest, SecondBuildLoadsTheStoredDatabase) {
  const DatabaseCache cache(dir_);
  const auto first = build(cache);
  // Two databases: every expression, and "rechters?" (varying width) for starts.
  ASSERT_EQ(files().size(), 2U);
  const auto stored = fs::last_write_time(files()[0]);
  const auto second = build(cache);
  EXPECT_EQ(files().size(), 2U);
  EXPECT_EQ(first->hash(), second->hash());
  EXPECT_EQ(first->database_bytes(), second->database_bytes());
  EXPECT_EQ(hits(second, "die rechter afmaken"), 2U);
  EXPECT_GE(fs::last_write_time(files()[0]), stored);
}

TEST_F(DatabaseCacheTest, CorruptFileIsAMissAndIsReplaced) {
  const DatabaseCache cache(dir_);
  build(cache);
  ASSERT_EQ(files().size(), 2U);
  for (const auto& file : files()) std::ofstream(file, std::ios::binary | std::ios::trunc) << "not a database";
  const auto set = build(cache);
  EXPECT_EQ(hits(set, "die rechter afmaken"), 2U);
  for (const auto& file : files()) EXPECT_GT(fs::file_size(file), 100U);
}

TEST_F(DatabaseCacheTest, DifferentExpressionsGetDifferentEntriesAndOldOnesAreEvicted) {
  const DatabaseCache cache(dir_);
  for (std::size_t i = 0; i < DatabaseCache::kKeepDatabases + 3; ++i) {
    std::string rules = kRules;
    rules.replace(rules.find("afmaken"), 7, "afmaken|woord" + std::to_string(i));
    build(cache, rules);
  }
  EXPECT_EQ(files().size(), DatabaseCache::kKeepDatabases);
}

TEST_F(DatabaseCacheTest, DisabledCacheWritesNothing) {
  const DatabaseCache cache(fs::path{});
  EXPECT_FALSE(cache.enabled());
  const auto set = build(cache);
  EXPECT_EQ(hits(set, "die rechter afmaken"), 2U);
  EXPECT_TRUE(files().empty());
}

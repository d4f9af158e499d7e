#pragma once
// On-disk cache of compiled Hyperscan databases.
//
// Compiling a large pattern set takes seconds; a restart, a reload of a known
// set or a test run should not pay that again. The key is a digest of exactly
// what Hyperscan compiles (every expression, its flags and id, the mode) and
// the Hyperscan version, so a cached database is never used for anything but
// the identical compile. A missing, unreadable or foreign file is a miss.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "match/pattern_set.hpp"

namespace wachtpost {

// What stays on disk; the least recently used databases beyond either bound
// are removed. The bytes bound is the one that matters in practice: a large
// set costs a minute to compile (many times that under a sanitizer) and must
// not be pushed out by a run of many small sets, as a test suite makes.
struct DatabaseCacheLimits {
  std::size_t databases = 256;
  std::uintmax_t bytes = std::uintmax_t{1} << 30;
};

class DatabaseCache {
 public:
  // An empty directory disables the cache.
  using Limits = DatabaseCacheLimits;

  explicit DatabaseCache(std::filesystem::path directory, Limits limits = {})
      : directory_(std::move(directory)), limits_(limits) {}

  // $WACHTPOST_CACHE_DIR, else $XDG_CACHE_HOME/wachtpost, else ~/.cache/wachtpost;
  // WACHTPOST_CACHE_DIR= (empty) disables caching.
  static DatabaseCache from_environment();

  [[nodiscard]] bool enabled() const { return !directory_.empty(); }
  [[nodiscard]] HsDatabase load(const std::string& key) const;
  // Best effort: a cache that cannot be written only costs time later.
  void store(const std::string& key, const hs_database_t* database) const;

 private:
  void evict_old() const;

  std::filesystem::path directory_;
  Limits limits_;
};

}  // namespace wachtpost

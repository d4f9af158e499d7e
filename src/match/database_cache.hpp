#pragma once
// On-disk cache of compiled Hyperscan databases.
//
// Compiling a large pattern set takes seconds; a restart, a reload of a known
// set or a test run should not pay that again. The key is a digest of exactly
// what Hyperscan compiles (every expression, its flags and id, the mode) and
// the Hyperscan version, so a cached database is never used for anything but
// the identical compile. A missing, unreadable or foreign file is a miss.

#include <filesystem>
#include <optional>
#include <string>

#include "match/pattern_set.hpp"

namespace wachtpost {

class DatabaseCache {
 public:
  // An empty directory disables the cache.
  explicit DatabaseCache(std::filesystem::path directory) : directory_(std::move(directory)) {}

  // $WACHTPOST_CACHE_DIR, else $XDG_CACHE_HOME/wachtpost, else ~/.cache/wachtpost;
  // WACHTPOST_CACHE_DIR= (empty) disables caching.
  static DatabaseCache from_environment();

  [[nodiscard]] bool enabled() const { return !directory_.empty(); }
  [[nodiscard]] HsDatabase load(const std::string& key) const;
  // Best effort: a cache that cannot be written only costs time later.
  void store(const std::string& key, const hs_database_t* database) const;

  // Databases kept on disk (two a set); the least recently used beyond this
  // are removed.
  static constexpr std::size_t kKeepDatabases = 16;

 private:
  void evict_old() const;

  std::filesystem::path directory_;
};

}  // namespace wachtpost

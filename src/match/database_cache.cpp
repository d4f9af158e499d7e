#include "match/database_cache.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <vector>
#include <fstream>
#include <iterator>
#include <memory>

namespace wachtpost {

namespace fs = std::filesystem;

DatabaseCache DatabaseCache::from_environment() {
  if (const char* dir = std::getenv("WACHTPOST_CACHE_DIR")) return DatabaseCache(dir);
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return DatabaseCache(fs::path(xdg) / "wachtpost");
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return DatabaseCache(fs::path(home) / ".cache" / "wachtpost");
  }
  return DatabaseCache({});
}

HsDatabase DatabaseCache::load(const std::string& key) const {
  if (!enabled()) return nullptr;
  std::ifstream in(directory_ / (key + ".hsdb"), std::ios::binary);
  if (!in) return nullptr;
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  // Mark it recently used, so eviction keeps the sets actually in use.
  std::error_code ec;
  fs::last_write_time(directory_ / (key + ".hsdb"), fs::file_time_type::clock::now(), ec);
  hs_database_t* raw = nullptr;
  // Hyperscan checks version, platform and integrity; anything off is a miss.
  if (hs_deserialize_database(bytes.data(), bytes.size(), &raw) != HS_SUCCESS) return nullptr;
  return HsDatabase(raw);
}

void DatabaseCache::store(const std::string& key, const hs_database_t* database) const {
  if (!enabled() || database == nullptr) return;
  char* raw = nullptr;
  std::size_t size = 0;
  if (hs_serialize_database(database, &raw, &size) != HS_SUCCESS) return;
  const std::unique_ptr<char, decltype(&std::free)> bytes(raw, &std::free);
  std::error_code ec;
  fs::create_directories(directory_, ec);
  // Write then rename, so a concurrent reader never sees half a file.
  const fs::path final_path = directory_ / (key + ".hsdb");
  const fs::path temp_path = directory_ / (key + ".tmp." + std::to_string(::getpid()));
  {
    std::ofstream out(temp_path, std::ios::binary | std::ios::trunc);
    if (!out) return;
    out.write(bytes.get(), static_cast<std::streamsize>(size));
    if (!out) {
      fs::remove(temp_path, ec);
      return;
    }
  }
  fs::rename(temp_path, final_path, ec);
  if (ec) {
    fs::remove(temp_path, ec);
    return;
  }
  evict_old();
}

void DatabaseCache::evict_old() const {
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> files;
  for (const auto& entry : fs::directory_iterator(directory_, ec)) {
    if (entry.path().extension() == ".hsdb") files.emplace_back(entry.last_write_time(ec), entry.path());
  }
  if (files.size() <= kKeepDatabases) return;
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t i = kKeepDatabases; i < files.size(); ++i) fs::remove(files[i].second, ec);
}

}  // namespace wachtpost

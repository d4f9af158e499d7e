#include "match/database_cache.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

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
  std::ifstream in(directory_ / (key + ".hsdb"), std::ios::binary | std::ios::ate);
  if (!in) return nullptr;
  // One read of the known size: a large set is tens of MB, too many to copy
  // a character at a time (seconds under a sanitizer).
  const std::streamoff size = in.tellg();
  if (size <= 0) return nullptr;
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), size)) return nullptr;
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
  struct Entry {
    fs::file_time_type used;
    std::uintmax_t bytes;
    fs::path path;
  };
  std::error_code ec;
  std::vector<Entry> files;
  for (const auto& entry : fs::directory_iterator(directory_, ec)) {
    if (entry.path().extension() != ".hsdb") continue;
    const auto bytes = entry.file_size(ec);
    files.push_back({entry.last_write_time(ec), ec ? 0 : bytes, entry.path()});
  }
  std::sort(files.begin(), files.end(), [](const Entry& a, const Entry& b) { return a.used > b.used; });
  // The most recently used always stays, even alone above the bytes bound.
  std::uintmax_t kept_bytes = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    kept_bytes += files[i].bytes;
    if (i > 0 && (i >= limits_.databases || kept_bytes > limits_.bytes)) fs::remove(files[i].path, ec);
  }
}

}  // namespace wachtpost

#include "alert/pseudonym.hpp"

#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "alert/digest.hpp"

namespace wachtpost {

AuthorPseudonymizer::AuthorPseudonymizer(std::string key, std::uint32_t rotation_hours)
    : key_(std::move(key)), rotation_ms_(static_cast<std::int64_t>(rotation_hours) * 3600 * 1000) {
  if (key_.size() < 16) throw std::invalid_argument("pseudonym key must be at least 16 bytes");
  if (rotation_hours == 0) throw std::invalid_argument("pseudonym rotation must be at least one hour");
}

std::optional<std::string> AuthorPseudonymizer::pseudonym(std::string_view platform, std::string_view author_id,
                                                          std::int64_t created_ms) const {
  if (author_id.empty()) return std::nullopt;
  std::int64_t period = created_ms / rotation_ms_;
  if (created_ms < 0 && created_ms % rotation_ms_ != 0) --period;
  const std::string period_text = std::to_string(period);
  const std::array<std::string_view, 4> parts{"author-v1", period_text, platform, author_id};
  return "ap1-" + period_text + "-" + hmac_sha256_hex(key_, parts, 24);
}

std::shared_ptr<const AuthorPseudonymizer> load_author_pseudonymizer(const std::string& key_file,
                                                                     std::uint32_t rotation_hours) {
  std::string key;
  if (!key_file.empty()) {
    std::ifstream in(key_file, std::ios::binary);
    if (!in) throw std::runtime_error(key_file + ": cannot read the pseudonym key");
    std::ostringstream content;
    content << in.rdbuf();
    key = content.str();
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  } else if (const char* env = std::getenv("WACHTPOST_PSEUDONYM_KEY"); env != nullptr && *env != '\0') {
    key = env;
  } else {
    return nullptr;
  }
  return std::make_shared<const AuthorPseudonymizer>(std::move(key), rotation_hours);
}

}  // namespace wachtpost

#include "http/bearer_tokens.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace wachtpost {

namespace {

std::array<unsigned char, 32> digest_of(std::string_view text) {
  std::array<unsigned char, 32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

BearerTokens BearerTokens::load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file.string() + ": cannot read the tokens file");
  std::stringstream content;
  content << in.rdbuf();
  return parse(content.str(), file.string());
}

BearerTokens BearerTokens::parse(std::string_view content, std::string_view file_name) {
  constexpr std::size_t kMinTokenLength = 16;
  BearerTokens tokens;
  int line_number = 0;
  while (!content.empty()) {
    const auto newline = content.find('\n');
    std::string_view line = content.substr(0, newline);
    content = newline == std::string_view::npos ? std::string_view{} : content.substr(newline + 1);
    ++line_number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = std::string(file_name) + ":" + std::to_string(line_number) + ": ";
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) throw std::runtime_error(where + "expected name:token");
    const std::string_view name = line.substr(0, colon);
    std::string_view token = line.substr(colon + 1);
    TokenRole role = TokenRole::kOfficer;
    for (const auto& [prefix, named] : {std::pair{std::string_view("admin:"), TokenRole::kAdmin},
                                        std::pair{std::string_view("officer:"), TokenRole::kOfficer}}) {
      if (token.starts_with(prefix)) {
        role = named;
        token.remove_prefix(prefix.size());
        break;
      }
    }
    if (!valid_name(name)) throw std::runtime_error(where + "a name is 1-64 letters, digits, '_', '-' or '.'");
    if (token.size() < kMinTokenLength) {
      throw std::runtime_error(where + "token of '" + std::string(name) + "' is shorter than 16 characters");
    }
    const auto digest = digest_of(token);
    for (const auto& entry : tokens.entries_) {
      if (entry.name == name) throw std::runtime_error(where + "name '" + std::string(name) + "' is listed twice");
      // One token for two names would make every acknowledgement and admin
      // action of either attributable to neither.
      if (entry.digest == digest) {
        throw std::runtime_error(where + "the token of '" + std::string(name) + "' is also the token of '" +
                                 entry.name + "': every name needs a token of its own");
      }
    }
    tokens.entries_.push_back({std::string(name), role, digest});
  }
  if (tokens.entries_.empty()) throw std::runtime_error(std::string(file_name) + ": no tokens");
  return tokens;
}

const BearerTokens::Entry* BearerTokens::entry_of(std::string_view token) const {
  const auto presented = digest_of(token);
  const Entry* match = nullptr;
  // Every entry is compared, matched or not: the time taken says nothing.
  for (const auto& entry : entries_) {
    if (CRYPTO_memcmp(entry.digest.data(), presented.data(), presented.size()) == 0) match = &entry;
  }
  return match;
}

std::optional<std::string> BearerTokens::name_of(std::string_view token) const {
  const Entry* match = entry_of(token);
  if (match == nullptr) return std::nullopt;
  return match->name;
}

std::optional<TokenHolder> BearerTokens::holder_of_header(std::string_view authorization) const {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char a = static_cast<char>(std::tolower(static_cast<unsigned char>(authorization[i])));
    const char b = static_cast<char>(std::tolower(static_cast<unsigned char>(kScheme[i])));
    if (a != b) return std::nullopt;
  }
  const Entry* match = entry_of(authorization.substr(kScheme.size()));
  if (match == nullptr) return std::nullopt;
  return TokenHolder{match->name, match->role};
}

std::optional<std::string> BearerTokens::name_of_header(std::string_view authorization) const {
  auto holder = holder_of_header(authorization);
  if (!holder) return std::nullopt;
  return std::move(holder->name);
}

}  // namespace wachtpost

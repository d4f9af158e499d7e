#pragma once
// Who may see the desk: bearer tokens from a file of `name:token` lines, or
// `name:admin:token` for an operator who may also propose, approve and
// withdraw pattern sets (the admin routes). `name:officer:token` says the
// default out loud.
//
// A presented token is compared with every known token in constant time (on
// SHA-256 digests, so neither the content nor the length of a token leaks
// through timing), and names the officer or operator it belongs to: an
// acknowledgement is attributed to that name. Tokens never reach a log.

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wachtpost {

enum class TokenRole : std::uint8_t { kOfficer, kAdmin };

struct TokenHolder {
  std::string name;
  TokenRole role = TokenRole::kOfficer;
};

class BearerTokens {
 public:
  BearerTokens() = default;  // knows nobody: every token is refused
  // Lines `name:token`; blank lines and lines starting with '#' are skipped.
  // Throws std::runtime_error naming file:line for a malformed line, a name
  // used twice or a token shorter than 16 characters.
  static BearerTokens load(const std::filesystem::path& file);
  static BearerTokens parse(std::string_view content, std::string_view file_name);

  // The name a token belongs to.
  [[nodiscard]] std::optional<std::string> name_of(std::string_view token) const;
  // From an "Authorization: Bearer <token>" header value.
  [[nodiscard]] std::optional<std::string> name_of_header(std::string_view authorization) const;
  [[nodiscard]] std::optional<TokenHolder> holder_of_header(std::string_view authorization) const;
  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string name;
    TokenRole role = TokenRole::kOfficer;
    std::array<unsigned char, 32> digest{};
  };
  [[nodiscard]] const Entry* entry_of(std::string_view token) const;
  std::vector<Entry> entries_;
};

}  // namespace wachtpost

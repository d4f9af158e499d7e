#pragma once
// The only form in which an author leaves the process: a keyed, rotating
// pseudonym. It lets the desk see that two alerts came from the same account
// within one rotation period (de-duplication), without revealing who, and
// without allowing a profile to be built across periods.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace wachtpost {

class AuthorPseudonymizer {
 public:
  // `key` must be secret and at least 16 bytes; `rotation_hours` > 0.
  AuthorPseudonymizer(std::string key, std::uint32_t rotation_hours);

  // "ap1-<period>-<24 hex>" for the author of a post created at `created_ms`;
  // nullopt when the post names no author.
  [[nodiscard]] std::optional<std::string> pseudonym(std::string_view platform, std::string_view author_id,
                                                     std::int64_t created_ms) const;

 private:
  std::string key_;
  std::int64_t rotation_ms_;
};

// The key never comes from a flag value, which would leave it in shell history
// and process listings: from `key_file` when given, else from
// $WACHTPOST_PSEUDONYM_KEY; with neither, null (alerts carry no author
// reference at all). Throws std::runtime_error when the file cannot be read.
std::shared_ptr<const AuthorPseudonymizer> load_author_pseudonymizer(const std::string& key_file,
                                                                     std::uint32_t rotation_hours);

}  // namespace wachtpost

#pragma once
// Hashes used for identifiers: deterministic alert ids and keyed pseudonyms.

#include <span>
#include <string>
#include <string_view>

namespace wachtpost {

// Lowercase hex of SHA-256 over the parts, each followed by a NUL separator so
// ("ab","c") and ("a","bc") differ. `hex_chars` <= 64.
std::string sha256_hex(std::span<const std::string_view> parts, std::size_t hex_chars);

// Lowercase hex of HMAC-SHA-256(key, parts joined as above). `hex_chars` <= 64.
std::string hmac_sha256_hex(std::string_view key, std::span<const std::string_view> parts, std::size_t hex_chars);

}  // namespace wachtpost

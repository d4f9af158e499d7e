#include "alert/digest.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace wachtpost {

namespace {

std::string to_hex(const unsigned char* bytes, std::size_t count, std::size_t hex_chars) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(hex_chars);
  for (std::size_t i = 0; i < count && out.size() < hex_chars; ++i) {
    out += kHex[bytes[i] >> 4];
    if (out.size() < hex_chars) out += kHex[bytes[i] & 0xF];
  }
  return out;
}

std::string joined(std::span<const std::string_view> parts) {
  std::string data;
  for (const auto part : parts) {
    data.append(part);
    data += '\0';
  }
  return data;
}

}  // namespace

std::string sha256_hex(std::span<const std::string_view> parts, std::size_t hex_chars) {
  const std::string data = joined(parts);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return to_hex(digest.data(), length, hex_chars);
}

std::string hmac_sha256_hex(std::string_view key, std::span<const std::string_view> parts, std::size_t hex_chars) {
  const std::string data = joined(parts);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &length) == nullptr) {
    throw std::runtime_error("HMAC-SHA-256 failed");
  }
  return to_hex(digest.data(), length, hex_chars);
}

}  // namespace wachtpost

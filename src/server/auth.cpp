#include "auth.hpp"

#include <array>

#include <openssl/evp.h>

#include <interlingua/core/ids.hpp>

namespace interlingua::server {

std::string presented_key(const exchange& ex) {
  std::string_view auth = ex.header("authorization");
  // The scheme name is case-insensitive (RFC 9110 §11.1): "bearer k" is as good as "Bearer k".
  constexpr std::string_view bearer = "bearer ";
  if (auth.size() > bearer.size()) {
    bool is_bearer = true;
    for (std::size_t i = 0; i < bearer.size(); ++i) {
      char c = auth[i];
      is_bearer =
          is_bearer && (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) == bearer[i];
    }
    if (is_bearer) {
      return std::string(auth.substr(bearer.size()));
    }
  }
  if (auto goog = ex.header("x-goog-api-key"); !goog.empty()) {
    return std::string(goog);
  }
  return ex.query("key").value_or(std::string{});
}

bool key_accepted(std::string_view key, const std::vector<std::string>& keys) {
  bool found = false;
  for (const auto& k : keys) {
    // Compare every byte of equal-length keys so timing does not reveal a matching prefix.
    if (k.size() == key.size() && !key.empty()) {
      unsigned char diff = 0;
      for (std::size_t i = 0; i < k.size(); ++i) {
        diff |= static_cast<unsigned char>(k[i] ^ key[i]);
      }
      found = found || diff == 0;
    }
  }
  return found;
}

std::string owner_of(std::string_view key) {
  if (key.empty()) {
    return {};
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int n = 0;
  EVP_Digest(key.data(), key.size(), digest.data(), &n, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (unsigned int i = 0; i < n; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0xf]);
  }
  return out;
}

std::string request_id_for(const request& req) {
  auto it = req.find("x-request-id");
  if (it != req.end() && !it->value().empty() && it->value().size() <= 128) {
    bool printable = true;
    for (char c : it->value()) {
      printable = printable && c > 0x20 && c < 0x7f && c != '"' && c != '\\';
    }
    if (printable) {
      return std::string(it->value());
    }
  }
  return core::random_id("req_", 20);
}

}  // namespace interlingua::server

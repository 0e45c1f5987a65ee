#include <interlingua/core/signature.hpp>

namespace interlingua::core {

namespace {

// The tag: a lower-case issuer name and ':'; base64 (standard or url-safe) has no ':'.
std::size_t tag_length(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 16) {
    return 0;
  }
  for (std::size_t i = 0; i < colon; ++i) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || c == '_')) {
      return 0;
    }
  }
  return colon + 1;
}

}  // namespace

std::string tag_signature(std::string_view issuer, std::string_view raw) {
  std::string out;
  out.reserve(issuer.size() + 1 + raw.size());
  out.append(issuer).append(1, ':').append(raw);
  return out;
}

std::string_view signature_for(std::string_view issuer, std::string_view signature) {
  std::size_t tag = tag_length(signature);
  if (tag == 0) {
    return signature;
  }
  if (signature.substr(0, tag - 1) != issuer) {
    return {};
  }
  return signature.substr(tag);
}

}  // namespace interlingua::core

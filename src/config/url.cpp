// base_url parsing. Deliberately narrower than RFC 3986: a base_url is a scheme, an authority
// and a path prefix; anything else (userinfo, query, fragment) would be silently mangled when
// the transport appends endpoint paths, so it is refused.

#include <arpa/inet.h>

#include <array>
#include <charconv>

#include "interlingua/config/config.hpp"

namespace interlingua::config {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool take_scheme(std::string_view& url, parsed_url& out) {
  for (std::string_view scheme : {"https", "http"}) {
    if (url.size() < scheme.size() + 3 || url.substr(scheme.size(), 3) != "://") {
      continue;
    }
    bool same = true;
    for (std::size_t i = 0; i < scheme.size(); ++i) {
      same = same && lower(url[i]) == scheme[i];
    }
    if (same) {
      out.scheme = scheme;
      out.tls = scheme == "https";
      url.remove_prefix(scheme.size() + 3);
      return true;
    }
  }
  return false;
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

bool parse_port(std::string_view text, std::uint16_t& port) {
  unsigned value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || text.size() > 5 || ec != std::errc{} || ptr != end || value == 0 ||
      value > 65535) {
    return false;
  }
  port = static_cast<std::uint16_t>(value);
  return true;
}

bool parse_ipv6(std::string_view authority, parsed_url& out, std::string_view& port_text) {
  const auto close = authority.find(']');
  if (close == std::string_view::npos) {
    return false;
  }
  std::string literal{authority.substr(1, close - 1)};
  std::array<unsigned char, 16> bytes{};
  if (inet_pton(AF_INET6, literal.c_str(), bytes.data()) != 1) {
    return false;
  }
  const auto rest = authority.substr(close + 1);
  if (!rest.empty() && rest.front() != ':') {
    return false;
  }
  out.host = std::move(literal);
  port_text = rest.empty() ? std::string_view{} : rest.substr(1);
  return rest.empty() || !port_text.empty();
}

bool parse_authority(std::string_view authority, parsed_url& out) {
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    if (!parse_ipv6(authority, out, port_text)) {
      return false;
    }
  } else {
    const auto colon = authority.find(':');
    const auto host = authority.substr(0, colon);
    if (host.empty()) {
      return false;
    }
    for (char c : host) {
      if (!is_host_char(c)) {
        return false;
      }
    }
    out.host = host;
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) {
        return false;
      }
    }
  }
  out.port = out.tls ? 443 : 80;
  return port_text.empty() || parse_port(port_text, out.port);
}

bool parse_path(std::string_view path, parsed_url& out) {
  for (char c : path) {
    // Printable ASCII only; '?' and '#' would start a query or fragment.
    if (c <= ' ' || c >= 0x7f || c == '?' || c == '#') {
      return false;
    }
  }
  while (!path.empty() && path.back() == '/') {
    path.remove_suffix(1);
  }
  out.path_prefix = path;
  return true;
}

}  // namespace

std::optional<parsed_url> parse_base_url(std::string_view url) {
  parsed_url out;
  if (!take_scheme(url, out)) {
    return std::nullopt;
  }
  const auto slash = url.find('/');
  const auto authority = url.substr(0, slash);
  const auto path = slash == std::string_view::npos ? std::string_view{} : url.substr(slash);
  if (!parse_authority(authority, out) || !parse_path(path, out)) {
    return std::nullopt;
  }
  return out;
}

std::string parsed_url::authority() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) {
    out += ":" + std::to_string(port);
  }
  return out;
}

}  // namespace interlingua::config

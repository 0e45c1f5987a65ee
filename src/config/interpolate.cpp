// `${VAR}` expansion for scalar values. Expansion is single-pass: text that comes out of the
// environment is never scanned again, so a secret containing "${" cannot pull in other variables.

#include <cstdlib>

#include "internal.hpp"

namespace interlingua::config::detail {
namespace {

bool is_name_char(char c, bool first) {
  const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
  return alpha || (!first && c >= '0' && c <= '9');
}

bool is_valid_name(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!is_name_char(name[i], i == 0)) {
      return false;
    }
  }
  return true;
}

// `body` is what sits between "${" and "}": "NAME" or "NAME:-default".
bool expand_reference(std::string_view body, std::string& out, std::string& error) {
  const auto sep = body.find(":-");
  const std::string name{body.substr(0, sep)};
  if (!is_valid_name(name)) {
    // The body is not echoed: it may hold a default that is itself a secret.
    error =
        "malformed ${...} reference: expected ${NAME} or ${NAME:-default} where NAME is "
        "letters, digits and _ (write $${ for a literal ${)";
    return false;
  }
  const char* value = std::getenv(name.c_str());
  // Shell semantics: `:-` also replaces a variable that is set but empty.
  if (value != nullptr && (sep == std::string_view::npos || *value != '\0')) {
    out += value;
    return true;
  }
  if (sep != std::string_view::npos) {
    out += body.substr(sep + 2);
    return true;
  }
  error = "environment variable " + name + " is not set (write ${" + name +
          ":-} to allow it to be empty)";
  return false;
}

}  // namespace

std::optional<std::string> interpolate(std::string_view text, std::string& error) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 3) == "$${") {
      out += "${";
      i += 3;
      continue;
    }
    if (text.substr(i, 2) != "${") {
      out += text[i++];
      continue;
    }
    const auto close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      error = "unterminated ${ (write $${ for a literal ${)";
      return std::nullopt;
    }
    if (!expand_reference(text.substr(i + 2, close - i - 2), out, error)) {
      return std::nullopt;
    }
    i = close + 1;
  }
  return out;
}

}  // namespace interlingua::config::detail

#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace interlingua::server {

// Percent-decodes `in` ('+' as space, as in form-encoded query strings). Invalid escapes are kept.
std::string percent_decode(std::string_view in);
// The decoded value of `name` in a raw query string ("a=1&b=2").
std::optional<std::string> query_param(std::string_view query, std::string_view name);

}  // namespace interlingua::server

#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <interlingua/server/exchange.hpp>

namespace interlingua::server {

// The key the client presented: `Authorization: Bearer`, `x-goog-api-key`, or `?key=`.
std::string presented_key(const exchange& ex);
// Constant-time comparison against every configured key.
bool key_accepted(std::string_view key, const std::vector<std::string>& keys);
// Hex SHA-256 of a gateway key; "" for no key.
std::string owner_of(std::string_view key);
// The client's x-request-id when it is short and printable, else a new one.
std::string request_id_for(const request& req);

}  // namespace interlingua::server

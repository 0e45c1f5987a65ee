#pragma once

#include <chrono>

#include <interlingua/server/exchange.hpp>

namespace interlingua::server {

// One JSON line per request on the "access" logger: never a body, a key or the query string.
void log_access(const exchange& ex, std::chrono::steady_clock::time_point started);

}  // namespace interlingua::server

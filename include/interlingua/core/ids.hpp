#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace interlingua::core {

// `prefix` + `length` random URL-safe characters from a per-thread generator.
std::string random_id(std::string_view prefix, std::size_t length);

// RFC 3339 UTC without fraction, e.g. "2026-05-15T18:51:55Z".
std::string rfc3339(std::chrono::system_clock::time_point t);

}  // namespace interlingua::core

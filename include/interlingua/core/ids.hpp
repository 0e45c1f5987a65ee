#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace interlingua::core {

// `prefix` + `length` random URL-safe characters from a per-thread generator.
std::string random_id(std::string_view prefix, std::size_t length);

// RFC 3339 UTC without fraction, e.g. "2026-05-15T18:51:55Z".
std::string rfc3339(std::chrono::system_clock::time_point t);
// RFC 3339 UTC with microseconds, e.g. "2025-06-01T12:00:00.123456Z" (Julep's timestamps); an
// instant before 1970 still gets a fraction in [0, 999999].
std::string rfc3339_micros(std::int64_t unix_us);

}  // namespace interlingua::core

#pragma once

// Writing JSON text straight into a string, for the hot answers (a streamed delta, a unary
// Interactions reply) where building an nlohmann::json tree only to dump it cost more than the
// rest of the rendering (bench/RESULTS.md: tree build, destroy and dump ~9% of a unary request).
//
// The output is byte for byte what core::json_util::dump gives for the same tree: strings are
// escaped as nlohmann does with error_handler_t::replace (each ill-formed UTF-8 sequence becomes
// U+FFFD), and callers write object keys in sorted order as nlohmann's std::map keeps them. The
// tests compare the two on every string they can think of.

#include <cstdint>
#include <string>
#include <string_view>

namespace interlingua::core::json_write {

enum class escape {
  json,  // what JSON requires (and nlohmann does)
  // Also U+2028, U+2029 and U+0085: valid in JSON, but line breaks to some SDKs' SSE readers
  // (Python's splitlines) — what the dialects' dump_wire escapes.
  wire,
};

// Appends `s` as a quoted JSON string.
void string(std::string& out, std::string_view s, escape how = escape::json);

// Appends a decimal integer.
void integer(std::string& out, std::int64_t v);

// Appends `"key":` (the key is a trusted constant: not escaped).
inline void key(std::string& out, std::string_view k) {
  out += '"';
  out += k;
  out += "\":";
}

}  // namespace interlingua::core::json_write

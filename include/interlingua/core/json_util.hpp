#pragma once

// Non-throwing access to untrusted JSON (client or upstream bytes): never .at(), never an
// unchecked get<T>().

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <interlingua/core/fast_json.hpp>

namespace interlingua::core::json_util {

using json = nlohmann::json;

// The member `key` of `j` if `j` is an object that has it, else nullptr.
inline const json* member(const json& j, std::string_view key) {
  if (!j.is_object()) {
    return nullptr;
  }
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

inline const json* member_string(const json& j, std::string_view key) {
  const json* m = member(j, key);
  return m && m->is_string() ? m : nullptr;
}

// The text of a JSON string (callers checked is_string()); json::empty() is false for strings.
inline const std::string& text(const json& j) {
  return j.get_ref<const std::string&>();
}

inline std::string string_or(const json& j, std::string_view key, std::string fallback = {}) {
  const json* m = member_string(j, key);
  return m ? m->get<std::string>() : std::move(fallback);
}

inline std::optional<std::int64_t> integer(const json& j, std::string_view key) {
  const json* m = member(j, key);
  // Unsigned first: nlohmann's is_number_integer() is true for unsigned numbers too, and
  // get<std::int64_t>() would wrap one past INT64_MAX to a negative.
  if (m && m->is_number_unsigned()) {
    auto v = m->get<std::uint64_t>();
    return v > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(v);
  }
  if (m && m->is_number_integer()) {
    return m->get<std::int64_t>();
  }
  return std::nullopt;
}

inline std::int64_t integer_or(const json& j, std::string_view key, std::int64_t fallback = 0) {
  return integer(j, key).value_or(fallback);
}

// Parses without throwing; nullopt on malformed input. The same values as
// json::parse(text, nullptr, false), at a fraction of its cost (core/fast_json.hpp): every client
// body and upstream reply or event goes through here.
inline std::optional<json> parse(std::string_view text) {
  return fast_json::parse(text);
}

// Serializes without throwing on invalid UTF-8 (replaced), for output built from foreign bytes.
inline std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace interlingua::core::json_util

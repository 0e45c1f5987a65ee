#pragma once

// How pydantic echoes inputs in a 422's `received`: Python's str() of the decoded JSON value.

#include <string>

#include <nlohmann/json.hpp>

namespace interlingua::dialects::sessions {

// A string as itself, anything else as Python's repr(); cut at 500 bytes on a UTF-8 boundary
// (a missing field echoes its whole parent object).
std::string py_str(const nlohmann::json& j);

}  // namespace interlingua::dialects::sessions

#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include <interlingua/core/usage.hpp>
#include <interlingua/dialects/interactions.hpp>

namespace interlingua::dialects::interactions {

nlohmann::json usage_json(const core::usage& u);
// Output parts (text, thought, tool_call) as steps; adjacent text forms one model_output.
nlohmann::json steps_of_parts(const std::vector<core::part>& parts);
nlohmann::json interaction_json(const interaction_meta& meta);
// JSON for the wire, with U+2028/U+2029 escaped.
std::string dump_wire(const nlohmann::json& j);

}  // namespace interlingua::dialects::interactions

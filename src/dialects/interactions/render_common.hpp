#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <interlingua/core/events.hpp>
#include <interlingua/core/usage.hpp>
#include <interlingua/dialects/interactions.hpp>

namespace interlingua::dialects::interactions {

nlohmann::json usage_json(const core::usage& u);
// Output parts (text, thought, tool_call) as steps; adjacent text forms one model_output.
nlohmann::json steps_of_parts(const std::vector<core::part>& parts);
// A thought as the thought step / legacy thought content (same shape in both schemas).
nlohmann::json thought_json(const core::thought_part& t);
// A call as the function_call step / legacy content and legacy stream delta (same shape).
nlohmann::json call_json(const core::tool_call_part& c);
// A call's arguments as JSON (its text when they do not parse).
nlohmann::json arguments_json(const core::tool_call_part& c);
nlohmann::json interaction_json(const interaction_meta& meta);
// JSON for the wire, with U+2028/U+2029 escaped.
std::string dump_wire(const nlohmann::json& j);

// ---- legacy "outputs" schema, spec §9 (render_legacy.cpp) -----------------------------------

// The interaction object's own fields, with the legacy `role:"model"`.
nlohmann::json legacy_interaction_json(const interaction_meta& meta);
// Usage also under its pre-2026 name, total_reasoning_tokens, which early 1.x SDKs read.
nlohmann::json legacy_usage_json(const core::usage& u);
// Output parts as the flat Content list: one item per part.
nlohmann::json legacy_outputs_of_parts(const std::vector<core::part>& parts);
// The `content` of a content.start event: only the type (spec §9).
nlohmann::json legacy_content_start(core::part_kind kind);

}  // namespace interlingua::dialects::interactions

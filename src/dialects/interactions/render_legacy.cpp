// The legacy "outputs" schema (spec §9), served to SDK 1.x clients, which read `outputs` and the
// content.* stream events and see nothing in `steps`.

#include <interlingua/dialects/interactions.hpp>

#include "render_common.hpp"

namespace interlingua::dialects::interactions {

namespace {

using nlohmann::json;

// Google served the legacy shape to this revision (spec §9).
constexpr std::string_view legacy_revision = "2026-05-07";

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// The JS SDK labels itself "google-genai-sdk/<version> gl-node/<v>". The Python SDK uses the same
// label with gl-python/ but kept 1.x version numbers into the steps era, so its label says
// nothing about the schema it reads.
bool names_js_sdk_1(std::string_view header) {
  return header.find("google-genai-sdk/1.") != std::string_view::npos &&
         header.find("gl-python/") == std::string_view::npos;
}

}  // namespace

bool wants_legacy(std::string_view api_revision, std::string_view user_agent,
                  std::string_view goog_api_client) {
  return trimmed(api_revision) == legacy_revision || names_js_sdk_1(user_agent) ||
         names_js_sdk_1(goog_api_client);
}

json legacy_interaction_json(const interaction_meta& meta) {
  json j = interaction_json(meta);
  j["role"] = "model";
  return j;
}

json legacy_usage_json(const core::usage& u) {
  json j = usage_json(u);
  j["total_reasoning_tokens"] = u.reasoning;
  return j;
}

json legacy_outputs_of_parts(const std::vector<core::part>& parts) {
  json outputs = json::array();
  for (const auto& p : parts) {
    if (const auto* t = std::get_if<core::text_part>(&p)) {
      outputs.push_back({{"type", "text"}, {"text", t->text}});
    } else if (const auto* th = std::get_if<core::thought_part>(&p)) {
      outputs.push_back(thought_json(*th));
    } else if (const auto* c = std::get_if<core::tool_call_part>(&p)) {
      outputs.push_back(call_json(*c));
    }
  }
  return outputs;
}

json legacy_content_start(core::part_kind kind) {
  switch (kind) {
    case core::part_kind::thought:
      return json{{"type", "thought"}};
    case core::part_kind::tool_call:
      return json{{"type", "function_call"}};
    case core::part_kind::text:
      break;
  }
  return json{{"type", "text"}};
}

}  // namespace interlingua::dialects::interactions

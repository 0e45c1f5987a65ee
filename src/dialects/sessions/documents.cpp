#include "documents_common.hpp"

// Agents, sessions and history entries: the documents the store keeps, validated the way
// upstream's pydantic models validate them (one issue per violation, `loc` naming the field), and
// rendered in Julep's response shapes.
//
// Agent (CreateAgentRequest / UpdateAgentRequest of Julep's typespec):
//   name                     required on create and PUT; 1..120 characters (Julep's Unicode
//                            identifier pattern is not applied beyond "not empty")
//   about                    string, default ""
//   model                    string, default "gpt-4o-mini" (Julep's default when none is given)
//   instructions             string or list of strings, default ""
//   default_settings         object or null: the ChatInput generation settings with the same
//                            ranges (temperature 0..5, top_p 0..1, ...); unknown keys and nulls
//                            are dropped
//   tools                    CreateToolRequest[] (an addition: Julep keeps tools under
//                            /agents/{id}/tools; here they live on the agent and are rendered)
//   metadata                 object, default {}
//   default_system_template  string or null (null: the gateway's documented default template)
// Session: the CreateSessionRequest fields of spec §5.1, participants stored as `agents` and
// `users` id lists and rendered as such (an addition to Julep's Session shape, which has none).
// recall_options is stored with its mode's defaults filled in (upstream's model_dump); omitted
// or null, it renders as the vector defaults of §5.1, as upstream's stored {} does. As in
// validate.cpp, numbers must be JSON numbers (pydantic's lax mode would also take "5").
//
// Create starts from the defaults. PUT (update) also starts from the defaults but keeps the
// stored tools (agents) and participants (sessions) unless the body names them. PATCH merges
// onto the stored document: a given field replaces the stored one, except `metadata` and
// `default_settings`, which are merged key by key (as upstream's jsonb `||`), and a null leaves
// the field as it is (upstream's patch ignores nulls).
//
// Entries: string content is stored as [{"type":"text","text":...}]; `tokenizer` is
// "character_count" and `token_count` the number of characters of the text parts.

namespace interlingua::dialects::sessions {

using namespace docs;

// ---- renderers ---------------------------------------------------------------------------------

namespace {

json stored(const store::document_record& r) {
  auto d = parse(r.body);
  return d && d->is_object() ? std::move(*d) : json::object();
}

json field(const json& d, std::string_view key, json fallback = nullptr) {
  const json* m = member(d, key);
  return m ? *m : std::move(fallback);
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string render_agent(const store::document_record& r) {
  json d = stored(r);
  json out{{"id", r.id},
           {"metadata", field(d, "metadata", json::object())},
           {"created_at", timestamp(r.created_us)},
           {"updated_at", timestamp(r.updated_us)},
           {"name", field(d, "name", "")},
           {"about", field(d, "about", "")},
           {"model", field(d, "model", "")},
           {"instructions", field(d, "instructions", "")},
           {"default_settings", field(d, "default_settings")},
           {"default_system_template", field(d, "default_system_template")},
           {"tools", field(d, "tools", json::array())}};
  return dump(out);
}

std::string render_session(const store::document_record& r) {
  json d = stored(r);
  json recall = field(d, "recall_options");
  if (!recall.is_object() || recall.empty()) {
    recall = recall_defaults("vector");
  }
  json users = field(d, "users", json::array());
  if (!users.is_array()) {
    users = json::array();
  }
  if (const json* user = member_string(d, "user"); user && users.empty()) {
    users.push_back(*user);
  }
  json out{{"situation", field(d, "situation")},
           {"system_template", field(d, "system_template")},
           {"summary", nullptr},
           {"render_templates", field(d, "render_templates", true)},
           {"token_budget", field(d, "token_budget")},
           {"context_overflow", field(d, "context_overflow")},
           {"auto_run_tools", field(d, "auto_run_tools", false)},
           {"forward_tool_calls", field(d, "forward_tool_calls", false)},
           {"recall_options", std::move(recall)},
           {"id", r.id},
           {"metadata", field(d, "metadata", json::object())},
           {"created_at", timestamp(r.created_us)},
           {"updated_at", timestamp(r.updated_us)},
           {"kind", nullptr},
           {"agents", session_agents(d)},
           {"users", std::move(users)}};
  return dump(out);
}

std::string render_list(const std::vector<store::document_record>& records,
                        std::string (*render)(const store::document_record&)) {
  std::string out = "{\"items\":[";
  for (std::size_t i = 0; i < records.size(); ++i) {
    out += i == 0 ? "" : ",";
    out += render(records[i]);
  }
  out += "]}";
  return out;
}

std::string render_deleted(std::string_view id) {
  return dump(json{{"id", id}, {"deleted_at", timestamp(now_us())}, {"jobs", json::array()}});
}

// ---- history -----------------------------------------------------------------------------------

namespace {

// Content as a list of parts: a string becomes one text part; list items that are strings too.
json content_parts(const json* content) {
  json parts = json::array();
  if (content == nullptr || content->is_null()) {
    return parts;
  }
  if (content->is_string()) {
    parts.push_back(json{{"type", "text"}, {"text", *content}});
    return parts;
  }
  if (!content->is_array()) {
    parts.push_back(json{{"type", "text"}, {"text", dump(*content)}});
    return parts;
  }
  for (const auto& p : *content) {
    parts.push_back(p.is_string() ? json{{"type", "text"}, {"text", p}} : p);
  }
  return parts;
}

std::int64_t character_count(const json& parts) {
  std::size_t n = 0;
  for (const auto& p : parts) {
    if (const json* t = member_string(p, "text")) {
      n += characters(text(*t));
    }
  }
  return static_cast<std::int64_t>(n);
}

}  // namespace

json entry_of_message(const json& message, std::string_view source, std::string_view model,
                      std::int64_t created_us) {
  json content = content_parts(member(message, "content"));
  json calls = field(message, "tool_calls");
  std::string ts = timestamp(created_us);
  std::int64_t count = character_count(content);
  return json{{"role", string_or(message, "role", "user")},
              {"name", field(message, "name")},
              {"content", std::move(content)},
              {"source", source},
              {"tokenizer", "character_count"},
              {"token_count", count},
              {"model", model.empty() ? json(nullptr) : json(model)},
              {"tool_calls", calls.is_array() ? calls : json::array()},
              {"tool_call_id", field(message, "tool_call_id")},
              {"timestamp", ts},
              {"created_at", ts},
              {"id", new_uuid()}};
}

std::string render_history(std::string_view session_id, std::int64_t session_created_us,
                           const std::vector<store::entry_record>& entries) {
  json list = json::array();
  for (const auto& e : entries) {
    if (auto body = parse(e.body); body && body->is_object()) {
      list.push_back(std::move(*body));
    }
  }
  return dump(json{{"entries", std::move(list)},
                   {"relations", json::array()},
                   {"session_id", session_id},
                   {"created_at", timestamp(session_created_us)}});
}

}  // namespace interlingua::dialects::sessions

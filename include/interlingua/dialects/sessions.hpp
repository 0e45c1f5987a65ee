#pragma once

// Julep-style session chat (spec session-chat-api.md) <-> core. Pure functions; only
// src/dialects/sessions/routes.cpp does I/O. The dialect's objects (agents, sessions, history
// entries, tool definitions) are JSON documents the store keeps as text.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>
#include <nlohmann/json.hpp>

#include <interlingua/core/error.hpp>
#include <interlingua/core/events.hpp>
#include <interlingua/core/model.hpp>
#include <interlingua/core/reply.hpp>
#include <interlingua/core/result.hpp>
#include <interlingua/store/sessions.hpp>

namespace interlingua::dialects::sessions {

using nlohmann::json;

// ---- errors (errors.cpp) ----------------------------------------------------------------------

// One 422 detail, as spec §5.5: {"type","msg","loc","received"}; loc like "messages[0].role".
struct issue {
  std::string type;  // pydantic-style: missing, too_short, too_long, less_than_equal, ...
  std::string msg;
  std::string loc;
  std::string received;  // the offending input as text
};

// A client error in this dialect: 422 validation with details, or 400/404/... with a message.
struct problem {
  unsigned status = 422;
  std::string message = "Validation error";
  std::string code = "validation_error";
  std::vector<issue> details;
};

template <class T>
using checked = boost::system::result<T, problem>;

struct rendered {
  unsigned status;
  std::string body;
};
// {"error":{"message","code","details":[...]}} for validation; {"error":{"message","code":
// "http_<status>","type":"http_error"}} otherwise.
rendered render_problem(const problem& p);
// A core error (upstream failure, unknown model, store failure) in the envelope above.
rendered render_error(const core::error& e);
// The 404 the routes answer for an unknown (or another key's) agent or session.
problem not_found(std::string_view what, std::string_view id);

// ---- ChatInput (validate.cpp) ------------------------------------------------------------------

struct chat_input {
  json messages = json::array();  // validated Message[] as sent (at least one)
  json tools = json::array();     // validated CreateToolRequest[] added to the agent's
  json tool_choice;               // null, "auto", "none" or {"function":{"name"}}
  bool save = true;
  bool recall = true;  // accepted; no document search (docs: [])
  bool recall_tools = true;
  bool stream = false;
  std::optional<std::string> model;
  std::optional<std::string> agent;  // multi-agent sessions: which agent answers (uuid)
  json metadata;                     // object or null: {{metadata.*}} in the system template
  // The generation settings the client actually sent, by their ChatInput names (temperature,
  // top_p, max_tokens, stop, seed, frequency_penalty, presence_penalty, logit_bias,
  // response_format, min_p, repetition_penalty, length_penalty): merged over the agent's
  // default_settings (spec §1.4).
  json settings = json::object();
};

// Validates a ChatInput body exactly as spec §1 (strict booleans, every range, tool union);
// every violation is one issue of a 422. Unknown keys are ignored.
checked<chat_input> parse_chat_input(std::string_view body);

// Validates one CreateToolRequest (spec §2) at `loc` ("tools[0]"), appending issues.
void validate_tool(const json& tool, const std::string& loc, std::vector<issue>& issues);

// Settings (agent defaults merged with the request's) onto the core request: temperature, top_p,
// max_tokens, stop, seed, penalties, logit_bias, response_format; knobs the core model has no
// field for are dropped, as upstream drops what a provider does not support.
void apply_settings(const json& settings, core::chat_request& out);

// A tool as the function the model is offered (mapping documented in tools.cpp):
// function → its parameters; api_call → params_schema; system/integration → an arguments object;
// computer/text_editor/bash → the action schema of their typed calls.
core::tool_decl tool_of(const json& tool);

// tool_choice ("auto", "none", {"function":{"name"}}) onto the core request.
void apply_tool_choice(const json& tool_choice, core::chat_request& out);

// A call the model made, in the typed shape of the offered tool it names (spec §2.3):
// ChosenFunctionCall for function/integration/system/api_call tools (with the six null keys),
// the bare computer_20241022 / text_editor_20241022 / bash_20241022 shapes for those.
json typed_tool_call(const core::tool_call_part& call, const json& offered_tools);

// ---- agents, sessions, history (documents.cpp) -------------------------------------------------

// Create (base null) or update/patch (base = the stored document; patch merges, update
// replaces the mutable fields). Validated; the result is the document to store, without id and
// timestamps (the renderers add them from the record).
checked<json> parse_agent(std::string_view body, const json* base, bool patch);
checked<json> parse_session(std::string_view body, const json* base, bool patch);
// The agent ids a session document names ("agent" or "agents").
std::vector<std::string> session_agents(const json& session);

std::string render_agent(const store::document_record& r);
std::string render_session(const store::document_record& r);
// {"items":[...]} of rendered documents.
std::string render_list(const std::vector<store::document_record>& records,
                        std::string (*render)(const store::document_record&));
// DELETE answer: {"id","deleted_at","jobs":[]}.
std::string render_deleted(std::string_view id);

// History entries (spec §5.6 Entry): one for a ChatML message (source api_request) or for the
// reply (api_response, with the model's tool calls).
json entry_of_message(const json& message, std::string_view source, std::string_view model,
                      std::int64_t created_us);
std::string render_history(std::string_view session_id, std::int64_t session_created_us,
                           const std::vector<store::entry_record>& entries);

// ---- the prompt (prompt.cpp) -------------------------------------------------------------------

struct prompt {
  core::chat_request request;  // what goes upstream
  json messages;  // the same as ChatML messages, for POST /render (prompt_for::render only)
  json tools;     // the tools offered (agent's + request's), CreateToolRequest shapes
  json tool_choice;
};

// Agent instructions and session situation rendered into the system message by the documented
// template, then the history (tool entries only with recall_tools), then the new messages;
// settings merged (agent default_settings, then the request's).
// A chat needs the request only; POST /render shows the ChatML messages too, a second copy of
// the whole prompt that a chat would hold for the length of its answer.
enum class prompt_for { chat, render };
checked<prompt> build_prompt(const json& agent, const json& session,
                             const std::vector<store::entry_record>& history,
                             const chat_input& input, prompt_for use = prompt_for::render);

// ---- replies (render_chat.cpp) -----------------------------------------------------------------

// HTTP 201 MessageChatResponse.
std::string render_chat_reply(const core::reply& reply, std::string_view id,
                              std::string_view created_at, const json& offered_tools);
// The reply as the message saved to history (role assistant, content, typed tool_calls).
json reply_message(const core::reply& reply, const json& offered_tools);

// SSE ChunkChatResponse events (spec §4): `data: {json}\n\n` each, no [DONE].
class chunk_renderer {
 public:
  chunk_renderer(std::string id, std::string created_at, json offered_tools);
  void on(const core::event_list& events, std::string& out);
  // The last chunk (usage) after the upstream finished.
  void finish(std::string& out);
  const core::reply& folded() const { return acc_.current(); }

 private:
  // The tool-call ordinal (0, 1, ...) of the part opened at `part_index`; -1 for a text part,
  // -2 for any other part.
  int ordinal(int part_index) const;

  std::string id_;
  std::string created_at_;
  json offered_tools_;
  core::accumulator acc_;
  std::optional<core::usage> usage_;        // none until the upstream reports usage
  std::vector<std::pair<int, int>> parts_;  // (part index, ordinal) of text and call parts
  int calls_ = 0;
  bool finished_ = false;
};

// RFC 3339 UTC with microseconds and Z, e.g. "2025-06-01T12:00:00.123456Z".
std::string timestamp(std::int64_t unix_us);
// A new UUID v7 (time-ordered) as text.
std::string new_uuid();
// Whether `s` is a UUID in canonical text form.
bool is_uuid(std::string_view s);

}  // namespace interlingua::dialects::sessions

#pragma once

// The internal request model every dialect parses into and every provider encodes from.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace interlingua::core {

enum class role { user, assistant, tool };

struct text_part {
  std::string text;
};

// Model reasoning. `signature` is the provider's opaque token that lets a later turn carry the
// thought back; `redacted` holds encrypted thinking that must be returned verbatim.
struct thought_part {
  std::string text;
  std::string signature;
  bool redacted = false;
};

struct tool_call_part {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text, exactly as the model produced it
};

struct tool_result_part {
  std::string call_id;
  std::string name;
  std::string content;  // text or JSON text
  bool is_error = false;
};

// Image, audio, document or video given inline (base64 `data`) or by `uri`.
struct media_part {
  std::string kind;  // "image", "audio", "document", "video"
  std::string mime_type;
  std::string data;
  std::string uri;
};

using part = std::variant<text_part, thought_part, tool_call_part, tool_result_part, media_part>;

struct turn {
  role who = role::user;
  std::vector<part> parts;
};

// A function the client runs, or a built-in tool the provider runs (Google's google_search,
// code_execution, url_context, ...). Only a Gemini upstream can run built-ins; other providers
// refuse a request that declares one.
struct tool_decl {
  std::string name;
  std::string description;
  std::string parameters;  // JSON Schema as JSON text; empty = no parameters
  std::string builtin;     // empty for a function; else the built-in's kind, e.g. "google_search"
  std::string options;     // a built-in's settings as JSON object text; empty = none
};

enum class tool_mode {
  unset,      // the provider's default (auto when tools are given)
  automatic,  // the model decides whether to call a tool
  required,   // the model must call a tool (Interactions "any", OpenAI "required")
  none,       // the model must not call a tool
  validated,  // as automatic, but calls must match their schemas (Gemini VALIDATED)
};

struct tool_choice {
  tool_mode mode = tool_mode::unset;
  std::vector<std::string> allowed;  // function names the model may call; empty = every one
};

// Structured output. `schema` is only meaningful when `json` is set.
struct response_format {
  bool json = false;   // the reply must be JSON
  std::string schema;  // JSON Schema as JSON text; empty = any JSON object
};

enum class reasoning_level { unset, none, minimal, low, medium, high };

struct generation_params {
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<std::int64_t> max_output_tokens;
  std::optional<std::int64_t> seed;
  std::vector<std::string> stop;
  std::optional<double> frequency_penalty;  // -2 to 2 on OpenAI
  std::optional<double> presence_penalty;   // -2 to 2 on OpenAI
  std::string logit_bias;  // {"<token id>": bias} as JSON object text; empty = none
  reasoning_level reasoning = reasoning_level::unset;
  bool reasoning_summaries = false;
};

struct chat_request {
  std::string model;   // the public name the client asked for
  std::string system;  // system instruction, empty when none
  std::vector<turn> turns;
  std::vector<tool_decl> tools;
  core::tool_choice tool_choice;
  core::response_format response_format;
  generation_params params;
  bool stream = false;

  // Frees the prompt (system instruction, turns, tools, response schema), keeping what names the
  // call (model, params, stream). service::gateway::run does, once the answer has begun: a long
  // prompt is then not held for the length of its stream.
  void release_prompt() {
    std::string().swap(system);
    std::vector<turn>().swap(turns);
    std::vector<tool_decl>().swap(tools);
    std::string().swap(response_format.schema);
  }
};

}  // namespace interlingua::core

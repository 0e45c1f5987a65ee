#include <interlingua/dialects/interactions.hpp>

#include <interlingua/core/ids.hpp>
#include <interlingua/core/json_util.hpp>
#include <interlingua/core/json_write.hpp>

#include "render_common.hpp"

namespace interlingua::dialects::interactions {

using nlohmann::json;

json thought_json(const core::thought_part& t) {
  json step{{"type", "thought"}};
  if (!t.signature.empty()) {
    step["signature"] = t.signature;
  }
  if (!t.text.empty()) {
    step["summary"] = json::array({{{"type", "text"}, {"text", t.text}}});
  }
  return step;
}

json arguments_json(const core::tool_call_part& c) {
  auto args = core::json_util::parse(c.arguments.empty() ? "{}" : c.arguments);
  // Arguments cut short by max tokens are not JSON: hand them back as text rather than drop them.
  return args ? std::move(*args) : json(c.arguments);
}

json call_json(const core::tool_call_part& c) {
  return json{
      {"type", "function_call"}, {"id", c.id}, {"name", c.name}, {"arguments", arguments_json(c)}};
}

json steps_of_parts(const std::vector<core::part>& parts) {
  json steps = json::array();
  for (const auto& p : parts) {
    if (const auto* t = std::get_if<core::text_part>(&p)) {
      // Adjacent text parts form one model_output step.
      if (!steps.empty() && steps.back()["type"] == "model_output") {
        steps.back()["content"].push_back({{"type", "text"}, {"text", t->text}});
      } else {
        steps.push_back({{"type", "model_output"},
                         {"content", json::array({{{"type", "text"}, {"text", t->text}}})}});
      }
    } else if (const auto* th = std::get_if<core::thought_part>(&p)) {
      steps.push_back(thought_json(*th));
    } else if (const auto* c = std::get_if<core::tool_call_part>(&p)) {
      steps.push_back(call_json(*c));
    }
  }
  return steps;
}

std::string status_of(const core::reply& reply) {
  if (reply.failure) {
    return "failed";
  }
  // Cut at max tokens (possibly inside a call's arguments): incomplete, not an action to take.
  if (reply.reason == core::finish_reason::length) {
    return "incomplete";
  }
  for (const auto& p : reply.parts) {
    if (std::holds_alternative<core::tool_call_part>(p)) {
      return "requires_action";
    }
  }
  switch (reply.reason) {
    case core::finish_reason::length:
      return "incomplete";
    case core::finish_reason::content_filter:
      return "incomplete";
    case core::finish_reason::error:
      return "failed";
    default:
      return "completed";
  }
}

json usage_json(const core::usage& u) {
  json by_input = json::array({{{"modality", "text"}, {"tokens", u.input}}});
  json by_output = json::array({{{"modality", "text"}, {"tokens", u.output}}});
  return json{{"total_input_tokens", u.input},
              {"total_output_tokens", u.output},
              {"total_thought_tokens", u.reasoning},
              {"total_cached_tokens", u.cached},
              {"total_tool_use_tokens", u.tool_use},
              {"total_tokens", u.total()},
              {"input_tokens_by_modality", std::move(by_input)},
              {"output_tokens_by_modality", std::move(by_output)}};
}

json interaction_json(const interaction_meta& meta) {
  json j{{"object", "interaction"},
         {"status", meta.status},
         {"model", meta.model},
         {"created", core::rfc3339(meta.created)},
         {"updated", core::rfc3339(meta.updated)}};
  if (!meta.id.empty()) {
    j["id"] = meta.id;
  }
  if (!meta.previous_interaction_id.empty()) {
    j["previous_interaction_id"] = meta.previous_interaction_id;
  }
  return j;
}

namespace {

namespace jw = core::json_write;

void wire_string(std::string& out, std::string_view s) {
  jw::string(out, s, jw::escape::wire);
}

void text_content(std::string& out, std::string_view text) {
  out += R"({"text":)";
  wire_string(out, text);
  out += R"(,"type":"text"})";
}

// steps_of_parts, written without a tree.
void write_steps(std::string& out, const std::vector<core::part>& parts) {
  out += '[';
  bool in_output = false;  // adjacent text parts form one model_output step
  bool first = true;
  auto next_step = [&] {
    if (in_output) {
      out += R"(],"type":"model_output"})";
      in_output = false;
    }
    if (!first) {
      out += ',';
    }
    first = false;
  };
  for (const auto& p : parts) {
    if (const auto* t = std::get_if<core::text_part>(&p)) {
      if (in_output) {
        out += ',';
      } else {
        next_step();
        out += R"({"content":[)";
        in_output = true;
      }
      text_content(out, t->text);
    } else if (const auto* th = std::get_if<core::thought_part>(&p)) {
      next_step();
      out += '{';
      if (!th->signature.empty()) {
        jw::key(out, "signature");
        wire_string(out, th->signature);
        out += ',';
      }
      if (!th->text.empty()) {
        out += R"("summary":[)";
        text_content(out, th->text);
        out += "],";
      }
      out += R"("type":"thought"})";
    } else if (const auto* c = std::get_if<core::tool_call_part>(&p)) {
      next_step();
      out += R"({"arguments":)";
      out += dump_wire(arguments_json(*c));
      out += R"(,"id":)";
      wire_string(out, c->id);
      out += R"(,"name":)";
      wire_string(out, c->name);
      out += R"(,"type":"function_call"})";
    }
  }
  if (in_output) {
    out += R"(],"type":"model_output"})";
  }
  out += ']';
}

// usage_json, written without a tree.
void write_usage(std::string& out, const core::usage& u) {
  auto by_modality = [&](std::int64_t tokens) {
    out += R"([{"modality":"text","tokens":)";
    jw::integer(out, tokens);
    out += "}]";
  };
  auto field = [&](std::string_view name, std::int64_t v) {
    out += ',';
    jw::key(out, name);
    jw::integer(out, v);
  };
  out += R"({"input_tokens_by_modality":)";
  by_modality(u.input);
  out += R"(,"output_tokens_by_modality":)";
  by_modality(u.output);
  field("total_cached_tokens", u.cached);
  field("total_input_tokens", u.input);
  field("total_output_tokens", u.output);
  field("total_thought_tokens", u.reasoning);
  field("total_tokens", u.total());
  field("total_tool_use_tokens", u.tool_use);
  out += '}';
}

// The steps-schema reply: interaction_json + steps + usage (+ error), keys in sorted order as
// the tree gave them. A unary reply is rendered once per request: no tree is built for it.
std::string write_reply(const interaction_meta& meta, const core::reply& reply) {
  std::string out;
  out.reserve(512);
  out += R"({"created":)";
  wire_string(out, core::rfc3339(meta.created));
  if (reply.failure) {
    out += R"(,"error":{"code":)";
    wire_string(out, core::to_string(reply.failure->kind));
    out += R"(,"message":)";
    wire_string(out, reply.failure->message);
    out += '}';
  }
  if (!meta.id.empty()) {
    out += R"(,"id":)";
    wire_string(out, meta.id);
  }
  out += R"(,"model":)";
  wire_string(out, meta.model);
  out += R"(,"object":"interaction")";
  if (!meta.previous_interaction_id.empty()) {
    out += R"(,"previous_interaction_id":)";
    wire_string(out, meta.previous_interaction_id);
  }
  out += R"(,"status":)";
  wire_string(out, meta.status);
  out += R"(,"steps":)";
  write_steps(out, reply.parts);
  out += R"(,"updated":)";
  wire_string(out, core::rfc3339(meta.updated));
  out += R"(,"usage":)";
  write_usage(out, reply.tokens);
  out += '}';
  return out;
}

}  // namespace

std::string render_reply(const interaction_meta& meta, const core::reply& reply, schema form) {
  if (form == schema::steps) {
    return write_reply(meta, reply);
  }
  json j = legacy_interaction_json(meta);
  j["outputs"] = legacy_outputs_of_parts(reply.parts);
  j["usage"] = legacy_usage_json(reply.tokens);
  if (reply.failure) {
    j["error"] = {{"code", core::to_string(reply.failure->kind)},
                  {"message", reply.failure->message}};
  }
  return dump_wire(j);
}

rendered_error render_error(const core::error& e) {
  json err{{"code", core::to_string(e.kind)}, {"message", e.message}};
  if (!e.param.empty()) {
    err["param"] = e.param;
  }
  return rendered_error{static_cast<unsigned>(core::default_http_status(e.kind)),
                        dump_wire(json{{"error", std::move(err)}})};
}

std::string dump_wire(const json& j) {
  std::string s = core::json_util::dump(j);
  // U+2028/U+2029 are valid in JSON but split lines in some SDKs' SSE readers (Python splitlines).
  for (std::size_t at = s.find("\xE2\x80"); at != std::string::npos; at = s.find("\xE2\x80", at)) {
    if (at + 2 < s.size() && (s[at + 2] == '\xA8' || s[at + 2] == '\xA9')) {
      s.replace(at, 3, s[at + 2] == '\xA8' ? "\\u2028" : "\\u2029");
    }
    at += 2;
  }
  // U+0085 (NEL) likewise.
  for (std::size_t at = s.find("\xC2\x85"); at != std::string::npos; at = s.find("\xC2\x85", at)) {
    s.replace(at, 2, "\\u0085");
  }
  return s;
}

}  // namespace interlingua::dialects::interactions

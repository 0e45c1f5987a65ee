#include <interlingua/dialects/interactions.hpp>

#include <iterator>

#include <interlingua/core/ids.hpp>
#include <interlingua/core/json_util.hpp>

#include "parse_input.hpp"
#include "render_common.hpp"

namespace interlingua::dialects::interactions {

namespace {

using nlohmann::json;
using namespace core::json_util;

json content_of(const core::part& p) {
  if (const auto* t = std::get_if<core::text_part>(&p)) {
    return json{{"type", "text"}, {"text", t->text}};
  }
  const auto& m = std::get<core::media_part>(p);
  json c{{"type", m.kind}};
  if (!m.mime_type.empty()) {
    c["mime_type"] = m.mime_type;
  }
  c[m.uri.empty() ? "data" : "uri"] = m.uri.empty() ? m.data : m.uri;
  return c;
}

// A user turn as steps: one user_input with its content, and function_result steps.
void add_user_steps(const core::turn& t, json& steps) {
  json content = json::array();
  for (const auto& p : t.parts) {
    if (const auto* r = std::get_if<core::tool_result_part>(&p)) {
      json step{{"type", "function_result"}, {"call_id", r->call_id}, {"result", r->content}};
      if (!r->name.empty()) {
        step["name"] = r->name;
      }
      if (r->is_error) {
        step["is_error"] = true;
      }
      steps.push_back(std::move(step));
    } else if (std::holds_alternative<core::text_part>(p) ||
               std::holds_alternative<core::media_part>(p)) {
      content.push_back(content_of(p));
    }
  }
  if (!content.empty()) {
    steps.push_back(json{{"type", "user_input"}, {"content", std::move(content)}});
  }
}

json steps_of_turns(const std::vector<core::turn>& turns) {
  json steps = json::array();
  for (const auto& t : turns) {
    if (t.who == core::role::assistant) {
      for (auto& s : steps_of_parts(t.parts)) {
        steps.push_back(std::move(s));
      }
    } else {
      add_user_steps(t, steps);
    }
  }
  return steps;
}

std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

json parsed_or(const std::string& text, json fallback) {
  auto j = parse(text);
  return j ? std::move(*j) : std::move(fallback);
}

// The turns of stored steps, none when there are none. parse_input reads a json_view document,
// so the tree goes back through its text (what parsing the tree's text reads is the tree); the
// document is this call's own, apart from the one parse_create reuses.
core::result<std::vector<core::turn>> turns_of_steps(const json& steps) {
  if (steps.empty()) {
    return std::vector<core::turn>{};
  }
  core::json_view::document doc;
  std::string text = dump(steps);
  doc.parse(text);
  return parse_input(doc.root());
}

core::usage usage_of(const json& u) {
  core::usage out;
  out.input = integer_or(u, "total_input_tokens");
  out.output = integer_or(u, "total_output_tokens");
  out.reasoning = integer_or(u, "total_thought_tokens");
  out.cached = integer_or(u, "total_cached_tokens");
  out.tool_use = integer_or(u, "total_tool_use_tokens");
  return out;
}

// A stored {code, message} back into an error (code names an error_kind).
core::error error_of(const json& e) {
  std::string code = string_or(e, "code");
  core::error out = core::make_error(core::error_kind::internal, string_or(e, "message"));
  for (int k = 0; k <= static_cast<int>(core::error_kind::internal); ++k) {
    auto kind = static_cast<core::error_kind>(k);
    if (code == core::to_string(kind)) {
      out.kind = kind;
    }
  }
  return out;
}

}  // namespace

store::interaction_record make_record(const interaction_meta& meta, const create_request& req,
                                      const std::vector<core::turn>& input,
                                      const core::reply& reply, std::string owner) {
  std::string error;
  if (reply.failure) {
    error = dump_wire(
        json{{"code", core::to_string(reply.failure->kind)}, {"message", reply.failure->message}});
  }
  return store::interaction_record{meta.id,
                                   std::move(owner),
                                   meta.model,
                                   meta.status,
                                   meta.previous_interaction_id,
                                   dump_wire(steps_of_turns(input)),
                                   dump_wire(steps_of_parts(reply.parts)),
                                   dump_wire(usage_json(reply.tokens)),
                                   req.config.empty() ? std::string("{}") : req.config,
                                   unix_seconds(meta.created),
                                   unix_seconds(meta.updated),
                                   std::move(error)};
}

interaction_meta meta_of(const store::interaction_record& r) {
  auto at = [](std::int64_t s) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(s));
  };
  return interaction_meta{r.id, r.model, r.status, at(r.created), at(r.updated), r.previous_id};
}

std::string render_stored(const store::interaction_record& r, bool include_input, schema form) {
  json j =
      form == schema::legacy ? legacy_interaction_json(meta_of(r)) : interaction_json(meta_of(r));
  // GET echoes the request's config fields (spec §5.1).
  json config = parsed_or(r.request, json::object());
  for (auto& [key, value] : config.items()) {
    j[key] = value;
  }
  json output = parsed_or(r.output_steps, json::array());
  if (form == schema::legacy) {
    // The legacy object lists the model's output only, as flat contents (spec §9).
    std::vector<core::part> parts;
    if (auto turns = turns_of_steps(output)) {
      for (auto& t : *turns) {
        std::move(t.parts.begin(), t.parts.end(), std::back_inserter(parts));
      }
    }
    j["outputs"] = legacy_outputs_of_parts(parts);
    j["usage"] = legacy_usage_json(usage_of(parsed_or(r.usage, json::object())));
  } else {
    json steps = include_input ? parsed_or(r.input_steps, json::array()) : json::array();
    for (auto& s : output) {
      steps.push_back(std::move(s));
    }
    j["steps"] = std::move(steps);
    j["usage"] = parsed_or(r.usage, json::object());
  }
  // Why a failed interaction failed, as the unary answer says it.
  if (!r.error.empty()) {
    j["error"] = parsed_or(r.error, json::object());
  }
  return dump_wire(j);
}

// The steps of a stored text, read straight from it: the array (what the store writes), none
// when the text is unreadable (no steps, as parsed_or reads it), nullopt for other JSON.
std::optional<core::json_view::value> stored_steps(const std::string& text,
                                                   core::json_view::document& doc) {
  if (!doc.parse(text)) {
    return core::json_view::value();
  }
  if (!doc.root().is_array()) {
    return std::nullopt;
  }
  return doc.root();
}

core::result<std::vector<core::turn>> turns_of(const store::interaction_record& r) {
  // Every record of a previous_interaction_id chain comes through here: its two texts are read
  // once each, without trees. A record whose text is JSON but not an array takes the tree path
  // below, which keeps what such a record did before.
  core::json_view::document input_doc;
  core::json_view::document output_doc;
  auto input = stored_steps(r.input_steps, input_doc);
  auto output = input ? stored_steps(r.output_steps, output_doc) : std::nullopt;
  if (input && output) {
    std::vector<core::turn> turns;
    if (auto added = append_steps(*input, 0, turns); !added) {
      return added.error();
    }
    if (auto added = append_steps(*output, input->size(), turns); !added) {
      return added.error();
    }
    return turns;
  }
  json steps = parsed_or(r.input_steps, json::array());
  for (auto& s : parsed_or(r.output_steps, json::array())) {
    steps.push_back(std::move(s));
  }
  return turns_of_steps(steps);
}

core::result<std::string> render_replay(const store::interaction_record& r,
                                        const stream_options& options) {
  auto made = stream_renderer::make(meta_of(r), options);
  if (!made) {
    return made.error();
  }
  stream_renderer& renderer = *made;
  std::string out;
  renderer.begin(out);
  // The stored steps become the events a live stream would have produced, so the replay is
  // rendered by the same code as the original stream.
  auto turns = turns_of_steps(parsed_or(r.output_steps, json::array()));
  int index = 0;
  if (turns) {
    for (const auto& t : *turns) {
      for (const auto& p : t.parts) {
        for (const auto& e : core::events_of(p, index++)) {
          renderer.on(e, out);
        }
      }
    }
  }
  renderer.on(core::usage_update{usage_of(parsed_or(r.usage, json::object()))}, out);
  if (r.status == "failed" && !r.error.empty()) {
    renderer.fail(error_of(parsed_or(r.error, json::object())), out);  // as the live stream ended
  } else {
    renderer.complete_as(r.status, out);
  }
  if (!renderer.resume_point_seen()) {
    return core::make_error(
        core::error_kind::invalid_request,
        "last_event_id: \"" + options.last_event_id + "\" is not an event of this interaction",
        "last_event_id");
  }
  return out;
}

}  // namespace interlingua::dialects::interactions

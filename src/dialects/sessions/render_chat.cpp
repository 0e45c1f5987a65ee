#include <interlingua/dialects/sessions.hpp>

#include <interlingua/core/json_util.hpp>
#include <interlingua/core/overloaded.hpp>

// MessageChatResponse (spec §3) and the SSE ChunkChatResponse stream (spec §4). Every key is
// present, nulls included, as upstream's pydantic serialises them: the SDKs read a fixed shape.
//
// Thoughts (reasoning) have no place in Julep's shape and are left out of the content; their
// tokens still count as completion tokens. A stream chunk carries the text and tool-call deltas
// of one upstream batch; tool calls go out OpenAI-style: the first delta of a call has its
// index, id, type and name (with the arguments so far), later ones only the index and the next
// arguments fragment. Julep itself streams no usable tool-call deltas (spec §4), so this is the
// shape clients of OpenAI-compatible streams already fold.

namespace interlingua::dialects::sessions {

namespace {

using core::json_util::dump;

const char* finish_name(core::finish_reason r) {
  switch (r) {
    case core::finish_reason::length:
      return "length";
    case core::finish_reason::tool_calls:
      return "tool_calls";
    case core::finish_reason::content_filter:
      return "content_filter";
    case core::finish_reason::stop:
    case core::finish_reason::error:
    case core::finish_reason::unknown:
      break;  // Julep's default (spec §3)
  }
  return "stop";
}

// prompt = every input token; completion = visible output plus reasoning, as OpenAI counts
// completion_tokens; total = their sum.
json usage_json(const core::usage& u) {
  std::int64_t completion = u.output + u.reasoning;
  return json{{"completion_tokens", completion},
              {"prompt_tokens", u.input},
              {"total_tokens", u.input + completion}};
}

// The joined text parts, or null when the reply has none.
json content_of(const core::reply& reply) {
  bool any = false;
  std::string text;
  for (const auto& p : reply.parts) {
    if (const auto* t = std::get_if<core::text_part>(&p)) {
      any = true;
      text += t->text;
    }
  }
  return any ? json(std::move(text)) : json(nullptr);
}

json calls_of(const core::reply& reply, const json& offered_tools) {
  json calls = json::array();
  for (const auto& p : reply.parts) {
    if (const auto* c = std::get_if<core::tool_call_part>(&p)) {
      calls.push_back(typed_tool_call(*c, offered_tools));
    }
  }
  return calls.empty() ? json(nullptr) : calls;
}

json envelope(json usage, std::string_view id, std::string_view created_at, json choices) {
  return json{{"usage", std::move(usage)},
              {"jobs", json::array()},
              {"docs", json::array()},
              {"created_at", created_at},
              {"id", id},
              {"choices", std::move(choices)}};
}

}  // namespace

json reply_message(const core::reply& reply, const json& offered_tools) {
  return json{{"role", "assistant"},
              {"content", content_of(reply)},
              {"tool_calls", calls_of(reply, offered_tools)}};
}

std::string render_chat_reply(const core::reply& reply, std::string_view id,
                              std::string_view created_at, const json& offered_tools) {
  json message{{"role", "assistant"},
               {"tool_call_id", nullptr},
               {"content", content_of(reply)},
               {"name", nullptr},
               {"tool_calls", calls_of(reply, offered_tools)},
               {"created_at", nullptr},
               {"id", nullptr}};
  json choice{{"index", 0},
              {"finish_reason", finish_name(reply.reason)},
              {"logprobs", nullptr},
              {"tool_calls", nullptr},
              {"message", std::move(message)}};
  return dump(envelope(usage_json(reply.tokens), id, created_at, json::array({std::move(choice)})));
}

// ---- streaming ---------------------------------------------------------------------------------

chunk_renderer::chunk_renderer(std::string id, std::string created_at, json offered_tools)
    : id_(std::move(id)),
      created_at_(std::move(created_at)),
      offered_tools_(std::move(offered_tools)) {}

int chunk_renderer::ordinal(int part_index) const {
  for (const auto& [index, n] : parts_) {
    if (index == part_index) {
      return n;
    }
  }
  return -2;
}

void chunk_renderer::on(const core::event_list& events, std::string& out) {
  std::string text;
  bool has_text = false;
  json calls = json::array();
  std::optional<core::finish_reason> reason;
  // The delta of call `n` in this batch, created on its first event.
  auto call_delta = [&](int n) -> json& {
    for (auto& c : calls) {
      if (c["index"] == n) {
        return c;
      }
    }
    calls.push_back(json{{"index", n}, {"function", {{"arguments", ""}}}});
    return calls.back();
  };
  for (const auto& e : events) {
    acc_.on(e);
    std::visit(core::overloaded{
                   [&](const core::part_start& s) {
                     if (s.kind == core::part_kind::text) {
                       parts_.emplace_back(s.index, -1);
                     } else if (s.kind == core::part_kind::tool_call) {
                       parts_.emplace_back(s.index, calls_);
                       json& d = call_delta(calls_++);
                       d["id"] = s.id;
                       d["type"] = "function";
                       d["function"]["name"] = s.name;
                     }
                   },
                   [&](const core::text_delta& d) {
                     if (ordinal(d.index) == -1) {
                       has_text = true;
                       text += d.text;
                     }
                   },
                   [&](const core::tool_args_delta& d) {
                     if (int n = ordinal(d.index); n >= 0) {
                       json& args = call_delta(n)["function"]["arguments"];
                       args = args.get<std::string>() + d.fragment;
                     }
                   },
                   [&](const core::usage_update&) { usage_ = usage_json(acc_.current().tokens); },
                   [&](const core::finish& f) { reason = f.reason; },
                   [](const auto&) {},
               },
               e);
  }
  if (!has_text && calls.empty() && !reason) {
    return;  // nothing a client sees: message start, thoughts, usage alone
  }
  json delta{{"role", "assistant"},
             {"tool_call_id", nullptr},
             {"content", has_text ? json(std::move(text)) : json(nullptr)},
             {"name", nullptr},
             {"tool_calls", calls.empty() ? json(nullptr) : std::move(calls)}};
  json choice{{"index", 0},
              {"finish_reason", finish_name(reason.value_or(core::finish_reason::stop))},
              {"logprobs", nullptr},
              {"tool_calls", nullptr},
              {"delta", std::move(delta)}};
  write(envelope(usage_, id_, created_at_, json::array({std::move(choice)})), out);
}

void chunk_renderer::finish(std::string& out) {
  if (finished_) {
    return;
  }
  finished_ = true;
  write(envelope(usage_, id_, created_at_, json::array()), out);
}

void chunk_renderer::write(const json& chunk, std::string& out) {
  out += "data: ";
  out += dump(chunk);
  out += "\n\n";
}

}  // namespace interlingua::dialects::sessions

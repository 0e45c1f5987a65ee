#include <interlingua/dialects/sessions.hpp>

#include <interlingua/core/json_util.hpp>
#include <interlingua/core/json_write.hpp>
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
//
// Both are written straight into the answer's text, keys in the sorted order nlohmann's dump
// gives (the tests hold each answer to nlohmann's own re-serialization of it): building a tree to
// dump it cost more than the rest of a session chat's reply (bench/RESULTS.md). Tool calls, rare
// and nested, still go through a tree.

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

namespace jw = core::json_write;

// prompt = every input token; completion = visible output plus reasoning, as OpenAI counts
// completion_tokens; total = their sum. null before the upstream reported any.
void append_usage(std::string& out, const std::optional<core::usage>& u) {
  if (!u) {
    out += "null";
    return;
  }
  std::int64_t completion = u->output + u->reasoning;
  out += "{\"completion_tokens\":";
  jw::integer(out, completion);
  out += ",\"prompt_tokens\":";
  jw::integer(out, u->input);
  out += ",\"total_tokens\":";
  jw::integer(out, u->input + completion);
  out += '}';
}

// The joined text parts, or nullopt when the reply has none.
std::optional<std::string> content_of(const core::reply& reply) {
  std::optional<std::string> text;
  for (const auto& p : reply.parts) {
    if (const auto* t = std::get_if<core::text_part>(&p)) {
      if (!text) {
        text.emplace();
      }
      *text += t->text;
    }
  }
  return text;
}

void append_text_or_null(std::string& out, const std::optional<std::string>& text) {
  if (text) {
    jw::string(out, *text);
  } else {
    out += "null";
  }
}

void append_calls(std::string& out, const json& calls) {
  out += calls.is_null() || calls.empty() ? std::string("null") : dump(calls);
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

// {"choices":[...],"created_at":...,"docs":[],"id":...,"jobs":[],"usage":...}; `choices` appends
// the array's contents.
template <class Choices>
void append_envelope(std::string& out, const std::optional<core::usage>& usage, std::string_view id,
                     std::string_view created_at, Choices&& choices) {
  out += "{\"choices\":[";
  choices();
  out += "],\"created_at\":";
  jw::string(out, created_at);
  out += ",\"docs\":[],\"id\":";
  jw::string(out, id);
  out += ",\"jobs\":[],\"usage\":";
  append_usage(out, usage);
  out += '}';
}

}  // namespace

json reply_message(const core::reply& reply, const json& offered_tools) {
  auto text = content_of(reply);
  return json{{"role", "assistant"},
              {"content", text ? json(std::move(*text)) : json(nullptr)},
              {"tool_calls", calls_of(reply, offered_tools)}};
}

std::string render_chat_reply(const core::reply& reply, std::string_view id,
                              std::string_view created_at, const json& offered_tools) {
  std::string out;
  out.reserve(320);
  append_envelope(out, reply.tokens, id, created_at, [&] {
    out += "{\"finish_reason\":";
    jw::string(out, finish_name(reply.reason));
    out += ",\"index\":0,\"logprobs\":null,\"message\":{\"content\":";
    append_text_or_null(out, content_of(reply));
    out +=
        ",\"created_at\":null,\"id\":null,\"name\":null,\"role\":\"assistant\","
        "\"tool_call_id\":null,\"tool_calls\":";
    append_calls(out, calls_of(reply, offered_tools));
    out += "},\"tool_calls\":null}";
  });
  return out;
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
                   [&](const core::usage_update&) { usage_ = acc_.current().tokens; },
                   [&](const core::finish& f) { reason = f.reason; },
                   [](const auto&) {},
               },
               e);
  }
  if (!has_text && calls.empty() && !reason) {
    return;  // nothing a client sees: message start, thoughts, usage alone
  }
  out += "data: ";
  append_envelope(out, usage_, id_, created_at_, [&] {
    out += "{\"delta\":{\"content\":";
    append_text_or_null(out, has_text ? std::optional<std::string>(std::move(text)) : std::nullopt);
    out += ",\"name\":null,\"role\":\"assistant\",\"tool_call_id\":null,\"tool_calls\":";
    append_calls(out, calls);
    out += "},\"finish_reason\":";
    jw::string(out, finish_name(reason.value_or(core::finish_reason::stop)));
    out += ",\"index\":0,\"logprobs\":null,\"tool_calls\":null}";
  });
  out += "\n\n";
}

void chunk_renderer::finish(std::string& out) {
  if (finished_) {
    return;
  }
  finished_ = true;
  out += "data: ";
  append_envelope(out, usage_, id_, created_at_, [] {});
  out += "\n\n";
}

}  // namespace interlingua::dialects::sessions

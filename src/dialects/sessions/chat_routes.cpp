// Session chat: POST /sessions/{id}/chat (unary or streamed, saved to the history when asked)
// and POST /sessions/{id}/render (the prompt a chat would send, without sending it).

#include <algorithm>

#include "route_common.hpp"

namespace interlingua::dialects::sessions::routing {

using namespace core::json_util;

namespace {

// What a chat needs besides its input: the session, its answering agent, the history and the
// prompt built from them. Empty when an error answer has been sent.
struct chat_context {
  store::document_record session;
  prompt built;
};

asio::awaitable<std::optional<chat_context>> prepare(exchange& ex, store::async_sessions& st,
                                                     const chat_input& input, prompt_for use) {
  if (auto bad = bad_id(ex, "session_id")) {
    co_await send_problem(ex, *bad);
    co_return std::nullopt;
  }
  // The agent asked for, else the session's first; whether it takes part is checked below.
  std::optional<std::string> asked = input.agent;
  auto pick = [asked](const store::document_record& session) {
    if (asked) {
      return *asked;
    }
    auto agents = session_agents(*parsed_body(session));
    return agents.empty() ? std::string{} : agents.front();
  };
  auto loaded = co_await st.load_chat(ex.params().front(), ex.owner(), std::move(pick));
  if (!loaded) {
    co_await send_error(ex, loaded.error());
    co_return std::nullopt;
  }
  auto& state = *loaded;
  if (!state.session) {
    co_await send_problem(ex, not_found("session", ex.params().front()));
    co_return std::nullopt;
  }
  auto session_doc = parsed_body(*state.session);
  if (input.agent) {
    auto agents = session_agents(*session_doc);
    if (std::find(agents.begin(), agents.end(), *input.agent) == agents.end()) {
      problem p;
      p.status = 400;
      p.code = "http_400";
      p.message = "agent " + *input.agent + " is not a participant of session " + state.session->id;
      co_await send_problem(ex, p);
      co_return std::nullopt;
    }
  }
  if (!state.agent) {
    co_await send_problem(ex, not_found("agent", state.agent_id));
    co_return std::nullopt;
  }
  auto agent_doc = parsed_body(*state.agent);
  auto built = build_prompt(*agent_doc, *session_doc, *state.history, input, use);
  if (!built) {
    co_await send_problem(ex, built.error());
    co_return std::nullopt;
  }
  co_return chat_context{std::move(*state.session), std::move(*built)};
}

// The entries a successful chat appends: the new messages, then the reply. Tool traffic gets
// its own sources (tool_response for a tool's result, tool_request for a reply that calls
// tools), which recall_tools filters.
std::vector<store::entry_record> entries_of(const store::document_record& session,
                                            const chat_input& input, const core::reply& reply,
                                            const std::string& model) {
  std::vector<store::entry_record> out;
  auto now = now_us();
  auto add = [&](const json& message, std::string_view source) {
    json entry = entry_of_message(message, source, model, now);
    out.push_back(store::entry_record{string_or(entry, "id"), session.id, dump(entry), now});
  };
  for (const auto& m : input.messages) {
    add(m, string_or(m, "role") == "tool" ? "tool_response" : "api_request");
  }
  // History keeps calls in the function form (id, name, arguments) so a later turn can pair
  // tool results with them; the client saw them typed.
  std::string text;
  json calls = json::array();
  for (const auto& p : reply.parts) {
    if (const auto* t = std::get_if<core::text_part>(&p)) {
      text += t->text;
    } else if (const auto* c = std::get_if<core::tool_call_part>(&p)) {
      calls.push_back(json{{"id", c->id},
                           {"type", "function"},
                           {"function", {{"name", c->name}, {"arguments", c->arguments}}}});
    }
  }
  bool calls_tools = !calls.empty();
  json message{{"role", "assistant"}, {"content", text.empty() ? json(nullptr) : json(text)}};
  if (calls_tools) {
    message["tool_calls"] = std::move(calls);
  }
  add(message, calls_tools ? "tool_request" : "api_response");
  return out;
}

class chunk_sink final : public service::event_sink {
 public:
  // The renderer is built in place: a coroutine holding the sink holds no second one beside it.
  chunk_sink(exchange& ex, std::string id, std::string created_at, json offered_tools)
      : ex_(ex), renderer_(std::move(id), std::move(created_at), std::move(offered_tools)) {}

  asio::awaitable<bool> on_events(const core::event_list& events) override {
    const bool first = !begun_;
    if (first) {
      begun_ = true;
      bool open = co_await ex_.begin_stream(200, "text/event-stream; charset=utf-8");
      if (!open) {
        co_return false;
      }
    }
    buf_.clear();
    renderer_.on(events, buf_);
    // The first call writes even with nothing rendered: the head goes out with it.
    if (buf_.empty() && !first) {
      co_return true;
    }
    bool written = co_await ex_.write(buf_);
    co_return written;
  }

  bool begun() const { return begun_; }
  const core::reply& folded() const { return renderer_.folded(); }
  chunk_renderer& renderer() { return renderer_; }

 private:
  exchange& ex_;
  chunk_renderer renderer_;
  std::string buf_;
  bool begun_ = false;
};

// The entries record the chat's model, as the upstream request named it.
asio::awaitable<core::result<void>> save_exchange(store::async_sessions& st, exchange& ex,
                                                  const chat_context& ctx, const chat_input& input,
                                                  const core::reply& reply) {
  if (!input.save) {
    co_return core::result<void>{};
  }
  auto entries = entries_of(ctx.session, input, reply, ctx.built.request.model);
  auto appended = co_await st.append_entries(ctx.session.id, ex.owner(), std::move(entries));
  if (!appended) {
    co_return appended.error();
  }
  if (!*appended) {
    co_return core::make_error(core::error_kind::not_found,
                               "session " + ctx.session.id + " was deleted during the chat");
  }
  co_return core::result<void>{};
}

// What the access log says of the upstream call (usage so far when the client left).
void note(exchange& ex, const service::call_outcome& out) {
  ex.record().upstream = out.provider;
  ex.record().attempts = out.attempts;
  ex.record().input_tokens = out.usage.input;
  ex.record().output_tokens = out.usage.output + out.usage.reasoning;
}

// What both ways of answering a chat share, prepared once.
struct chat_call {
  const chat_input& input;
  chat_context& ctx;  // its request's prompt is freed by the upstream call once it answers
  service::gateway::call_options options;
  std::string id;
  std::string created;
};

// After a stream that was not cut short: saves the exchange, then sends the last chunk. A
// coroutine of its own, so the stream's frame holds none of its locals.
asio::awaitable<void> end_streamed(exchange& ex, store::async_sessions& st, chat_call& c,
                                   chunk_sink& sink) {
  const core::reply& reply = sink.folded();
  bool failed_reply = reply.failure.has_value();
  // Saved before the last chunk goes out: a client that saw the whole stream finds it in the
  // history. A failure mid-stream cuts the connection (Julep sends no error event).
  core::result<void> saved;
  if (!failed_reply) {
    saved = co_await save_exchange(st, ex, c.ctx, c.input, reply);
  }
  if (failed_reply || !saved) {
    ex.abort();
    co_return;
  }
  std::string last;
  sink.renderer().finish(last);
  co_await ex.end_stream(last);
}

// stream: true. Its own coroutine: a frame lives as long as the stream, and g++ gives every
// local of a coroutine its own slot, so one frame for both ways held the locals of both.
asio::awaitable<void> chat_streamed(exchange& ex, service::gateway& g, store::async_sessions& st,
                                    chat_call& c) {
  // The tools move to the renderer: only a unary answer renders from the context's copy.
  chunk_sink sink(ex, c.id, c.created, std::move(c.ctx.built.tools));
  auto out = co_await g.run(c.ctx.built.request, sink, c.options);
  note(ex, out);
  if (out.error && !sink.begun()) {
    co_await send_error(ex, *out.error);
    co_return;
  }
  if (out.client_gone) {
    co_return;  // nothing saved: the exchange did not complete
  }
  co_await end_streamed(ex, st, c, sink);
}

asio::awaitable<void> chat_unary(exchange& ex, service::gateway& g, store::async_sessions& st,
                                 chat_call& c) {
  service::reply_sink sink;
  auto out = co_await g.run(c.ctx.built.request, sink, c.options);
  note(ex, out);
  if (out.error) {
    co_await send_error(ex, *out.error);
    co_return;
  }
  core::reply reply = sink.take();
  if (reply.failure) {
    co_await send_error(ex, *reply.failure);
    co_return;
  }
  auto saved = co_await save_exchange(st, ex, c.ctx, c.input, reply);
  if (!saved) {
    co_await send_error(ex, saved.error());
    co_return;
  }
  std::string body = render_chat_reply(reply, c.id, c.created, c.ctx.built.tools);
  co_await ex.respond_json(201, std::move(body));
}

}  // namespace

asio::awaitable<void> render(exchange& ex, store::async_sessions& st) {
  auto input = parse_chat_input(ex.req().body());
  if (!input) {
    co_await send_problem(ex, input.error());
    co_return;
  }
  auto ctx = co_await prepare(ex, st, *input, prompt_for::render);
  if (!ctx) {
    co_return;
  }
  json out{{"messages", ctx->built.messages},
           {"tools", ctx->built.tools},
           {"tool_choice", ctx->built.tool_choice},
           {"docs", json::array()}};
  co_await ex.respond_json(200, dump(out));
}

asio::awaitable<void> chat(exchange& ex, service::gateway& g, store::async_sessions& st) {
  auto input = parse_chat_input(ex.req().body());
  if (!input) {
    co_await send_problem(ex, input.error());
    co_return;
  }
  ex.release_body();  // parsed: a stream's answer need not keep the prompt twice
  auto ctx = co_await prepare(ex, st, *input, prompt_for::chat);
  if (!ctx) {
    co_return;
  }
  ex.record().model = ctx->built.request.model;
  // X-Custom-Api-Key: the caller's own provider key, for this call only; never stored or logged.
  chat_call c{*input,
              *ctx,
              {ex.trace().upstream_headers(), std::string(ex.header("x-custom-api-key")),
               ex.watch_disconnect(), ex.request_id()},
              new_uuid(),
              timestamp(now_us())};
  if (input->stream) {
    co_await chat_streamed(ex, g, st, c);
  } else {
    co_await chat_unary(ex, g, st, c);
  }
}

}  // namespace interlingua::dialects::sessions::routing

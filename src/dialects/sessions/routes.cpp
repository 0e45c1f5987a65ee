#include <interlingua/dialects/sessions.hpp>
#include <interlingua/dialects/sessions_routes.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include <interlingua/core/json_util.hpp>

namespace interlingua::dialects::sessions {

namespace {

namespace asio = boost::asio;
using server::exchange;
using namespace core::json_util;

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

asio::awaitable<void> send(exchange& ex, rendered r) {
  co_await ex.respond_json(r.status, std::move(r.body));
}

asio::awaitable<void> send_problem(exchange& ex, const problem& p) {
  ex.record().error = p.code;
  co_await send(ex, render_problem(p));
}

asio::awaitable<void> send_error(exchange& ex, const core::error& e) {
  ex.record().error = core::to_string(e.kind);
  rendered r = render_error(e);
  std::string type = "application/json";
  server::header_list headers;
  if (e.retry_after_s) {
    headers.emplace_back("retry-after", std::to_string(*e.retry_after_s));  // the upstream's
  }
  co_await ex.respond(r.status, std::move(type), std::move(r.body), std::move(headers));
}

// The path id must be a UUID: a 422 naming the path parameter otherwise (spec §5.5).
std::optional<problem> bad_id(const exchange& ex, std::string_view name) {
  const std::string& id = ex.params().front();
  if (is_uuid(id)) {
    return std::nullopt;
  }
  problem p;
  p.details.push_back(
      issue{"uuid_parsing", "Input should be a valid UUID", "path." + std::string(name), id});
  return p;
}

store::list_query list_query_of(const exchange& ex) {
  store::list_query q;
  auto number = [&](const char* name, std::int64_t fallback, std::int64_t lo, std::int64_t hi) {
    auto v = ex.query(name);
    if (!v) {
      return fallback;
    }
    char* end = nullptr;
    long long n = std::strtoll(v->c_str(), &end, 10);
    if (end == v->c_str()) {
      return fallback;
    }
    return std::clamp<std::int64_t>(n, lo, hi);
  };
  q.limit = number("limit", 100, 1, 1000);
  q.offset = number("offset", 0, 0, INT64_MAX);
  q.by_updated = ex.query("sort_by").value_or("created_at") == "updated_at";
  q.descending = ex.query("direction").value_or("desc") != "asc";
  return q;
}

std::optional<json> body_of(const store::document_record& r) {
  return parse(r.body);
}

// ---- agents and sessions: the same CRUD over two kinds of document -------------------------

struct kind {
  const char* name;  // "agent" / "session"
  checked<json> (*parse_doc)(std::string_view, const json*, bool);
  std::string (*render)(const store::document_record&);
};

const kind agent_kind{"agent", &parse_agent, &render_agent};
const kind session_kind{"session", &parse_session, &render_session};

asio::awaitable<core::result<std::optional<store::document_record>>> load(store::async_sessions& st,
                                                                          const kind& k,
                                                                          std::string id,
                                                                          std::string owner) {
  if (&k == &agent_kind) {
    co_return co_await st.get_agent(std::move(id), std::move(owner));
  }
  co_return co_await st.get_session(std::move(id), std::move(owner));
}

asio::awaitable<core::result<void>> save(store::async_sessions& st, const kind& k,
                                         store::document_record r) {
  if (&k == &agent_kind) {
    co_return co_await st.put_agent(std::move(r));
  }
  co_return co_await st.put_session(std::move(r));
}

// A session's agents must exist for the caller: sessions never point at nothing.
asio::awaitable<std::optional<problem>> check_agents(store::async_sessions& st, const json& doc,
                                                     const std::string& owner) {
  for (const auto& id : session_agents(doc)) {
    auto got = co_await st.get_agent(id, owner);
    if (!got) {
      problem p;
      p.status = 500;
      p.code = "http_500";
      p.message = got.error().message;
      co_return p;
    }
    if (!got->has_value()) {
      co_return not_found("agent", id);
    }
  }
  co_return std::nullopt;
}

// POST /agents, POST /sessions (new id); POST /{kind}s/{id} (create or replace at that id);
// PUT (replace) and PATCH (merge) of an existing one.
enum class write_mode { create, create_at, replace, merge };

asio::awaitable<void> write_doc(exchange& ex, store::async_sessions& st, const kind& k,
                                write_mode mode) {
  std::string id;
  if (mode != write_mode::create) {
    if (auto bad = bad_id(ex, std::string(k.name) + "_id")) {
      co_await send_problem(ex, *bad);
      co_return;
    }
    id = ex.params().front();
  }
  std::optional<store::document_record> existing;
  if (!id.empty()) {
    auto got = co_await load(st, k, id, ex.owner());
    if (!got) {
      co_await send_error(ex, got.error());
      co_return;
    }
    existing = std::move(*got);
  }
  if ((mode == write_mode::replace || mode == write_mode::merge) && !existing) {
    co_await send_problem(ex, not_found(k.name, id));
    co_return;
  }
  std::optional<json> base;
  if (existing && mode != write_mode::create_at) {
    base = body_of(*existing);
  }
  const json* base_ptr = base ? &*base : nullptr;
  auto doc = k.parse_doc(ex.req().body(), base_ptr, mode == write_mode::merge);
  if (!doc) {
    co_await send_problem(ex, doc.error());
    co_return;
  }
  if (&k == &session_kind) {
    auto missing = co_await check_agents(st, *doc, ex.owner());
    if (missing) {
      co_await send_problem(ex, *missing);
      co_return;
    }
  }
  auto now = now_us();
  store::document_record r{id.empty() ? new_uuid() : id, ex.owner(), dump(*doc),
                           existing ? existing->created_us : now, now};
  auto saved = co_await save(st, k, r);
  if (!saved) {
    co_await send_error(ex, saved.error());
    co_return;
  }
  unsigned status = mode == write_mode::create || mode == write_mode::create_at ? 201 : 200;
  co_await ex.respond_json(status, k.render(r));
}

asio::awaitable<void> get_doc(exchange& ex, store::async_sessions& st, const kind& k) {
  if (auto bad = bad_id(ex, std::string(k.name) + "_id")) {
    co_await send_problem(ex, *bad);
    co_return;
  }
  auto got = co_await load(st, k, ex.params().front(), ex.owner());
  if (!got) {
    co_await send_error(ex, got.error());
    co_return;
  }
  if (!got->has_value()) {
    co_await send_problem(ex, not_found(k.name, ex.params().front()));
    co_return;
  }
  co_await ex.respond_json(200, k.render(**got));
}

asio::awaitable<void> list_docs(exchange& ex, store::async_sessions& st, const kind& k) {
  auto q = list_query_of(ex);
  core::result<std::vector<store::document_record>> got;
  if (&k == &agent_kind) {
    got = co_await st.list_agents(ex.owner(), q);
  } else {
    got = co_await st.list_sessions(ex.owner(), q);
  }
  if (!got) {
    co_await send_error(ex, got.error());
    co_return;
  }
  co_await ex.respond_json(200, render_list(*got, k.render));
}

asio::awaitable<void> delete_doc(exchange& ex, store::async_sessions& st, const kind& k) {
  if (auto bad = bad_id(ex, std::string(k.name) + "_id")) {
    co_await send_problem(ex, *bad);
    co_return;
  }
  const std::string& id = ex.params().front();
  core::result<bool> removed;
  if (&k == &agent_kind) {
    removed = co_await st.remove_agent(id, ex.owner());
  } else {
    removed = co_await st.remove_session(id, ex.owner());
  }
  if (!removed) {
    co_await send_error(ex, removed.error());
    co_return;
  }
  if (!*removed) {
    co_await send_problem(ex, not_found(k.name, id));
    co_return;
  }
  co_await ex.respond_json(202, render_deleted(id));
}

// ---- history -----------------------------------------------------------------------------------

asio::awaitable<std::optional<store::document_record>> find_session(exchange& ex,
                                                                    store::async_sessions& st) {
  if (auto bad = bad_id(ex, "session_id")) {
    co_await send_problem(ex, *bad);
    co_return std::nullopt;
  }
  auto got = co_await st.get_session(ex.params().front(), ex.owner());
  if (!got) {
    co_await send_error(ex, got.error());
    co_return std::nullopt;
  }
  if (!got->has_value()) {
    co_await send_problem(ex, not_found("session", ex.params().front()));
    co_return std::nullopt;
  }
  co_return std::move(*got);
}

asio::awaitable<void> get_history(exchange& ex, store::async_sessions& st) {
  auto session = co_await find_session(ex, st);
  if (!session) {
    co_return;
  }
  auto entries = co_await st.history(session->id, ex.owner());
  if (!entries) {
    co_await send_error(ex, entries.error());
    co_return;
  }
  co_await ex.respond_json(200, render_history(session->id, session->created_us, *entries));
}

asio::awaitable<void> clear_history(exchange& ex, store::async_sessions& st) {
  auto session = co_await find_session(ex, st);
  if (!session) {
    co_return;
  }
  auto cleared = co_await st.clear_history(session->id, ex.owner());
  if (!cleared) {
    co_await send_error(ex, cleared.error());
    co_return;
  }
  co_await ex.respond_json(202, render_deleted(session->id));
}

// ---- chat and render ---------------------------------------------------------------------------

// What a chat needs besides its input: the session, its answering agent, the history and the
// prompt built from them. Empty when an error answer has been sent.
struct chat_context {
  store::document_record session;
  json agent;
  prompt built;
};

asio::awaitable<std::optional<chat_context>> prepare(exchange& ex, store::async_sessions& st,
                                                     const chat_input& input) {
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
    auto agents = session_agents(body_of(session).value_or(json::object()));
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
  json session_doc = body_of(*state.session).value_or(json::object());
  if (input.agent) {
    auto agents = session_agents(session_doc);
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
  json agent_doc = body_of(*state.agent).value_or(json::object());
  auto built = build_prompt(agent_doc, session_doc, state.history, input);
  if (!built) {
    co_await send_problem(ex, built.error());
    co_return std::nullopt;
  }
  co_return chat_context{std::move(*state.session), std::move(agent_doc), std::move(*built)};
}

asio::awaitable<void> render(exchange& ex, store::async_sessions& st) {
  auto input = parse_chat_input(ex.req().body());
  if (!input) {
    co_await send_problem(ex, input.error());
    co_return;
  }
  auto ctx = co_await prepare(ex, st, *input);
  if (!ctx) {
    co_return;
  }
  json out{{"messages", ctx->built.messages},
           {"tools", ctx->built.tools},
           {"tool_choice", ctx->built.tool_choice},
           {"docs", json::array()}};
  co_await ex.respond_json(200, dump(out));
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
  chunk_sink(exchange& ex, chunk_renderer renderer) : ex_(ex), renderer_(std::move(renderer)) {}

  asio::awaitable<bool> on_events(const core::event_list& events) override {
    if (!begun_) {
      begun_ = true;
      bool open = co_await ex_.begin_stream(200, "text/event-stream; charset=utf-8");
      if (!open) {
        co_return false;
      }
    }
    buf_.clear();
    renderer_.on(events, buf_);
    if (buf_.empty() && flushed_) {
      co_return true;
    }
    // The first call writes even with nothing rendered: the head goes out with it.
    flushed_ = true;
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
  bool flushed_ = false;
};

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

asio::awaitable<void> chat(exchange& ex, service::gateway& g, store::async_sessions& st) {
  auto input = parse_chat_input(ex.req().body());
  if (!input) {
    co_await send_problem(ex, input.error());
    co_return;
  }
  auto ctx = co_await prepare(ex, st, *input);
  if (!ctx) {
    co_return;
  }
  ex.record().model = ctx->built.request.model;
  // X-Custom-Api-Key: the caller's own provider key, for this call only; never stored or logged.
  service::gateway::call_options options{ex.trace().upstream_headers(),
                                         std::string(ex.header("x-custom-api-key")),
                                         ex.watch_disconnect(), ex.request_id()};
  std::string id = new_uuid();
  std::string created = timestamp(now_us());
  core::chat_request request = std::move(ctx->built.request);
  bool failed_reply = false;

  if (input->stream) {
    chunk_sink sink(ex, chunk_renderer(id, created, ctx->built.tools));
    auto out = co_await g.run(std::move(request), sink, std::move(options));
    note(ex, out);
    if (out.error && !sink.begun()) {
      co_await send_error(ex, *out.error);
      co_return;
    }
    if (out.client_gone) {
      co_return;  // nothing saved: the exchange did not complete
    }
    const core::reply& reply = sink.folded();
    failed_reply = reply.failure.has_value();
    // Saved before the last chunk goes out: a client that saw the whole stream finds it in the
    // history. A failure mid-stream cuts the connection (Julep sends no error event).
    core::result<void> saved;
    if (!failed_reply) {
      saved = co_await save_exchange(st, ex, *ctx, *input, reply);
    }
    if (failed_reply || !saved) {
      ex.abort();
      co_return;
    }
    std::string last;
    sink.renderer().finish(last);
    co_await ex.end_stream(last);
    co_return;
  }

  service::reply_sink sink;
  auto out = co_await g.run(std::move(request), sink, std::move(options));
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
  auto saved = co_await save_exchange(st, ex, *ctx, *input, reply);
  if (!saved) {
    co_await send_error(ex, saved.error());
    co_return;
  }
  std::string body = render_chat_reply(reply, id, created, ctx->built.tools);
  co_await ex.respond_json(201, std::move(body));
}

}  // namespace

void add_routes(server::router& r, service::gateway& g, store::async_sessions& st) {
  namespace http = boost::beast::http;
  for (std::string prefix : {"", "/api"}) {
    for (const kind* k : {&agent_kind, &session_kind}) {
      std::string base = prefix + "/" + k->name + "s";
      r.add(http::verb::post, base,
            [&st, k](exchange& ex) { return write_doc(ex, st, *k, write_mode::create); });
      r.add(http::verb::get, base, [&st, k](exchange& ex) { return list_docs(ex, st, *k); });
      r.add(http::verb::get, base + "/{id}",
            [&st, k](exchange& ex) { return get_doc(ex, st, *k); });
      r.add(http::verb::post, base + "/{id}",
            [&st, k](exchange& ex) { return write_doc(ex, st, *k, write_mode::create_at); });
      r.add(http::verb::put, base + "/{id}",
            [&st, k](exchange& ex) { return write_doc(ex, st, *k, write_mode::replace); });
      r.add(http::verb::patch, base + "/{id}",
            [&st, k](exchange& ex) { return write_doc(ex, st, *k, write_mode::merge); });
      r.add(http::verb::delete_, base + "/{id}",
            [&st, k](exchange& ex) { return delete_doc(ex, st, *k); });
    }
    std::string sessions = prefix + "/sessions/{id}";
    r.add(http::verb::get, sessions + "/history",
          [&st](exchange& ex) { return get_history(ex, st); });
    r.add(http::verb::delete_, sessions + "/history",
          [&st](exchange& ex) { return clear_history(ex, st); });
    r.add(http::verb::post, sessions + "/chat",
          [&g, &st](exchange& ex) { return chat(ex, g, st); });
    r.add(http::verb::post, sessions + "/render", [&st](exchange& ex) { return render(ex, st); });
  }
}

}  // namespace interlingua::dialects::sessions

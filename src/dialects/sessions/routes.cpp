// The session-chat routes: agent and session CRUD, history, and the table that wires them
// with the chat routes (chat_routes.cpp).

#include "route_common.hpp"

namespace interlingua::dialects::sessions {

namespace {

using namespace routing;
using namespace core::json_util;

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
          [&g, &st](exchange& ex) { return routing::chat(ex, g, st); });
    r.add(http::verb::post, sessions + "/render",
          [&st](exchange& ex) { return routing::render(ex, st); });
  }
}

}  // namespace interlingua::dialects::sessions

#include <interlingua/store/async_sessions.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace interlingua::store {

namespace {

namespace asio = boost::asio;

// Runs on the store pool; the co_spawn in the caller brings the result back to the worker. The
// arguments live in this coroutine's frame, so the store's string_views and references into
// them stay valid for the whole call.
template <class R, class... Params, class... Args>
asio::awaitable<R> on_pool(std::shared_ptr<session_store> s, R (session_store::*call)(Params...),
                           Args... args) {
  co_return ((*s).*call)(args...);
}

core::result<chat_state> load_chat_blocking(
    session_store& s, const std::string& session_id, const std::string& owner,
    const std::function<std::string(const document_record&)>& agent_of) {
  chat_state state;
  auto session = s.get_session(session_id, owner);
  if (!session) {
    return session.error();
  }
  if (!session->has_value()) {
    return state;
  }
  state.session = std::move(*session);
  state.agent_id = agent_of(*state.session);
  auto agent = s.get_agent(state.agent_id, owner);
  if (!agent) {
    return agent.error();
  }
  if (!agent->has_value()) {
    return state;
  }
  state.agent = std::move(*agent);
  auto history = s.history(session_id, owner);
  if (!history) {
    return history.error();
  }
  state.history = std::move(*history);
  return state;
}

asio::awaitable<core::result<chat_state>> load_chat_on_pool(
    std::shared_ptr<session_store> s, std::string session_id, std::string owner,
    std::function<std::string(const document_record&)> agent_of) {
  co_return load_chat_blocking(*s, session_id, owner, agent_of);
}

}  // namespace

asio::awaitable<core::result<chat_state>> async_sessions::load_chat(
    std::string session_id, std::string owner,
    std::function<std::string(const document_record&)> agent_of) {
  co_return co_await asio::co_spawn(
      pool_,
      load_chat_on_pool(store_, std::move(session_id), std::move(owner), std::move(agent_of)),
      asio::use_awaitable);
}

asio::awaitable<core::result<void>> async_sessions::put_agent(document_record r) {
  co_return co_await asio::co_spawn(pool_, on_pool(store_, &session_store::put_agent, std::move(r)),
                                    asio::use_awaitable);
}

asio::awaitable<core::result<std::optional<document_record>>> async_sessions::get_agent(
    std::string id, std::string owner) {
  co_return co_await asio::co_spawn(
      pool_, on_pool(store_, &session_store::get_agent, std::move(id), std::move(owner)),
      asio::use_awaitable);
}

asio::awaitable<core::result<std::vector<document_record>>> async_sessions::list_agents(
    std::string owner, list_query q) {
  co_return co_await asio::co_spawn(
      pool_, on_pool(store_, &session_store::list_agents, std::move(owner), q),
      asio::use_awaitable);
}

asio::awaitable<core::result<bool>> async_sessions::remove_agent(std::string id,
                                                                 std::string owner) {
  co_return co_await asio::co_spawn(
      pool_, on_pool(store_, &session_store::remove_agent, std::move(id), std::move(owner)),
      asio::use_awaitable);
}

asio::awaitable<core::result<void>> async_sessions::put_session(document_record r) {
  co_return co_await asio::co_spawn(
      pool_, on_pool(store_, &session_store::put_session, std::move(r)), asio::use_awaitable);
}

asio::awaitable<core::result<std::optional<document_record>>> async_sessions::get_session(
    std::string id, std::string owner) {
  co_return co_await asio::co_spawn(
      pool_, on_pool(store_, &session_store::get_session, std::move(id), std::move(owner)),
      asio::use_awaitable);
}

asio::awaitable<core::result<std::vector<document_record>>> async_sessions::list_sessions(
    std::string owner, list_query q) {
  co_return co_await asio::co_spawn(
      pool_, on_pool(store_, &session_store::list_sessions, std::move(owner), q),
      asio::use_awaitable);
}

asio::awaitable<core::result<bool>> async_sessions::remove_session(std::string id,
                                                                   std::string owner) {
  co_return co_await asio::co_spawn(
      pool_, on_pool(store_, &session_store::remove_session, std::move(id), std::move(owner)),
      asio::use_awaitable);
}

asio::awaitable<core::result<bool>> async_sessions::append_entries(
    std::string session_id, std::string owner, std::vector<entry_record> entries) {
  co_return co_await asio::co_spawn(
      pool_,
      on_pool(store_, &session_store::append_entries, std::move(session_id), std::move(owner),
              std::move(entries)),
      asio::use_awaitable);
}

asio::awaitable<core::result<std::vector<entry_record>>> async_sessions::history(
    std::string session_id, std::string owner) {
  co_return co_await asio::co_spawn(
      pool_, on_pool(store_, &session_store::history, std::move(session_id), std::move(owner)),
      asio::use_awaitable);
}

asio::awaitable<core::result<bool>> async_sessions::clear_history(std::string session_id,
                                                                  std::string owner) {
  co_return co_await asio::co_spawn(
      pool_,
      on_pool(store_, &session_store::clear_history, std::move(session_id), std::move(owner)),
      asio::use_awaitable);
}

}  // namespace interlingua::store

#include <interlingua/store/async_sessions.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "session_cache.hpp"

namespace interlingua::store {

namespace {

namespace asio = boost::asio;

// Runs `call` on the store pool; the co_spawn in the caller brings the result back to the
// worker. The arguments live in this coroutine's frame, so the store's string_views and
// references into them stay valid for the whole call. `after` runs there too, after the call:
// the cache forgets what a write touched before the writer hears back.
template <class R, class... Params, class After, class... Args>
asio::awaitable<R> on_pool(std::shared_ptr<session_store> s, R (session_store::*call)(Params...),
                           After after, Args... args) {
  R result = ((*s).*call)(args...);
  after();
  co_return result;
}

constexpr auto nothing_after = [] {};

core::result<chat_state> load_chat_blocking(
    session_store& s, session_cache& cache, const std::string& session_id, const std::string& owner,
    const std::function<std::string(const document_record&)>& agent_of) {
  const std::uint64_t since = cache.generation();
  chat_state state;
  auto session = s.get_session(session_id, owner);
  if (!session) {
    return session.error();
  }
  if (!session->has_value()) {
    return state;
  }
  state.session = std::move(*session);
  cache.fill_session(since, owner, *state.session);
  state.agent_id = agent_of(*state.session);
  auto agent = s.get_agent(state.agent_id, owner);
  if (!agent) {
    return agent.error();
  }
  if (!agent->has_value()) {
    return state;
  }
  state.agent = std::move(*agent);
  cache.fill_agent(since, owner, *state.agent);
  auto history = s.history(session_id, owner);
  if (!history) {
    return history.error();
  }
  state.history = std::make_shared<const std::vector<entry_record>>(std::move(*history));
  cache.fill_history(since, owner, session_id, state.history);
  return state;
}

asio::awaitable<core::result<chat_state>> load_chat_on_pool(
    std::shared_ptr<session_store> s, std::shared_ptr<session_cache> cache, std::string session_id,
    std::string owner, std::function<std::string(const document_record&)> agent_of) {
  co_return load_chat_blocking(*s, *cache, session_id, owner, agent_of);
}

// All three in memory: no trip to the pool.
std::optional<chat_state> load_chat_cached(
    const session_cache& cache, const std::string& session_id, const std::string& owner,
    const std::function<std::string(const document_record&)>& agent_of) {
  auto session = cache.session(owner, session_id);
  if (!session) {
    return std::nullopt;
  }
  std::string agent_id = agent_of(*session);
  auto agent = cache.agent(owner, agent_id);
  if (!agent) {
    return std::nullopt;
  }
  auto history = cache.history(owner, session_id);
  if (!history) {
    return std::nullopt;
  }
  return chat_state{std::move(session), std::move(agent_id), std::move(agent), std::move(history)};
}

}  // namespace

async_sessions::async_sessions(std::shared_ptr<session_store> store, boost::asio::thread_pool& pool)
    : store_(std::move(store)), pool_(pool), cache_(std::make_shared<session_cache>()) {}

void async_sessions::rehome_cache() {
  cache_->rehome();
}

async_sessions::~async_sessions() = default;

asio::awaitable<core::result<chat_state>> async_sessions::load_chat(
    std::string session_id, std::string owner,
    std::function<std::string(const document_record&)> agent_of) {
  if (auto hit = load_chat_cached(*cache_, session_id, owner, agent_of)) {
    co_return std::move(*hit);
  }
  co_return co_await asio::co_spawn(pool_,
                                    load_chat_on_pool(store_, cache_, std::move(session_id),
                                                      std::move(owner), std::move(agent_of)),
                                    asio::use_awaitable);
}

asio::awaitable<core::result<void>> async_sessions::put_agent(document_record r) {
  auto forget = [c = cache_, owner = r.owner, id = r.id] { c->forget_agent(owner, id); };
  co_return co_await asio::co_spawn(
      pool_, on_pool(store_, &session_store::put_agent, std::move(forget), std::move(r)),
      asio::use_awaitable);
}

asio::awaitable<core::result<std::optional<document_record>>> async_sessions::get_agent(
    std::string id, std::string owner) {
  co_return co_await asio::co_spawn(
      pool_,
      on_pool(store_, &session_store::get_agent, nothing_after, std::move(id), std::move(owner)),
      asio::use_awaitable);
}

asio::awaitable<core::result<std::vector<document_record>>> async_sessions::list_agents(
    std::string owner, list_query q) {
  co_return co_await asio::co_spawn(
      pool_, on_pool(store_, &session_store::list_agents, nothing_after, std::move(owner), q),
      asio::use_awaitable);
}

asio::awaitable<core::result<bool>> async_sessions::remove_agent(std::string id,
                                                                 std::string owner) {
  auto forget = [c = cache_, owner, id] { c->forget_agent(owner, id); };
  co_return co_await asio::co_spawn(pool_,
                                    on_pool(store_, &session_store::remove_agent, std::move(forget),
                                            std::move(id), std::move(owner)),
                                    asio::use_awaitable);
}

asio::awaitable<core::result<void>> async_sessions::put_session(document_record r) {
  auto forget = [c = cache_, owner = r.owner, id = r.id] { c->forget_session(owner, id); };
  co_return co_await asio::co_spawn(
      pool_, on_pool(store_, &session_store::put_session, std::move(forget), std::move(r)),
      asio::use_awaitable);
}

asio::awaitable<core::result<std::optional<document_record>>> async_sessions::get_session(
    std::string id, std::string owner) {
  co_return co_await asio::co_spawn(
      pool_,
      on_pool(store_, &session_store::get_session, nothing_after, std::move(id), std::move(owner)),
      asio::use_awaitable);
}

asio::awaitable<core::result<std::vector<document_record>>> async_sessions::list_sessions(
    std::string owner, list_query q) {
  co_return co_await asio::co_spawn(
      pool_, on_pool(store_, &session_store::list_sessions, nothing_after, std::move(owner), q),
      asio::use_awaitable);
}

asio::awaitable<core::result<bool>> async_sessions::remove_session(std::string id,
                                                                   std::string owner) {
  auto forget = [c = cache_, owner, id] { c->forget_session(owner, id); };
  co_return co_await asio::co_spawn(pool_,
                                    on_pool(store_, &session_store::remove_session,
                                            std::move(forget), std::move(id), std::move(owner)),
                                    asio::use_awaitable);
}

asio::awaitable<core::result<bool>> async_sessions::append_entries(
    std::string session_id, std::string owner, std::vector<entry_record> entries) {
  auto forget = [c = cache_, owner, session_id] { c->forget_history(owner, session_id); };
  co_return co_await asio::co_spawn(
      pool_,
      on_pool(store_, &session_store::append_entries, std::move(forget), std::move(session_id),
              std::move(owner), std::move(entries)),
      asio::use_awaitable);
}

asio::awaitable<core::result<std::vector<entry_record>>> async_sessions::history(
    std::string session_id, std::string owner) {
  co_return co_await asio::co_spawn(pool_,
                                    on_pool(store_, &session_store::history, nothing_after,
                                            std::move(session_id), std::move(owner)),
                                    asio::use_awaitable);
}

asio::awaitable<core::result<bool>> async_sessions::clear_history(std::string session_id,
                                                                  std::string owner) {
  auto forget = [c = cache_, owner, session_id] { c->forget_history(owner, session_id); };
  co_return co_await asio::co_spawn(
      pool_,
      on_pool(store_, &session_store::clear_history, std::move(forget), std::move(session_id),
              std::move(owner)),
      asio::use_awaitable);
}

}  // namespace interlingua::store

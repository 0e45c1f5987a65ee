#pragma once

// The session store as workers see it: every call runs on the store thread pool and is
// co_awaited, so a worker never blocks on disk. One method per session_store method.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <interlingua/store/sessions.hpp>

namespace interlingua::store {

// Everything a session chat reads before it calls the model, loaded in one trip to the store
// pool (three trips cost a session chat ~0.5 ms of thread hand-offs: bench/RESULTS.md).
struct chat_state {
  std::optional<document_record> session;  // empty: no such session for this owner
  std::string agent_id;                    // the answering agent, as `agent_of` chose it
  std::optional<document_record> agent;    // empty: no such agent (or no session)
  // Read only when session and agent exist; never null. Shared with the cache, not copied.
  std::shared_ptr<const std::vector<entry_record>> history =
      std::make_shared<const std::vector<entry_record>>();
};

class session_cache;

// Session chat's reads are served from memory when warm (load_chat); every write here keeps
// that cache exact. Nothing else may write the store behind this object's back.
class async_sessions {
 public:
  async_sessions(std::shared_ptr<session_store> store, boost::asio::thread_pool& pool);
  ~async_sessions();

  boost::asio::awaitable<core::result<void>> put_agent(document_record r);
  boost::asio::awaitable<core::result<std::optional<document_record>>> get_agent(std::string id,
                                                                                 std::string owner);
  boost::asio::awaitable<core::result<std::vector<document_record>>> list_agents(std::string owner,
                                                                                 list_query q);
  boost::asio::awaitable<core::result<bool>> remove_agent(std::string id, std::string owner);

  boost::asio::awaitable<core::result<void>> put_session(document_record r);
  boost::asio::awaitable<core::result<std::optional<document_record>>> get_session(
      std::string id, std::string owner);
  boost::asio::awaitable<core::result<std::vector<document_record>>> list_sessions(
      std::string owner, list_query q);
  boost::asio::awaitable<core::result<bool>> remove_session(std::string id, std::string owner);

  boost::asio::awaitable<core::result<bool>> append_entries(std::string session_id,
                                                            std::string owner,
                                                            std::vector<entry_record> entries);
  boost::asio::awaitable<core::result<std::vector<entry_record>>> history(std::string session_id,
                                                                          std::string owner);
  boost::asio::awaitable<core::result<bool>> clear_history(std::string session_id,
                                                           std::string owner);

  // The session, then the agent `agent_of(session)` names, then the history: from memory when
  // all three are cached, else on one pool thread. `agent_of` may run on either: it must only
  // look at the record it is given.
  boost::asio::awaitable<core::result<chat_state>> load_chat(
      std::string session_id, std::string owner,
      std::function<std::string(const document_record&)> agent_of);

  boost::asio::thread_pool& pool() { return pool_; }

  // Moves the chat cache into new memory (session_cache::rehome): any thread, at quiet time.
  void rehome_cache();

 private:
  std::shared_ptr<session_store> store_;
  boost::asio::thread_pool& pool_;
  std::shared_ptr<session_cache> cache_;
};

}  // namespace interlingua::store

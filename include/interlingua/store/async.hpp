#pragma once

// The store as workers see it: every call runs on the store thread pool and is co_awaited, so
// a worker never blocks on disk.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <interlingua/store/interactions.hpp>

namespace interlingua::store {

class async_interactions {
 public:
  async_interactions(std::shared_ptr<interaction_store> store, boost::asio::thread_pool& pool);

  // Group commit: puts that arrive while a transaction is syncing are written together in the
  // next one (interaction_store::put_many), so under load one sync serves many requests; a put
  // alone is written at once. Each caller resumes once its own record is durable.
  boost::asio::awaitable<core::result<void>> put(interaction_record r);
  boost::asio::awaitable<core::result<bool>> update(interaction_record r);
  boost::asio::awaitable<core::result<std::optional<interaction_record>>> get(std::string id,
                                                                              std::string owner);
  boost::asio::awaitable<core::result<bool>> remove(std::string id, std::string owner);
  boost::asio::awaitable<core::result<std::int64_t>> fail_running(std::string error,
                                                                  std::int64_t now);

  interaction_store& blocking() { return *store_; }
  boost::asio::thread_pool& pool() { return pool_; }

  // Puts waiting for the next transaction (not the one being written): for tests.
  std::size_t waiting_puts() const;

  static constexpr std::size_t max_batch = 256;  // records in one transaction

  struct write_queue;  // shared with the drain running on the pool

 private:
  std::shared_ptr<interaction_store> store_;
  boost::asio::thread_pool& pool_;
  std::shared_ptr<write_queue> writes_;
};

// How long stored interactions are kept and how much of them: store.retention_hours and
// store.max_mb in the configuration.
struct retention_policy {
  std::chrono::seconds max_age{0};  // 0: kept until deleted
  std::int64_t max_bytes = 0;       // 0: no cap
  std::chrono::milliseconds interval{60000};
};

// Sweeps the store on its own pool every `interval` until stop(); a sweep that fails is logged
// and tried again next time.
class retention_sweeper {
 public:
  retention_sweeper(std::shared_ptr<interaction_store> store, boost::asio::thread_pool& pool,
                    retention_policy policy);
  ~retention_sweeper();
  void start();
  void stop();
  std::int64_t sweeps() const;  // completed sweeps, for tests and logs

  struct state;  // shared with the sweep coroutine, which outlives neither the pool nor stop()

 private:
  std::shared_ptr<state> state_;
};

}  // namespace interlingua::store

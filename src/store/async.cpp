#include <interlingua/store/async.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

namespace interlingua::store {

namespace {

namespace asio = boost::asio;

// These run on the store pool; the co_spawn in the caller brings the result back to the worker.
asio::awaitable<core::result<void>> put_on_pool(std::shared_ptr<interaction_store> s,
                                                interaction_record r) {
  co_return s->put(r);
}

asio::awaitable<core::result<bool>> update_on_pool(std::shared_ptr<interaction_store> s,
                                                   interaction_record r) {
  co_return s->update(r);
}

asio::awaitable<core::result<std::optional<interaction_record>>> get_on_pool(
    std::shared_ptr<interaction_store> s, std::string id, std::string owner) {
  co_return s->get(id, owner);
}

asio::awaitable<core::result<bool>> remove_on_pool(std::shared_ptr<interaction_store> s,
                                                   std::string id, std::string owner) {
  co_return s->remove(id, owner);
}

asio::awaitable<core::result<std::int64_t>> fail_running_on_pool(
    std::shared_ptr<interaction_store> s, std::string error, std::int64_t now) {
  co_return s->fail_running(error, now);
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

asio::awaitable<core::result<std::int64_t>> async_interactions::fail_running(std::string error,
                                                                             std::int64_t now) {
  co_return co_await asio::co_spawn(pool_, fail_running_on_pool(store_, std::move(error), now),
                                    asio::use_awaitable);
}

struct retention_sweeper::state {
  state(std::shared_ptr<interaction_store> s, asio::thread_pool& pool, retention_policy p)
      : store(std::move(s)), strand(asio::make_strand(pool)), timer(strand), policy(p) {}

  void sweep() {
    std::int64_t cutoff = policy.max_age.count() > 0 ? unix_now() - policy.max_age.count() : 0;
    auto purged = store->purge(cutoff, policy.max_bytes);
    if (!purged) {
      spdlog::warn("store retention sweep failed: {}", purged.error().message);
    } else if (purged->expired > 0 || purged->evicted > 0) {
      spdlog::info("store retention: {} expired, {} evicted over the size cap", purged->expired,
                   purged->evicted);
    }
    sweeps.fetch_add(1);
  }

  std::shared_ptr<interaction_store> store;
  asio::strand<asio::thread_pool::executor_type> strand;
  asio::steady_timer timer;
  retention_policy policy;
  std::atomic<bool> stopped{false};
  std::atomic<std::int64_t> sweeps{0};
};

namespace {

asio::awaitable<void> sweep_loop(std::shared_ptr<retention_sweeper::state> s) {
  while (!s->stopped.load()) {
    s->sweep();
    s->timer.expires_after(s->policy.interval);
    boost::system::error_code ec;
    co_await s->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace

retention_sweeper::retention_sweeper(std::shared_ptr<interaction_store> store,
                                     asio::thread_pool& pool, retention_policy policy)
    : state_(std::make_shared<state>(std::move(store), pool, policy)) {}

retention_sweeper::~retention_sweeper() {
  stop();
}

void retention_sweeper::start() {
  if (state_->policy.max_age.count() == 0 && state_->policy.max_bytes == 0) {
    return;  // nothing to enforce
  }
  asio::co_spawn(state_->strand, sweep_loop(state_), asio::detached);
}

void retention_sweeper::stop() {
  if (state_->stopped.exchange(true)) {
    return;
  }
  asio::post(state_->strand, [s = state_] { s->timer.cancel(); });
}

std::int64_t retention_sweeper::sweeps() const {
  return state_->sweeps.load();
}

asio::awaitable<core::result<bool>> async_interactions::update(interaction_record r) {
  co_return co_await asio::co_spawn(pool_, update_on_pool(store_, std::move(r)),
                                    asio::use_awaitable);
}

asio::awaitable<core::result<void>> async_interactions::put(interaction_record r) {
  co_return co_await asio::co_spawn(pool_, put_on_pool(store_, std::move(r)), asio::use_awaitable);
}

asio::awaitable<core::result<std::optional<interaction_record>>> async_interactions::get(
    std::string id, std::string owner) {
  co_return co_await asio::co_spawn(pool_, get_on_pool(store_, std::move(id), std::move(owner)),
                                    asio::use_awaitable);
}

asio::awaitable<core::result<bool>> async_interactions::remove(std::string id, std::string owner) {
  co_return co_await asio::co_spawn(pool_, remove_on_pool(store_, std::move(id), std::move(owner)),
                                    asio::use_awaitable);
}

}  // namespace interlingua::store

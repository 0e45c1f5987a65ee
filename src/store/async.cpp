#include <interlingua/store/async.hpp>

#include <algorithm>
#include <exception>
#include <iterator>
#include <mutex>
#include <vector>

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
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

// One drain at a time runs on the pool. It takes what has gathered (up to max_batch records),
// writes it in one put_many, hands each caller its result on the caller's own executor, and
// goes again until nothing waits.
struct async_interactions::write_queue : std::enable_shared_from_this<write_queue> {
  struct waiter {
    explicit waiter(interaction_record r) : record(std::move(r)) {}
    virtual ~waiter() = default;
    virtual void complete(core::result<void> r) = 0;
    interaction_record record;
  };

  write_queue(std::shared_ptr<interaction_store> s, asio::thread_pool& p)
      : store(std::move(s)), pool(p) {}

  void add(std::unique_ptr<waiter> w) {
    {
      std::lock_guard lock(mutex);
      waiting.push_back(std::move(w));
      if (draining) {
        return;  // the running drain takes it with the next transaction
      }
      draining = true;
    }
    asio::post(pool, [self = shared_from_this()] { self->drain(); });
  }

  void drain() {
    std::vector<std::unique_ptr<waiter>> batch;
    std::vector<const interaction_record*> records;
    for (;;) {
      {
        std::lock_guard lock(mutex);
        if (waiting.empty()) {
          draining = false;
          return;
        }
        auto n = static_cast<std::ptrdiff_t>(std::min(waiting.size(), max_batch));
        batch.assign(std::make_move_iterator(waiting.begin()),
                     std::make_move_iterator(waiting.begin() + n));
        waiting.erase(waiting.begin(), waiting.begin() + n);
      }
      records.clear();
      for (const auto& w : batch) {
        records.push_back(&w->record);
      }
      std::vector<core::result<void>> results;
      try {
        results = store->put_many(records);
      } catch (const std::exception& e) {
        results.assign(batch.size(), core::make_error(core::error_kind::internal, e.what()));
      }
      results.resize(batch.size(),
                     core::make_error(core::error_kind::internal, "store wrote no result"));
      for (std::size_t i = 0; i < batch.size(); ++i) {
        batch[i]->complete(std::move(results[i]));
      }
      batch.clear();
    }
  }

  std::size_t waiting_count() const {
    std::lock_guard lock(mutex);
    return waiting.size();
  }

  std::shared_ptr<interaction_store> store;
  asio::thread_pool& pool;
  mutable std::mutex mutex;
  std::vector<std::unique_ptr<waiter>> waiting;
  bool draining = false;
};

namespace {

// A put's caller, waiting: its completion goes back to the caller's executor, which it keeps
// busy (a work guard) until then.
template <class Handler>
struct waiter_for final : async_interactions::write_queue::waiter {
  waiter_for(Handler h, interaction_record r)
      : waiter(std::move(r)),
        handler(std::move(h)),
        work(asio::make_work_guard(asio::get_associated_executor(handler))) {}

  void complete(core::result<void> r) override {
    auto ex = work.get_executor();
    asio::post(ex, [h = std::move(handler), r = std::move(r)]() mutable { std::move(h)(r); });
    work.reset();
  }

  Handler handler;
  asio::executor_work_guard<asio::associated_executor_t<Handler>> work;
};

}  // namespace

async_interactions::async_interactions(std::shared_ptr<interaction_store> store,
                                       asio::thread_pool& pool)
    : store_(std::move(store)), pool_(pool), writes_(std::make_shared<write_queue>(store_, pool)) {}

std::size_t async_interactions::waiting_puts() const {
  return writes_->waiting_count();
}

asio::awaitable<core::result<void>> async_interactions::put(interaction_record r) {
  auto initiate = [q = writes_](auto handler, interaction_record rec) {
    using handler_type = decltype(handler);
    q->add(std::make_unique<waiter_for<handler_type>>(std::move(handler), std::move(rec)));
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(core::result<void>)>(
      std::move(initiate), asio::use_awaitable, std::move(r));
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

#include "background.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

namespace interlingua::dialects::interactions {

namespace asio = boost::asio;

// ---- run_state ---------------------------------------------------------------------------------

void run_state::wake_all(std::unique_lock<std::mutex>& lock) {
  auto waiters = std::move(waiters_);
  waiters_.clear();
  lock.unlock();
  for (auto& w : waiters) {
    w();
  }
}

void run_state::append(const core::event_list& events) {
  std::unique_lock lock(mutex_);
  log_.insert(log_.end(), events.begin(), events.end());
  wake_all(lock);
}

void run_state::finish(std::string status, std::optional<core::error> failure) {
  std::unique_lock lock(mutex_);
  finished_ = true;
  status_ = std::move(status);
  failure_ = std::move(failure);
  wake_all(lock);
}

bool run_state::request_stop(std::string status, std::optional<core::error> failure) {
  std::lock_guard lock(mutex_);
  if (finished_ || stop_) {
    return false;
  }
  stop_ = stop_request{std::move(status), std::move(failure)};
  return true;
}

std::optional<run_state::stop_request> run_state::stop_requested() const {
  std::lock_guard lock(mutex_);
  return stop_;
}

run_state::snapshot run_state::read(std::size_t from, std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  snapshot s;
  if (from < log_.size()) {
    s.events.assign(log_.begin() + static_cast<std::ptrdiff_t>(from), log_.end());
  }
  s.finished = finished_;
  s.status = status_;
  s.failure = failure_;
  if (s.events.empty() && !finished_ && wake) {
    waiters_.push_back(std::move(wake));
  }
  return s;
}

// ---- background_runs ---------------------------------------------------------------------------

background_runs::background_runs() = default;
background_runs::~background_runs() = default;

std::shared_ptr<run_state> background_runs::start(const std::string& id,
                                                  asio::any_io_executor executor,
                                                  bool thought_summaries) {
  std::lock_guard lock(mutex_);
  if (closed_) {
    return nullptr;
  }
  auto run = std::make_shared<run_state>(id, std::move(executor), thought_summaries);
  runs_[id] = run;
  return run;
}

std::shared_ptr<run_state> background_runs::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = runs_.find(id);
  return it == runs_.end() ? nullptr : it->second;
}

void background_runs::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  runs_.erase(id);
  if (runs_.empty()) {
    idle_.notify_all();
  }
}

std::size_t background_runs::size() const {
  std::lock_guard lock(mutex_);
  return runs_.size();
}

void background_runs::stop_all(const std::string& reason) {
  std::vector<std::shared_ptr<run_state>> running;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (const auto& [id, run] : runs_) {
      running.push_back(run);
    }
  }
  for (auto& run : running) {
    if (run->request_stop("failed",
                          core::make_error(core::error_kind::upstream_unavailable, reason))) {
      asio::post(run->executor(), [run] { run->signal().emit(asio::cancellation_type::terminal); });
    }
  }
}

bool background_runs::wait_idle(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, limit, [this] { return runs_.empty(); });
}

// ---- the run -----------------------------------------------------------------------------------

namespace {

// Publishes the run's events to its followers and folds them into the reply to store.
class run_sink final : public service::event_sink {
 public:
  explicit run_sink(run_state& run) : run_(run) {}

  asio::awaitable<bool> on_events(const core::event_list& events) override {
    if (run_.stop_requested()) {
      // Stopping aborts the upstream read, which the relay reports as a transport error: that
      // is our doing, not the upstream's, and must not reach followers or the record.
      core::event_list kept;
      for (const auto& e : events) {
        if (!std::holds_alternative<core::stream_error>(e)) {
          kept.push_back(e);
        }
      }
      acc_.on(kept);
      run_.append(kept);
      co_return false;
    }
    acc_.on(events);
    run_.append(events);
    co_return true;
  }
  core::reply take() { return acc_.take(); }

 private:
  run_state& run_;
  core::accumulator acc_;
};

}  // namespace

asio::awaitable<void> run_background(service::gateway& g, store::async_interactions& st,
                                     background_runs& runs, background_job job) {
  run_state& run = *job.run;
  run_sink sink(run);
  service::call_outcome out;
  std::exception_ptr thrown;
  if (!run.stop_requested()) {
    // Cancel and shutdown emit on run.signal(): the upstream read in flight is aborted at once,
    // whatever it was waiting for (headers, the next event, a stalled body).
    service::gateway::call_options options{std::move(job.trace), {}, run.signal().slot(), run.id()};
    try {
      out = co_await g.run(job.chat, sink, options);
    } catch (const std::exception& e) {
      spdlog::error("background interaction {}: {}", run.id(), e.what());
      thrown = std::current_exception();
    }
  }
  core::reply reply = sink.take();
  std::string status;
  if (auto stop = run.stop_requested()) {
    status = stop->status;
    reply.failure = stop->failure;  // the stop's reason, never the aborted read's
  } else if (thrown) {
    status = "failed";
    reply.failure = core::make_error(core::error_kind::internal, "the background run failed");
  } else if (out.error) {
    status = "failed";
    reply.failure = out.error;
  } else {
    status = status_of(reply);
  }
  job.meta.status = status;
  job.meta.updated = std::chrono::system_clock::now();
  // An update, not a put: a DELETE during the run removed the record for good.
  auto record = make_record(job.meta, job.req, job.input, reply, job.owner);
  auto saved = co_await st.update(std::move(record));
  if (!saved) {
    // Left in_progress in the store: the next start marks it failed.
    spdlog::error("background interaction {}: final state not stored: {}", run.id(),
                  saved.error().message);
  } else if (!*saved) {
    spdlog::info("background interaction {} was deleted while running; nothing recorded", run.id());
  }
  spdlog::info("background interaction {} ended {} (upstream {}, {} in / {} out tokens)", run.id(),
               status, out.provider, reply.tokens.input,
               reply.tokens.output + reply.tokens.reasoning);
  run.finish(status, reply.failure);
  runs.remove(run.id());
}

// ---- following a run ---------------------------------------------------------------------------

namespace {

// A timer a run can wake from any thread: the wake is posted to the timer's own executor.
std::function<void()> waker(const std::shared_ptr<asio::steady_timer>& timer) {
  return [weak = std::weak_ptr<asio::steady_timer>(timer), executor = timer->get_executor()] {
    asio::post(executor, [weak] {
      if (auto t = weak.lock()) {
        t->cancel();
      }
    });
  };
}

constexpr std::chrono::seconds keepalive_every{15};

}  // namespace

asio::awaitable<void> follow(server::exchange& ex, std::shared_ptr<run_state> run,
                             interaction_meta meta, stream_options options) {
  auto made = stream_renderer::make(std::move(meta), std::move(options));
  if (!made) {
    auto rendered = render_error(made.error());
    co_await ex.respond_json(rendered.status, std::move(rendered.body));
    co_return;
  }
  stream_renderer renderer = std::move(*made);
  bool open = co_await ex.begin_stream(200, "text/event-stream");
  if (!open) {
    co_return;
  }
  std::string buf;
  renderer.begin(buf);
  if (buf.empty()) {
    // Resumed past the opening events: the head goes now, not with the next event.
    bool alive = co_await ex.write(buf);
    if (!alive) {
      co_return;
    }
  }
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor);
  std::size_t next = 0;
  for (;;) {
    timer->expires_after(keepalive_every);
    auto snap = run->read(next, waker(timer));
    next += snap.events.size();
    for (const auto& e : snap.events) {
      renderer.on(e, buf);
    }
    if (snap.finished) {
      if (!renderer.ended()) {
        if (snap.status == "failed" && snap.failure) {
          renderer.fail(*snap.failure, buf);
        } else {
          renderer.complete_as(snap.status, buf);
        }
      }
      co_await ex.end_stream(buf);
      co_return;
    }
    if (buf.empty()) {
      boost::system::error_code ec;
      co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        continue;  // woken: something to read
      }
      // A quiet upstream: an SSE comment keeps idle-timeout proxies from cutting the stream
      // (every SDK skips comment lines, spec §6.6).
      buf = ": keepalive\n\n";
    }
    bool written = co_await ex.write(buf);
    if (!written) {
      co_return;  // the follower left; the run goes on
    }
    buf.clear();
  }
}

asio::awaitable<bool> wait_finished(std::shared_ptr<run_state> run,
                                    std::chrono::milliseconds limit) {
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor);
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    timer->expires_at(deadline);
    auto snap = run->read(static_cast<std::size_t>(-1), waker(timer));
    if (snap.finished) {
      co_return true;
    }
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      co_return false;  // the deadline, not a wake
    }
  }
}

}  // namespace interlingua::dialects::interactions

#pragma once

// Background interactions (`background: true`): a run detached from the request that started
// it, followed live by GET ?stream=true from any worker, stopped by cancel or shutdown.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <interlingua/core/events.hpp>
#include <interlingua/core/reply.hpp>
#include <interlingua/dialects/interactions.hpp>
#include <interlingua/dialects/interactions_routes.hpp>

namespace interlingua::dialects::interactions {

// One run in flight. Events are appended on the worker that runs it and read by followers on
// any worker, under the mutex; followers are woken through callbacks that post to their own
// executor.
class run_state {
 public:
  run_state(std::string id, boost::asio::any_io_executor executor, bool thought_summaries)
      : id_(std::move(id)), executor_(std::move(executor)), summaries_(thought_summaries) {}

  const std::string& id() const { return id_; }
  const boost::asio::any_io_executor& executor() const { return executor_; }
  bool thought_summaries() const { return summaries_; }
  // Stops the upstream call; emitted on executor() only (the signal is not thread-safe).
  boost::asio::cancellation_signal& signal() { return signal_; }

  // The run's side.
  void append(const core::event_list& events);
  void finish(std::string status, std::optional<core::error> failure);

  // Asks the run to stop and end as `status` ("cancelled", or "failed" with `failure`). False
  // when it already finished or was asked before.
  bool request_stop(std::string status, std::optional<core::error> failure);
  struct stop_request {
    std::string status;
    std::optional<core::error> failure;
  };
  std::optional<stop_request> stop_requested() const;

  // A follower's side: the events from `from` on. When there are none yet and the run has not
  // finished, `wake` is kept and called (once, from any thread) when that changes.
  struct snapshot {
    core::event_list events;
    bool finished = false;
    std::string status;
    std::optional<core::error> failure;
  };
  snapshot read(std::size_t from, std::function<void()> wake);

 private:
  void wake_all(std::unique_lock<std::mutex>& lock);

  const std::string id_;
  const boost::asio::any_io_executor executor_;
  const bool summaries_;
  boost::asio::cancellation_signal signal_;

  mutable std::mutex mutex_;
  core::event_list log_;
  bool finished_ = false;
  std::string status_;
  std::optional<core::error> failure_;
  std::optional<stop_request> stop_;
  std::vector<std::function<void()>> waiters_;
};

// ---- the coroutines ----------------------------------------------------------------------------

// Everything a run needs after the request that started it has been answered.
struct background_job {
  std::shared_ptr<run_state> run;
  core::chat_request chat;        // with the history of previous_interaction_id
  create_request req;             // its chat moved into `chat`: config and flags only
  std::vector<core::turn> input;  // what the interaction stores as its input
  interaction_meta meta;
  std::string owner;
  std::vector<core::http_header> trace;  // the starting request's trace context, for upstream
};

// Runs the job's upstream call to its end (or its stop), then records the final interaction
// and leaves the registry. Spawned detached on the worker; survives the client's disconnect.
boost::asio::awaitable<void> run_background(service::gateway& g, store::async_interactions& st,
                                            background_runs& runs, background_job job);

// Streams a run to the client as spec §6 events: what it produced so far, then the rest as it
// comes, then interaction.completed (or the error) and [DONE].
// With options.last_event_id, only what comes after that event; an id that is not one is a 400.
boost::asio::awaitable<void> follow(server::exchange& ex, std::shared_ptr<run_state> run,
                                    interaction_meta meta, stream_options options);

// Waits until the run has finished and recorded itself; false when `limit` passed first.
boost::asio::awaitable<bool> wait_finished(std::shared_ptr<run_state> run,
                                           std::chrono::milliseconds limit);

}  // namespace interlingua::dialects::interactions

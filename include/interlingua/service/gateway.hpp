#pragma once

// The service layer: resolves a public model to a provider, runs the upstream call over the
// worker's connection pool, and hands the decoded core events to the dialect's sink.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <interlingua/config/config.hpp>
#include <interlingua/core/events.hpp>
#include <interlingua/core/provider.hpp>
#include <interlingua/core/reply.hpp>
#include <interlingua/net/upstream.hpp>

namespace interlingua::service {

namespace asio = boost::asio;

// Read-only, shared by every worker: built once at start-up.
struct provider_shared {
  const config::provider_config* cfg = nullptr;
  std::shared_ptr<const core::provider_codec> codec;
  std::shared_ptr<asio::ssl::context> tls;  // null for plain http
  net::endpoint endpoint;
  std::string base_path;    // path prefix of base_url, no trailing slash
  std::string host_header;  // host[:port]
};

// Builds the shared provider table from settings. On error returns an empty vector and sets
// `error` (e.g. an unreadable CA file).
std::vector<provider_shared> make_providers(const config::settings& s, std::string& error);

// Where the dialect's events go. Returning false means the client is gone: the upstream call is
// abandoned and its connection closed, not pooled.
class event_sink {
 public:
  virtual ~event_sink() = default;
  virtual asio::awaitable<bool> on_events(const core::event_list& events) = 0;
};

// Folds every event into one reply: the sink of unary answers in every dialect.
class reply_sink final : public event_sink {
 public:
  asio::awaitable<bool> on_events(const core::event_list& events) override {
    acc_.on(events);
    co_return true;
  }
  core::reply take() { return acc_.take(); }

 private:
  core::accumulator acc_;
};

struct call_outcome {
  std::optional<core::error> error;  // failed before any event reached the sink
  std::string provider;              // the provider of the last try (the one that answered)
  std::string upstream_model;
  core::usage usage;         // the last usage the upstream reported (so far, when the caller left)
  bool client_gone = false;  // the caller left (sink refused, or cancellation was emitted)
  unsigned attempts = 0;     // upstream tries, retries and fallbacks included
  // The upstream's Retry-After (retry-after-ms, retry-after, or a RetryInfo in the body).
  std::optional<std::chrono::milliseconds> retry_after;
};

// One worker's upstream traffic to one provider. Relaxed atomics: written by the worker only,
// read by /metrics from any thread.
struct provider_counters {
  std::atomic<std::uint64_t> attempts{0};   // tries sent (or refused before sending)
  std::atomic<std::uint64_t> failures{0};   // tries that failed before the answer began
  std::atomic<std::uint64_t> retries{0};    // tries that repeated one on the same provider
  std::atomic<std::uint64_t> fallbacks{0};  // requests that came to this provider as a fallback
  std::atomic<std::uint64_t> cancelled{0};  // calls cut short because the caller left
};

// One per worker: owns that worker's connection pools.
class gateway {
 public:
  // `pool_evicted` is called on the worker when idle upstream connections were closed for their
  // age (the server trims the memory they held).
  gateway(asio::io_context& io, const config::settings& s,
          const std::vector<provider_shared>& providers,
          std::function<void(std::size_t)> pool_evicted = {});
  ~gateway();
  // Closes the pooled upstream connections (worker stop).
  void close_pools();
  // At a quiet-time trim, on the worker's thread: each pool's kept TLS session into the memory
  // the thread allocates from now (net::connection_pool::renew_kept_session).
  void renew_kept_sessions();

  // Per call: what the caller adds to the upstream request.
  struct call_options {
    std::vector<core::http_header> trace;  // the caller's trace context
    std::string api_key;                   // replaces the provider's key for this call only
    // Emitted when the caller is gone (client disconnect, background cancel): the upstream
    // read in flight is aborted and its connection closed at once. Unconnected: never.
    asio::cancellation_slot cancel;
    std::string request_id;  // for the attempt log lines
  };
  // Runs `request` against the provider its model routes to: retried per the provider's policy
  // and moved to the route's fallbacks in order, only while nothing reached the sink.
  // `request` and `options` are the caller's, read in place: a frame that lives as long as a
  // stream holds no copy of them (bench/RESULTS.md, memory per stream). Once the answer has
  // begun (its first events reach the sink), no retry or fallback can follow, and run frees the
  // request's prompt (chat_request::release_prompt): a stream does not hold a long prompt for
  // its whole length. Model, parameters and stream flag stay for the caller.
  asio::awaitable<call_outcome> run(core::chat_request& request, event_sink& sink,
                                    const call_options& options);

  // Everything but the I/O: route and encode `request` as run() would, so a request the
  // provider cannot take is refused before anything is promised (background runs).
  core::result<void> check(const core::chat_request& request) const;

  struct route_target {
    std::size_t provider = 0;
    std::string upstream_model;
  };
  // The targets for a public model name — the route's provider, then its fallbacks in order —
  // or not_found naming it.
  core::result<std::vector<route_target>> resolve(std::string_view model) const;

  std::size_t provider_count() const { return providers_.size(); }
  const provider_counters& counters(std::size_t provider) const;

 private:
  struct provider_state;
  // Both fill the caller's `out` rather than return one: each level's frame would otherwise
  // hold its own outcome, and its callee's result, for the length of a stream.
  asio::awaitable<void> run_targets(const core::chat_request& request,
                                    const std::vector<route_target>& targets, event_sink& sink,
                                    const call_options& options, call_outcome& out);
  asio::awaitable<void> attempt(const core::chat_request& request, const route_target& target,
                                event_sink& sink, const call_options& options, call_outcome& out);

  const config::settings& settings_;
  const std::vector<provider_shared>& providers_;
  std::vector<std::unique_ptr<provider_state>> state_;
  std::minstd_rand jitter_;
};

}  // namespace interlingua::service

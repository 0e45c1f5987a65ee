#pragma once

// The service layer: resolves a public model to a provider, runs the upstream call over the
// worker's connection pool, and hands the decoded core events to the dialect's sink.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
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
  std::string provider;
  std::string upstream_model;
  core::usage usage;  // the last usage the upstream reported
  bool client_gone = false;
};

// One per worker: owns that worker's connection pools.
class gateway {
 public:
  gateway(asio::io_context& io, const config::settings& s,
          const std::vector<provider_shared>& providers);
  ~gateway();
  // Closes the pooled upstream connections (worker stop).
  void close_pools();

  // Per call: what the caller adds to the upstream request.
  struct call_options {
    std::vector<core::http_header> trace;  // the caller's trace context
    std::string api_key;                   // replaces the provider's key for this call only
  };
  // Runs `request` against the provider its model routes to.
  asio::awaitable<call_outcome> run(core::chat_request request, event_sink& sink,
                                    call_options options = {});

  // Everything but the I/O: route and encode `request` as run() would, so a request the
  // provider cannot take is refused before anything is promised (background runs).
  core::result<void> check(const core::chat_request& request) const;

  struct route_target {
    std::size_t provider = 0;
    std::string upstream_model;
  };
  // The route for a public model name, or not_found naming it.
  core::result<route_target> resolve(std::string_view model) const;

 private:
  struct provider_state;
  asio::awaitable<call_outcome> attempt(const core::chat_request& request,
                                        const route_target& target, event_sink& sink,
                                        const call_options& options);

  const config::settings& settings_;
  const std::vector<provider_shared>& providers_;
  std::vector<std::unique_ptr<provider_state>> state_;
};

}  // namespace interlingua::service

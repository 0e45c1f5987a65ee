#pragma once

// The composition root: the one place that knows every concrete type.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/thread_pool.hpp>
#include <interlingua/config/config.hpp>
#include <interlingua/server/server.hpp>

#include <interlingua/dialects/interactions_routes.hpp>
#include <interlingua/service/gateway.hpp>
#include <interlingua/store/async.hpp>
#include <interlingua/store/async_sessions.hpp>

namespace spdlog {
class formatter;
}  // namespace spdlog

namespace interlingua::app {

class application {
 public:
  // Throws std::runtime_error with a readable reason when the settings cannot be served
  // (e.g. an unreadable CA file).
  explicit application(config::settings s);
  ~application();

  // Binds and starts the workers. Throws std::system_error when the address is taken.
  void start();
  std::uint16_t port() const { return server_->port(); }
  // Stops background runs (each records itself failed), then drains connections; both within
  // `grace`. True when everything ended in time.
  bool shutdown(std::chrono::milliseconds grace);
  const config::settings& settings() const { return settings_; }
  // Background interactions still running (until each has recorded its end).
  std::size_t running_interactions() const { return runs_->size(); }

 private:
  config::settings settings_;
  std::vector<service::provider_shared> providers_;
  std::unique_ptr<boost::asio::thread_pool> store_pool_;
  std::unique_ptr<store::async_interactions> interactions_;
  std::unique_ptr<store::async_sessions> sessions_;
  std::unique_ptr<store::retention_sweeper> sweeper_;
  std::unique_ptr<dialects::interactions::background_runs> runs_;
  // Every worker's gateway, for /metrics (the routers own them; they outlive the server).
  mutable std::mutex gateways_mu_;
  std::vector<const service::gateway*> gateways_;
  std::unique_ptr<server::http_server> server_;  // last: stops before what its handlers use
};

// Sets up spdlog: module loggers on stderr, the access logger on stdout.
void setup_logging(const config::logging_config& cfg);

// The module loggers' format: one JSON object a line (ts, level, logger, msg), the message
// escaped as a JSON string, so that a line stays valid JSON whatever the message holds (an
// upstream's error text with quotes, a newline).
std::unique_ptr<spdlog::formatter> json_log_formatter();

}  // namespace interlingua::app

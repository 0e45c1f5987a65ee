#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include <interlingua/server/router.hpp>

namespace interlingua::server {

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned workers = 1;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 32 * 1024 * 1024;
  std::size_t max_connections = 10000;
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::vector<std::string> keys;  // gateway keys; empty = open
  bool access_log = true;
  // Called on the housekeeping thread when load has dropped, before the allocator's caches and
  // free pages are given back: the place for caches that can be rebuilt to let go of memory.
  std::function<void()> on_quiet;
  // Called on each worker's thread when it starts and at each such trim, inside a
  // core::startup_arena_scope (core/arena.hpp): the place to copy per-thread caches filled
  // during the load into start-up memory, so that they no longer keep the burst's pages
  // resident. (Each worker's routes have their own such hook: router::on_quiet.)
  std::function<void()> on_worker_quiet;
};

// Builds the router of one worker: per-worker state (pools, services) lives in it.
using router_factory = std::function<std::shared_ptr<router>(unsigned worker, asio::io_context&)>;

// N workers, each with its own io_context, SO_REUSEPORT acceptor and router (Envoy's model).
class http_server {
 public:
  http_server(options opts, router_factory factory);
  ~http_server();

  // Binds every worker's acceptor (port 0 picks one port for all) and starts the threads.
  // Throws std::system_error when the address cannot be bound.
  void start();
  std::uint16_t port() const { return port_; }

  // Stops accepting, closes idle keep-alive connections, lets in-flight requests finish for at
  // most `grace`, then stops every worker. Returns true when everything finished in time.
  bool shutdown(std::chrono::milliseconds grace);
  bool draining() const { return draining_.load(std::memory_order_relaxed); }
  std::size_t open_connections() const { return connections_.load(std::memory_order_relaxed); }

  const options& settings() const { return opts_; }
  std::atomic<std::size_t>& connection_counter() { return connections_; }
  void count_accept() { accepted_.fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t accepted_connections() const { return accepted_.load(std::memory_order_relaxed); }
  // Accepts that failed (out of descriptors or memory); a worker waits a moment after each.
  void count_accept_failure() { accept_failures_.fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t accept_failures() const { return accept_failures_.load(std::memory_order_relaxed); }
  // Times freed memory was given back after load with every worker's cache flushed first.
  std::uint64_t memory_trims() const { return trims_.load(std::memory_order_relaxed); }
  // Memory was freed apart from any client connection (idle upstream connections closed for
  // their age): the next quiet tick trims even if no connection came since the last trim. Any
  // thread.
  void request_trim() { trim_requested_.store(true, std::memory_order_relaxed); }
  // Per-socket reactor states deleted by those trims (server/reactor_pool.hpp).
  std::uint64_t reactor_states_released() const {
    return reactor_states_released_.load(std::memory_order_relaxed);
  }

  struct worker;

 private:
  void housekeeping();
  void stop_housekeeping();
  bool release_worker_memory();

  options opts_;
  router_factory factory_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  std::atomic<bool> draining_{false};
  std::atomic<std::size_t> connections_{0};
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> accept_failures_{0};
  std::atomic<std::uint64_t> trims_{0};
  std::atomic<std::uint64_t> reactor_states_released_{0};
  std::atomic<bool> trim_requested_{false};
  bool stopped_ = false;
  // Returns freed memory to the system after load (server/memory.hpp); off the workers.
  std::thread housekeeper_;
  std::mutex housekeeping_mutex_;
  std::condition_variable housekeeping_wake_;
  bool housekeeping_stop_ = false;
};

}  // namespace interlingua::server

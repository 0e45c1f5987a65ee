#pragma once

// The upstream transport: verified TLS (or explicitly configured plain HTTP), a per-worker
// connection pool, and one HTTP/1.1 exchange with deadlines on every wait. Knows no LLM.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>

namespace interlingua::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using millis = std::chrono::milliseconds;

struct endpoint {
  std::string host;
  std::uint16_t port = 443;
  bool tls = true;
};

struct deadlines {
  millis connect{5'000};
  millis tls_handshake{5'000};
  millis first_byte{60'000};
  millis idle_gap{60'000};
  millis total{300'000};  // unary: the whole exchange; streams use idle_gap per read only
};

enum class failure_stage { connect, tls, write, first_byte, body };

// Whether the calling coroutine has been cancelled (its caller left). Asio hands a cancellation
// only to the operation pending at that moment: one that came between two operations (while a
// read's completion was queued) reaches no operation, and the next wait would not end. The
// coroutine's cancellation state keeps it, so code between two operations asks here.
boost::asio::awaitable<bool> cancelled();

struct failure {
  failure_stage stage = failure_stage::connect;
  boost::system::error_code ec;
  bool timed_out = false;
  std::string describe() const;  // "TLS handshake with upstream failed: certificate verify failed"
};

// A client TLS context: peer verification on, TLS >= 1.2, the system trust store plus `ca_file`
// when given. Returns nullptr and sets `error` when the CA file cannot be loaded.
std::shared_ptr<asio::ssl::context> make_client_tls_context(const std::string& ca_file,
                                                            std::string& error);

struct pool_options {
  std::size_t max_idle = 64;
  millis idle_timeout{60'000};
  // How long a host name's addresses are used before it is resolved again. An IP literal is
  // never resolved.
  millis dns_ttl{30'000};
  // Idle connections are closed when they reach idle_timeout even if the pool is not used
  // again: one timer per pool, armed for the oldest while any are pooled (so the pool holds a
  // pending wait then). Off: they are closed when the pool is next used.
  bool sweep_idle = true;
  // A new TLS connection resumes the session of one before it (a ticket from the same host and
  // port, kept by the pool): no certificate sent, verified or parsed again. A new stream costs
  // half the CPU (5.8M -> 2.7M instructions, bench/RESULTS.md) and 3.5 KB less. The session was
  // verified for this host when it was new.
  bool tls_session_reuse = true;
  // Called on the pool's executor after the sweep closed idle connections, with how many: the
  // memory they held is free now (the server trims on it).
  std::function<void(std::size_t)> evicted;
};

struct pool_stats {
  std::uint64_t connects = 0;
  std::uint64_t reuses = 0;
  std::uint64_t stale_retries = 0;
  std::uint64_t resolves = 0;  // name lookups actually made (not served from the TTL cache)
  std::uint64_t resumed = 0;   // TLS handshakes that resumed a kept session
};

class connection;

// Keep-alive connections to one upstream, owned by one worker (no locking: used only from the
// worker's io_context).
class connection_pool {
 public:
  connection_pool(asio::any_io_executor ex, endpoint ep, std::shared_ptr<asio::ssl::context> tls,
                  pool_options options);
  ~connection_pool();
  connection_pool(const connection_pool&) = delete;
  connection_pool& operator=(const connection_pool&) = delete;

  const endpoint& target() const { return endpoint_; }

  using resolved = std::variant<std::vector<asio::ip::tcp::endpoint>, boost::system::error_code>;
  // The addresses to connect to: the literal, the cached lookup while it is fresh, or a new
  // lookup (asio's resolver runs getaddrinfo on a thread of its own: one hop there and back per
  // new connection, which a burst of new streams felt).
  asio::awaitable<resolved> addresses();
  std::size_t idle_count() const { return idle_.size(); }
  const pool_stats& stats() const { return stats_; }
  // Closes every idle connection and pools nothing from now on. Called while the io_context is
  // still alive: sockets and the sweep's timer must not outlive it.
  void close_all();
  // Makes the kept TLS session anew from its encoding, its peer certificate included, where the
  // calling thread allocates now. At a quiet-time trim that is start-up memory: the kept session
  // was made amid a burst's connections, whose slabs its objects would keep resident
  // (bench/RESULTS.md). New connections resume it as before; if it cannot be copied, it stays.
  void renew_kept_session();

 private:
  friend class upstream_call;
  struct sweeper;
  struct sweep_timer;
  std::unique_ptr<connection> take_idle();
  void give_back(std::unique_ptr<connection> c);
  // Closes and drops the idle connections at least idle_timeout old; returns how many.
  std::size_t close_expired(std::chrono::steady_clock::time_point now);
  void arm_sweep();  // pool_options::sweep_idle
  void sweep();
  struct session_free {
    void operator()(SSL_SESSION* s) const { SSL_SESSION_free(s); }
  };
  using session_ptr = std::unique_ptr<SSL_SESSION, session_free>;
  // pool_options::tls_session_reuse: keeps a new connection's session once its answer began,
  // for the next new connection to offer (see start()); forgets it when a handshake offering it
  // failed.
  session_ptr session_to_offer() const;  // a copy of the kept one; null: none, or reuse is off
  void keep_session(connection& c);
  void forget_session() { session_.reset(); }

  asio::any_io_executor executor_;
  endpoint endpoint_;
  std::shared_ptr<asio::ssl::context> tls_;
  pool_options options_;
  std::vector<std::unique_ptr<connection>> idle_;
  pool_stats stats_;
  bool closed_ = false;
  std::vector<asio::ip::tcp::endpoint> addresses_;  // the literal, or the last lookup
  bool literal_ = false;
  std::chrono::steady_clock::time_point resolved_at_{};
  std::unique_ptr<sweep_timer> sweep_timer_;
  std::shared_ptr<sweeper> sweeper_;  // how the timer's handler finds the pool, if still there
  session_ptr session_;
};

// One request/response exchange. Destroying it before the body was read to the end closes the
// connection instead of pooling it (a client that went away must not leave a half-read stream).
class upstream_call {
 public:
  using start_result = std::variant<std::unique_ptr<upstream_call>, failure>;

  // Connects or reuses a pooled connection, writes `request`, reads the response head. A reused
  // connection that fails before any response byte is retried once on a fresh connection.
  static asio::awaitable<start_result> start(connection_pool& pool,
                                             http::request<http::string_body> request,
                                             deadlines limits);

  ~upstream_call();
  unsigned status() const;
  std::string header(std::string_view name) const;

  // Appends the next body bytes to `out`. Returns false at the end of the body (nothing appended)
  // or on failure (then `error()` says why). Each read waits at most idle_gap, or `wait`.
  asio::awaitable<bool> read_some(std::string& out, std::optional<millis> wait = std::nullopt);
  // The whole body (bounded by `max_bytes`) within the total deadline.
  asio::awaitable<bool> read_all(std::string& out, std::size_t max_bytes);
  const std::optional<failure>& error() const { return failure_; }

  upstream_call(connection_pool& pool, std::unique_ptr<connection> c, deadlines limits);

 private:
  connection_pool& pool_;
  std::unique_ptr<connection> conn_;
  deadlines limits_;
  std::chrono::steady_clock::time_point started_;
  std::optional<failure> failure_;
  bool finished_ = false;
};

}  // namespace interlingua::net

// The connection pool: idle keep-alive connections and their sweep, the cached address lookup,
// and the TLS session new connections resume. upstream_call (upstream.cpp) takes and gives back.

#include <interlingua/net/upstream.hpp>

#include <algorithm>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "connection.hpp"

namespace interlingua::net {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

// The timer's handler may run after the pool is gone (a wait that completed just before the
// pool's destructor cancelled it): it reaches the pool only through `owner`, which the
// destructor clears.
struct connection_pool::sweeper {
  connection_pool* owner = nullptr;
  bool armed = false;
};

struct connection_pool::sweep_timer {
  explicit sweep_timer(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
};

connection_pool::connection_pool(asio::any_io_executor ex, endpoint ep,
                                 std::shared_ptr<asio::ssl::context> tls, pool_options options)
    : executor_(std::move(ex)),
      endpoint_(std::move(ep)),
      tls_(std::move(tls)),
      options_(std::move(options)),
      sweep_timer_(std::make_unique<sweep_timer>(executor_)),
      sweeper_(std::make_shared<sweeper>()) {
  sweeper_->owner = this;
  boost::system::error_code ec;
  auto literal = asio::ip::make_address(endpoint_.host, ec);
  if (!ec) {
    literal_ = true;
    addresses_.emplace_back(literal, endpoint_.port);
  }
}

asio::awaitable<connection_pool::resolved> connection_pool::addresses() {
  auto now = std::chrono::steady_clock::now();
  if (literal_ || (!addresses_.empty() && now - resolved_at_ < options_.dns_ttl)) {
    co_return addresses_;
  }
  ++stats_.resolves;
  asio::ip::tcp::resolver resolver(executor_);
  auto [ec, results] =
      co_await resolver.async_resolve(endpoint_.host, std::to_string(endpoint_.port), use_tuple);
  if (ec) {
    co_return ec;
  }
  std::vector<asio::ip::tcp::endpoint> found;
  for (const auto& r : results) {
    found.push_back(r.endpoint());
  }
  if (found.empty()) {
    co_return asio::error::make_error_code(asio::error::host_not_found);
  }
  addresses_ = found;
  resolved_at_ = std::chrono::steady_clock::now();
  co_return found;
}

connection_pool::session_ptr connection_pool::session_to_offer() const {
  if (!options_.tls_session_reuse || !session_) {
    return nullptr;
  }
  // A copy for each connection, which start() holds until the handshake is over. Not the kept
  // one itself: a connection waiting for its TCP connect would find it freed by one that
  // finished first and kept a newer session (a double free, seen at 800 new streams a second),
  // and a session offered is the connection's own until new tickets replace it.
  return session_ptr(SSL_SESSION_dup(session_.get()));
}

void connection_pool::keep_session(connection& c) {
  if (!options_.tls_session_reuse) {
    return;
  }
  SSL* ssl = c.tls().native_handle();
  // The connection's session once the answer's head is read: a TLS 1.3 server sends its
  // tickets right after the handshake, so they were read before it. Without one (a server that
  // issues none) the session cannot be resumed, and the one kept stays. Kept as a copy: OpenSSL
  // marks a connection's own session unresumable when the connection is freed without a TLS
  // close, and an upstream connection ends so (closed, or aborted with its client). Once its
  // ticket's lifetime is over, OpenSSL no longer offers it: a full handshake keeps a new one.
  SSL_SESSION* s = SSL_get0_session(ssl);
  if (s != nullptr && SSL_SESSION_is_resumable(s) == 1) {
    if (SSL_SESSION* copy = SSL_SESSION_dup(s)) {
      session_.reset(copy);
    }
  }
}

void connection_pool::renew_kept_session() {
  if (!session_) {
    return;
  }
  const int size = i2d_SSL_SESSION(session_.get(), nullptr);
  if (size <= 0) {
    ERR_clear_error();
    return;
  }
  std::vector<unsigned char> der(static_cast<std::size_t>(size));
  unsigned char* out = der.data();
  const unsigned char* in = der.data();
  SSL_SESSION* copy = nullptr;
  if (i2d_SSL_SESSION(session_.get(), &out) == size) {
    copy = d2i_SSL_SESSION(nullptr, &in, size);
  }
  if (copy == nullptr) {
    ERR_clear_error();
    return;
  }
  session_.reset(copy);
}

connection_pool::~connection_pool() {
  close_all();
  sweeper_->owner = nullptr;
}

void connection_pool::close_all() {
  closed_ = true;
  session_.reset();
  for (auto& c : idle_) {
    c->close();
  }
  idle_.clear();
  // The timer goes now too: like the sockets, it must not outlive the io_context, which a
  // worker destroys before its routes (and their pools). A wait it had queued finds it disarmed.
  sweeper_->armed = false;
  sweep_timer_.reset();
}

void connection_pool::arm_sweep() {
  if (!options_.sweep_idle || !sweep_timer_ || sweeper_->armed || idle_.empty()) {
    return;
  }
  sweeper_->armed = true;
  // idle_ is in the order connections were given back: the front one expires first.
  sweep_timer_->timer.expires_at(idle_.front()->last_used + options_.idle_timeout);
  sweep_timer_->timer.async_wait([s = sweeper_](boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted || s->owner == nullptr || !s->armed) {
      return;
    }
    s->armed = false;
    s->owner->sweep();
  });
}

std::size_t connection_pool::close_expired(std::chrono::steady_clock::time_point now) {
  // idle_ is oldest first, so the expired ones are a prefix: a look at the front when none are.
  auto young = std::find_if(idle_.begin(), idle_.end(), [&](const std::unique_ptr<connection>& c) {
    return now - c->last_used < options_.idle_timeout;
  });
  const auto closed = static_cast<std::size_t>(young - idle_.begin());
  for (auto it = idle_.begin(); it != young; ++it) {
    (*it)->close();
  }
  idle_.erase(idle_.begin(), young);
  return closed;
}

void connection_pool::sweep() {
  const std::size_t closed = close_expired(std::chrono::steady_clock::now());
  if (idle_.empty()) {
    // The list grew to the burst's peak, in the burst's memory: that block would keep its
    // pages resident after the load (bench/RESULTS.md).
    idle_.shrink_to_fit();
  }
  arm_sweep();
  if (closed > 0 && options_.evicted) {
    options_.evicted(closed);
  }
}

std::unique_ptr<connection> connection_pool::take_idle() {
  auto now = std::chrono::steady_clock::now();
  while (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    if (now - c->last_used < options_.idle_timeout) {
      ++stats_.reuses;
      c->reused = true;
      return c;
    }
    c->close();
  }
  return nullptr;
}

void connection_pool::give_back(std::unique_ptr<connection> c) {
  auto now = std::chrono::steady_clock::now();
  close_expired(now);  // the sweep's timer may not have come yet (or is off)
  if (closed_ || idle_.size() >= options_.max_idle || !c->release_buffers()) {
    c->close();
    return;
  }
  c->last_used = now;
  c->parser.reset();
  idle_.push_back(std::move(c));
  arm_sweep();
}

}  // namespace interlingua::net

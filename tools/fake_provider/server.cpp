// Listener and lifetime of the fake provider: one io_context run by `threads` threads, an
// accept loop coroutine, and a strand per connection so threads > 1 stays race-free.

#include "fake_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>
#include <thread>

namespace interlingua::fake {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

tls_material material_for(const options& opts) {
  if (!opts.tls || !opts.material.cert_pem.empty()) {
    return opts.material;
  }
  return make_tls_material({"localhost", "127.0.0.1", "::1"});
}

std::optional<asio::ssl::context> make_ssl_context(bool enabled, const tls_material& tls,
                                                   std::chrono::seconds session_lifetime) {
  if (!enabled) {
    return std::nullopt;
  }
  std::optional<asio::ssl::context> ctx(std::in_place, asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::single_dh_use);
  ctx->use_certificate_chain(asio::buffer(tls.cert_pem));
  ctx->use_private_key(asio::buffer(tls.key_pem), asio::ssl::context::pem);
  if (session_lifetime.count() > 0) {
    // Also the lifetime its tickets announce: a client stops offering one past it.
    SSL_CTX_set_timeout(ctx->native_handle(), static_cast<long>(session_lifetime.count()));
  }
  return ctx;
}

tcp::endpoint resolve(asio::io_context& ioc, const std::string& host, std::uint16_t port) {
  error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) {
    return {address, port};
  }
  tcp::resolver resolver(ioc);
  return *resolver.resolve(host, std::to_string(port)).begin();
}

}  // namespace

struct server::impl {
  // Declaration order is destruction order in reverse: the io_context (and with it every
  // connection coroutine) goes before the state and TLS context those coroutines use.
  tls_material tls_;
  detail::state state_;
  std::optional<asio::ssl::context> ssl_;
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;  // cached: the acceptor belongs to the io threads once they run

  explicit impl(const options& opts)
      : tls_(material_for(opts)),
        state_(opts),
        ssl_(make_ssl_context(opts.tls, tls_, opts.session_lifetime)),
        work_(asio::make_work_guard(ioc_)),
        acceptor_(ioc_) {
    const tcp::endpoint endpoint = resolve(ioc_, opts.host, opts.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    const unsigned n = opts.threads == 0 ? 1 : opts.threads;
    for (unsigned i = 0; i < n; ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
  }

  ~impl() {
    // Stopping drops every pending operation; ~io_context then destroys the suspended
    // connection coroutines, closing their sockets. No connection needs to cooperate.
    work_.reset();
    ioc_.stop();
    for (auto& t : threads_) {
      t.join();
    }
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      tcp::socket socket(asio::make_strand(ioc_));
      auto [ec] = co_await acceptor_.async_accept(socket, asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
        co_return;
      }
      if (ec) {
        co_await back_off();  // e.g. EMFILE under a benchmark: retry instead of dying
        continue;
      }
      error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);  // events are small; Nagle would batch them
      detail::start_session(std::move(socket), ssl_ ? &*ssl_ : nullptr, state_);
    }
  }

  asio::awaitable<void> back_off() {
    asio::steady_timer timer(ioc_, std::chrono::milliseconds(10));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
};

server::server(options opts) : impl_(std::make_unique<impl>(opts)) {}

server::~server() = default;

std::uint16_t server::port() const {
  return impl_->port_;
}

const tls_material& server::tls() const {
  return impl_->tls_;
}

void server::push(script s) {
  impl_->state_.push(std::move(s));
}

void server::refuse_handshakes(std::size_t n) {
  impl_->state_.refuse_handshakes(n);
}

std::vector<recorded_request> server::requests() const {
  return impl_->state_.requests();
}

std::vector<std::chrono::steady_clock::time_point> server::stall_closes() const {
  return impl_->state_.stall_closes();
}

void server::clear() {
  impl_->state_.clear();
}

}  // namespace interlingua::fake

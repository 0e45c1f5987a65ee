#pragma once

#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <interlingua/server/server.hpp>

#include "handler_memory.hpp"
#include "idle_connections.hpp"

namespace interlingua::server {

struct http_server::worker {
  worker(unsigned i, http_server& o)
      : index(i),
        owner(o),
        io(std::make_unique<asio::io_context>(1)),
        acceptor(*io),
        accept_retry(*io),
        idle(*io, o.settings().idle_timeout) {}

  ~worker() {
    // Connection coroutines still suspended are destroyed with the io_context; they refer to
    // `idle` and `routes`, so the io_context must go first (and the acceptor and the accept's
    // retry timer before it). The accept's operation, if pending, goes back to accept_memory,
    // a member: destroyed after this body.
    acceptor.reset();
    accept_retry.reset();
    if (routes) {
      routes->stop();
    }
    idle.stop();
    io.reset();
  }

  void begin_drain();

  unsigned index;
  http_server& owner;
  handler_memory accept_memory;  // the pending accept, or its retry wait (accept_next)
  std::unique_ptr<asio::io_context> io;
  std::optional<asio::ip::tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> accept_retry;
  bool accept_failing = false;  // in a streak of failed accepts (logged once)
  std::shared_ptr<router> routes;
  idle_connections idle;  // connections waiting for their next request
};

asio::awaitable<void> serve_connection(http_server::worker& w, asio::ip::tcp::socket socket);

}  // namespace interlingua::server

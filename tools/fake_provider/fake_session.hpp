#pragma once

// Seam between the listener (server.cpp, Asio only) and the per-connection HTTP code
// (session.cpp, the one Beast translation unit of the library).

#include "fake_internal.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

namespace interlingua::fake::detail {

// Spawns the coroutine serving one accepted connection on the socket's executor.
// tls == nullptr means plain HTTP. st must outlive the io_context running the session.
void start_session(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context* tls, state& st);

}  // namespace interlingua::fake::detail

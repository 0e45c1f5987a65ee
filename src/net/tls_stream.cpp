#include "tls_stream.hpp"

#include <array>
#include <cerrno>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <interlingua/core/arena.hpp>

namespace interlingua::net {

namespace {

boost::system::error_code ssl_error(unsigned long e) {
  return {static_cast<int>(e), asio::error::get_ssl_category()};
}

// The error of a failed call: OpenSSL's queue first, else errno.
boost::system::error_code last_error() {
  const unsigned long e = ERR_get_error();
  if (e != 0) {
    return ssl_error(e);
  }
  return {errno != 0 ? errno : EIO, boost::system::system_category()};
}

// What the SSL call that returned `r` waits for, or its error. Mapped as Asio's engine maps
// them, so a failure reads the same as before: a clean close_notify is eof, a peer that closed
// the TCP connection without one is stream_truncated.
tls_stream::wants classify(SSL* ssl, int r, boost::system::error_code& ec) {
  const int e = SSL_get_error(ssl, r);
  switch (e) {
    case SSL_ERROR_WANT_READ:
      return tls_stream::wants::read;
    case SSL_ERROR_WANT_WRITE:
      return tls_stream::wants::write;
    case SSL_ERROR_ZERO_RETURN:
      ec = asio::error::eof;
      return tls_stream::wants::nothing;
    case SSL_ERROR_SYSCALL: {
      const unsigned long queued = ERR_get_error();
      if (queued != 0) {
        ec = ssl_error(queued);
      } else if (errno != 0) {
        ec = {errno, boost::system::system_category()};
      } else {
        ec = asio::ssl::error::stream_truncated;
      }
      return tls_stream::wants::nothing;
    }
    default: {
      const unsigned long queued = ERR_get_error();
      if (ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ec = asio::ssl::error::stream_truncated;
      } else {
        ec = queued != 0 ? ssl_error(queued) : asio::ssl::error::unspecified_system_error;
      }
      return tls_stream::wants::nothing;
    }
  }
}

// One SSL_read_ex or SSL_write_ex of `size` bytes (`call`): what it waits for, else its outcome.
template <class Call>
tls_stream::wants attempt(SSL* ssl, std::size_t size, std::size_t& n, boost::system::error_code& ec,
                          Call call) {
  n = 0;
  ec = {};
  if (size == 0) {
    return tls_stream::wants::nothing;
  }
  ERR_clear_error();
  errno = 0;
  const int r = call(n);
  if (r == 1) {
    return tls_stream::wants::nothing;
  }
  n = 0;
  return classify(ssl, r, ec);
}

// OpenSSL builds state at a thread's first handshakes and keeps it for the life of the process:
// the thread's error queue and random generators, and the library's algorithm caches, filled by
// whichever thread first fetches an algorithm (a resumed handshake fetches some a full one does
// not). Made among a burst's connections, each of those objects would keep a slab of the burst
// resident: about 1 MB after 3,000 TLS streams (bench/RESULTS.md). So a thread's first full
// handshake with a context, and its first offering a session, run in start-up memory.
struct kinds_made {
  const SSL_CTX* ctx = nullptr;  // null: a free entry
  bool full = false;
  bool resuming = false;
};
// One entry per TLS upstream, up to 16 (past them a thread's first handshakes are not tracked).
// Trivially destructible: the thread registers no destructor for it, which would be one more
// record allocated among a burst's.
thread_local std::array<kinds_made, 16> made_here{};

kinds_made* made_with(const SSL_CTX* ctx) {
  for (auto& k : made_here) {
    if (k.ctx == ctx || k.ctx == nullptr) {
      k.ctx = ctx;
      return &k;
    }
  }
  return nullptr;
}

bool first_of_its_kind(const SSL_CTX* ctx, bool resuming) {
  const kinds_made* k = made_with(ctx);
  return k != nullptr && !(resuming ? k->resuming : k->full);
}

void note_made(const SSL_CTX* ctx, bool resuming) {
  if (kinds_made* k = made_with(ctx)) {
    (resuming ? k->resuming : k->full) = true;
  }
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// SNI and the name the certificate must match, on a new connection's SSL object.
boost::system::error_code prepare(SSL* ssl, int fd, const std::string& host) {
  ERR_clear_error();
  if (SSL_set_fd(ssl, fd) != 1) {
    return last_error();
  }
  SSL_set_connect_state(ssl);
  if (is_ip_literal(host)) {
    // No SNI for an address (RFC 6066); the certificate must name it among its IP addresses.
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) != 1) {
      return last_error();
    }
  } else {
    if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
      return last_error();
    }
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(ssl, host.c_str()) != 1) {
      return last_error();
    }
  }
  SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
  return {};
}

}  // namespace

tls_stream::tls_stream(const asio::any_io_executor& ex, asio::ssl::context& ctx)
    : next_(ex), ssl_(SSL_new(ctx.native_handle())) {
  if (!ssl_) {
    throw boost::system::system_error(last_error(), "SSL_new");
  }
  // Partial writes and a moving buffer: a write waits for the socket with part of its buffer
  // sent, and beast may hand the rest from another address. Release: the write buffer is freed
  // once a write is done, which is most of an open stream's life (52 KB a held stream with it,
  // 58.5 without).
  SSL_set_mode(ssl_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                               SSL_MODE_RELEASE_BUFFERS);
  // One recv for whatever the socket holds, not one for each record's header and another for
  // its body.
  SSL_set_read_ahead(ssl_.get(), 1);
}

asio::awaitable<boost::system::error_code> tls_stream::handshake(const std::string& host) {
  SSL* ssl = ssl_.get();
  auto& socket = next_.socket();
  boost::system::error_code ec;
  socket.non_blocking(true, ec);  // OpenSSL reads and writes it itself, and must not block
  if (ec) {
    co_return ec;
  }
  const SSL_CTX* ctx = SSL_get_SSL_CTX(ssl);
  const bool resuming = SSL_get_session(ssl) != nullptr;  // offering a session (upstream.cpp)
  const bool long_lived = first_of_its_kind(ctx, resuming);
  {
    const core::startup_arena_scope scope(long_lived);  // never across a co_await
    if (auto failed = prepare(ssl, socket.native_handle(), host); failed) {
      co_return failed;
    }
  }
  constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
  for (;;) {
    int r = 0;
    int failed_errno = 0;  // what classify() reads, kept from the scope's allocator calls
    {
      const core::startup_arena_scope scope(long_lived);
      ERR_clear_error();
      errno = 0;
      r = SSL_do_handshake(ssl);
      failed_errno = errno;
      if (r == 1 && long_lived) {
        note_made(ctx, resuming);
      }
    }
    errno = failed_errno;
    if (r == 1) {
      co_return boost::system::error_code{};
    }
    boost::system::error_code failed;
    const wants w = classify(ssl, r, failed);
    if (w == wants::nothing) {
      co_return failed;
    }
    auto [wec] = co_await socket.async_wait(
        w == wants::read ? asio::socket_base::wait_read : asio::socket_base::wait_write, use_tuple);
    if (wec) {
      co_return wec;
    }
  }
}

tls_stream::wants tls_stream::read_once(asio::mutable_buffer b, std::size_t& n,
                                        boost::system::error_code& ec) {
  return attempt(ssl_.get(), b.size(), n, ec, [&](std::size_t& got) {
    return SSL_read_ex(ssl_.get(), b.data(), b.size(), &got);
  });
}

tls_stream::wants tls_stream::write_once(asio::const_buffer b, std::size_t& n,
                                         boost::system::error_code& ec) {
  return attempt(ssl_.get(), b.size(), n, ec, [&](std::size_t& got) {
    return SSL_write_ex(ssl_.get(), b.data(), b.size(), &got);
  });
}

}  // namespace interlingua::net

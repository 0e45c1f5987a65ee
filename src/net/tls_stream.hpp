#pragma once

// A TLS client stream in which OpenSSL reads and writes the socket itself, driven by the
// reactor's readiness waits. Asio's ssl::stream keeps four 17 KB buffers per connection (its
// core's input and output vectors, and its engine's BIO pair) on top of OpenSSL's own: about
// 65 KB of every open stream to a TLS upstream (bench/RESULTS.md). Here a connection waiting for
// the socket keeps the SSL object and its session, not OpenSSL's 17 KB buffers: OpenSSL frees
// them when empty (SSL_MODE_RELEASE_BUFFERS), and a read that waits frees what it left behind
// (release_buffers). 2,000 held streams: 111 -> 47 -> 35 KB each, session reuse included.
//
// OpenSSL writes the socket with write(), which raises SIGPIPE on a connection the peer reset:
// a process using this must ignore SIGPIPE (app::application does).
//
// It is a Beast AsyncStream (async_read_some, async_write_some), one read and one write at a
// time. Every wait is a wait on the socket, so the socket's cancel() (the connection's
// deadline) and per-operation cancellation (the caller's slot) end it with operation_aborted.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <openssl/ssl.h>

namespace interlingua::net {

namespace asio = boost::asio;

class tls_stream {
 public:
  using executor_type = boost::beast::tcp_stream::executor_type;
  using next_layer_type = boost::beast::tcp_stream;

  tls_stream(const asio::any_io_executor& ex, asio::ssl::context& ctx);
  tls_stream(const tls_stream&) = delete;
  tls_stream& operator=(const tls_stream&) = delete;

  executor_type get_executor() { return next_.get_executor(); }
  next_layer_type& next_layer() { return next_; }
  SSL* native_handle() { return ssl_.get(); }

  // The client handshake over the connected socket: SNI for a name, and the peer's certificate
  // verified against the context's trust store and `host` (a DNS name, or an IP literal matched
  // against the certificate's IP addresses).
  asio::awaitable<boost::system::error_code> handshake(const std::string& host);

  enum class wants { nothing, read, write };

  // Frees OpenSSL's read and write buffers if neither holds bytes not yet processed or sent;
  // else keeps them. The next read or write allocates them again.
  void release_buffers() { SSL_free_buffers(ssl_.get()); }

  template <class MutableBufferSequence, class ReadToken>
  auto async_read_some(const MutableBufferSequence& buffers, ReadToken&& token) {
    return asio::async_compose<ReadToken, void(boost::system::error_code, std::size_t)>(
        io_op<true, MutableBufferSequence>{*this, buffers}, token, next_.socket());
  }

  template <class ConstBufferSequence, class WriteToken>
  auto async_write_some(const ConstBufferSequence& buffers, WriteToken&& token) {
    return asio::async_compose<WriteToken, void(boost::system::error_code, std::size_t)>(
        io_op<false, ConstBufferSequence>{*this, buffers}, token, next_.socket());
  }

 private:
  // One SSL_read_ex / SSL_write_ex into or from `b`: what it waits for, else its outcome.
  wants read_once(asio::mutable_buffer b, std::size_t& n, boost::system::error_code& ec);
  wants write_once(asio::const_buffer b, std::size_t& n, boost::system::error_code& ec);

  struct ssl_free {
    void operator()(SSL* s) const { SSL_free(s); }
  };

  // Tries the operation; waits for the socket when OpenSSL asks to, then tries again. An outcome
  // reached without any wait is delivered through a post: a handler never runs inside the call
  // that started it.
  template <bool Read, class Buffers>
  struct io_op {
    tls_stream& s;
    Buffers buffers;
    bool waited = false;
    bool posted = false;
    boost::system::error_code result;
    std::size_t done = 0;
    std::string gathered;                                   // writes only: see to_write()
    static constexpr std::size_t record_bytes = 16 * 1024;  // a TLS record's largest payload

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}) {
      if (posted) {
        self.complete(result, done);
        return;
      }
      if (ec) {
        self.complete(ec, 0);  // the wait failed: cancelled, or the socket closed under it
        return;
      }
      wants w = wants::nothing;
      if constexpr (Read) {
        w = s.read_once(first(buffers), done, result);
      } else {
        w = s.write_once(to_write(), done, result);
      }
      if (w == wants::nothing) {
        if (waited) {
          self.complete(result, done);
        } else {
          posted = true;
          asio::post(s.get_executor(), std::move(self));
        }
        return;
      }
      waited = true;
      if (w == wants::read) {
        // A stream's reads wait for the upstream's next event, seconds in a slow one. OpenSSL
        // 3.0 frees its buffers when they are empty, but one: reading the session tickets a
        // TLS 1.3 server sends after the handshake, it allocates a write buffer that only the
        // next write would free. A stream never writes again: every held stream kept 16.5 KB.
        // Nothing is allocated here most of the time, and the call is then a few checks.
        s.release_buffers();
      }
      auto& socket = s.next_.socket();
      socket.async_wait(
          w == wants::read ? asio::socket_base::wait_read : asio::socket_base::wait_write,
          std::move(self));
    }

    // What one SSL_write_ex takes: the first buffer when it is the only one, else the
    // sequence's first record's worth gathered into one (a request's head comes as a buffer
    // per field: written one by one, each was a record, a send and a completion of its own).
    // Gathered once, kept across waits: a retried write must offer the same bytes.
    asio::const_buffer to_write() {
      if (!gathered.empty()) {
        return asio::buffer(gathered);
      }
      const asio::const_buffer head = first(buffers);
      if (head.size() >= record_bytes || head.size() == asio::buffer_size(buffers)) {
        return head;
      }
      gathered.resize(std::min<std::size_t>(asio::buffer_size(buffers), record_bytes));
      asio::buffer_copy(asio::buffer(gathered), buffers);
      return asio::buffer(gathered);
    }

    // The first buffer that is not empty.
    template <class Seq>
    static auto first(const Seq& seq) {
      using buffer_type = std::conditional_t<Read, asio::mutable_buffer, asio::const_buffer>;
      for (auto it = asio::buffer_sequence_begin(seq); it != asio::buffer_sequence_end(seq); ++it) {
        buffer_type b(*it);
        if (b.size() > 0) {
          return b;
        }
      }
      return buffer_type{};
    }
  };

  boost::beast::tcp_stream next_;
  std::unique_ptr<SSL, ssl_free> ssl_;
};

}  // namespace interlingua::net

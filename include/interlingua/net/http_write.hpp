#pragma once

// Writing HTTP/1 messages on a plain TCP stream, as both sides do it: the front end its
// answers, the upstream client its requests. The head is written by hand and goes out with the
// body in one gathered write that the kernel nearly always takes at once.

#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>

namespace interlingua::net {

// An HTTP/1 head as bytes: the start line, the fields in order, the blank line — what beast's
// serializer writes for a header, without its buffer-sequence machinery (~5k instructions a
// message, bench/RESULTS.md).
template <bool isRequest>
std::string serialized_head(const boost::beast::http::header<isRequest>& head) {
  std::string out;
  out.reserve(192);
  const unsigned version = head.version();
  auto put = [&out](boost::beast::string_view s) { out.append(s.data(), s.size()); };
  if constexpr (isRequest) {
    put(head.method_string());
    out += ' ';
    put(head.target());
    out += ' ';
  }
  out += "HTTP/";
  out += static_cast<char>('0' + version / 10);
  out += '.';
  out += static_cast<char>('0' + version % 10);
  if constexpr (!isRequest) {
    out += ' ';
    const unsigned status = head.result_int();  // three digits, as beast writes it
    out += static_cast<char>('0' + status / 100);
    out += static_cast<char>('0' + status / 10 % 10);
    out += static_cast<char>('0' + status % 10);
    out += ' ';
    put(head.reason());
  }
  out += "\r\n";
  for (const auto& field : head) {
    put(field.name_string());
    out += ": ";
    put(field.value());
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

// Writes `buffers` with one non-blocking gathered send; only what the kernel does not take goes
// out asynchronously. A write that fits (nearly all: the socket's send buffer is rarely full)
// arms no timer, posts no completion and does not suspend the coroutine (per streamed event
// that was a timer re-arm, a scheduler round and an extra epoll_wait; bench/RESULTS.md).
// `rest_timeout` bounds the asynchronous rest through beast's timer; without it the caller's own
// deadline must cover it. The buffers are taken by value: they live in this frame throughout.
template <class Buffers>
boost::asio::awaitable<boost::system::error_code> send_now_or_async(
    boost::beast::tcp_stream& stream, Buffers buffers,
    std::optional<std::chrono::milliseconds> rest_timeout) {
  auto& socket = stream.socket();
  boost::system::error_code ec;
  if (!socket.non_blocking()) {
    socket.non_blocking(true, ec);  // once per connection; async operations are unaffected
  }
  std::size_t sent = 0;
  if (!ec) {
    sent = socket.write_some(buffers, ec);
  }
  if (ec && ec != boost::asio::error::would_block) {
    co_return ec;
  }
  if (sent == boost::beast::buffer_bytes(buffers)) {
    co_return boost::system::error_code{};
  }
  boost::beast::buffers_suffix<Buffers> rest(buffers);
  rest.consume(sent);
  if (rest_timeout) {
    stream.expires_after(*rest_timeout);
  }
  auto [wec, n] = co_await boost::asio::async_write(
      stream, rest, boost::asio::as_tuple(boost::asio::use_awaitable));
  co_return wec;
}

}  // namespace interlingua::net

#include <interlingua/net/http_head.hpp>
#include <interlingua/server/exchange.hpp>

#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_cat.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/write.hpp>

#include "auth.hpp"
#include "url.hpp"

namespace interlingua::server {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// One gathered write under the write deadline. Most writes fit in the socket's send buffer:
// they go out at once with one non-blocking sendmsg, without arming the deadline timer, posting
// a completion and suspending the coroutine (per streamed event that was a timer re-arm, a
// scheduler round and an extra epoll_wait; bench/RESULTS.md). Only what the kernel did not
// take waits, under the deadline. The buffers are taken by value: they live in this frame for
// the whole write.
template <class Buffers>
asio::awaitable<boost::system::error_code> send_buffers(beast::tcp_stream& stream,
                                                        std::chrono::milliseconds timeout,
                                                        Buffers buffers) {
  auto& socket = stream.socket();
  boost::system::error_code ec;
  if (!socket.non_blocking()) {
    socket.non_blocking(true, ec);  // once per connection; async operations are unaffected
  }
  std::size_t sent = 0;
  if (!ec) {
    sent = socket.write_some(buffers, ec);
  }
  if (ec && ec != asio::error::would_block) {
    co_return ec;
  }
  const std::size_t total = beast::buffer_bytes(buffers);
  if (sent == total) {
    co_return boost::system::error_code{};
  }
  beast::buffers_suffix<Buffers> rest(buffers);
  rest.consume(sent);
  stream.expires_after(timeout);
  auto [wec, n] = co_await asio::async_write(stream, rest, use_tuple);
  co_return wec;
}

}  // namespace

exchange::exchange(beast::tcp_stream& stream, request& req, std::string request_id,
                   std::chrono::milliseconds write_timeout, bool keep_alive)
    : stream_(stream),
      req_(req),
      request_id_(std::move(request_id)),
      write_timeout_(write_timeout),
      keep_alive_(keep_alive) {
  std::string_view target(req_.target().data(), req_.target().size());
  auto q = target.find('?');
  path_ = std::string(target.substr(0, q));
  if (q != std::string_view::npos) {
    query_ = std::string(target.substr(q + 1));
  }
  trace_ = core::read_trace(header("traceparent"), header("tracestate"), header("x-opper-name"),
                            header("x-opper-parent-span-id"));
}

// Shared with the pending wait's handler, which may run after the exchange is gone.
struct exchange::disconnect_watch {
  exchange* owner = nullptr;              // null once the exchange ended
  asio::cancellation_signal client_gone;  // what the handler's upstream call listens to
  asio::cancellation_signal stop;         // ends the pending wait when the exchange ends
};

exchange::~exchange() {
  if (watch_) {
    watch_->owner = nullptr;
    watch_->stop.emit(asio::cancellation_type::terminal);
  }
}

asio::cancellation_slot exchange::watch_disconnect() {
  if (!watch_) {
    watch_ = std::make_shared<disconnect_watch>();
    watch_->owner = this;
    wait_for_close(watch_);
  }
  return watch_->client_gone.slot();
}

void exchange::wait_for_close(const std::shared_ptr<disconnect_watch>& w) {
  auto& socket = stream_.socket();
  socket.async_wait(asio::ip::tcp::socket::wait_read,
                    asio::bind_cancellation_slot(w->stop.slot(), [w](boost::system::error_code ec) {
                      exchange* ex = w->owner;
                      if (ex == nullptr) {
                        return;  // the exchange ended first: nothing to watch any more
                      }
                      if (!ec) {
                        char byte = 0;
                        const ssize_t n = ::recv(ex->stream_.socket().native_handle(), &byte, 1,
                                                 MSG_PEEK | MSG_DONTWAIT);
                        if (n > 0) {
                          return;  // the client sent more (pipelining): it is still there
                        }
                        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                          ex->wait_for_close(w);  // woken with nothing to read: keep watching
                          return;
                        }
                      }
                      // End of stream, a reset, or the socket closed under the wait (a write
                      // deadline).
                      ex->broken_ = true;
                      w->client_gone.emit(asio::cancellation_type::terminal);
                    }));
}

void exchange::set_gateway_key(std::string key) {
  owner_ = owner_of(key);
  gateway_key_ = std::move(key);
}

std::optional<std::string> exchange::query(std::string_view name) const {
  return query_param(query_, name);
}

std::string_view exchange::header(std::string_view name) const {
  auto it = req_.find(beast::string_view(name.data(), name.size()));
  if (it == req_.end()) {
    return {};
  }
  return std::string_view(it->value().data(), it->value().size());
}

asio::awaitable<bool> exchange::respond(unsigned status, std::string content_type, std::string body,
                                        header_list headers) {
  if (started()) {
    co_return false;
  }
  status_ = status;
  http::response<http::empty_body> res{static_cast<http::status>(status), req_.version()};
  res.set(http::field::content_type, content_type);
  res.set("x-request-id", request_id_);
  for (auto& [name, value] : headers) {
    res.set(name, value);
  }
  res.keep_alive(keep_alive_);
  res.content_length(body.size());
  // Head and body in one gathered write (see send_buffers).
  const std::string head = net::serialized_head(res);
  const auto both = beast::buffers_cat(asio::buffer(head), asio::buffer(body));
  auto ec = co_await send_buffers(stream_, write_timeout_, both);
  broken_ = broken_ || static_cast<bool>(ec);
  co_return !ec;
}

asio::awaitable<bool> exchange::begin_stream(unsigned status, std::string content_type,
                                             header_list headers) {
  if (started() || broken_) {
    co_return false;
  }
  status_ = status;
  streaming_ = true;
  http::response<http::empty_body> res{static_cast<http::status>(status), req_.version()};
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-cache");
  res.set("x-request-id", request_id_);
  // Tells nginx-style proxies in front of us not to buffer the stream.
  res.set("x-accel-buffering", "no");
  for (auto& [name, value] : headers) {
    res.set(name, value);
  }
  res.keep_alive(keep_alive_);
  res.chunked(true);
  head_ = net::serialized_head(res);
  co_return true;
}

asio::awaitable<bool> exchange::write(std::string_view data) {
  if (broken_ || !streaming_) {
    co_return false;
  }
  boost::system::error_code ec;
  const auto body = asio::buffer(data.data(), data.size());
  if (!head_.empty()) {
    std::string head = std::move(head_);
    head_.clear();
    if (data.empty()) {
      const auto only_head = asio::buffer(head);
      ec = co_await send_buffers(stream_, write_timeout_, only_head);
    } else {
      auto both = beast::buffers_cat(asio::buffer(head), http::make_chunk(body));
      ec = co_await send_buffers(stream_, write_timeout_, both);
    }
  } else if (!data.empty()) {
    auto chunk = http::make_chunk(body);
    ec = co_await send_buffers(stream_, write_timeout_, chunk);
  }
  broken_ = static_cast<bool>(ec);
  co_return !ec;
}

asio::awaitable<bool> exchange::end_stream(std::string_view data) {
  if (broken_ || !streaming_) {
    co_return false;
  }
  streaming_ = false;
  std::string head = std::move(head_);
  head_.clear();
  const auto body = asio::buffer(data.data(), data.size());
  boost::system::error_code ec;
  if (data.empty()) {
    auto last = beast::buffers_cat(asio::buffer(head), http::make_chunk_last());
    ec = co_await send_buffers(stream_, write_timeout_, last);
  } else {
    auto all =
        beast::buffers_cat(asio::buffer(head), http::make_chunk(body), http::make_chunk_last());
    ec = co_await send_buffers(stream_, write_timeout_, all);
  }
  broken_ = static_cast<bool>(ec);
  co_return !ec;
}

}  // namespace interlingua::server

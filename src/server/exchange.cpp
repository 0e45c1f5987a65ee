#include <interlingua/net/http_write.hpp>
#include <interlingua/server/exchange.hpp>

#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_cat.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/write.hpp>

#include "auth.hpp"
#include "url.hpp"

namespace interlingua::server {

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
  // Head and body in one gathered write (net/http_write.hpp).
  const std::string head = net::serialized_head(res);
  const auto both = beast::buffers_cat(asio::buffer(head), asio::buffer(body));
  auto ec = co_await net::send_now_or_async(stream_, both, write_timeout_);
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
      ec = co_await net::send_now_or_async(stream_, only_head, write_timeout_);
    } else {
      auto both = beast::buffers_cat(asio::buffer(head), http::make_chunk(body));
      ec = co_await net::send_now_or_async(stream_, both, write_timeout_);
    }
  } else if (!data.empty()) {
    auto chunk = http::make_chunk(body);
    ec = co_await net::send_now_or_async(stream_, chunk, write_timeout_);
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
    ec = co_await net::send_now_or_async(stream_, last, write_timeout_);
  } else {
    auto all =
        beast::buffers_cat(asio::buffer(head), http::make_chunk(body), http::make_chunk_last());
    ec = co_await net::send_now_or_async(stream_, all, write_timeout_);
  }
  broken_ = static_cast<bool>(ec);
  co_return !ec;
}

}  // namespace interlingua::server

#pragma once

// One request and its response, as route handlers see it. The server owns the socket; handlers
// answer once (respond) or stream (begin_stream, write, end_stream).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <interlingua/core/trace.hpp>

namespace interlingua::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

using request = http::request<http::string_body>;
using header_list = std::vector<std::pair<std::string, std::string>>;

// What the access log says about a request beyond method, path and status.
struct access_record {
  std::string route;  // the matched pattern
  std::string model;
  std::string upstream;   // provider name (the one that answered)
  unsigned attempts = 0;  // upstream tries (retries and fallbacks included)
  std::int64_t input_tokens = -1;
  std::int64_t output_tokens = -1;
  std::string error;  // short reason for a non-2xx answer
};

class exchange {
 public:
  exchange(beast::tcp_stream& stream, request& req, std::string request_id,
           std::chrono::milliseconds write_timeout, bool keep_alive);
  ~exchange();
  exchange(const exchange&) = delete;
  exchange& operator=(const exchange&) = delete;

  const request& req() const { return req_; }
  // Frees the request's body once the handler has taken what it needs from it: an answer that
  // lasts minutes (a stream) then holds no copy of a long prompt. req().body() is empty after.
  void release_body() { std::string().swap(req_.body()); }
  std::string_view path() const { return path_; }
  // Percent-decoded value of a query parameter.
  std::optional<std::string> query(std::string_view name) const;
  std::string_view header(std::string_view name) const;
  const std::vector<std::string>& params() const { return params_; }
  const std::string& request_id() const { return request_id_; }
  const std::string& gateway_key() const { return gateway_key_; }
  // Who owns what this request stores: a hash of the gateway key ("" without one), so stored
  // objects never hold the key itself.
  const std::string& owner() const { return owner_; }
  // The caller's trace headers (traceparent, X-Opper-*), read once: logged and sent upstream.
  const core::trace_context& trace() const { return trace_; }
  access_record& record() { return record_; }
  const access_record& record() const { return record_; }

  asio::awaitable<bool> respond(unsigned status, std::string content_type, std::string body,
                                header_list headers = {});
  asio::awaitable<bool> respond_json(unsigned status, std::string body) {
    return respond(status, "application/json", std::move(body));
  }
  // Starts a chunked response. The head goes out with the first write (or with the end), so a
  // stream's head and first events share one write and one packet; a caller with nothing to send
  // yet that wants the client to have the head calls write(""). False when the client is gone.
  asio::awaitable<bool> begin_stream(unsigned status, std::string content_type,
                                     header_list headers = {});
  // One write (with the head, the first time); only after the previous completed
  // (back-pressure). False when the client is gone.
  asio::awaitable<bool> write(std::string_view data);
  // The last chunk, after `data` when given, in the same write.
  asio::awaitable<bool> end_stream(std::string_view data = {});
  // Ends a started stream without its last chunk by closing the connection: the client sees the
  // body cut off, which is how a dialect without an in-band error event reports a failure.
  void abort() { broken_ = true; }

  // Watches the client's side of the connection from now until the exchange ends: when the
  // client closes or resets it, the exchange is marked gone and terminal cancellation is emitted
  // on the returned slot at once — while the handler waits on an upstream, not at its next write.
  // (As nginx does, a client that half-closes after its request counts as gone.) Pipelined bytes
  // from the client end the watch without a signal.
  asio::cancellation_slot watch_disconnect();

  bool started() const { return status_ != 0; }
  unsigned status() const { return status_; }
  bool keep_alive() const { return keep_alive_ && !broken_; }
  bool client_gone() const { return broken_; }
  // A stream begun and not ended: the response is unfinished, the connection cannot be reused.
  bool stream_open() const { return streaming_; }

  // Set by the server before the handler runs.
  void set_params(std::vector<std::string> params) { params_ = std::move(params); }
  void set_gateway_key(std::string key);

 private:
  beast::tcp_stream& stream_;
  request& req_;
  std::string path_;
  std::string query_;
  std::vector<std::string> params_;
  std::string request_id_;
  std::string gateway_key_;
  std::string owner_;
  std::chrono::milliseconds write_timeout_;
  bool keep_alive_;
  bool broken_ = false;
  bool streaming_ = false;
  std::string head_;  // a stream's head, until its first write
  unsigned status_ = 0;
  access_record record_;
  core::trace_context trace_;
  struct disconnect_watch;
  // One async_wait for readability at a time, re-armed only after a spurious wake-up.
  void wait_for_close(const std::shared_ptr<disconnect_watch>& w);
  std::shared_ptr<disconnect_watch> watch_;
};

using handler = std::function<asio::awaitable<void>(exchange&)>;

}  // namespace interlingua::server

#include "relay.hpp"

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/http/field.hpp>

#include <interlingua/net/sse_parser.hpp>

namespace interlingua::service {

namespace {

namespace http = boost::beast::http;

constexpr std::size_t max_unary_body = 64 * 1024 * 1024;
constexpr std::size_t max_error_body = 1024 * 1024;

core::error transport_error(const net::failure& f) {
  core::error_kind kind = core::error_kind::upstream_unavailable;
  if (f.timed_out) {
    kind = core::error_kind::upstream_timeout;
  } else if (f.stage == net::failure_stage::tls &&
             f.ec.category() == boost::asio::error::get_ssl_category()) {
    // OpenSSL refused the upstream (a certificate we do not trust, no protocol or cipher in
    // common): a configuration problem, not a passing outage. A connection reset or closed
    // during the handshake is one, and is retried like any other transport failure.
    kind = core::error_kind::upstream_error;
  }
  return core::make_error(kind, f.describe());
}

// The upstream's wish, in milliseconds: OpenAI's `retry-after-ms`, else `Retry-After` in
// seconds. An HTTP date is not honoured: the retry policy's own backoff applies.
std::optional<std::chrono::milliseconds> retry_after(const net::upstream_call& call) {
  for (auto [name, scale] : {std::pair{"retry-after-ms", 1.0}, std::pair{"retry-after", 1000.0}}) {
    std::string value = call.header(name);
    if (value.empty()) {
      continue;
    }
    char* end = nullptr;
    double n = std::strtod(value.c_str(), &end);
    if (end == value.c_str() || !(n >= 0) || n * scale > 86'400'000) {
      continue;
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(n * scale + 0.999));
  }
  return std::nullopt;
}

std::optional<int> whole_seconds(std::optional<std::chrono::milliseconds> ms) {
  if (!ms) {
    return std::nullopt;
  }
  return static_cast<int>((ms->count() + 999) / 1000);
}

void note_usage(const core::event_list& events, call_outcome& out) {
  for (const auto& e : events) {
    if (const auto* u = std::get_if<core::usage_update>(&e)) {
      out.usage = u->value;
    }
  }
}

// An error that arrives before anything reached the client is reported as the HTTP answer.
bool leading_error(const core::event_list& events, bool sent_any, call_outcome& out) {
  if (sent_any) {
    return false;
  }
  for (const auto& e : events) {
    if (const auto* err = std::get_if<core::stream_error>(&e)) {
      out.error = err->value;
      return true;
    }
    if (std::holds_alternative<core::part_start>(e)) {
      return false;
    }
  }
  return false;
}

asio::awaitable<void> relay_stream(net::upstream_call& call, const core::provider_codec& codec,
                                   std::size_t max_event_bytes, event_sink& sink,
                                   call_outcome& out) {
  auto decoder = codec.make_stream_decoder();
  net::sse_parser parser(max_event_bytes);
  std::vector<net::sse_event> sse;
  core::event_list events;
  std::string bytes;
  bool sent_any = false;
  for (;;) {
    bytes.clear();
    bool more = co_await call.read_some(bytes);
    sse.clear();
    events.clear();
    if (!parser.feed(bytes, sse)) {
      events.push_back(core::stream_error{core::make_error(
          core::error_kind::upstream_error, "upstream stream event exceeds the size limit")});
    }
    for (const auto& e : sse) {
      decoder->on_event(e.event, e.data, events);
    }
    if (!more && call.error()) {
      bool aborted = co_await net::cancelled();
      if (aborted) {
        // The caller left and the read was aborted: the connection closes with `call`.
        out.client_gone = true;
        co_return;
      }
      if (!decoder->done()) {
        events.push_back(core::stream_error{transport_error(*call.error())});
      }
    } else if (!more || decoder->done()) {
      decoder->on_end(events);
    }
    note_usage(events, out);
    if (leading_error(events, sent_any, out)) {
      co_return;
    }
    if (!events.empty()) {
      sent_any = true;
      if (!co_await sink.on_events(events)) {
        out.client_gone = true;
        co_return;
      }
    }
    bool failed = !events.empty() && std::holds_alternative<core::stream_error>(events.back());
    if (more && decoder->done() && !failed) {
      // Read the body's end (the last chunk follows [DONE] at once) so the connection can go
      // back to the pool; an upstream slower than that only loses its connection.
      std::string rest;
      while (rest.size() < 64 * 1024) {
        bool again = co_await call.read_some(rest, std::chrono::milliseconds(100));
        if (!again) {
          break;
        }
      }
      co_return;
    }
    if (!more || decoder->done() || failed) {
      co_return;
    }
  }
}

}  // namespace

http::request<http::string_body> build_request(std::string target, const std::string& host,
                                               core::upstream_request encoded) {
  http::request<http::string_body> req{http::verb::post, std::move(target), 11};
  if (encoded.method == "GET") {
    req.method(http::verb::get);
  }
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "interlingua/" INTERLINGUA_VERSION);
  for (auto& h : encoded.headers) {
    req.set(h.name, h.value);
  }
  req.body() = std::move(encoded.body);
  return req;
}

asio::awaitable<void> relay(net::connection_pool& pool, const core::provider_codec& codec,
                            http::request<http::string_body> request, bool stream,
                            net::deadlines limits, std::size_t max_event_bytes, event_sink& sink,
                            call_outcome& out) {
  // The request moves into start's frame, which ends once the answer's head is read: its
  // headers and body are not kept for the length of a stream.
  auto started = co_await net::upstream_call::start(pool, std::move(request), limits);
  if (auto* f = std::get_if<net::failure>(&started)) {
    out.error = transport_error(*f);
    co_return;  // the gateway tells a cancellation from a failure
  }
  auto& call = *std::get<std::unique_ptr<net::upstream_call>>(started);
  std::string body;
  if (call.status() < 200 || call.status() >= 300) {
    co_await call.read_all(body, max_error_body);
    out.retry_after = retry_after(call);
    out.error =
        codec.decode_error(static_cast<int>(call.status()), body, whole_seconds(out.retry_after));
    if (!out.retry_after && out.error->retry_after_s) {
      out.retry_after = std::chrono::seconds(*out.error->retry_after_s);  // from the body
    }
    co_return;
  }
  // Some compatible servers ignore `stream` and answer with one JSON body: decode it as unary.
  bool is_sse = call.header("content-type").find("text/event-stream") != std::string::npos;
  if (stream && is_sse) {
    co_await relay_stream(call, codec, max_event_bytes, sink, out);
    co_return;
  }
  bool whole = co_await call.read_all(body, max_unary_body);
  if (!whole) {
    out.error = transport_error(*call.error());
    co_return;  // the gateway tells a cancellation from a failure
  }
  core::event_list events;
  codec.decode_reply(body, events);
  note_usage(events, out);
  if (leading_error(events, false, out)) {
    co_return;
  }
  if (!co_await sink.on_events(events)) {
    out.client_gone = true;
  }
}

}  // namespace interlingua::service

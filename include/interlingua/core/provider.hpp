#pragma once

// What a provider is to the service: a pure codec between core types and one upstream wire
// format. No I/O here; the service moves the bytes (src/service) over src/net.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <interlingua/core/events.hpp>
#include <interlingua/core/model.hpp>
#include <interlingua/core/result.hpp>

namespace interlingua::core {

struct http_header {
  std::string name;
  std::string value;
};

// Where and how one attempt goes: chosen by the service's router.
struct upstream_target {
  std::string model;    // the upstream's model name
  std::string api_key;  // empty: no credential header
  std::vector<http_header> extra_headers;
};

struct upstream_request {
  std::string method = "POST";
  std::string path;  // appended to the provider's base path, e.g. "/chat/completions"
  std::vector<http_header> headers;
  std::string body;
  bool stream = false;
};

// Turns the data payloads of an upstream SSE stream into core events, in order.
class stream_decoder {
 public:
  virtual ~stream_decoder() = default;
  // One SSE event. `event_name` is the SSE `event:` field ("" when absent).
  virtual void on_event(std::string_view event_name, std::string_view data, event_list& out) = 0;
  // The upstream closed the stream. Appends an error when it ended before its terminal event.
  virtual void on_end(event_list& out) = 0;
  // True once the terminal event (e.g. [DONE], message_stop) was seen.
  virtual bool done() const = 0;
};

class provider_codec {
 public:
  virtual ~provider_codec() = default;
  virtual result<upstream_request> encode(const chat_request& request,
                                          const upstream_target& target) const = 0;
  // A whole 2xx body into the same events a stream would give.
  virtual void decode_reply(std::string_view body, event_list& out) const = 0;
  virtual std::unique_ptr<stream_decoder> make_stream_decoder() const = 0;
  // A non-2xx answer into an error, keeping the provider's message.
  virtual error decode_error(int status, std::string_view body,
                             std::optional<int> retry_after_s) const = 0;
};

}  // namespace interlingua::core

#include <interlingua/providers/gemini.hpp>

#include <cmath>
#include <cstdlib>

#include "../codec.hpp"

namespace interlingua::providers::gemini {

namespace {

using core::json_view::string_or;
using core::json_view::value;

// google.rpc.RetryInfo's retryDelay is a Duration in JSON form ("34.4s"): whole seconds, rounded
// up so a retry never comes early.
std::optional<int> retry_delay(value error) {
  value details = error.member("details");
  if (!details.is_array()) {
    return std::nullopt;
  }
  for (value d : details) {
    std::string_view type = d.member("@type").str();
    std::string_view delay = d.member("retryDelay").str();
    if (!type.ends_with("google.rpc.RetryInfo") || delay.size() < 2 || delay.back() != 's') {
      continue;
    }
    // A copy for strtod, which wants the digits NUL-terminated.
    std::string digits(delay.substr(0, delay.size() - 1));
    char* end = nullptr;
    double seconds = std::strtod(digits.c_str(), &end);
    if (end != digits.c_str() + digits.size() || !std::isfinite(seconds) || seconds < 0 ||
        seconds > 86400.0 * 7) {
      continue;
    }
    return static_cast<int>(std::ceil(seconds));
  }
  return std::nullopt;
}

}  // namespace

// The body is one GenerateContentResponse, exactly what each stream event holds: the stream
// decoder reads it, so a unary answer is by construction what the stream would have given.
void decode_reply(std::string_view body, core::event_list& out) {
  auto decoder = make_stream_decoder();
  decoder->on_event({}, body, out);
  decoder->on_end(out);
}

// The stream decoder calls this on an error event and reads nothing of that event's document
// afterwards, so both may use the thread's scratch document.
core::error decode_error(int status, std::string_view body, std::optional<int> retry_after_s) {
  std::string message;
  auto& doc = scratch_document();
  if (!doc.parse(body)) {
    message = std::string(body.substr(0, 512));
    return core::error_from_upstream_status(status, std::move(message), retry_after_s);
  }
  // streamGenerateContent without alt=sse answers in a JSON array, errors included.
  value root = doc.root();
  if (root.is_array() && !root.empty()) {
    root = root.at(0);
  }
  if (value e = root.member("error")) {
    message = e.is_string() ? std::string(e.str()) : string_or(e, "message");
    if (!retry_after_s) {
      retry_after_s = retry_delay(e);
    }
  } else {
    message = string_or(root, "message");
  }
  return core::error_from_upstream_status(status, std::move(message), retry_after_s);
}

}  // namespace interlingua::providers::gemini

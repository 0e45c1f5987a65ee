#pragma once

// What every provider shares: the codec the service sees, assembled from the provider's own
// functions, and the reading of an error body's message.

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <interlingua/core/json_view.hpp>
#include <interlingua/core/provider.hpp>

namespace interlingua::providers {

// One upstream wire format, as functions. Instances are static: the codec keeps a reference.
struct wire {
  core::result<std::string> (*encode_body)(const core::chat_request&, const core::upstream_target&);
  std::string (*path)(const core::upstream_target&, bool stream);
  // The credential and the headers this API requires; configured extra headers follow them.
  void (*headers)(const core::upstream_target&, std::vector<core::http_header>& out);
  void (*decode_reply)(std::string_view body, core::event_list& out);
  std::unique_ptr<core::stream_decoder> (*make_stream_decoder)();
  core::error (*decode_error)(int status, std::string_view body, std::optional<int> retry_after_s);
};

// The codec for `w`: content-type and accept, the wire's headers, then target.extra_headers.
std::unique_ptr<core::provider_codec> make_codec(const wire& w);

// The provider's own message from an error body: {"error":{"message"}}, {"error":"text"} or a
// bare {"message"} (vLLM); "" when there is none.
std::string error_message(const nlohmann::json& body);
std::string error_message(core::json_view::value body);

// The thread's document for decoding one upstream reply or stream event at a time: decoders reuse
// its buffers instead of allocating a tape per body. Valid until the thread's next call.
core::json_view::document& scratch_document();

}  // namespace interlingua::providers

#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <interlingua/core/provider.hpp>

namespace interlingua::providers::gemini {

// generateContent body for `request` (pure; exposed for tests). The target's model picks the
// thinking control: Gemini 1.x/2.x take a thinkingBudget, later models a thinkingLevel.
core::result<std::string> encode_body(const core::chat_request& request,
                                      const core::upstream_target& target);
// "/models/{model}:generateContent", or ":streamGenerateContent?alt=sse" when streaming.
std::string encode_path(const core::upstream_target& target, bool stream);
// One whole GenerateContentResponse into the events its stream would give.
void decode_reply(std::string_view body, core::event_list& out);
// Each SSE event is a whole GenerateContentResponse; the stream ends at EOF after a finishReason.
std::unique_ptr<core::stream_decoder> make_stream_decoder();
// {"error":{"code","message","status","details"}}; google.rpc.RetryInfo's retryDelay stands in
// for Retry-After, which Gemini does not send.
core::error decode_error(int status, std::string_view body, std::optional<int> retry_after_s);

// The codec the service uses for providers of kind `gemini`.
std::unique_ptr<core::provider_codec> make_codec();

}  // namespace interlingua::providers::gemini

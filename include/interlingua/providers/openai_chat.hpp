#pragma once

#include <memory>
#include <string_view>

#include <interlingua/core/provider.hpp>

namespace interlingua::providers::openai_chat {

// Chat Completions body for `request` (pure; exposed for tests).
core::result<std::string> encode_body(const core::chat_request& request,
                                      const core::upstream_target& target);
void decode_reply(std::string_view body, core::event_list& out);
std::unique_ptr<core::stream_decoder> make_stream_decoder();
core::error decode_error(int status, std::string_view body, std::optional<int> retry_after_s);

// The codec the service uses for providers of kind `openai_chat`.
std::unique_ptr<core::provider_codec> make_codec();

}  // namespace interlingua::providers::openai_chat

#include <interlingua/providers/openai_chat.hpp>

#include "../codec.hpp"

namespace interlingua::providers::openai_chat {

namespace {

std::string path(const core::upstream_target&, bool) {
  return "/chat/completions";
}

void headers(const core::upstream_target& target, std::vector<core::http_header>& out) {
  if (!target.api_key.empty()) {
    out.push_back({"authorization", "Bearer " + target.api_key});
  }
}

const wire chat_completions{&encode_body,         &path,        &headers, &decode_reply,
                            &make_stream_decoder, &decode_error};

}  // namespace

std::unique_ptr<core::provider_codec> make_codec() {
  return providers::make_codec(chat_completions);
}

}  // namespace interlingua::providers::openai_chat

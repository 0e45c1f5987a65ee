#include <interlingua/providers/openai_chat.hpp>

namespace interlingua::providers::openai_chat {

namespace {

class codec final : public core::provider_codec {
 public:
  core::result<core::upstream_request> encode(const core::chat_request& request,
                                              const core::upstream_target& target) const override {
    auto body = encode_body(request, target);
    if (!body) {
      return body.error();
    }
    core::upstream_request out;
    out.path = "/chat/completions";
    out.stream = request.stream;
    out.body = std::move(*body);
    out.headers.push_back({"content-type", "application/json"});
    out.headers.push_back({"accept", request.stream ? "text/event-stream" : "application/json"});
    if (!target.api_key.empty()) {
      out.headers.push_back({"authorization", "Bearer " + target.api_key});
    }
    for (const auto& h : target.extra_headers) {
      out.headers.push_back(h);
    }
    return out;
  }

  void decode_reply(std::string_view body, core::event_list& out) const override {
    openai_chat::decode_reply(body, out);
  }

  std::unique_ptr<core::stream_decoder> make_stream_decoder() const override {
    return openai_chat::make_stream_decoder();
  }

  core::error decode_error(int status, std::string_view body,
                           std::optional<int> retry_after_s) const override {
    return openai_chat::decode_error(status, body, retry_after_s);
  }
};

}  // namespace

std::unique_ptr<core::provider_codec> make_codec() { return std::make_unique<codec>(); }

}  // namespace interlingua::providers::openai_chat

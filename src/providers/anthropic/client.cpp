#include <interlingua/providers/anthropic.hpp>

#include <algorithm>
#include <cctype>

namespace interlingua::providers::anthropic {

namespace {

constexpr const char* api_version = "2023-06-01";

bool same_name(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

class codec final : public core::provider_codec {
 public:
  core::result<core::upstream_request> encode(const core::chat_request& request,
                                              const core::upstream_target& target) const override {
    auto body = encode_body(request, target);
    if (!body) {
      return body.error();
    }
    core::upstream_request out;
    out.path = "/messages";
    out.stream = request.stream;
    out.body = std::move(*body);
    out.headers.push_back({"content-type", "application/json"});
    out.headers.push_back({"accept", request.stream ? "text/event-stream" : "application/json"});
    if (!target.api_key.empty()) {
      out.headers.push_back({"x-api-key", target.api_key});
    }
    // Configs may pin anthropic-version themselves (the example config does): theirs wins, and
    // the header is never sent twice.
    bool pinned = std::any_of(target.extra_headers.begin(), target.extra_headers.end(),
                              [](const core::http_header& h) {
                                return same_name(h.name, "anthropic-version");
                              });
    if (!pinned) {
      out.headers.push_back({"anthropic-version", api_version});
    }
    for (const auto& h : target.extra_headers) {
      out.headers.push_back(h);
    }
    return out;
  }

  void decode_reply(std::string_view body, core::event_list& out) const override {
    anthropic::decode_reply(body, out);
  }

  std::unique_ptr<core::stream_decoder> make_stream_decoder() const override {
    return anthropic::make_stream_decoder();
  }

  core::error decode_error(int status, std::string_view body,
                           std::optional<int> retry_after_s) const override {
    return anthropic::decode_error(status, body, retry_after_s);
  }
};

}  // namespace

std::unique_ptr<core::provider_codec> make_codec() { return std::make_unique<codec>(); }

}  // namespace interlingua::providers::anthropic

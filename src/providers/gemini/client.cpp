#include <interlingua/providers/gemini.hpp>

#include <cctype>

namespace interlingua::providers::gemini {

namespace {

// Model names may come as "gemini-x", "models/gemini-x" or "tunedModels/x"; anything outside the
// URL-safe set is percent-encoded so a name can never reshape the path.
std::string model_path(std::string_view model) {
  std::string out = "/";
  if (model.rfind("models/", 0) != 0 && model.rfind("tunedModels/", 0) != 0) {
    out += "models/";
  }
  static const char hex[] = "0123456789ABCDEF";
  for (char c : model) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
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
    out.path = encode_path(target, request.stream);
    out.stream = request.stream;
    out.body = std::move(*body);
    out.headers.push_back({"content-type", "application/json"});
    out.headers.push_back({"accept", request.stream ? "text/event-stream" : "application/json"});
    if (!target.api_key.empty()) {
      // The header rather than ?key=: query strings end up in access logs.
      out.headers.push_back({"x-goog-api-key", target.api_key});
    }
    for (const auto& h : target.extra_headers) {
      out.headers.push_back(h);
    }
    return out;
  }

  void decode_reply(std::string_view body, core::event_list& out) const override {
    gemini::decode_reply(body, out);
  }

  std::unique_ptr<core::stream_decoder> make_stream_decoder() const override {
    return gemini::make_stream_decoder();
  }

  core::error decode_error(int status, std::string_view body,
                           std::optional<int> retry_after_s) const override {
    return gemini::decode_error(status, body, retry_after_s);
  }
};

}  // namespace

std::string encode_path(const core::upstream_target& target, bool stream) {
  return model_path(target.model) +
         (stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
}

std::unique_ptr<core::provider_codec> make_codec() { return std::make_unique<codec>(); }

}  // namespace interlingua::providers::gemini

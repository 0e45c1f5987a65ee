#include <interlingua/providers/gemini.hpp>

#include <cctype>

#include "../codec.hpp"

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

void headers(const core::upstream_target& target, std::vector<core::http_header>& out) {
  if (!target.api_key.empty()) {
    // The header rather than ?key=: query strings end up in access logs.
    out.push_back({"x-goog-api-key", target.api_key});
  }
}

}  // namespace

std::string encode_path(const core::upstream_target& target, bool stream) {
  return model_path(target.model) +
         (stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
}

const wire generate_content{&encode_body,  &encode_path,         &headers,
                            &decode_reply, &make_stream_decoder, &decode_error};

std::unique_ptr<core::provider_codec> make_codec() {
  return providers::make_codec(generate_content);
}

}  // namespace interlingua::providers::gemini

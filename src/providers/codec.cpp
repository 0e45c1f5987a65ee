#include "codec.hpp"

#include <interlingua/core/json_util.hpp>

namespace interlingua::providers {

namespace {

class function_codec final : public core::provider_codec {
 public:
  explicit function_codec(const wire& w) : w_(w) {}

  core::result<core::upstream_request> encode(const core::chat_request& request,
                                              const core::upstream_target& target) const override {
    auto body = w_.encode_body(request, target);
    if (!body) {
      return body.error();
    }
    core::upstream_request out;
    out.path = w_.path(target, request.stream);
    out.stream = request.stream;
    out.body = std::move(*body);
    out.headers.push_back({"content-type", "application/json"});
    out.headers.push_back({"accept", request.stream ? "text/event-stream" : "application/json"});
    w_.headers(target, out.headers);
    for (const auto& h : target.extra_headers) {
      out.headers.push_back(h);
    }
    return out;
  }

  void decode_reply(std::string_view body, core::event_list& out) const override {
    w_.decode_reply(body, out);
  }

  std::unique_ptr<core::stream_decoder> make_stream_decoder() const override {
    return w_.make_stream_decoder();
  }

  core::error decode_error(int status, std::string_view body,
                           std::optional<int> retry_after_s) const override {
    return w_.decode_error(status, body, retry_after_s);
  }

 private:
  const wire& w_;
};

}  // namespace

std::unique_ptr<core::provider_codec> make_codec(const wire& w) {
  return std::make_unique<function_codec>(w);
}

std::string error_message(const nlohmann::json& body) {
  using namespace core::json_util;
  if (const auto* e = member(body, "error")) {
    if (e->is_string()) {
      return e->get<std::string>();
    }
    return string_or(*e, "message");
  }
  return string_or(body, "message");
}

std::string error_message(core::json_view::value body) {
  if (auto e = body.member("error")) {
    if (e.is_string()) {
      return std::string(e.str());
    }
    return core::json_view::string_or(e, "message");
  }
  return core::json_view::string_or(body, "message");
}

core::json_view::document& scratch_document() {
  return core::json_view::thread_scratch(core::json_view::scratch::provider);
}

}  // namespace interlingua::providers

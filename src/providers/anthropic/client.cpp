#include <interlingua/providers/anthropic.hpp>

#include <algorithm>
#include <cctype>

#include "../codec.hpp"

namespace interlingua::providers::anthropic {

namespace {

constexpr const char* api_version = "2023-06-01";

bool same_name(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string path(const core::upstream_target&, bool) {
  return "/messages";
}

void headers(const core::upstream_target& target, std::vector<core::http_header>& out) {
  if (!target.api_key.empty()) {
    out.push_back({"x-api-key", target.api_key});
  }
  // Configs may pin anthropic-version themselves: theirs wins, and the header is never sent twice.
  bool pinned = std::any_of(
      target.extra_headers.begin(), target.extra_headers.end(),
      [](const core::http_header& h) { return same_name(h.name, "anthropic-version"); });
  if (!pinned) {
    out.push_back({"anthropic-version", api_version});
  }
}

const wire messages{&encode_body,         &path,        &headers, &decode_reply,
                    &make_stream_decoder, &decode_error};

}  // namespace

std::unique_ptr<core::provider_codec> make_codec() {
  return providers::make_codec(messages);
}

}  // namespace interlingua::providers::anthropic

#include <interlingua/service/gateway.hpp>

#include <interlingua/providers/anthropic.hpp>
#include <interlingua/providers/gemini.hpp>
#include <interlingua/providers/openai_chat.hpp>

namespace interlingua::service {

namespace {

std::shared_ptr<const core::provider_codec> codec_for(config::provider_kind kind) {
  switch (kind) {
    case config::provider_kind::openai_chat:
      return providers::openai_chat::make_codec();
    case config::provider_kind::anthropic:
      return providers::anthropic::make_codec();
    case config::provider_kind::gemini:
      return providers::gemini::make_codec();
  }
  return nullptr;
}

const char* kind_name(config::provider_kind kind) {
  switch (kind) {
    case config::provider_kind::openai_chat:
      return "openai_chat";
    case config::provider_kind::anthropic:
      return "anthropic";
    case config::provider_kind::gemini:
      return "gemini";
  }
  return "?";
}

}  // namespace

std::vector<provider_shared> make_providers(const config::settings& s, std::string& error) {
  std::vector<provider_shared> out;
  for (const auto& p : s.providers) {
    auto url = config::parse_base_url(p.base_url);
    if (!url) {
      error = "provider " + p.name + ": invalid base_url";
      return {};
    }
    provider_shared shared;
    shared.cfg = &p;
    shared.codec = codec_for(p.kind);
    if (!shared.codec) {
      error = "provider " + p.name + ": kind " + kind_name(p.kind) + " is not implemented yet";
      return {};
    }
    if (url->tls) {
      shared.tls = net::make_client_tls_context(p.ca_file, error);
      if (!shared.tls) {
        error = "provider " + p.name + ": " + error;
        return {};
      }
    }
    shared.endpoint = net::endpoint{url->host, url->port, url->tls};
    shared.base_path = url->path_prefix;
    shared.host_header = url->authority();
    out.push_back(std::move(shared));
  }
  return out;
}

}  // namespace interlingua::service

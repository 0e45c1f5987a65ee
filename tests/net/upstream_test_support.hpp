#pragma once

// What the upstream transport tests share: trusting the fake provider's CA in a client TLS
// context, and the OpenAI chat request they send it.

#include <csignal>
#include <memory>
#include <string>

#include <boost/beast/http/string_body.hpp>

#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <interlingua/net/upstream.hpp>

#include "fake_provider.hpp"

namespace interlingua::testing {

// A client context as the gateway makes it, trusting the fake's CA besides the system store.
// Also ignores SIGPIPE in the test process, as app::application does in the gateway's
// (net/tls_stream.hpp): OpenSSL's writes to a reset connection would end it.
inline std::shared_ptr<boost::asio::ssl::context> trusting_context(const fake::tls_material& m) {
  std::signal(SIGPIPE, SIG_IGN);
  std::string error;
  auto tls = net::make_client_tls_context("", error);
  BIO* bio = BIO_new_mem_buf(m.ca_pem.data(), static_cast<int>(m.ca_pem.size()));
  X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(tls->native_handle()), ca);
  X509_free(ca);
  BIO_free(bio);
  return tls;
}

// POST /v1/chat/completions with a one-message conversation, streamed or not.
inline boost::beast::http::request<boost::beast::http::string_body> chat_request(bool stream) {
  namespace http = boost::beast::http;
  http::request<http::string_body> req{http::verb::post, "/v1/chat/completions", 11};
  req.set(http::field::host, "localhost");
  req.set(http::field::content_type, "application/json");
  req.body() = stream ? R"({"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]})"
                      : R"({"model":"m","messages":[{"role":"user","content":"hi there"}]})";
  return req;
}

}  // namespace interlingua::testing

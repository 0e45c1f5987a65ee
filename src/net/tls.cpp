#include <interlingua/net/upstream.hpp>

#include <openssl/ssl.h>
#include <boost/asio/ssl/error.hpp>

namespace interlingua::net {

std::shared_ptr<asio::ssl::context> make_client_tls_context(const std::string& ca_file,
                                                            std::string& error) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression);
  ctx->set_verify_mode(asio::ssl::verify_peer);
  boost::system::error_code ec;
  ctx->set_default_verify_paths(ec);
  if (ec) {
    error = "cannot load the system trust store: " + ec.message();
    return nullptr;
  }
  if (!ca_file.empty()) {
    ctx->load_verify_file(ca_file, ec);
    if (ec) {
      error = "cannot load CA file " + ca_file + ": " + ec.message();
      return nullptr;
    }
  }
  return ctx;
}

std::string failure::describe() const {
  std::string what;
  switch (stage) {
    case failure_stage::connect:
      what = "connecting to upstream";
      break;
    case failure_stage::tls:
      what = "TLS handshake with upstream";
      break;
    case failure_stage::write:
      what = "sending the request upstream";
      break;
    case failure_stage::first_byte:
      what = "waiting for the upstream's response";
      break;
    case failure_stage::body:
      what = "reading the upstream's response";
      break;
  }
  if (timed_out) {
    return what + " timed out";
  }
  std::string reason = ec.message();
  // OpenSSL's verify failures come through as a category message; name it plainly.
  if (ec.category() == asio::error::get_ssl_category()) {
    reason = "TLS error: " + reason;
  }
  return what + " failed: " + reason;
}

}  // namespace interlingua::net

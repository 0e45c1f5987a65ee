#include "pki.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <unistd.h>
#include <filesystem>
#include <memory>

namespace interlingua::fake {
namespace {

struct x509_free_fn {
  void operator()(X509* x) const { X509_free(x); }
};
using x509_ptr = std::unique_ptr<X509, x509_free_fn>;

x509_ptr parse_cert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  x509_ptr cert{PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)};
  BIO_free(bio);
  return cert;
}

// X509_verify_cert with `ca` as the only trust anchor, checking the TLS server purpose too.
bool verifies(const std::string& leaf_pem, const std::string& ca_pem) {
  const x509_ptr leaf = parse_cert(leaf_pem);
  const x509_ptr ca = parse_cert(ca_pem);
  if (!leaf || !ca) {
    return false;
  }
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca.get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf.get(), nullptr);
  X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
  const bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return ok;
}

// Tests trust exactly the generated CA; a leaf that failed to chain would break every TLS test.
TEST(pki, leaf_verifies_against_its_ca_only) {
  const tls_material a = make_tls_material({"localhost", "127.0.0.1"});
  const tls_material b = make_tls_material({"localhost"});
  EXPECT_TRUE(verifies(a.cert_pem, a.ca_pem));
  EXPECT_FALSE(verifies(a.cert_pem, b.ca_pem));
  EXPECT_FALSE(verifies(b.cert_pem, a.ca_pem));
}

// Clients match the URL host against SANs (not CN), for names and IP literals alike.
TEST(pki, san_holds_dns_names_and_ip_addresses) {
  const tls_material m = make_tls_material({"localhost", "127.0.0.1", "::1", "fake.test"});
  const x509_ptr leaf = parse_cert(m.cert_pem);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(X509_check_host(leaf.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(leaf.get(), "fake.test", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_host(leaf.get(), "other.test", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "::1", 0), 1);
  EXPECT_NE(X509_check_ip_asc(leaf.get(), "10.0.0.1", 0), 1);
}

// The leaf must not be usable as a CA, or a leaked test key could mint certificates.
TEST(pki, ca_flags_are_right) {
  const tls_material m = make_tls_material({"localhost"});
  const x509_ptr ca = parse_cert(m.ca_pem);
  const x509_ptr leaf = parse_cert(m.cert_pem);
  ASSERT_TRUE(ca && leaf);
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_EQ(X509_check_ca(leaf.get()), 0);
  EXPECT_NE(m.key_pem.find("PRIVATE KEY"), std::string::npos);
}

// fake_provider --tls-dir reuses files across restarts, so the round trip must be exact.
TEST(pki, write_then_read_round_trips) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("il_pki_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  EXPECT_FALSE(read_tls_material(dir).has_value());
  const tls_material m = make_tls_material({"localhost"});
  write_tls_material(m, dir / "nested");
  const auto back = read_tls_material(dir / "nested");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->ca_pem, m.ca_pem);
  EXPECT_EQ(back->cert_pem, m.cert_pem);
  EXPECT_EQ(back->key_pem, m.key_pem);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace interlingua::fake

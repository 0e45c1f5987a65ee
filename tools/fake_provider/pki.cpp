#include "pki.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace interlingua::fake {
namespace {

template <auto fn>
struct deleter {
  template <class T>
  void operator()(T* p) const {
    fn(p);
  }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO_free>>;
using ext_ptr = std::unique_ptr<X509_EXTENSION, deleter<X509_EXTENSION_free>>;
using names_ptr = std::unique_ptr<GENERAL_NAMES, deleter<GENERAL_NAMES_free>>;
using bn_ptr = std::unique_ptr<BIGNUM, deleter<BN_free>>;

constexpr long one_hour = 3600;
constexpr long seven_days = 7 * 24 * one_hour;

// Includes OpenSSL's own reason so a failure in CI says more than "it failed".
[[noreturn]] void fail(const std::string& what) {
  const unsigned long code = ERR_get_error();
  std::string reason = "unknown error";
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    reason = buf;
  }
  ERR_clear_error();
  throw std::runtime_error("pki: " + what + ": " + reason);
}

void check(bool ok, const char* what) {
  if (!ok) {
    fail(what);
  }
}

pkey_ptr make_key() {
  pkey_ptr key{EVP_EC_gen("P-256")};
  check(key != nullptr, "EC key generation");
  return key;
}

// Random 63-bit serials: clients cache by issuer+serial, so reruns must not collide.
void set_random_serial(X509* cert) {
  bn_ptr bn{BN_new()};
  check(bn != nullptr && BN_rand(bn.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1, "serial");
  check(BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr, "serial");
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ext_ptr ext{X509V3_EXT_conf_nid(nullptr, &ctx, nid, value)};
  check(ext != nullptr && X509_add_ext(cert, ext.get(), -1) == 1, "certificate extension");
}

// Built as a GENERAL_NAMES structure rather than a config string so names need no escaping.
void add_san(X509* cert, const std::vector<std::string>& names) {
  names_ptr sans{sk_GENERAL_NAME_new_null()};
  check(sans != nullptr, "subjectAltName");
  for (const auto& name : names) {
    GENERAL_NAME* gn = GENERAL_NAME_new();
    check(gn != nullptr, "subjectAltName entry");
    if (ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.c_str())) {
      GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
    } else {
      ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
      const bool ok =
          dns != nullptr && ASN1_STRING_set(dns, name.data(), static_cast<int>(name.size())) == 1;
      GENERAL_NAME_set0_value(gn, GEN_DNS, dns);
      if (!ok) {
        GENERAL_NAME_free(gn);
        fail("subjectAltName DNS entry");
      }
    }
    if (sk_GENERAL_NAME_push(sans.get(), gn) == 0) {
      GENERAL_NAME_free(gn);
      fail("subjectAltName push");
    }
  }
  check(X509_add1_ext_i2d(cert, NID_subject_alt_name, sans.get(), 0, 0) == 1, "subjectAltName");
}

x509_ptr new_cert(EVP_PKEY* key, const std::string& common_name) {
  x509_ptr cert{X509_new()};
  check(cert != nullptr && X509_set_version(cert.get(), X509_VERSION_3) == 1, "certificate");
  set_random_serial(cert.get());
  check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -one_hour) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), seven_days) != nullptr, "notAfter");
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const auto* cn = reinterpret_cast<const unsigned char*>(common_name.c_str());
  check(X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("interlingua test"), -1,
                                   -1, 0) == 1,
        "subject");
  check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, cn, -1, -1, 0) == 1, "subject");
  check(X509_set_pubkey(cert.get(), key) == 1, "public key");
  return cert;
}

std::string to_pem(X509* cert) {
  bio_ptr bio{BIO_new(BIO_s_mem())};
  check(bio != nullptr && PEM_write_bio_X509(bio.get(), cert) == 1, "PEM encode certificate");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string to_pem(EVP_PKEY* key) {
  bio_ptr bio{BIO_new(BIO_s_mem())};
  check(bio != nullptr &&
            PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM encode key");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

x509_ptr make_ca(EVP_PKEY* ca_key) {
  x509_ptr ca = new_cert(ca_key, "interlingua test CA");
  check(X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get())) == 1, "CA issuer");
  add_ext(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_ext(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  check(X509_sign(ca.get(), ca_key, EVP_sha256()) > 0, "CA signature");
  return ca;
}

x509_ptr make_leaf(EVP_PKEY* leaf_key, X509* ca, EVP_PKEY* ca_key,
                   const std::vector<std::string>& names) {
  x509_ptr leaf = new_cert(leaf_key, names.empty() ? std::string("localhost") : names.front());
  check(X509_set_issuer_name(leaf.get(), X509_get_subject_name(ca)) == 1, "leaf issuer");
  add_ext(leaf.get(), ca, NID_basic_constraints, "critical,CA:FALSE");
  add_ext(leaf.get(), ca, NID_key_usage, "critical,digitalSignature");
  add_ext(leaf.get(), ca, NID_ext_key_usage, "serverAuth");
  add_ext(leaf.get(), ca, NID_subject_key_identifier, "hash");
  add_ext(leaf.get(), ca, NID_authority_key_identifier, "keyid:always");
  if (!names.empty()) {
    add_san(leaf.get(), names);
  }
  check(X509_sign(leaf.get(), ca_key, EVP_sha256()) > 0, "leaf signature");
  return leaf;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    throw std::runtime_error("pki: cannot write " + path.string());
  }
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

tls_material make_tls_material(const std::vector<std::string>& names) {
  const pkey_ptr ca_key = make_key();
  const pkey_ptr leaf_key = make_key();
  const x509_ptr ca = make_ca(ca_key.get());
  const x509_ptr leaf = make_leaf(leaf_key.get(), ca.get(), ca_key.get(), names);
  return tls_material{to_pem(ca.get()), to_pem(leaf.get()), to_pem(leaf_key.get())};
}

void write_tls_material(const tls_material& material, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  write_file(dir / "ca.pem", material.ca_pem);
  write_file(dir / "cert.pem", material.cert_pem);
  write_file(dir / "key.pem", material.key_pem);
  // Private key stays private even in a shared /tmp; failure to chmod is not worth failing for.
  std::error_code ignored;
  std::filesystem::permissions(
      dir / "key.pem", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      ignored);
}

std::optional<tls_material> read_tls_material(const std::filesystem::path& dir) {
  auto ca = read_file(dir / "ca.pem");
  auto cert = read_file(dir / "cert.pem");
  auto key = read_file(dir / "key.pem");
  if (!ca || !cert || !key) {
    return std::nullopt;
  }
  return tls_material{std::move(*ca), std::move(*cert), std::move(*key)};
}

}  // namespace interlingua::fake

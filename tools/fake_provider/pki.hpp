#pragma once

// Throw-away test PKI: a self-signed CA and a server certificate it signed, all in memory.
// Lets tests and the fake provider use real, verified TLS without the openssl CLI or
// checked-in keys that would expire.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace interlingua::fake {

struct tls_material {
  std::string ca_pem;    // CA certificate: what a client must trust
  std::string cert_pem;  // server certificate, signed by the CA
  std::string key_pem;   // server private key (PKCS#8, unencrypted)
};

// A fresh self-signed CA (EC P-256) and a server certificate signed by it whose
// subjectAltName holds `names` (DNS names; entries that parse as IPv4/IPv6 become IP SANs).
// Validity: now-1h .. now+7d. Throws std::runtime_error on OpenSSL failure.
tls_material make_tls_material(const std::vector<std::string>& names);

// Writes ca.pem, cert.pem, key.pem into dir (creating it). Throws std::runtime_error on I/O
// failure.
void write_tls_material(const tls_material& material, const std::filesystem::path& dir);

// Reads ca.pem, cert.pem, key.pem from dir; nullopt when any of them is missing or unreadable.
std::optional<tls_material> read_tls_material(const std::filesystem::path& dir);

}  // namespace interlingua::fake

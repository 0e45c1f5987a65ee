// The provider table built at start-up: what its providers share.

#include <gtest/gtest.h>

#include <interlingua/config/config.hpp>
#include <interlingua/service/gateway.hpp>

namespace interlingua::service {
namespace {

config::provider_config provider(std::string name, std::string base_url, std::string ca_file = "") {
  config::provider_config p;
  p.name = std::move(name);
  p.base_url = std::move(base_url);
  p.ca_file = std::move(ca_file);
  p.allow_plain_http = true;
  return p;
}

// Every client TLS context loads the system trust store (about 0.7 MB parsed): providers that
// trust the same certificates share one, a provider with its own CA file has its own, and a
// plain-HTTP provider has none.
TEST(Providers, TlsProvidersTrustingTheSameShareOneContext) {
  config::settings s;
  s.providers.push_back(provider("openai", "https://api.openai.com/v1"));
  s.providers.push_back(provider("anthropic", "https://api.anthropic.com/v1"));
  s.providers.push_back(provider("local", "http://127.0.0.1:11434/v1"));
  // A self-signed CA of the tests' own (EC P-256, valid to 2126).
  s.providers.push_back(provider("private", "https://llm.internal/v1",
                                 std::string{IL_FIXTURES_DIR} + "/tls/test-ca.pem"));
  std::string error;
  const auto table = make_providers(s, error);
  ASSERT_EQ(table.size(), 4u) << error;
  ASSERT_TRUE(table[0].tls);
  EXPECT_EQ(table[0].tls, table[1].tls);
  EXPECT_FALSE(table[2].tls);
  ASSERT_TRUE(table[3].tls);
  EXPECT_NE(table[3].tls, table[0].tls);
}

// A CA file that cannot be read stops the start-up, naming the provider.
TEST(Providers, AnUnreadableCaFileIsAnErrorNamingTheProvider) {
  config::settings s;
  s.providers.push_back(provider("openai", "https://api.openai.com/v1"));
  s.providers.push_back(provider("private", "https://llm.internal/v1", "/nonexistent/ca.pem"));
  std::string error;
  EXPECT_TRUE(make_providers(s, error).empty());
  EXPECT_NE(error.find("provider private"), std::string::npos) << error;
}

}  // namespace
}  // namespace interlingua::service

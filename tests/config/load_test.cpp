// Loading as a whole: defaults, the full option set, the shipped example file, file errors.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "interlingua/config/config.hpp"

namespace cfg = interlingua::config;
using namespace std::chrono_literals;

namespace {

std::string fixture(const std::string& name) {
  return std::string{IL_FIXTURES_DIR} + "/config/" + name;
}

const std::string example_file = std::string{IL_FIXTURES_DIR} + "/../../config/interlingua.yaml";

// Sets (or unsets, with nullopt) an environment variable for one test, restoring it after.
class scoped_env {
 public:
  scoped_env(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) {
      old_ = old;
    }
    set(value);
  }
  ~scoped_env() { set(old_); }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  void set(const std::optional<std::string>& value) {
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  std::string name_;
  std::optional<std::string> old_;
};

cfg::settings load_ok(const cfg::load_result& r) {
  EXPECT_FALSE(r.error.has_value()) << (r.error ? r.error->to_string() : "");
  return r.value.value_or(cfg::settings{});
}

}  // namespace

// No file content at all must give a working gateway: the header's defaults plus one provider.
TEST(config_load, empty_input_gives_defaults) {
  for (const char* text : {"", "# only a comment\n", "\n\n"}) {
    const auto s = load_ok(cfg::load_string(text));
    EXPECT_EQ(s.listen.host, "127.0.0.1");
    EXPECT_EQ(s.listen.port, 8080);
    EXPECT_EQ(s.workers, 0u);
    EXPECT_EQ(s.limits.max_body_bytes, 32u * 1024 * 1024);
    EXPECT_EQ(s.timeouts.shutdown_grace, 10'000ms);
    EXPECT_TRUE(s.auth.keys.empty());
    ASSERT_EQ(s.providers.size(), 1u);
    EXPECT_EQ(s.providers[0].name, "openai");
    EXPECT_EQ(s.providers[0].kind, cfg::provider_kind::openai_chat);
    EXPECT_EQ(s.providers[0].base_url, "https://api.openai.com/v1");
    EXPECT_TRUE(s.providers[0].api_keys.empty());
    ASSERT_EQ(s.models.size(), 1u);
    EXPECT_EQ(s.models[0].match, "*");
    EXPECT_EQ(s.models[0].provider, "openai");
    EXPECT_EQ(s.logging.level, "info");
    EXPECT_TRUE(s.logging.access_log);
  }
}

// An empty section (`listen:` with nothing under it) means "all defaults", not an error.
TEST(config_load, empty_sections_are_defaults) {
  const auto s = load_ok(cfg::load_string("listen:\nlimits:\nproviders:\nmodels:\n"));
  EXPECT_EQ(s.listen.port, 8080);
  ASSERT_EQ(s.providers.size(), 1u);
  EXPECT_EQ(s.providers[0].name, "openai");
}

// Every key must reach its field; a table typo in the loader would silently drop a setting.
TEST(config_load, full_file_sets_every_field) {
  const auto s = load_ok(cfg::load_file(fixture("full.yaml")));
  EXPECT_EQ(s.listen.host, "0.0.0.0");
  EXPECT_EQ(s.listen.port, 9090);
  EXPECT_EQ(s.workers, 8u);
  EXPECT_EQ(s.limits.max_header_bytes, 8192u);
  EXPECT_EQ(s.limits.max_body_bytes, 1048576u);
  EXPECT_EQ(s.limits.max_connections, 500u);
  EXPECT_EQ(s.limits.max_sse_event_bytes, 65536u);
  EXPECT_EQ(s.timeouts.read, 1000ms);
  EXPECT_EQ(s.timeouts.write, 2000ms);
  EXPECT_EQ(s.timeouts.idle, 3000ms);
  EXPECT_EQ(s.timeouts.shutdown_grace, 4000ms);
  EXPECT_EQ(s.auth.keys, (std::vector<std::string>{"gw-key-1", "gw-key-2"}));
  EXPECT_EQ(s.logging.level, "debug");
  EXPECT_FALSE(s.logging.access_log);
  EXPECT_EQ(s.store.path, "/var/lib/interlingua/test.db");
  EXPECT_EQ(s.store.threads, 3u);
  EXPECT_EQ(s.store.retention_hours, 48u);
  EXPECT_EQ(s.store.max_mb, 512u);
  EXPECT_EQ(s.store.sweep_interval, 30000ms);
}

// Providers keep file order (the first one is the default route's target) and all their fields.
TEST(config_load, full_file_providers_and_routes) {
  const auto s = load_ok(cfg::load_file(fixture("full.yaml")));
  ASSERT_EQ(s.providers.size(), 3u);
  const auto& local = s.providers[0];
  EXPECT_EQ(local.name, "local");
  EXPECT_EQ(local.base_url, "http://127.0.0.1:11434/v1/");
  EXPECT_TRUE(local.allow_plain_http);
  EXPECT_EQ(local.pool_size, 2u);
  EXPECT_EQ(local.pool_idle, 5000ms);
  EXPECT_EQ(local.timeouts.connect, 100ms);
  EXPECT_EQ(local.timeouts.tls_handshake, 200ms);
  EXPECT_EQ(local.timeouts.first_byte, 300ms);
  EXPECT_EQ(local.timeouts.idle_gap, 400ms);
  EXPECT_EQ(local.timeouts.total, 500ms);
  EXPECT_EQ(s.providers[1].kind, cfg::provider_kind::anthropic);
  EXPECT_EQ(s.providers[1].api_keys, (std::vector<std::string>{"key-a", "key-b"}));
  EXPECT_EQ(s.providers[1].headers.at("anthropic-version"), "2023-06-01");
  EXPECT_FALSE(s.providers[1].tls_session_reuse);
  EXPECT_TRUE(s.providers[2].tls_session_reuse);  // the default
  EXPECT_EQ(s.providers[2].kind, cfg::provider_kind::gemini);
  EXPECT_EQ(s.providers[2].api_keys, (std::vector<std::string>{"key-g"}));
  ASSERT_EQ(s.models.size(), 3u);
  EXPECT_EQ(s.models[0].upstream_model, "llama3:8b");
  EXPECT_EQ(s.models[1].match, "claude/*");
  ASSERT_EQ(s.models[1].fallbacks.size(), 2u);
  EXPECT_EQ(s.models[1].fallbacks[0].provider, "gem");
  EXPECT_EQ(s.models[1].fallbacks[0].upstream_model, "gemini-2.5-flash");
  EXPECT_EQ(s.models[1].fallbacks[1].provider, "local");
  EXPECT_EQ(s.models[1].fallbacks[1].upstream_model, "");
  EXPECT_EQ(local.retry.attempts, 4u);
  EXPECT_EQ(local.retry.backoff, 50ms);
  EXPECT_EQ(local.retry.max_backoff, 800ms);
  EXPECT_EQ(local.retry.max_retry_after, 3000ms);
  EXPECT_EQ(s.providers[1].retry.attempts, 2u);  // the default
  EXPECT_EQ(s.models[2].provider, "gem");
  ASSERT_NE(s.find_provider("claude"), nullptr);
  EXPECT_EQ(s.find_provider("claude")->name, "claude");
  EXPECT_EQ(s.find_provider("nope"), nullptr);
}

// Without `models:` everything routes to the first provider in file order, not a sorted one.
TEST(config_load, default_route_targets_first_provider) {
  const auto s = load_ok(cfg::load_file(fixture("providers_only.yaml")));
  ASSERT_EQ(s.providers.size(), 2u);
  EXPECT_EQ(s.providers[0].name, "zeta");
  ASSERT_EQ(s.models.size(), 1u);
  EXPECT_EQ(s.models[0].match, "*");
  EXPECT_EQ(s.models[0].provider, "zeta");
}

// The README runs the gateway with this file and no environment: it must load as is.
TEST(config_load, example_file_loads_without_env) {
  scoped_env port{"INTERLINGUA_PORT", std::nullopt};
  scoped_env url{"INTERLINGUA_OPENAI_BASE_URL", std::nullopt};
  scoped_env key{"OPENAI_API_KEY", std::nullopt};
  scoped_env ca{"INTERLINGUA_OPENAI_CA_FILE", std::nullopt};
  scoped_env anthropic_url{"INTERLINGUA_ANTHROPIC_BASE_URL", std::nullopt};
  scoped_env gemini_url{"INTERLINGUA_GEMINI_BASE_URL", std::nullopt};
  const auto s = load_ok(cfg::load_file(example_file));
  EXPECT_EQ(s.listen.host, "127.0.0.1");
  EXPECT_EQ(s.listen.port, 8080);
  ASSERT_NE(s.find_provider("openai"), nullptr);
  const auto& openai = *s.find_provider("openai");
  EXPECT_EQ(openai.base_url, "https://api.openai.com/v1");
  EXPECT_TRUE(openai.api_keys.empty());
  EXPECT_TRUE(openai.ca_file.empty());
  EXPECT_FALSE(openai.allow_plain_http);
  EXPECT_TRUE(openai.tls_session_reuse);
  EXPECT_TRUE(s.auth.keys.empty());
  // Provider-prefixed ids and model families route to their provider; the rest to OpenAI.
  ASSERT_EQ(s.models.size(), 6u);
  EXPECT_EQ(s.models[0].match, "anthropic/*");
  EXPECT_EQ(s.models[0].provider, "anthropic");
  EXPECT_EQ(s.models[3].provider, "gemini");
  EXPECT_EQ(s.models.back().match, "*");
  EXPECT_EQ(s.models.back().provider, "openai");
  ASSERT_NE(s.find_provider("anthropic"), nullptr);
  EXPECT_EQ(s.find_provider("anthropic")->base_url, "https://api.anthropic.com/v1");
  ASSERT_NE(s.find_provider("gemini"), nullptr);
  EXPECT_EQ(s.find_provider("gemini")->kind, cfg::provider_kind::gemini);
  // The example documents the defaults, so it must agree with them.
  const cfg::settings defaults;
  EXPECT_EQ(s.limits.max_body_bytes, defaults.limits.max_body_bytes);
  EXPECT_EQ(s.timeouts.idle, defaults.timeouts.idle);
  EXPECT_EQ(openai.pool_size, cfg::provider_config{}.pool_size);
  EXPECT_EQ(openai.timeouts.total, cfg::upstream_timeouts{}.total);
}

// The e2e setup points the example at a local TLS fake provider purely through env vars.
TEST(config_load, example_file_loads_with_env) {
  const auto ca_path = std::filesystem::temp_directory_path() / "il_config_test_ca.pem";
  std::ofstream{ca_path} << "not checked by the loader, only opened\n";
  scoped_env port{"INTERLINGUA_PORT", "18080"};
  scoped_env url{"INTERLINGUA_OPENAI_BASE_URL", "https://127.0.0.1:8443/v1"};
  scoped_env key{"OPENAI_API_KEY", "sk-test"};
  scoped_env ca{"INTERLINGUA_OPENAI_CA_FILE", ca_path.string()};
  const auto s = load_ok(cfg::load_file(example_file));
  EXPECT_EQ(s.listen.port, 18080);
  ASSERT_NE(s.find_provider("openai"), nullptr);
  const auto& openai = *s.find_provider("openai");
  EXPECT_EQ(openai.base_url, "https://127.0.0.1:8443/v1");
  EXPECT_EQ(openai.api_keys, (std::vector<std::string>{"sk-test"}));
  EXPECT_EQ(openai.ca_file, ca_path.string());
  std::filesystem::remove(ca_path);
}

// A wrong path must say so rather than fall back to defaults.
TEST(config_load, missing_file_cannot_open) {
  const auto r = cfg::load_file(fixture("does_not_exist.yaml"));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_FALSE(r.value.has_value());
  EXPECT_NE(r.error->reason.find("cannot open"), std::string::npos) << r.error->reason;
  EXPECT_EQ(r.error->line, 0);
  EXPECT_EQ(r.error->file, fixture("does_not_exist.yaml"));
  EXPECT_TRUE(cfg::load_file(IL_FIXTURES_DIR).error.has_value());  // a directory
}

// YAML syntax errors carry yaml-cpp's line so the user can find them.
TEST(config_load, syntax_error_has_line) {
  const auto r = cfg::load_file(fixture("syntax_error.yaml"));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->line, 5) << r.error->to_string();
  EXPECT_NE(r.error->reason.find("invalid YAML"), std::string::npos);
}

// A stray `---` would otherwise silently ignore the rest of the file.
TEST(config_load, second_document_is_an_error) {
  const auto r = cfg::load_string("listen:\n  port: 1\n---\nlisten:\n  port: 2\n");
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->line, 4);
}

// The document must be a mapping of sections.
TEST(config_load, top_level_must_be_mapping) {
  for (const char* text : {"just a string\n", "- a\n- b\n"}) {
    const auto r = cfg::load_string(text);
    ASSERT_TRUE(r.error.has_value()) << text;
    EXPECT_NE(r.error->reason.find("top level"), std::string::npos) << r.error->reason;
  }
}

// Log lines and CLI output rely on this exact shape.
TEST(config_load, error_to_string_format) {
  EXPECT_EQ((cfg::config_error{"a.yaml", 3, "bad"}).to_string(), "a.yaml:3: bad");
  EXPECT_EQ((cfg::config_error{"a.yaml", 0, "cannot open"}).to_string(), "a.yaml: cannot open");
}

// Logs print provider kinds with the same spelling the file uses.
TEST(config_load, provider_kind_names) {
  EXPECT_EQ(cfg::to_string(cfg::provider_kind::openai_chat), "openai_chat");
  EXPECT_EQ(cfg::to_string(cfg::provider_kind::anthropic), "anthropic");
  EXPECT_EQ(cfg::to_string(cfg::provider_kind::gemini), "gemini");
}

// `${VAR}` / `${VAR:-default}` / `$${` expansion in scalar values.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <optional>
#include <string>

#include "interlingua/config/config.hpp"

namespace cfg = interlingua::config;

namespace {

std::string fixture(const std::string& name) {
  return std::string{IL_FIXTURES_DIR} + "/config/" + name;
}

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

// The host field is a plain string that is easy to read back.
std::string host_after(const std::string& value) {
  const auto r = cfg::load_string("listen:\n  host: \"" + value + "\"\n");
  EXPECT_FALSE(r.error.has_value()) << (r.error ? r.error->to_string() : "");
  return r.value ? r.value->listen.host : "<error>";
}

}  // namespace

// The basic forms, including shell semantics for a set-but-empty variable with `:-`.
TEST(config_interpolate, variable_and_default) {
  scoped_env set{"IL_TEST_SET", "value"};
  scoped_env empty{"IL_TEST_EMPTY", ""};
  scoped_env unset{"IL_TEST_UNSET", std::nullopt};
  EXPECT_EQ(host_after("${IL_TEST_SET}"), "value");
  EXPECT_EQ(host_after("${IL_TEST_SET:-other}"), "value");
  EXPECT_EQ(host_after("${IL_TEST_UNSET:-fallback}"), "fallback");
  EXPECT_EQ(host_after("${IL_TEST_EMPTY:-fallback}"), "fallback");
  EXPECT_EQ(host_after("x${IL_TEST_EMPTY}y"), "xy");
  EXPECT_EQ(host_after("${IL_TEST_UNSET:-a:b/c}"), "a:b/c");
}

// Several references and surrounding text in one scalar ("Bearer ${A}-${B}").
TEST(config_interpolate, multiple_references) {
  scoped_env a{"IL_TEST_A", "one"};
  scoped_env b{"IL_TEST_B", "two"};
  EXPECT_EQ(host_after("Bearer ${IL_TEST_A}-${IL_TEST_B}!"), "Bearer one-two!");
  EXPECT_EQ(host_after("${IL_TEST_A}${IL_TEST_A}"), "oneone");
}

// `$${` is the escape for a literal `${`; a lone `$` needs no escape.
TEST(config_interpolate, dollar_escape) {
  scoped_env a{"IL_TEST_A", "one"};
  EXPECT_EQ(host_after("$${IL_TEST_A}"), "${IL_TEST_A}");
  EXPECT_EQ(host_after("cost $5 and $${x} and ${IL_TEST_A}"), "cost $5 and ${x} and one");
  EXPECT_EQ(host_after("$$"), "$$");
}

// Values from the environment are not expanded again: a secret containing "${" stays as is.
TEST(config_interpolate, single_pass) {
  scoped_env a{"IL_TEST_A", "${IL_TEST_B}"};
  scoped_env b{"IL_TEST_B", "leaked"};
  EXPECT_EQ(host_after("${IL_TEST_A}"), "${IL_TEST_B}");
}

// An unset variable without a default is an error naming the variable and its line.
TEST(config_interpolate, unset_variable_is_error_with_line) {
  scoped_env unset{"IL_TEST_SURELY_UNSET_HOST", std::nullopt};
  const auto r = cfg::load_file(fixture("unset_var.yaml"));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->line, 6);
  EXPECT_NE(r.error->reason.find("IL_TEST_SURELY_UNSET_HOST"), std::string::npos);
  EXPECT_NE(r.error->reason.find("providers.up.base_url"), std::string::npos);
}

// Broken references must not be passed through as literal text.
TEST(config_interpolate, malformed_references) {
  for (const char* value : {"${", "${IL_TEST_A", "${}", "${1ABC}", "${A-B}", "${A:B}"}) {
    const auto r = cfg::load_string(std::string{"listen:\n  host: \""} + value + "\"\n");
    ASSERT_TRUE(r.error.has_value()) << value;
    EXPECT_EQ(r.error->line, 2) << value;
  }
}

// Interpolation runs before type conversion, so numbers and booleans can come from env.
TEST(config_interpolate, before_type_conversion) {
  {
    scoped_env port{"IL_TEST_PORT", std::nullopt};
    const auto r = cfg::load_string("listen:\n  port: ${IL_TEST_PORT:-8181}\n");
    ASSERT_TRUE(r.value.has_value()) << r.error->to_string();
    EXPECT_EQ(r.value->listen.port, 8181);
  }
  scoped_env port{"IL_TEST_PORT", "abc"};
  const auto r = cfg::load_string("listen:\n  port: ${IL_TEST_PORT:-8181}\n");
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->line, 2);
  EXPECT_NE(r.error->reason.find("listen.port"), std::string::npos);
  EXPECT_NE(r.error->reason.find("\"abc\""), std::string::npos);
}

// Every kind of value in one file: numbers, lists (empty results dropped), urls, header values.
TEST(config_interpolate, everywhere_in_a_file) {
  scoped_env port{"IL_TEST_PORT", "7171"};
  scoped_env key_a{"IL_TEST_KEY_A", "ka"};
  scoped_env key_b{"IL_TEST_KEY_B", std::nullopt};
  scoped_env host{"IL_TEST_HOST", "up.example"};
  scoped_env uport{"IL_TEST_UPORT", "8443"};
  scoped_env plain{"IL_TEST_PLAIN", std::nullopt};
  const auto r = cfg::load_file(fixture("interpolation.yaml"));
  ASSERT_TRUE(r.value.has_value()) << r.error->to_string();
  const auto& s = *r.value;
  EXPECT_EQ(s.listen.port, 7171);
  EXPECT_EQ(s.auth.keys, (std::vector<std::string>{"ka", "${not_a_var}"}));
  ASSERT_EQ(s.providers.size(), 1u);
  EXPECT_EQ(s.providers[0].base_url, "https://up.example:8443/v1");
  EXPECT_FALSE(s.providers[0].allow_plain_http);
  EXPECT_EQ(s.providers[0].headers.at("authorization"), "Bearer ka-ka");
}

// An unset variable inside a list item points at the item's own line.
TEST(config_interpolate, unset_in_list_item_line) {
  scoped_env unset{"IL_TEST_UNSET", std::nullopt};
  const auto r = cfg::load_string("auth:\n  keys:\n    - fine\n    - ${IL_TEST_UNSET}\n");
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->line, 4);
  EXPECT_NE(r.error->reason.find("auth.keys[1]"), std::string::npos) << r.error->reason;
  EXPECT_NE(r.error->reason.find("IL_TEST_UNSET"), std::string::npos);
}

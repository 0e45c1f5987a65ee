#pragma once

// The real gateway, in-process on port 0, in front of the fake provider over verified TLS.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include <interlingua/app/application.hpp>
#include <interlingua/config/config.hpp>

#include "fake_provider.hpp"
#include "tests/test_client.hpp"

namespace interlingua::testing {

using fake::testing::reply;

struct gateway_options {
  static gateway_options with_env(std::string name, std::string value) {
    gateway_options o;
    o.env[std::move(name)] = std::move(value);
    return o;
  }
  std::map<std::string, std::string> env;  // extra ${VAR}s for the config template
  fake::tls_material trusted_ca;           // CA the gateway trusts; empty = the upstream's own
  std::vector<std::string> upstream_names{"localhost", "127.0.0.1"};
};

class gateway_harness {
 public:
  explicit gateway_harness(gateway_options opts = {}) {
    fake::options fo;
    fo.material = fake::make_tls_material(opts.upstream_names);
    upstream_ = std::make_unique<fake::server>(fo);
    dir_ = std::filesystem::temp_directory_path() /
           ("interlingua-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(dir_);
    auto ca = opts.trusted_ca.ca_pem.empty() ? fo.material : opts.trusted_ca;
    fake::write_tls_material(ca, dir_);
    opts.env["IL_TEST_UPSTREAM"] = "https://localhost:" + std::to_string(upstream_->port()) + "/v1";
    opts.env["IL_TEST_CA"] = (dir_ / "ca.pem").string();
    opts.env["IL_TEST_STORE"] = (dir_ / "interlingua.db").string();
    for (const auto& [k, v] : opts.env) {
      ::setenv(k.c_str(), v.c_str(), 1);
    }
    auto loaded = config::load_file(std::string(IL_FIXTURES_DIR) + "/integration/gateway.yaml");
    for (const auto& [k, v] : opts.env) {
      ::unsetenv(k.c_str());
    }
    if (loaded.error) {
      throw std::runtime_error(loaded.error->to_string());
    }
    app_ = std::make_unique<app::application>(std::move(*loaded.value));
    app_->start();
  }

  ~gateway_harness() {
    app_.reset();
    upstream_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  fake::server& upstream() { return *upstream_; }
  app::application& app() { return *app_; }
  std::uint16_t port() const { return app_->port(); }
  std::string store_path() const { return (dir_ / "interlingua.db").string(); }

  fake::testing::client_options client() const {
    fake::testing::client_options o;
    o.port = port();
    o.tls = false;
    o.host = "127.0.0.1";
    return o;
  }

  reply post(const std::string& path, const std::string& body,
             const fake::testing::header_list& headers = {{"content-type", "application/json"}}) {
    return fake::testing::fetch(client(), "POST", path, body, headers);
  }
  reply get(const std::string& path, const fake::testing::header_list& headers = {}) {
    return fake::testing::fetch(client(), "GET", path, {}, headers);
  }
  reply del(const std::string& path, const fake::testing::header_list& headers = {}) {
    return fake::testing::fetch(client(), "DELETE", path, {}, headers);
  }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::unique_ptr<fake::server> upstream_;
  std::unique_ptr<app::application> app_;
  std::filesystem::path dir_;
};

inline std::string fixture(const std::string& name) {
  std::ifstream in(std::string(IL_FIXTURES_DIR) + "/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// (event type, JSON payload or "[DONE]") for each SSE event of an Interactions stream.
inline std::vector<std::pair<std::string, nlohmann::json>> sse_events(const std::string& body) {
  std::vector<std::pair<std::string, nlohmann::json>> out;
  std::size_t at = 0;
  while (at < body.size()) {
    auto end = body.find("\n\n", at);
    if (end == std::string::npos) {
      ADD_FAILURE() << "unterminated event at " << at;
      break;
    }
    std::string block = body.substr(at, end - at);
    at = end + 2;
    auto nl = block.find('\n');
    std::string type = block.substr(7, nl - 7);
    std::string data = block.substr(nl + 7);
    out.emplace_back(type, data == "[DONE]" ? nlohmann::json("[DONE]")
                                            : nlohmann::json::parse(data, nullptr, false));
  }
  return out;
}

}  // namespace interlingua::testing

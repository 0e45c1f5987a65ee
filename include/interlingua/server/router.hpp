#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <interlingua/server/exchange.hpp>

namespace interlingua::server {

// Routes by method and a path pattern whose `{name}` segments capture one path segment.
class router {
 public:
  struct match_result {
    const handler* target = nullptr;  // null: see `status`
    unsigned status = 404;            // 404 unknown path, 405 known path with another method
    std::string pattern;
    std::vector<std::string> params;
  };

  void add(http::verb method, std::string pattern, handler h);
  match_result match(http::verb method, std::string_view path) const;
  // Keeps per-worker objects the handlers refer to alive as long as the router.
  void hold(std::shared_ptr<void> state) { held_.push_back(std::move(state)); }
  // Runs when the worker stops, while its io_context still exists (e.g. to close pools).
  void on_stop(std::function<void()> f) { on_stop_.push_back(std::move(f)); }
  void stop() {
    for (auto& f : on_stop_) {
      f();
    }
  }
  // Runs on the worker's thread at each quiet-time trim, inside a core::startup_arena_scope: for
  // what a worker's objects keep past a burst (an upstream's kept TLS session) to move into
  // start-up memory, out of the burst's slabs.
  void on_quiet(std::function<void()> f) { on_quiet_.push_back(std::move(f)); }
  void quiet() {
    for (auto& f : on_quiet_) {
      f();
    }
  }

 private:
  struct route {
    http::verb method;
    std::string pattern;
    std::vector<std::string> segments;
    handler target;
  };
  std::vector<route> routes_;
  std::vector<std::shared_ptr<void>> held_;
  std::vector<std::function<void()>> on_stop_;
  std::vector<std::function<void()>> on_quiet_;
};

}  // namespace interlingua::server

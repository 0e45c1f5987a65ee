#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <interlingua/server/router.hpp>
#include <interlingua/service/gateway.hpp>
#include <interlingua/store/async.hpp>

namespace interlingua::dialects::interactions {

class run_state;

// The background interactions in flight (`background: true`), shared by every worker: a run
// executes on the worker that accepted it; GET ?stream=true and cancel reach it from any worker.
class background_runs {
 public:
  background_runs();
  ~background_runs();

  // Registers a run; null once stop_all() closed the registry (the gateway is shutting down).
  std::shared_ptr<run_state> start(const std::string& id, boost::asio::any_io_executor executor,
                                   bool thought_summaries);
  std::shared_ptr<run_state> find(const std::string& id) const;
  void remove(const std::string& id);
  std::size_t size() const;

  // Shutdown: refuses new runs and stops every running one, which then records itself as
  // failed with `reason`. wait_idle blocks until all have recorded that, or the time is up.
  void stop_all(const std::string& reason);
  bool wait_idle(std::chrono::milliseconds limit);

 private:
  mutable std::mutex mutex_;
  std::condition_variable idle_;
  std::map<std::string, std::shared_ptr<run_state>> runs_;
  bool closed_ = false;
};

// POST/GET/DELETE/cancel under /v3/compat/{v1beta,v1} and /{v1beta,v1}.
void add_routes(server::router& r, service::gateway& g, store::async_interactions& st,
                background_runs& runs);

}  // namespace interlingua::dialects::interactions

#include <interlingua/app/application.hpp>

#include <csignal>
#include <stdexcept>
#include <thread>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <interlingua/core/arena.hpp>
#include <interlingua/dialects/interactions_routes.hpp>
#include <interlingua/dialects/sessions_routes.hpp>
#include <interlingua/server/memory.hpp>
#include <interlingua/server/pool_threads.hpp>
#include <interlingua/server/reactor_pool.hpp>
#include <interlingua/service/metrics.hpp>
#include <interlingua/store/async.hpp>

namespace interlingua::app {

namespace {

unsigned worker_count(unsigned configured) {
  if (configured > 0) {
    return configured;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

server::options server_options(const config::settings& s) {
  server::options o;
  o.host = s.listen.host;
  o.port = s.listen.port;
  o.workers = worker_count(s.workers);
  o.max_header_bytes = s.limits.max_header_bytes;
  o.max_body_bytes = s.limits.max_body_bytes;
  o.max_connections = s.limits.max_connections;
  o.read_timeout = s.timeouts.read;
  o.write_timeout = s.timeouts.write;
  o.idle_timeout = s.timeouts.idle;
  o.keys = s.auth.keys;
  o.access_log = s.logging.access_log;
  return o;
}

// Interactions left in_progress by a previous process (killed, crashed) can never finish: they
// are failed now, with a reason, rather than polled forever.
void recover_runs(store::interaction_store& db) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  auto failed = db.fail_running(
      R"({"code":"upstream_unavailable","message":"the gateway restarted while the interaction was running"})",
      now);
  if (!failed) {
    throw std::runtime_error(failed.error().message);
  }
  if (*failed > 0) {
    spdlog::warn("store: {} interaction(s) left running by the previous process marked failed",
                 *failed);
  }
}

}  // namespace

application::application(config::settings s) : settings_(std::move(s)) {
  // OpenSSL writes to an upstream's socket itself, with write(): on a connection the upstream
  // has reset, that raises SIGPIPE, whose default action ends the process. Every other write
  // (Asio's) passes MSG_NOSIGNAL. Ignored, the write fails with EPIPE like any other.
  std::signal(SIGPIPE, SIG_IGN);
  std::string error;
  providers_ = service::make_providers(settings_, error);
  if (!error.empty()) {
    throw std::runtime_error(error);
  }
  auto db = store::open_sqlite(settings_.store.path, error);
  if (!db) {
    throw std::runtime_error(error);
  }
  recover_runs(*db);
  store_pool_ = std::make_unique<boost::asio::thread_pool>(settings_.store.threads);
  store::retention_policy retention{std::chrono::hours(settings_.store.retention_hours),
                                    static_cast<std::int64_t>(settings_.store.max_mb) * 1024 * 1024,
                                    settings_.store.sweep_interval};
  sweeper_ = std::make_unique<store::retention_sweeper>(db, *store_pool_, retention);
  auto session_db = store::open_sqlite_sessions(settings_.store.path, error);
  if (!session_db) {
    throw std::runtime_error(error);
  }
  // Both connections read the file's schema now, not under the first load (warm_up).
  db->warm_up();
  session_db->warm_up();
  auto options = server_options(settings_);
  // SQLite's page caches refill from the file: after load they need not keep their peak. The
  // store threads' allocator caches hold what their requests freed, and only they can flush them;
  // that holds every store thread for a moment, so only once no client is connected (a trim also
  // comes when a big peak halves, with requests still running).
  options.on_quiet = [this, interactions = db, sessions = session_db, pool = store_pool_.get(),
                      threads = settings_.store.threads] {
    interactions->release_memory();
    sessions->release_memory();
    if (server_->open_connections() == 0) {
      // The chat cache, filled on the store threads during the load, into start-up memory (it
      // holds the cache's lock while it copies: only with no client connected).
      {
        const core::startup_arena_scope long_lived;
        sessions_->rehome_cache();
      }
      // Asio's cached handler blocks first: the tasks' own blocks are among them. The scope
      // flushes the thread's allocator cache on entry and exit; within it, the session documents
      // parsed on a store thread (agent_of) move.
      server::run_on_each_thread(
          *pool, threads,
          [] {
            server::release_recycled_handler_memory();
            const core::startup_arena_scope long_lived;
            dialects::sessions::rehome_thread_caches();
          },
          std::chrono::milliseconds(100));
    }
  };
  options.on_worker_quiet = [] { dialects::sessions::rehome_thread_caches(); };
  interactions_ = std::make_unique<store::async_interactions>(std::move(db), *store_pool_);
  runs_ = std::make_unique<dialects::interactions::background_runs>();
  sessions_ = std::make_unique<store::async_sessions>(std::move(session_db), *store_pool_);
  server_ = std::make_unique<server::http_server>(
      std::move(options), [this](unsigned, boost::asio::io_context& io) {
        auto routes = std::make_shared<server::router>();
        // Idle upstream connections closed for their age leave memory to give back.
        auto gateway = std::make_shared<service::gateway>(
            io, settings_, providers_, [this](std::size_t) { server_->request_trim(); });
        dialects::interactions::add_routes(*routes, *gateway, *interactions_, *runs_);
        dialects::sessions::add_routes(*routes, *gateway, *sessions_);
        {
          std::lock_guard lock(gateways_mu_);
          gateways_.push_back(gateway.get());
        }
        // Prometheus text; behind the gateway keys like every API route.
        routes->add(boost::beast::http::verb::get, "/metrics",
                    [this](server::exchange& ex) -> boost::asio::awaitable<void> {
                      std::string body;
                      {
                        std::lock_guard lock(gateways_mu_);
                        body = service::render_metrics(settings_, gateways_);
                      }
                      std::string type = "text/plain; version=0.0.4";
                      co_await ex.respond(200, std::move(type), std::move(body));
                    });
        routes->hold(gateway);
        routes->on_stop([g = gateway.get()] { g->close_pools(); });
        routes->on_quiet([g = gateway.get()] { g->renew_kept_sessions(); });
        return routes;
      });
}

application::~application() {
  if (server_) {
    // Stopped runs record themselves within milliseconds; their store writes must land
    // before the workers' io_contexts go away.
    runs_->stop_all("the gateway shut down before the interaction finished");
    runs_->wait_idle(std::chrono::seconds(5));
    server_->shutdown(std::chrono::milliseconds(0));
  }
  if (sweeper_) {
    sweeper_->stop();
  }
  // Pending store calls finish before the store goes away.
  if (store_pool_) {
    store_pool_->join();
  }
}

void application::start() {
  server_->start();
  sweeper_->start();
}

bool application::shutdown(std::chrono::milliseconds grace) {
  auto deadline = std::chrono::steady_clock::now() + grace;
  // Background runs cannot outlive the process: each is stopped and records itself failed, so
  // nothing is left in_progress (a run that misses the deadline is failed at the next start).
  runs_->stop_all("the gateway shut down before the interaction finished");
  bool runs_done = runs_->wait_idle(grace);
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  bool drained = server_->shutdown(std::max(left, std::chrono::milliseconds(0)));
  return runs_done && drained;
}

namespace {

// %* in the pattern: the message as the inside of a JSON string.
class json_escaped_message final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr char hex[] = "0123456789abcdef";
    auto put = [&dest](std::string_view s) { dest.append(s.data(), s.data() + s.size()); };
    for (char c : msg.payload) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        dest.push_back('\\');
        dest.push_back(c);
      } else if (c == '\n') {
        put("\\n");
      } else if (c == '\r') {
        put("\\r");
      } else if (c == '\t') {
        put("\\t");
      } else if (u < 0x20) {
        const char esc[] = {'\\', 'u', '0', '0', hex[u >> 4], hex[u & 0xf]};
        put(std::string_view(esc, sizeof esc));
      } else {
        dest.push_back(c);
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<json_escaped_message>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> json_log_formatter() {
  auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  f->add_flag<json_escaped_message>('*').set_pattern(
      R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n","msg":"%*"})");
  return f;
}

void setup_logging(const config::logging_config& cfg) {
  auto level = spdlog::level::from_str(cfg.level);
  auto main = spdlog::stderr_logger_mt("interlingua");
  main->set_formatter(json_log_formatter());
  main->set_level(level);
  spdlog::set_default_logger(main);
  auto access = spdlog::stdout_logger_mt("access");
  access->set_pattern("%v");
  access->set_level(cfg.access_log ? spdlog::level::info : spdlog::level::off);
  // Access lines are for log shippers; flushing each keeps them timely under low traffic.
  access->flush_on(spdlog::level::info);
}

}  // namespace interlingua::app

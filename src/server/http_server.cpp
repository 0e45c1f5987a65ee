#include <interlingua/server/server.hpp>

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include <interlingua/core/arena.hpp>
#include <interlingua/core/json_view.hpp>
#include <interlingua/server/memory.hpp>
#include <interlingua/server/reactor_pool.hpp>

#include "connection_loop.hpp"

namespace interlingua::server {

namespace {

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

asio::ip::tcp::acceptor bind_acceptor(asio::io_context& io, const std::string& host,
                                      std::uint16_t port) {
  asio::ip::tcp::endpoint ep{asio::ip::make_address(host), port};
  asio::ip::tcp::acceptor acceptor{io};
  acceptor.open(ep.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.set_option(reuse_port(true));
  acceptor.bind(ep);
  acceptor.listen(asio::socket_base::max_listen_connections);
  return acceptor;
}

}  // namespace

http_server::http_server(options opts, router_factory factory)
    : opts_(std::move(opts)), factory_(std::move(factory)) {}

http_server::~http_server() {
  if (!stopped_ && !threads_.empty()) {
    shutdown(std::chrono::milliseconds(0));
  }
  // Here, not by member destruction: the connection coroutines destroyed with the workers'
  // io_contexts still count themselves out of connections_.
  workers_.clear();
}

// How long a worker waits after a failed accept before the next. The connection stays in the
// listen queue, so an accept that failed for want of a descriptor (EMFILE, ENFILE) or of memory
// would fail again at once: without a pause the worker spins and logs at full speed.
constexpr auto accept_retry_delay = std::chrono::milliseconds(100);

void accept_next(http_server::worker& w);

void accepted(http_server::worker& w, boost::system::error_code ec, asio::ip::tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !w.acceptor->is_open()) {
    return;  // closed for the drain
  }
  if (ec) {
    w.owner.count_accept_failure();
    if (!w.accept_failing) {
      // Keep serving the connections we have; the streak's end is logged too.
      spdlog::warn("accept failed: {}; retrying every {} ms", ec.message(),
                   accept_retry_delay.count());
      w.accept_failing = true;
    }
    w.accept_retry->expires_after(accept_retry_delay);
    w.accept_retry->async_wait(asio::bind_allocator(handler_allocator<char>(w.accept_memory),
                                                    [&w](boost::system::error_code wait_ec) {
                                                      if (!wait_ec) {
                                                        accept_next(w);
                                                      }
                                                    }));
    return;
  }
  if (w.accept_failing) {
    spdlog::warn("accepting connections again");
    w.accept_failing = false;
  }
  // Each SSE event is one small write: Nagle would hold it for the client's delayed ACK
  // (bench/RESULTS.md measured +23 ms to the first token without this).
  boost::system::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  w.owner.count_accept();
  asio::co_spawn(*w.io, serve_connection(w, std::move(socket)), asio::detached);
  accept_next(w);
}

// Accepts until the acceptor is closed (drain), one connection at a time; each connection is a
// coroutine of its own. Not a coroutine itself: its one pending operation lives in the worker's
// accept_memory (server/handler_memory.hpp), not in blocks taken anew at each accept.
void accept_next(http_server::worker& w) {
  if (!w.acceptor->is_open()) {
    return;
  }
  w.acceptor->async_accept(
      asio::bind_allocator(handler_allocator<char>(w.accept_memory),
                           [&w](boost::system::error_code ec, asio::ip::tcp::socket socket) {
                             accepted(w, ec, std::move(socket));
                           }));
}

void http_server::start() {
  unsigned n = std::max(1u, opts_.workers);
  for (unsigned i = 0; i < n; ++i) {
    auto w = std::make_unique<worker>(i, *this);
    // The first acceptor picks the port when 0 was asked for; the others share it.
    w->acceptor = bind_acceptor(*w->io, opts_.host, port_ != 0 ? port_ : opts_.port);
    port_ = w->acceptor->local_endpoint().port();
    w->routes = factory_(i, *w->io);
    workers_.push_back(std::move(w));
  }
  for (auto& w : workers_) {
    accept_next(*w);  // here on the start-up thread: the worker's thread has not begun
    threads_.emplace_back([io = w->io.get(), this] {
      {
        // What the thread keeps for its whole life goes into start-up memory, not among the
        // slabs its bursts will fill.
        const core::startup_arena_scope long_lived;
        core::json_view::release_thread_scratch();  // first touch: see the function
        if (opts_.on_worker_quiet) {
          opts_.on_worker_quiet();  // the same
        }
      }
      io->run();
    });
  }
  housekeeper_ = std::thread([this] { housekeeping(); });
}

// Once a second: give freed memory back when the load has dropped (trim_policy says when).
void http_server::housekeeping() {
  trim_policy trim;
  std::unique_lock lock(housekeeping_mutex_);
  while (!housekeeping_wake_.wait_for(lock, std::chrono::seconds(1),
                                      [this] { return housekeeping_stop_; })) {
    const bool freed = trim_requested_.exchange(false, std::memory_order_relaxed);
    if (trim.observe(open_connections(), accepted_connections(), freed)) {
      lock.unlock();
      if (opts_.on_quiet) {
        opts_.on_quiet();
      }
      const bool flushed = release_worker_memory();
      core::flush_thread_cache();  // what on_quiet freed on this thread (SQLite's pages)
      bool released = return_free_memory();
      if (flushed) {
        trims_.fetch_add(1, std::memory_order_relaxed);
      } else {
        request_trim();  // a late worker frees its share after this purge: purge again
      }
      spdlog::debug("connections dropped to {}: returned free memory to the system ({})",
                    open_connections(), released ? "some released" : "nothing to release");
      lock.lock();
    }
  }
}

// What the workers hold after load is given back on their own threads, so that the purge that
// follows finds their pages free:
// - blocks that live on after a burst and would each keep a slab of it resident: the thread's
//   scratch documents and Asio's cached handler blocks (the pending accept's live in the worker:
//   accept_next);
// - what outlives the burst on purpose, moved into start-up memory: the timer queue's heap, grown
//   to the burst's count of timers, the caches the routes keep per thread (on_worker_quiet), and
//   what each worker's routes keep (router::on_quiet: the upstream pools' kept TLS sessions);
// - the per-socket states Asio's reactor keeps for reuse (server/reactor_pool.hpp; two queue
//   rounds);
// - then the thread's allocator cache, which only its own thread can flush.
// The purge waits for them briefly: a worker busy with a burst may answer later, and then its
// cache waits for the next trim. True when every worker finished in time.
bool http_server::release_worker_memory() {
  struct pending {
    std::mutex m;
    std::condition_variable done;
    std::size_t left = 0;
  };
  auto p = std::make_shared<pending>();
  p->left = workers_.size();
  for (auto& w : workers_) {
    asio::post(*w->io, [this, wp = w.get()] {
      core::json_view::release_thread_scratch();
      {
        const core::startup_arena_scope long_lived;
        shrink_timer_heap(*wp->io);
        if (opts_.on_worker_quiet) {
          opts_.on_worker_quiet();
        }
        if (wp->routes) {
          wp->routes->quiet();
        }
      }
    });
    release_reactor_pool(*w->io, [this, p](std::size_t released) {
      reactor_states_released_.fetch_add(released, std::memory_order_relaxed);
      release_recycled_handler_memory();
      core::flush_thread_cache();
      std::lock_guard lock(p->m);
      if (--p->left == 0) {
        p->done.notify_one();
      }
    });
  }
  std::unique_lock lock(p->m);
  return p->done.wait_for(lock, std::chrono::milliseconds(100), [&] { return p->left == 0; });
}

void http_server::stop_housekeeping() {
  {
    std::lock_guard lock(housekeeping_mutex_);
    housekeeping_stop_ = true;
  }
  housekeeping_wake_.notify_all();
  if (housekeeper_.joinable()) {
    housekeeper_.join();
  }
}

bool http_server::shutdown(std::chrono::milliseconds grace) {
  if (stopped_) {
    return true;
  }
  draining_ = true;
  stop_housekeeping();
  for (auto& w : workers_) {
    asio::post(*w->io, [wp = w.get()] { wp->begin_drain(); });
  }
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (connections_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  bool clean = connections_.load() == 0;
  for (auto& w : workers_) {
    w->io->stop();
  }
  for (auto& t : threads_) {
    t.join();
  }
  threads_.clear();
  // The workers' io_contexts stay (stopped) until the server is destroyed: a store call still
  // running on the store pool hands its completion to its worker's executor when it finishes,
  // and the application joins that pool after this returns (ASan caught the completion of a
  // late store write touching a destroyed io_context).
  stopped_ = true;
  return clean;
}

}  // namespace interlingua::server

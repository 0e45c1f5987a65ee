#include <interlingua/server/pool_threads.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/post.hpp>

namespace interlingua::server {

unsigned run_on_each_thread(boost::asio::thread_pool& pool, unsigned threads,
                            const std::function<void()>& fn, std::chrono::milliseconds patience) {
  struct rendezvous {
    std::mutex m;
    std::condition_variable changed;
    unsigned arrived = 0;
    unsigned finished = 0;
    std::set<std::thread::id> ran_on;
    std::function<void()> fn;
  };
  auto r = std::make_shared<rendezvous>();
  r->fn = fn;
  for (unsigned i = 0; i < threads; ++i) {
    boost::asio::post(pool, [r, threads, patience] {
      {
        std::unique_lock lock(r->m);
        ++r->arrived;
        r->changed.notify_all();
        r->changed.wait_for(lock, patience, [&] { return r->arrived == threads; });
      }
      r->fn();
      std::lock_guard lock(r->m);
      r->ran_on.insert(std::this_thread::get_id());
      ++r->finished;
      r->changed.notify_all();
    });
  }
  // Each task waits at most `patience` for the others; allow the last one that long again.
  std::unique_lock lock(r->m);
  r->changed.wait_for(lock, 2 * patience + std::chrono::milliseconds(100),
                      [&] { return r->finished == threads; });
  return static_cast<unsigned>(r->ran_on.size());
}

}  // namespace interlingua::server

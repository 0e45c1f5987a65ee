// After load, the server flushes each store thread's allocator cache, which only that thread can
// do. A pool gives a posted task to any free thread; these tests hold run_on_each_thread to
// reaching every thread exactly once, and to returning when a thread is busy elsewhere.

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <interlingua/server/pool_threads.hpp>

namespace interlingua::server {
namespace {

using namespace std::chrono_literals;

TEST(PoolThreads, RunsOnceOnEveryThreadOfThePool) {
  constexpr unsigned threads = 4;
  boost::asio::thread_pool pool(threads);
  for (int round = 0; round < 20; ++round) {
    std::mutex m;
    std::multiset<std::thread::id> seen;
    unsigned ran = run_on_each_thread(
        pool, threads,
        [&] {
          std::lock_guard lock(m);
          seen.insert(std::this_thread::get_id());
        },
        2s);
    EXPECT_EQ(ran, threads);
    ASSERT_EQ(seen.size(), threads);
    for (const auto& id : seen) {
      EXPECT_EQ(seen.count(id), 1u) << "a thread ran it twice, so another never did";
    }
  }
  pool.join();
}

// One thread is held by other work: the call does not wait for that work. It returns after its
// patience, having reached the free thread, and no posted task is lost.
TEST(PoolThreads, AThreadBusyElsewhereIsLeftOutAfterThePatience) {
  boost::asio::thread_pool pool(2);
  std::promise<void> release;
  std::promise<void> busy;
  boost::asio::post(pool, [&, done = release.get_future().share()] {
    busy.set_value();
    done.wait();
  });
  busy.get_future().wait();
  std::atomic<int> calls{0};
  unsigned ran = run_on_each_thread(
      pool, 2, [&] { ++calls; }, 50ms);
  EXPECT_EQ(ran, 1u);
  release.set_value();
  pool.join();
  EXPECT_EQ(calls.load(), 2);
}

}  // namespace
}  // namespace interlingua::server

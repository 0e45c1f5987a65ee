// Asio's reactor keeps the state of every closed socket for reuse and never frees it: after
// 8,000 held streams that was 4.4 MB of pages no purge could return (bench/RESULTS.md). The
// server deletes those states when load drops. These tests hold the release to what makes it
// safe: it takes only the states of closed sockets, sockets opened afterwards work, and a state
// whose socket was closed while the reactor's event for it was still queued is deleted only
// after that event ran (under the sanitizer build, deleting it earlier is a use-after-free).

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <interlingua/server/reactor_pool.hpp>

namespace interlingua::server {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class ReactorPool : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!reactor_pool_supported()) {
      GTEST_SKIP() << "this Boost's reactor is not the one the release was checked against";
    }
  }
};

TEST_F(ReactorPool, ClosedSocketsStatesAreDeletedAndNewSocketsStillWork) {
  asio::io_context io(1);
  std::vector<tcp::socket> open;
  for (int i = 0; i < 40; ++i) {
    open.emplace_back(io).open(tcp::v4());
  }
  for (int i = 0; i < 32; ++i) {
    open[i].close();
  }
  reactor_pool_counts before = reactor_pool(io);
  EXPECT_EQ(before.live, 8u);
  EXPECT_EQ(before.free, 32u);

  std::size_t released = 0;
  bool done = false;
  release_reactor_pool(io, [&](std::size_t n) {
    released = n;
    done = true;
  });
  io.run();
  ASSERT_TRUE(done);
  EXPECT_EQ(released, 32u);
  reactor_pool_counts after = reactor_pool(io);
  EXPECT_EQ(after.live, 8u) << "the states of open sockets must stay";
  EXPECT_EQ(after.free, 0u);

  // A socket opened now gets a new state and does real I/O; the open ones still do too.
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket server(io);
  acceptor.accept(server);
  std::array<char, 2> got{};
  asio::async_read(server, asio::buffer(got), [](boost::system::error_code ec, std::size_t) {
    EXPECT_FALSE(ec) << ec.message();
  });
  asio::write(client, asio::buffer("ok", 2));
  io.restart();
  io.run();
  EXPECT_EQ(std::string(got.data(), 2), "ok");
  EXPECT_EQ(reactor_pool(io).free, 0u);
}

// The reactor hands both sockets' readiness to the queue from one wait. Whichever read
// completes first closes the other socket, whose queued readiness event then still points at
// its (now free) state, and detaches the free list at once, as the release's first step does.
// The states are deleted by a handler posted afterwards, which the queue runs after that event.
TEST_F(ReactorPool, AStateClosedWithItsEventQueuedIsDeletedOnlyAfterTheEvent) {
  asio::io_context io(1);
  asio::io_context peers_io(1);  // the writing ends, outside the reactor under test
  tcp::acceptor acceptor(peers_io, {asio::ip::make_address("127.0.0.1"), 0});
  std::array<tcp::socket, 2> writers{tcp::socket(peers_io), tcp::socket(peers_io)};
  std::array<tcp::socket, 2> readers{tcp::socket(io), tcp::socket(io)};
  for (int i = 0; i < 2; ++i) {
    writers[i].connect(acceptor.local_endpoint());
    tcp::socket accepted(peers_io);
    acceptor.accept(accepted);
    readers[i].assign(tcp::v4(), accepted.release());
  }

  std::array<char, 1> buf0{};
  std::array<char, 1> buf1{};
  std::array<boost::system::error_code, 2> results;
  int completed = 0;
  std::size_t released = 0;
  bool deleted = false;
  auto on_read = [&](int self) {
    return [&, self](boost::system::error_code ec, std::size_t) {
      results[self] = ec;
      if (++completed > 1) {
        return;
      }
      readers[1 - self].close();  // its readiness is already queued behind this handler
      asio::post(io, [&, states = detach_reactor_free_list(io)]() mutable {
        released = states.release();
        deleted = true;
      });
    };
  };
  // Both reads wait in the reactor: nothing has been written yet.
  readers[0].async_read_some(asio::buffer(buf0), on_read(0));
  readers[1].async_read_some(asio::buffer(buf1), on_read(1));
  asio::write(writers[0], asio::buffer("a", 1));
  asio::write(writers[1], asio::buffer("b", 1));
  io.run();

  ASSERT_TRUE(deleted);
  EXPECT_EQ(released, 1u) << "exactly the closed socket's state";
  int first = results[0] ? 1 : 0;
  EXPECT_FALSE(results[first]) << results[first].message();
  EXPECT_EQ(results[1 - first], asio::error::operation_aborted);
  EXPECT_EQ(reactor_pool(io), (reactor_pool_counts{1, 0}));
}

// Asio keeps the last blocks its handlers freed on each thread, for the next handlers; after a
// burst they are the burst's blocks and keep its slabs resident. Only the thread that runs the
// io_context can free its cache, and nothing is touched from any other thread.
TEST(HandlerCache, CachedBlocksAreFreedOnTheThreadThatRunsTheContext) {
  if (!handler_cache_supported()) {
    GTEST_SKIP() << "this Boost's handler cache is not the one the release was checked against";
  }
  asio::io_context io(1);
  std::size_t cached = 0;
  std::size_t released = 0;
  std::size_t left = 0;
  asio::post(io, [] {});  // its block goes to the running thread's cache when it completes
  asio::post(io, [&] {
    cached = recycled_handler_blocks();
    released = release_recycled_handler_memory();
    left = recycled_handler_blocks();
  });
  io.run();
  EXPECT_GE(cached, 1u);
  EXPECT_EQ(released, cached);
  EXPECT_EQ(left, 0u);
  EXPECT_EQ(recycled_handler_blocks(), 0u);  // not an io_context thread: no cache here
  EXPECT_EQ(release_recycled_handler_memory(), 0u);

  // Handlers after the release allocate afresh and run as before.
  int ran = 0;
  io.restart();
  asio::post(io, [&] { ++ran; });
  io.run();
  EXPECT_EQ(ran, 1);
}

// The steady timers' heap grows to the most waits a burst had and keeps that capacity, in the
// burst's memory; the quiet-time trim shrinks it to what is pending (bench/RESULTS.md). Timers
// must go on working after it.
TEST(TimerHeap, ShrinksToThePendingWaitsAndTimersStillFire) {
  if (!reactor_pool_supported()) {
    GTEST_SKIP() << "the timer queue is reached only on Boost 1.81's epoll reactor";
  }
  asio::io_context io;
  std::vector<std::unique_ptr<asio::steady_timer>> timers;
  int cancelled = 0;
  for (int i = 0; i < 1000; ++i) {
    timers.push_back(std::make_unique<asio::steady_timer>(io, std::chrono::hours(1)));
    timers.back()->async_wait([&](boost::system::error_code ec) {
      cancelled += ec == asio::error::operation_aborted ? 1 : 0;
    });
  }
  EXPECT_GE(timer_heap_capacity(io), 1000u);
  for (auto& t : timers) {
    t->cancel();
  }
  io.run();
  io.restart();
  EXPECT_EQ(cancelled, 1000);
  EXPECT_GE(timer_heap_capacity(io), 1000u) << "the heap kept its capacity";

  asio::steady_timer pending(io, std::chrono::hours(1));
  pending.async_wait([](boost::system::error_code) {});
  EXPECT_EQ(shrink_timer_heap(io), 1u);
  EXPECT_EQ(timer_heap_capacity(io), 1u);

  bool fired = false;
  asio::steady_timer soon(io, std::chrono::milliseconds(1));
  soon.async_wait([&](boost::system::error_code ec) {
    fired = !ec;
    pending.cancel();
  });
  io.run();
  EXPECT_TRUE(fired);
}

}  // namespace
}  // namespace interlingua::server

// The SQLite interaction store, against a real database file.

#include <gtest/gtest.h>

#include <filesystem>

#include <sqlite3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <interlingua/store/async.hpp>
#include <interlingua/store/interactions.hpp>

#include "interactions_support.hpp"
#include "temp_db.hpp"

namespace interlingua {
namespace {

using testing::open;
using testing::temp_db;

store::interaction_record sample(std::string id, std::string owner) {
  return store::interaction_record{
      std::move(id),
      std::move(owner),
      "gpt-test",
      "completed",
      "",
      R"([{"type":"user_input","content":[{"type":"text","text":"hi"}]}])",
      R"([{"type":"model_output","content":[{"type":"text","text":"hello"}]}])",
      R"({"total_tokens":3})",
      "{}",
      1778871115,
      1778871116};
}

// What was put comes back field for field.
TEST(SqliteInteractions, PutThenGet) {
  temp_db db;
  auto s = open(db.path());
  ASSERT_TRUE(s->put(sample("v1_a", "owner1")));
  auto got = s->get("v1_a", "owner1");
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->has_value());
  const auto& r = **got;
  EXPECT_EQ(r.model, "gpt-test");
  EXPECT_EQ(r.output_steps, sample("", "").output_steps);
  EXPECT_EQ(r.created, 1778871115);
  EXPECT_EQ(r.updated, 1778871116);
}

// Another gateway key's interaction is invisible: neither readable nor deletable.
TEST(SqliteInteractions, OwnersAreIsolated) {
  temp_db db;
  auto s = open(db.path());
  ASSERT_TRUE(s->put(sample("v1_a", "owner1")));
  EXPECT_FALSE(s->get("v1_a", "owner2")->has_value());
  EXPECT_FALSE(*s->remove("v1_a", "owner2"));
  EXPECT_TRUE(s->get("v1_a", "owner1")->has_value());
}

// Delete removes; a second delete finds nothing.
TEST(SqliteInteractions, RemoveOnce) {
  temp_db db;
  auto s = open(db.path());
  ASSERT_TRUE(s->put(sample("v1_a", "o")));
  EXPECT_TRUE(*s->remove("v1_a", "o"));
  EXPECT_FALSE(*s->remove("v1_a", "o"));
  EXPECT_FALSE(s->get("v1_a", "o")->has_value());
}

// Put with an existing id replaces (status updates of a running interaction).
TEST(SqliteInteractions, PutReplaces) {
  temp_db db;
  auto s = open(db.path());
  auto r = sample("v1_a", "o");
  r.status = "in_progress";
  ASSERT_TRUE(s->put(r));
  r.status = "completed";
  ASSERT_TRUE(s->put(r));
  EXPECT_EQ((*s->get("v1_a", "o"))->status, "completed");
}

// update only rewrites a record that still exists: a run finishing after its DELETE must not
// resurrect it, nor write into another owner's record.
TEST(SqliteInteractions, UpdateNeverResurrects) {
  temp_db db;
  auto s = open(db.path());
  auto r = sample("v1_a", "o");
  r.status = "in_progress";
  ASSERT_TRUE(s->put(r));
  r.status = "completed";
  EXPECT_TRUE(*s->update(r));
  EXPECT_EQ((*s->get("v1_a", "o"))->status, "completed");
  auto other = r;
  other.owner = "someone-else";
  EXPECT_FALSE(*s->update(other));
  ASSERT_TRUE(*s->remove("v1_a", "o"));
  EXPECT_FALSE(*s->update(r));
  EXPECT_FALSE(s->get("v1_a", "o")->has_value());
}

// An acknowledged write survives closing and reopening the database (a restart).
TEST(SqliteInteractions, SurvivesReopen) {
  temp_db db;
  {
    auto s = open(db.path());
    ASSERT_TRUE(s->put(sample("v1_a", "o")));
  }
  auto s = open(db.path());
  EXPECT_TRUE(s->get("v1_a", "o")->has_value());
}

// A path that cannot be a database is a clear start-up error, not a crash.
TEST(SqliteInteractions, UnopenablePathIsAnError) {
  std::string error;
  auto s = store::open_sqlite("/nonexistent-dir/for/sure/x.db", error);
  EXPECT_FALSE(s);
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
}

boost::asio::awaitable<bool> round_trip(store::async_interactions& a) {
  auto put = co_await a.put(sample("v1_async", "o"));
  auto got = co_await a.get("v1_async", "o");
  co_return put&& got && got->has_value();
}

// Workers reach the store through the pool and get results back on their own executor.
TEST(SqliteInteractions, AsyncFacade) {
  temp_db db;
  boost::asio::thread_pool pool(2);
  store::async_interactions a(open(db.path()), pool);
  boost::asio::io_context io;
  auto fut = boost::asio::co_spawn(io, round_trip(a), boost::asio::use_future);
  io.run();
  EXPECT_TRUE(fut.get());
  pool.join();
}

// After load the gateway asks the store to let its page cache go (server::options::on_quiet):
// the cache that reading 2 MB of records filled is freed, and the records are still there.
TEST(SqliteInteractions, ReleaseMemoryFreesThePageCacheAndKeepsTheData) {
  temp_db db;
  auto s = open(db.path());
  auto r = sample("", "owner1");
  r.request = std::string(4000, 'x');
  for (int i = 0; i < 500; ++i) {
    r.id = "v1_" + std::to_string(i);
    ASSERT_TRUE(s->put(r));
  }
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(s->get("v1_" + std::to_string(i), "owner1"));
  }
  const auto cached = sqlite3_memory_used();
  s->release_memory();
  EXPECT_LT(sqlite3_memory_used(), cached - 1'000'000);
  auto got = s->get("v1_499", "owner1");
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->request.size(), 4000u);
}

}  // namespace
}  // namespace interlingua

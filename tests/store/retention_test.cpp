// Retention, size cap, crash recovery and schema migration of the SQLite interaction store.

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <filesystem>
#include <thread>

#include <interlingua/store/async.hpp>
#include <interlingua/store/interactions.hpp>

#include "interactions_support.hpp"
#include "temp_db.hpp"

namespace interlingua {
namespace {

using testing::exists;
using testing::open;
using testing::temp_db;

store::interaction_record record(std::string id, std::string status, std::int64_t updated,
                                 std::size_t output_bytes = 10) {
  store::interaction_record r;
  r.id = std::move(id);
  r.owner = "o";
  r.model = "m";
  r.status = std::move(status);
  r.input_steps = "[]";
  r.output_steps = std::string(output_bytes, 'x');
  r.usage = "{}";
  r.request = "{}";
  r.created = updated;
  r.updated = updated;
  return r;
}

// After a crash, runs that were in flight are failed with a reason, never left in_progress;
// finished ones are untouched.
TEST(StoreRecovery, FailRunningMarksOnlyRunning) {
  temp_db db;
  auto s = open(db.path());
  ASSERT_TRUE(s->put(record("run", "in_progress", 100)));
  ASSERT_TRUE(s->put(record("done", "completed", 100)));
  auto n = s->fail_running(R"({"code":"internal","message":"gateway restarted"})", 200);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1);
  auto run = **s->get("run", "o");
  EXPECT_EQ(run.status, "failed");
  EXPECT_EQ(run.updated, 200);
  EXPECT_NE(run.error.find("gateway restarted"), std::string::npos);
  auto done = **s->get("done", "o");
  EXPECT_EQ(done.status, "completed");
  EXPECT_EQ(done.error, "");
}

// Retention removes what was last updated before the cutoff, and never a running interaction.
TEST(StoreRetention, ExpiresOldFinishedOnly) {
  temp_db db;
  auto s = open(db.path());
  ASSERT_TRUE(s->put(record("old", "completed", 100)));
  ASSERT_TRUE(s->put(record("old-running", "in_progress", 100)));
  ASSERT_TRUE(s->put(record("new", "completed", 300)));
  auto purged = s->purge(200, 0);
  ASSERT_TRUE(purged);
  EXPECT_EQ(purged->expired, 1);
  EXPECT_FALSE(exists(*s, "old"));
  EXPECT_TRUE(exists(*s, "old-running"));
  EXPECT_TRUE(exists(*s, "new"));
}

// The size cap evicts oldest first, just enough to fit, and keeps running interactions.
TEST(StoreRetention, SizeCapEvictsOldestFirst) {
  temp_db db;
  auto s = open(db.path());
  ASSERT_TRUE(s->put(record("running", "in_progress", 1, 1000)));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(s->put(record("r" + std::to_string(i), "completed", 10 + i, 1000)));
  }
  // 11 records of ~1 KB; a 6 KB cap leaves the running one and the newest four or five.
  auto purged = s->purge(0, 6000);
  ASSERT_TRUE(purged);
  EXPECT_GE(purged->evicted, 5);
  EXPECT_LE(purged->evicted, 6);
  EXPECT_TRUE(exists(*s, "running"));
  EXPECT_FALSE(exists(*s, "r0"));
  EXPECT_TRUE(exists(*s, "r9"));
  EXPECT_TRUE(exists(*s, "r8"));
  // Under the cap now: a second sweep removes nothing.
  EXPECT_EQ(s->purge(0, 6000)->evicted, 0);
}

// With only running interactions over the cap, the sweep stops instead of looping.
TEST(StoreRetention, SizeCapNeverEvictsRunning) {
  temp_db db;
  auto s = open(db.path());
  ASSERT_TRUE(s->put(record("running", "in_progress", 1, 5000)));
  auto purged = s->purge(0, 100);
  ASSERT_TRUE(purged);
  EXPECT_EQ(purged->evicted, 0);
  EXPECT_TRUE(exists(*s, "running"));
}

// A database written by the first release (no error/size columns) opens and keeps its rows.
TEST(StoreMigration, AddsColumnsToOldDatabase) {
  temp_db db;
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.path().c_str(), &raw), SQLITE_OK);
    const char* old_schema =
        "CREATE TABLE interactions (id TEXT PRIMARY KEY, owner TEXT NOT NULL, model TEXT NOT NULL,"
        " status TEXT NOT NULL, previous_id TEXT NOT NULL, input_steps TEXT NOT NULL,"
        " output_steps TEXT NOT NULL, usage TEXT NOT NULL, request TEXT NOT NULL,"
        " created INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID;"
        "INSERT INTO interactions VALUES ('v1_old','o','m','completed','','[]','[\"hello\"]','{}',"
        "'{}',5,6);";
    ASSERT_EQ(sqlite3_exec(raw, old_schema, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
  }
  auto s = open(db.path());
  auto got = s->get("v1_old", "o");
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->output_steps, "[\"hello\"]");
  EXPECT_EQ((*got)->error, "");
  // The back-filled sizes let the cap account for old rows too.
  EXPECT_EQ(s->purge(0, 1)->evicted, 1);
}

// The sweeper enforces the policy on its own, and stops when asked.
TEST(StoreRetention, SweeperRunsOnThePool) {
  temp_db db;
  auto s = open(db.path());
  ASSERT_TRUE(s->put(record("ancient", "completed", 1)));
  boost::asio::thread_pool pool(1);
  store::retention_policy policy{std::chrono::hours(1), 0, std::chrono::milliseconds(5)};
  store::retention_sweeper sweeper(s, pool, policy);
  sweeper.start();
  // Bounded wait for the first sweeps (each runs 5 ms after the last).
  for (int i = 0; i < 2000 && sweeper.sweeps() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(sweeper.sweeps(), 2);
  EXPECT_FALSE(exists(*s, "ancient"));
  sweeper.stop();
  pool.join();  // returns: the loop ended
}

// No policy, no sweeping: stored state is kept until deleted.
TEST(StoreRetention, NoPolicyNoSweeps) {
  temp_db db;
  auto s = open(db.path());
  boost::asio::thread_pool pool(1);
  store::retention_sweeper sweeper(s, pool, store::retention_policy{});
  sweeper.start();
  sweeper.stop();
  pool.join();
  EXPECT_EQ(sweeper.sweeps(), 0);
}

}  // namespace
}  // namespace interlingua

// Group commit of stored interactions: the puts that arrive while one transaction syncs are
// written together in the next, so that `store: true` (the Interactions default) is not capped
// at one sync per request; and each caller still hears about its own record only.

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include <interlingua/store/async.hpp>
#include <interlingua/store/interactions.hpp>

#include "interactions_support.hpp"
#include "temp_db.hpp"

namespace interlingua {
namespace {

using testing::exists;
using testing::open;
using testing::temp_db;
namespace asio = boost::asio;

store::interaction_record record(std::string id) {
  store::interaction_record r;
  r.id = std::move(id);
  r.owner = "o";
  r.model = "m";
  r.status = "completed";
  r.input_steps = "[]";
  r.output_steps = "[]";
  r.usage = "{}";
  r.request = "{}";
  r.created = 1;
  r.updated = 1;
  return r;
}

// Makes the database itself refuse one id, as a full disk or a broken constraint would refuse
// a write: the test's way to fail one record of a batch.
void refuse_id(const std::string& path, const std::string& id) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string sql = "CREATE TRIGGER refuse BEFORE INSERT ON interactions WHEN NEW.id = '" + id +
                    "' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;";
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
  sqlite3_free(error);
  sqlite3_close(db);
}

// A batch is written whole, and is there after the file is opened again.
TEST(GroupCommit, SqlitePutManyWritesEveryRecordDurably) {
  temp_db db;
  {
    auto s = open(db.path());
    std::vector<store::interaction_record> rs;
    for (int i = 0; i < 50; ++i) {
      rs.push_back(record("v1_" + std::to_string(i)));
    }
    std::vector<const store::interaction_record*> ptrs;
    for (const auto& r : rs) {
      ptrs.push_back(&r);
    }
    auto results = s->put_many(ptrs);
    ASSERT_EQ(results.size(), 50u);
    for (const auto& r : results) {
      EXPECT_TRUE(r);
    }
  }
  auto again = open(db.path());
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(exists(*again, "v1_" + std::to_string(i))) << i;
  }
}

// One record the database refuses fails its own caller only: the batch's transaction is rolled
// back and every record written on its own, so the others are stored and say so.
TEST(GroupCommit, SqliteOneRefusedRecordFailsAloneAndTheOthersAreStored) {
  temp_db db;
  auto s = open(db.path());
  refuse_id(db.path(), "v1_bad");
  auto a = record("v1_a");
  auto bad = record("v1_bad");
  auto c = record("v1_c");
  std::vector<const store::interaction_record*> ptrs{&a, &bad, &c};
  auto results = s->put_many(ptrs);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0]);
  ASSERT_FALSE(results[1]);
  EXPECT_NE(results[1].error().message.find("refused by the test"), std::string::npos)
      << results[1].error().message;
  EXPECT_TRUE(results[2]);
  EXPECT_TRUE(exists(*s, "v1_a"));
  EXPECT_FALSE(exists(*s, "v1_bad"));
  EXPECT_TRUE(exists(*s, "v1_c"));
}

// A store that holds its first write until the test lets it go, and records every batch: what
// the async facade hands the store, seen from the store.
class gated_store final : public store::interaction_store {
 public:
  core::result<void> put(const store::interaction_record&) override { return {}; }
  std::vector<core::result<void>> put_many(
      std::span<const store::interaction_record* const> rs) override {
    std::unique_lock lock(mutex_);
    batches_.emplace_back();
    for (const auto* r : rs) {
      batches_.back().push_back(r->id);
    }
    entered_.notify_all();
    released_.wait(lock, [&] { return open_; });
    std::vector<core::result<void>> out;
    for (const auto* r : rs) {
      if (r->id == "v1_bad") {
        out.push_back(core::make_error(core::error_kind::internal, "disk says no"));
      } else {
        out.emplace_back();
      }
    }
    return out;
  }
  core::result<bool> update(const store::interaction_record&) override { return true; }
  core::result<std::optional<store::interaction_record>> get(std::string_view,
                                                             std::string_view) override {
    return std::optional<store::interaction_record>{};
  }
  core::result<bool> remove(std::string_view, std::string_view) override { return false; }
  core::result<std::int64_t> fail_running(std::string_view, std::int64_t) override { return 0; }
  core::result<store::purge_result> purge(std::int64_t, std::int64_t) override {
    return store::purge_result{};
  }
  bool healthy() override { return true; }

  void wait_for_first_batch() {
    std::unique_lock lock(mutex_);
    entered_.wait(lock, [&] { return !batches_.empty(); });
  }
  void release() {
    std::lock_guard lock(mutex_);
    open_ = true;
    released_.notify_all();
  }
  std::vector<std::vector<std::string>> batches() {
    std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable entered_;
  std::condition_variable released_;
  bool open_ = false;
  std::vector<std::vector<std::string>> batches_;
};

struct outcome {
  bool ok = false;
  std::string error;
  bool on_callers_thread = false;
};

asio::awaitable<outcome> put_one(store::async_interactions& a, std::string id,
                                 std::thread::id caller) {
  auto r = co_await a.put(record(std::move(id)));
  outcome o;
  o.ok = static_cast<bool>(r);
  o.error = r ? std::string{} : r.error().message;
  o.on_callers_thread = std::this_thread::get_id() == caller;
  co_return o;
}

// While the first write syncs, ten more puts arrive: they are written together in the next
// batch, each caller resumes on its own thread with its own result, and the one the store
// refused is the only failure.
TEST(GroupCommit, PutsArrivingDuringAWriteShareTheNextBatch) {
  auto gated = std::make_shared<gated_store>();
  asio::thread_pool pool(2);
  store::async_interactions a(gated, pool);
  asio::io_context io;
  const auto caller = std::this_thread::get_id();

  auto first = asio::co_spawn(io, put_one(a, "v1_first", caller), asio::use_future);
  io.poll();  // the put is queued and the drain posted to the pool
  gated->wait_for_first_batch();

  std::vector<std::future<outcome>> later;
  for (int i = 0; i < 10; ++i) {
    std::string id = i == 4 ? "v1_bad" : "v1_" + std::to_string(i);
    later.push_back(asio::co_spawn(io, put_one(a, id, caller), asio::use_future));
  }
  io.poll();  // all ten are waiting behind the held write
  EXPECT_EQ(a.waiting_puts(), 10u);

  gated->release();
  io.run();  // until every put has its answer

  auto got = first.get();
  EXPECT_TRUE(got.ok);
  EXPECT_TRUE(got.on_callers_thread);
  for (int i = 0; i < 10; ++i) {
    auto o = later[i].get();
    EXPECT_TRUE(o.on_callers_thread) << i;
    if (i == 4) {
      EXPECT_FALSE(o.ok);
      EXPECT_EQ(o.error, "disk says no");
    } else {
      EXPECT_TRUE(o.ok) << i << ": " << o.error;
    }
  }
  auto batches = gated->batches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0], std::vector<std::string>{"v1_first"});
  EXPECT_EQ(batches[1].size(), 10u);
  EXPECT_EQ(a.waiting_puts(), 0u);
  pool.join();
}

// Through the real store, many concurrent puts from two callers' threads all land and are all
// readable: the facade loses nothing between batches.
TEST(GroupCommit, ConcurrentPutsThroughSqliteAllLand) {
  temp_db db;
  auto s = open(db.path());
  asio::thread_pool pool(2);
  store::async_interactions a(s, pool);
  asio::io_context io1;
  asio::io_context io2;
  std::vector<std::future<outcome>> futures;
  for (int i = 0; i < 200; ++i) {
    auto& io = i % 2 ? io1 : io2;
    futures.push_back(asio::co_spawn(io, put_one(a, "v1_" + std::to_string(i), std::thread::id{}),
                                     asio::use_future));
  }
  std::thread t([&] { io1.run(); });
  io2.run();
  t.join();
  for (auto& f : futures) {
    auto o = f.get();
    EXPECT_TRUE(o.ok) << o.error;
  }
  for (int i = 0; i < 200; ++i) {
    EXPECT_TRUE(exists(*s, "v1_" + std::to_string(i))) << i;
  }
  pool.join();
}

}  // namespace
}  // namespace interlingua

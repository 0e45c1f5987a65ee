// Session chat reads its session, agent and history from memory when warm (no trip to the
// store pool). These tests hold the cache to what makes it safe: a warm chat reads nothing from
// the store, every write through the facade is seen by the next chat, and a store read that
// raced with a write never leaves its stale result in the cache.

#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include <interlingua/store/async_sessions.hpp>
#include <interlingua/store/sessions.hpp>

#include "temp_db.hpp"

namespace interlingua {
namespace {

using store::document_record;
using store::entry_record;

// The SQLite store, counting the reads a chat makes; history() can be held after it has read.
class counting_store final : public store::session_store {
 public:
  explicit counting_store(std::shared_ptr<store::session_store> inner) : inner_(std::move(inner)) {}

  std::atomic<int> reads{0};
  // When set, the next history() reads, then signals `read_done` and waits for `release`.
  std::atomic<bool> hold_next_history{false};
  std::promise<void> read_done;
  std::promise<void> release;

  core::result<void> put_agent(const document_record& r) override { return inner_->put_agent(r); }
  core::result<std::optional<document_record>> get_agent(std::string_view id,
                                                         std::string_view owner) override {
    ++reads;
    return inner_->get_agent(id, owner);
  }
  core::result<std::vector<document_record>> list_agents(std::string_view owner,
                                                         const store::list_query& q) override {
    return inner_->list_agents(owner, q);
  }
  core::result<bool> remove_agent(std::string_view id, std::string_view owner) override {
    return inner_->remove_agent(id, owner);
  }
  core::result<void> put_session(const document_record& r) override {
    return inner_->put_session(r);
  }
  core::result<std::optional<document_record>> get_session(std::string_view id,
                                                           std::string_view owner) override {
    ++reads;
    return inner_->get_session(id, owner);
  }
  core::result<std::vector<document_record>> list_sessions(std::string_view owner,
                                                           const store::list_query& q) override {
    return inner_->list_sessions(owner, q);
  }
  core::result<bool> remove_session(std::string_view id, std::string_view owner) override {
    return inner_->remove_session(id, owner);
  }
  core::result<bool> append_entries(std::string_view session_id, std::string_view owner,
                                    const std::vector<entry_record>& entries) override {
    return inner_->append_entries(session_id, owner, entries);
  }
  core::result<std::vector<entry_record>> history(std::string_view session_id,
                                                  std::string_view owner) override {
    ++reads;
    auto h = inner_->history(session_id, owner);
    if (hold_next_history.exchange(false)) {
      read_done.set_value();
      release.get_future().wait();
    }
    return h;
  }
  core::result<bool> clear_history(std::string_view session_id, std::string_view owner) override {
    return inner_->clear_history(session_id, owner);
  }

 private:
  std::shared_ptr<store::session_store> inner_;
};

document_record doc(std::string id, std::string body) {
  return document_record{std::move(id), "o", std::move(body), 1, 1};
}

entry_record entry(std::string id) {
  return entry_record{std::move(id), "s1", R"({"role":"user","content":"hi"})", 1};
}

struct fixture {
  testing::temp_db db;
  boost::asio::thread_pool pool{3};
  std::shared_ptr<counting_store> counted;
  std::unique_ptr<store::async_sessions> sessions;

  fixture() {
    std::string error;
    auto sqlite = store::open_sqlite_sessions(db.path(), error);
    EXPECT_TRUE(sqlite) << error;
    counted = std::make_shared<counting_store>(sqlite);
    sessions = std::make_unique<store::async_sessions>(counted, pool);
    EXPECT_TRUE(run(sessions->put_agent(doc("a1", R"({"v":1})"))));
    EXPECT_TRUE(run(sessions->put_session(doc("s1", R"({"agent":"a1"})"))));
  }
  ~fixture() { pool.join(); }

  template <class T>
  T run(boost::asio::awaitable<T> op) {
    return boost::asio::co_spawn(pool, std::move(op), boost::asio::use_future).get();
  }

  store::chat_state chat() {
    auto got = run(sessions->load_chat("s1", "o", [](const document_record&) { return "a1"; }));
    EXPECT_TRUE(got);
    return got ? std::move(*got) : store::chat_state{};
  }
};

TEST(SessionCache, WarmChatReadsNothingFromTheStore) {
  fixture f;
  auto cold = f.chat();
  ASSERT_TRUE(cold.session && cold.agent);
  EXPECT_EQ(f.counted->reads.load(), 3);  // session, agent, history
  auto warm = f.chat();
  EXPECT_EQ(f.counted->reads.load(), 3);
  ASSERT_TRUE(warm.session && warm.agent);
  EXPECT_EQ(warm.agent->body, R"({"v":1})");
  EXPECT_EQ(warm.agent_id, "a1");
}

// At quiet time the cache moves into new memory (session_cache::rehome, bench/RESULTS.md): its
// entries must stay exactly as they were and keep serving warm chats, and a chat still holding
// the old history must keep it intact.
TEST(SessionCache, MovingTheCacheKeepsEveryEntryWarm) {
  fixture f;
  std::vector<entry_record> two{entry("e1"), entry("e2")};
  ASSERT_TRUE(f.run(f.sessions->append_entries("s1", "o", std::move(two))));
  auto before = f.chat();
  const int reads = f.counted->reads.load();
  f.sessions->rehome_cache();
  auto after = f.chat();
  EXPECT_EQ(f.counted->reads.load(), reads) << "a moved cache must still be warm";
  ASSERT_TRUE(after.session && after.agent);
  EXPECT_EQ(after.session->body, before.session->body);
  EXPECT_EQ(after.agent->body, before.agent->body);
  ASSERT_EQ(after.history->size(), 2u);
  EXPECT_NE(after.history.get(), before.history.get()) << "the history was not copied";
  EXPECT_EQ((*after.history)[1].id, "e2");
  EXPECT_EQ((*before.history)[1].id, "e2");  // the old copy lives on with its holder
  // Writes after the move are seen as before it.
  ASSERT_TRUE(f.run(f.sessions->put_agent(doc("a1", R"({"v":3})"))));
  EXPECT_EQ(f.chat().agent->body, R"({"v":3})");
}

TEST(SessionCache, EveryWriteIsSeenByTheNextChat) {
  fixture f;
  f.chat();
  ASSERT_TRUE(f.run(f.sessions->put_agent(doc("a1", R"({"v":2})"))));
  EXPECT_EQ(f.chat().agent->body, R"({"v":2})");

  std::vector<entry_record> two{entry("e1"), entry("e2")};
  ASSERT_TRUE(f.run(f.sessions->append_entries("s1", "o", std::move(two))));
  EXPECT_EQ(f.chat().history->size(), 2u);

  ASSERT_TRUE(f.run(f.sessions->clear_history("s1", "o")));
  EXPECT_TRUE(f.chat().history->empty());

  ASSERT_TRUE(f.run(f.sessions->put_session(doc("s1", R"({"agent":"a1","v":2})"))));
  EXPECT_EQ(f.chat().session->body, R"({"agent":"a1","v":2})");

  ASSERT_TRUE(f.run(f.sessions->remove_agent("a1", "o")));
  auto no_agent = f.chat();
  EXPECT_TRUE(no_agent.session);
  EXPECT_FALSE(no_agent.agent);

  ASSERT_TRUE(f.run(f.sessions->remove_session("s1", "o")));
  EXPECT_FALSE(f.chat().session);
}

TEST(SessionCache, AnotherOwnerSeesNothingCached) {
  fixture f;
  f.chat();
  auto other = f.run(
      f.sessions->load_chat("s1", "someone-else", [](const document_record&) { return "a1"; }));
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->session);
}

TEST(SessionCache, AReadThatRacedAWriteIsNotCached) {
  fixture f;
  // A chat reads the (empty) history, and is held there while two entries are appended.
  f.counted->hold_next_history = true;
  auto racing = boost::asio::co_spawn(
      f.pool, f.sessions->load_chat("s1", "o", [](const document_record&) { return "a1"; }),
      boost::asio::use_future);
  f.counted->read_done.get_future().wait();
  std::vector<entry_record> two{entry("e1"), entry("e2")};
  ASSERT_TRUE(f.run(f.sessions->append_entries("s1", "o", std::move(two))));
  f.counted->release.set_value();
  auto stale = racing.get();
  ASSERT_TRUE(stale);
  EXPECT_TRUE(stale->history->empty());  // what it read before the append: fine for that chat
  // The next chat must not be served that stale history from memory.
  EXPECT_EQ(f.chat().history->size(), 2u);
}

}  // namespace
}  // namespace interlingua

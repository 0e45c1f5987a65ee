// The SQLite store of agents, sessions and session history, against a real database file.

#include <gtest/gtest.h>

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <interlingua/store/async_sessions.hpp>
#include <interlingua/store/interactions.hpp>
#include <interlingua/store/sessions.hpp>

#include "temp_db.hpp"

namespace interlingua {
namespace {

using testing::temp_db;

store::document_record doc(std::string id, std::string owner, std::int64_t created,
                           std::int64_t updated) {
  std::string body = R"({"id":")" + id + R"(","situation":"test"})";
  return store::document_record{std::move(id), std::move(owner), std::move(body), created, updated};
}

store::entry_record entry(std::string id, std::string text) {
  return store::entry_record{std::move(id), "", R"({"role":"user","content":")" + text + R"("})",
                             1778871115000000};
}

std::shared_ptr<store::session_store> open(const std::string& path) {
  std::string error;
  auto s = store::open_sqlite_sessions(path, error);
  EXPECT_TRUE(s) << error;
  return s;
}

std::vector<std::string> ids(const std::vector<store::document_record>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) {
    out.push_back(r.id);
  }
  return out;
}

std::vector<std::string> entry_ids(store::session_store& s, const std::string& session,
                                   const std::string& owner) {
  std::vector<std::string> out;
  auto h = s.history(session, owner);
  EXPECT_TRUE(h);
  for (const auto& e : *h) {
    out.push_back(e.id);
  }
  return out;
}

store::list_query query(std::int64_t limit, std::int64_t offset, bool by_updated, bool desc) {
  return store::list_query{limit, offset, by_updated, desc};
}

// What was put comes back field for field, for agents and sessions alike.
TEST(SqliteSessions, PutThenGet) {
  temp_db db;
  auto s = open(db.path());
  ASSERT_TRUE(s->put_agent(doc("a1", "o", 10, 20)));
  ASSERT_TRUE(s->put_session(doc("s1", "o", 30, 40)));
  auto agent = s->get_agent("a1", "o");
  ASSERT_TRUE(agent && agent->has_value());
  EXPECT_EQ((*agent)->owner, "o");
  EXPECT_EQ((*agent)->body, doc("a1", "o", 0, 0).body);
  EXPECT_EQ((*agent)->created_us, 10);
  EXPECT_EQ((*agent)->updated_us, 20);
  auto session = s->get_session("s1", "o");
  ASSERT_TRUE(session && session->has_value());
  EXPECT_EQ((*session)->body, doc("s1", "o", 0, 0).body);
  EXPECT_EQ((*session)->updated_us, 40);
  // Agents and sessions are separate tables: an agent id is not a session id.
  EXPECT_FALSE(s->get_session("a1", "o")->has_value());
  EXPECT_FALSE(s->get_agent("s1", "o")->has_value());
}

// Put with an existing id replaces the document (an update), and keeps the session's history.
TEST(SqliteSessions, PutReplacesAndKeepsHistory) {
  temp_db db;
  auto s = open(db.path());
  ASSERT_TRUE(s->put_session(doc("s1", "o", 10, 10)));
  ASSERT_TRUE(*s->append_entries("s1", "o", {entry("e1", "hi")}));
  auto updated = doc("s1", "o", 10, 50);
  updated.body = R"({"situation":"changed"})";
  ASSERT_TRUE(s->put_session(updated));
  EXPECT_EQ((*s->get_session("s1", "o"))->body, updated.body);
  EXPECT_EQ((*s->get_session("s1", "o"))->updated_us, 50);
  EXPECT_EQ(entry_ids(*s, "s1", "o"), std::vector<std::string>{"e1"});
  EXPECT_EQ(s->list_sessions("o", {})->size(), 1u);
}

// Listing sorts by created or updated time in either direction, ties broken by id.
TEST(SqliteSessions, ListSorts) {
  temp_db db;
  auto s = open(db.path());
  ASSERT_TRUE(s->put_agent(doc("b", "o", 1, 30)));
  ASSERT_TRUE(s->put_agent(doc("a", "o", 2, 20)));
  ASSERT_TRUE(s->put_agent(doc("c", "o", 3, 10)));
  ASSERT_TRUE(s->put_agent(doc("d", "o", 3, 40)));
  using v = std::vector<std::string>;
  EXPECT_EQ(ids(*s->list_agents("o", query(10, 0, false, false))), (v{"b", "a", "c", "d"}));
  EXPECT_EQ(ids(*s->list_agents("o", query(10, 0, false, true))), (v{"d", "c", "a", "b"}));
  EXPECT_EQ(ids(*s->list_agents("o", query(10, 0, true, false))), (v{"c", "a", "b", "d"}));
  EXPECT_EQ(ids(*s->list_agents("o", query(10, 0, true, true))), (v{"d", "b", "a", "c"}));
  // The default is newest created first.
  EXPECT_EQ(ids(*s->list_agents("o", {})), (v{"d", "c", "a", "b"}));
}

// Limit and offset page through the list without overlap; out-of-range values are clamped.
TEST(SqliteSessions, ListPages) {
  temp_db db;
  auto s = open(db.path());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(s->put_session(doc("s" + std::to_string(i), "o", i, i)));
  }
  using v = std::vector<std::string>;
  EXPECT_EQ(ids(*s->list_sessions("o", query(2, 0, false, false))), (v{"s0", "s1"}));
  EXPECT_EQ(ids(*s->list_sessions("o", query(2, 2, false, false))), (v{"s2", "s3"}));
  EXPECT_EQ(ids(*s->list_sessions("o", query(2, 4, false, false))), (v{"s4"}));
  EXPECT_TRUE(s->list_sessions("o", query(2, 5, false, false))->empty());
  EXPECT_EQ(ids(*s->list_sessions("o", query(0, 0, false, false))), (v{"s0"}));
  EXPECT_EQ(ids(*s->list_sessions("o", query(-3, -1, false, false))), (v{"s0"}));
  EXPECT_EQ(s->list_sessions("o", query(1'000'000, 0, false, false))->size(), 5u);
}

// The limit is capped at 1000 whatever the caller asks for.
TEST(SqliteSessions, ListLimitCapped) {
  temp_db db;
  auto s = open(db.path());
  for (int i = 0; i < 1001; ++i) {
    ASSERT_TRUE(s->put_agent(doc("a" + std::to_string(i), "o", i, i)));
  }
  EXPECT_EQ(s->list_agents("o", query(5000, 0, false, false))->size(), 1000u);
}

// Another gateway key's agents, sessions and history do not exist for it, through every call.
TEST(SqliteSessions, OwnersAreIsolated) {
  temp_db db;
  auto s = open(db.path());
  ASSERT_TRUE(s->put_agent(doc("a1", "owner1", 1, 1)));
  ASSERT_TRUE(s->put_session(doc("s1", "owner1", 1, 1)));
  ASSERT_TRUE(*s->append_entries("s1", "owner1", {entry("e1", "secret")}));

  EXPECT_FALSE(s->get_agent("a1", "owner2")->has_value());
  EXPECT_TRUE(s->list_agents("owner2", {})->empty());
  EXPECT_FALSE(*s->remove_agent("a1", "owner2"));
  EXPECT_FALSE(s->get_session("s1", "owner2")->has_value());
  EXPECT_TRUE(s->list_sessions("owner2", {})->empty());
  EXPECT_FALSE(*s->remove_session("s1", "owner2"));
  EXPECT_FALSE(*s->append_entries("s1", "owner2", {entry("e2", "intruder")}));
  EXPECT_TRUE(s->history("s1", "owner2")->empty());
  EXPECT_FALSE(*s->clear_history("s1", "owner2"));

  // Nothing of owner1's was touched by any of that.
  EXPECT_TRUE(s->get_agent("a1", "owner1")->has_value());
  EXPECT_TRUE(s->get_session("s1", "owner1")->has_value());
  EXPECT_EQ(entry_ids(*s, "s1", "owner1"), std::vector<std::string>{"e1"});
}

// A second key putting the same id gets its own object and never overwrites the first key's.
TEST(SqliteSessions, SameIdUnderTwoOwnersAreTwoObjects) {
  temp_db db;
  auto s = open(db.path());
  auto mine = doc("s1", "owner1", 1, 1);
  auto theirs = doc("s1", "owner2", 2, 2);
  theirs.body = R"({"situation":"theirs"})";
  ASSERT_TRUE(s->put_session(mine));
  ASSERT_TRUE(s->put_session(theirs));
  ASSERT_TRUE(*s->append_entries("s1", "owner1", {entry("e1", "mine")}));
  EXPECT_EQ((*s->get_session("s1", "owner1"))->body, mine.body);
  EXPECT_EQ((*s->get_session("s1", "owner2"))->body, theirs.body);
  EXPECT_TRUE(s->history("s1", "owner2")->empty());
  EXPECT_TRUE(*s->remove_session("s1", "owner2"));
  EXPECT_TRUE(s->get_session("s1", "owner1")->has_value());
  EXPECT_EQ(entry_ids(*s, "s1", "owner1"), std::vector<std::string>{"e1"});
}

// Delete removes; a second delete finds nothing.
TEST(SqliteSessions, RemoveAgentOnce) {
  temp_db db;
  auto s = open(db.path());
  ASSERT_TRUE(s->put_agent(doc("a1", "o", 1, 1)));
  EXPECT_TRUE(*s->remove_agent("a1", "o"));
  EXPECT_FALSE(*s->remove_agent("a1", "o"));
  EXPECT_FALSE(s->get_agent("a1", "o")->has_value());
}

// Removing a session removes its history, so a new session with the same id starts empty.
TEST(SqliteSessions, RemoveSessionRemovesHistory) {
  temp_db db;
  auto s = open(db.path());
  ASSERT_TRUE(s->put_session(doc("s1", "o", 1, 1)));
  ASSERT_TRUE(s->put_session(doc("s2", "o", 1, 1)));
  ASSERT_TRUE(*s->append_entries("s1", "o", {entry("e1", "a"), entry("e2", "b")}));
  ASSERT_TRUE(*s->append_entries("s2", "o", {entry("e3", "c")}));
  EXPECT_TRUE(*s->remove_session("s1", "o"));
  EXPECT_FALSE(*s->remove_session("s1", "o"));
  EXPECT_FALSE(s->get_session("s1", "o")->has_value());
  EXPECT_TRUE(s->history("s1", "o")->empty());
  ASSERT_TRUE(s->put_session(doc("s1", "o", 2, 2)));
  EXPECT_TRUE(s->history("s1", "o")->empty());
  // The other session's history is untouched.
  EXPECT_EQ(entry_ids(*s, "s2", "o"), std::vector<std::string>{"e3"});
}

// A batch that fails half-way (a duplicate id) writes none of its entries: all or none.
TEST(SqliteSessions, AppendIsAllOrNone) {
  temp_db db;
  auto s = open(db.path());
  ASSERT_TRUE(s->put_session(doc("s1", "o", 1, 1)));
  ASSERT_TRUE(*s->append_entries("s1", "o", {entry("e1", "first")}));
  auto dup_in_batch =
      s->append_entries("s1", "o", {entry("e2", "a"), entry("e3", "b"), entry("e2", "again")});
  EXPECT_FALSE(dup_in_batch);
  auto dup_of_stored = s->append_entries("s1", "o", {entry("e4", "a"), entry("e1", "again")});
  EXPECT_FALSE(dup_of_stored);
  EXPECT_EQ(entry_ids(*s, "s1", "o"), std::vector<std::string>{"e1"});
  // The connection is usable afterwards: the failed transaction was rolled back.
  ASSERT_TRUE(*s->append_entries("s1", "o", {entry("e2", "a"), entry("e3", "b")}));
  EXPECT_EQ(entry_ids(*s, "s1", "o"), (std::vector<std::string>{"e1", "e2", "e3"}));
}

// Appending to a session that does not exist answers false and leaves no orphan entries.
TEST(SqliteSessions, AppendToMissingSessionWritesNothing) {
  temp_db db;
  auto s = open(db.path());
  auto appended = s->append_entries("ghost", "o", {entry("e1", "boo")});
  ASSERT_TRUE(appended);
  EXPECT_FALSE(*appended);
  // Created afterwards with that id, the session has no history from the refused append.
  ASSERT_TRUE(s->put_session(doc("ghost", "o", 1, 1)));
  EXPECT_TRUE(s->history("ghost", "o")->empty());
  // And the refused entry's id is still free.
  EXPECT_TRUE(*s->append_entries("ghost", "o", {entry("e1", "now")}));
}

// History comes back in append order, not by id or timestamp.
TEST(SqliteSessions, HistoryInAppendOrder) {
  temp_db db;
  auto s = open(db.path());
  ASSERT_TRUE(s->put_session(doc("s1", "o", 1, 1)));
  ASSERT_TRUE(*s->append_entries("s1", "o", {entry("z", "1"), entry("b", "2")}));
  auto late = entry("m", "3");
  late.created_us = 1;  // an earlier timestamp must not move it forward
  ASSERT_TRUE(*s->append_entries("s1", "o", {late}));
  ASSERT_TRUE(*s->append_entries("s1", "o", {}));
  ASSERT_TRUE(*s->append_entries("s1", "o", {entry("a", "4")}));
  auto h = s->history("s1", "o");
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 4u);
  EXPECT_EQ((*h)[0].id, "z");
  EXPECT_EQ((*h)[1].id, "b");
  EXPECT_EQ((*h)[2].id, "m");
  EXPECT_EQ((*h)[2].created_us, 1);
  EXPECT_EQ((*h)[3].id, "a");
  EXPECT_EQ((*h)[0].session_id, "s1");
  EXPECT_EQ((*h)[0].body, entry("", "1").body);
}

// Clearing history keeps the session, and appends afterwards start a fresh history.
TEST(SqliteSessions, ClearHistoryKeepsSession) {
  temp_db db;
  auto s = open(db.path());
  ASSERT_TRUE(s->put_session(doc("s1", "o", 1, 1)));
  ASSERT_TRUE(*s->append_entries("s1", "o", {entry("e1", "a"), entry("e2", "b")}));
  EXPECT_TRUE(*s->clear_history("s1", "o"));
  EXPECT_TRUE(s->history("s1", "o")->empty());
  EXPECT_TRUE(s->get_session("s1", "o")->has_value());
  EXPECT_TRUE(*s->clear_history("s1", "o"));  // an empty history still has a session
  EXPECT_FALSE(*s->clear_history("missing", "o"));
  ASSERT_TRUE(*s->append_entries("s1", "o", {entry("e3", "c")}));
  EXPECT_EQ(entry_ids(*s, "s1", "o"), std::vector<std::string>{"e3"});
}

// Acknowledged writes survive closing and reopening the database (a restart).
TEST(SqliteSessions, SurvivesReopen) {
  temp_db db;
  {
    auto s = open(db.path());
    ASSERT_TRUE(s->put_agent(doc("a1", "o", 1, 1)));
    ASSERT_TRUE(s->put_session(doc("s1", "o", 1, 1)));
    ASSERT_TRUE(*s->append_entries("s1", "o", {entry("e1", "a"), entry("e2", "b")}));
  }
  auto s = open(db.path());
  EXPECT_TRUE(s->get_agent("a1", "o")->has_value());
  EXPECT_TRUE(s->get_session("s1", "o")->has_value());
  ASSERT_TRUE(*s->append_entries("s1", "o", {entry("e3", "c")}));
  EXPECT_EQ(entry_ids(*s, "s1", "o"), (std::vector<std::string>{"e1", "e2", "e3"}));
}

// The interaction store and the session store open the same file side by side and both work.
TEST(SqliteSessions, SharesFileWithInteractions) {
  temp_db db;
  std::string error;
  auto interactions = store::open_sqlite(db.path(), error);
  ASSERT_TRUE(interactions) << error;
  auto sessions = open(db.path());
  ASSERT_TRUE(sessions);
  store::interaction_record r{"v1_a", "o", "m", "completed", "", "[]", "[]", "{}", "{}", 1, 1};
  ASSERT_TRUE(interactions->put(r));
  ASSERT_TRUE(sessions->put_session(doc("s1", "o", 1, 1)));
  ASSERT_TRUE(*sessions->append_entries("s1", "o", {entry("e1", "a")}));
  ASSERT_TRUE(interactions->put(r));
  EXPECT_TRUE(interactions->get("v1_a", "o")->has_value());
  EXPECT_EQ(entry_ids(*sessions, "s1", "o"), std::vector<std::string>{"e1"});
  interactions.reset();
  sessions.reset();
  // Opened in the other order after a restart, each still finds its own data.
  sessions = open(db.path());
  interactions = store::open_sqlite(db.path(), error);
  ASSERT_TRUE(interactions) << error;
  EXPECT_TRUE(sessions->get_session("s1", "o")->has_value());
  EXPECT_TRUE(interactions->get("v1_a", "o")->has_value());
}

// Two connections appending to one session at once wait for each other's lock (busy timeout)
// and never lose or reorder an entry.
TEST(SqliteSessions, ConcurrentAppendsFromTwoConnections) {
  temp_db db;
  auto first = open(db.path());
  auto second = open(db.path());
  ASSERT_TRUE(first->put_session(doc("s1", "o", 1, 1)));
  constexpr int per_thread = 25;
  auto append = [](store::session_store& s, std::string prefix) {
    for (int i = 0; i < per_thread; ++i) {
      auto done = s.append_entries("s1", "o", {entry(prefix + std::to_string(i), "x")});
      EXPECT_TRUE(done && *done) << (done ? "" : done.error().message);
    }
  };
  std::thread a(append, std::ref(*first), "a");
  std::thread b(append, std::ref(*second), "b");
  a.join();
  b.join();
  auto h = first->history("s1", "o");
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 2u * per_thread);
  // Each writer's own entries keep their order within the shared history.
  int next_a = 0;
  int next_b = 0;
  for (const auto& e : *h) {
    int& next = e.id[0] == 'a' ? next_a : next_b;
    EXPECT_EQ(e.id.substr(1), std::to_string(next));
    ++next;
  }
}

// A path that cannot be a database is a clear start-up error, not a crash.
TEST(SqliteSessions, UnopenablePathIsAnError) {
  std::string error;
  auto s = store::open_sqlite_sessions("/nonexistent-dir/for/sure/x.db", error);
  EXPECT_FALSE(s);
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
}

// Every co_await is its own statement: g++ 12 miscompiles co_await inside && and ?:.
boost::asio::awaitable<bool> async_round_trip(store::async_sessions& a) {
  auto put_agent = co_await a.put_agent(doc("a1", "o", 1, 1));
  auto agent = co_await a.get_agent("a1", "o");
  auto agents = co_await a.list_agents("o", store::list_query{});
  auto agent_gone = co_await a.remove_agent("a1", "o");
  bool agents_ok = put_agent && agent && agent->has_value() && agents && agents->size() == 1 &&
                   agent_gone && *agent_gone;

  auto put_session = co_await a.put_session(doc("s1", "o", 1, 1));
  auto session = co_await a.get_session("s1", "o");
  auto sessions = co_await a.list_sessions("o", store::list_query{});
  std::vector<store::entry_record> batch{entry("e1", "a"), entry("e2", "b")};
  auto appended = co_await a.append_entries("s1", "o", std::move(batch));
  auto h = co_await a.history("s1", "o");
  auto cleared = co_await a.clear_history("s1", "o");
  auto session_gone = co_await a.remove_session("s1", "o");
  bool sessions_ok = put_session && session && session->has_value() && sessions &&
                     sessions->size() == 1 && appended && *appended && h && h->size() == 2 &&
                     (*h)[1].id == "e2" && cleared && *cleared && session_gone && *session_gone;
  co_return agents_ok&& sessions_ok;
}

// Workers reach every session store call through the pool and get results on their executor.
TEST(SqliteSessions, AsyncFacade) {
  temp_db db;
  boost::asio::thread_pool pool(2);
  auto sessions = open(db.path());
  store::async_sessions a(sessions, pool);
  boost::asio::io_context io;
  auto fut = boost::asio::co_spawn(io, async_round_trip(a), boost::asio::use_future);
  io.run();
  EXPECT_TRUE(fut.get());
  EXPECT_TRUE(sessions->list_sessions("o", {})->empty());
  pool.join();
}

}  // namespace
}  // namespace interlingua

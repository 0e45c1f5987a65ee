// The per-thread cache of parsed agent and session documents that session chat reads on every
// call (routing::parsed_body), and its move into new memory at quiet time
// (rehome_thread_caches, bench/RESULTS.md): after the move the cache must hold the same
// documents, still warm, and a caller holding an old document keeps it intact.

#include <thread>

#include <gtest/gtest.h>

#include <interlingua/dialects/sessions_routes.hpp>

#include "route_common.hpp"

namespace interlingua::dialects::sessions {
namespace {

store::document_record record(std::string id, std::string body) {
  return store::document_record{std::move(id), "o", std::move(body), 1, 1};
}

TEST(ParsedDocuments, ADocumentIsParsedOncePerThread) {
  auto r = record("agent-parsed-once", R"({"model":"m","instructions":"be brief"})");
  auto first = routing::parsed_body(r);
  EXPECT_EQ(routing::parsed_body(r).get(), first.get());
  EXPECT_EQ((*first)["model"], "m");
  std::shared_ptr<const nlohmann::json> there;
  std::thread([&] { there = routing::parsed_body(r); }).join();
  EXPECT_NE(there.get(), first.get());
  EXPECT_EQ(*there, *first);
}

TEST(ParsedDocuments, ChangedTextIsParsedAgain) {
  auto r = record("agent-changed", R"({"v":1})");
  auto first = routing::parsed_body(r);
  r.body = R"({"v":2})";
  auto second = routing::parsed_body(r);
  EXPECT_EQ((*second)["v"], 2);
  EXPECT_EQ((*first)["v"], 1);
}

TEST(ParsedDocuments, MovedIntoNewMemoryTheCacheStaysWarmAndEqual) {
  auto agent = record("agent-moved", R"({"model":"m","metadata":{"k":["a","b"]}})");
  auto session = record("session-moved", R"({"agent":"agent-moved"})");
  auto old_agent = routing::parsed_body(agent);
  auto old_session = routing::parsed_body(session);
  rehome_thread_caches();
  auto new_agent = routing::parsed_body(agent);
  EXPECT_NE(new_agent.get(), old_agent.get()) << "not moved";
  EXPECT_EQ(*new_agent, *old_agent);
  EXPECT_EQ(routing::parsed_body(agent).get(), new_agent.get()) << "the moved copy is not cached";
  EXPECT_EQ(*routing::parsed_body(session), *old_session);
  EXPECT_EQ((*old_agent)["metadata"]["k"][1], "b");  // still whole for whoever holds it
}

TEST(ParsedDocuments, MovingAnEmptyCacheIsHarmless) {
  std::thread([] {
    rehome_thread_caches();  // what a worker does when it starts
    auto r = record("agent-fresh-thread", R"({"v":1})");
    EXPECT_EQ((*routing::parsed_body(r))["v"], 1);
  }).join();
}

}  // namespace
}  // namespace interlingua::dialects::sessions

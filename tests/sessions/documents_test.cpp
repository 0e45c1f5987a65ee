#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include <interlingua/dialects/sessions.hpp>

namespace interlingua {
namespace {

using namespace dialects::sessions;
using nlohmann::json;

json fixture(const std::string& name) {
  std::ifstream in(std::string(IL_FIXTURES_DIR) + "/sessions/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return json::parse(s.str());
}

json details_json(const std::vector<issue>& issues) {
  json out = json::array();
  for (const auto& i : issues) {
    out.push_back({{"type", i.type}, {"msg", i.msg}, {"loc", i.loc}, {"received", i.received}});
  }
  return out;
}

// Runs one fixture case through `parse` with its base and mode.
checked<json> run(checked<json> (*parse)(std::string_view, const json*, bool), const json& c) {
  std::string body = c.contains("body_text") ? c["body_text"].get<std::string>() : c["body"].dump();
  const json* base = c.contains("base") ? &c["base"] : nullptr;
  return parse(body, base, c.value("mode", "") == "patch");
}

void expect_cases(checked<json> (*parse)(std::string_view, const json*, bool), const json& f) {
  for (const auto& c : f["valid"]) {
    auto got = run(parse, c);
    ASSERT_TRUE(got.has_value()) << c["comment"] << ": " << details_json(got.error().details);
    EXPECT_EQ(*got, c["doc"]) << c["comment"];
  }
  for (const auto& c : f["invalid"]) {
    auto got = run(parse, c);
    ASSERT_FALSE(got.has_value()) << c["comment"];
    EXPECT_EQ(got.error().status, 422u) << c["comment"];
    EXPECT_EQ(got.error().code, "validation_error") << c["comment"];
    EXPECT_EQ(details_json(got.error().details), c["details"]) << c["comment"];
  }
  for (const auto& c : f.value("refused", json::array())) {
    auto got = run(parse, c);
    ASSERT_FALSE(got.has_value()) << c["comment"];
    EXPECT_EQ(got.error().status, c["status"].get<unsigned>()) << c["comment"];
    EXPECT_EQ(got.error().message, c["message"]) << c["comment"];
    EXPECT_TRUE(got.error().details.empty()) << c["comment"];
  }
}

store::document_record record_of(const json& doc) {
  const json r = fixture("documents_render.json")["record"];
  return store::document_record{r["id"], "owner", doc.dump(), r["created_us"], r["updated_us"]};
}

// Create, PUT and PATCH of agents store exactly the documented document; bad bodies give one
// pydantic-style issue per violation.
TEST(SessionsDocuments, AgentFixtures) {
  expect_cases(&parse_agent, fixture("agents.json"));
}

// The same for sessions, plus the 400s of the agent/agents rules (spec §5.1).
TEST(SessionsDocuments, SessionFixtures) {
  expect_cases(&parse_session, fixture("sessions.json"));
}

// Tool definitions are checked by validate_tool, with locations under tools[i].
TEST(SessionsDocuments, AgentToolsAreValidated) {
  auto got = parse_agent(R"({"name":"A","tools":[{"type":"function"}]})", nullptr, false);
  ASSERT_FALSE(got.has_value());
  ASSERT_FALSE(got.error().details.empty());
  for (const auto& i : got.error().details) {
    EXPECT_EQ(i.loc.rfind("tools[0]", 0), 0u) << i.loc;
  }
}

// session_agents reads the stored list, and the single `agent` of older documents.
TEST(SessionsDocuments, SessionAgents) {
  EXPECT_EQ(session_agents(json::parse(R"({"agents":["a","b"]})")),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(session_agents(json::parse(R"({"agent":"a"})")), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(session_agents(json::parse(R"({"agents":[1]})")).empty());
  EXPECT_TRUE(session_agents(json::array()).empty());
}

// The Session shape of spec §5.1, every key present, plus the agents/users ids.
TEST(SessionsDocuments, RenderSession) {
  const json f = fixture("documents_render.json");
  for (const char* name : {"session", "session_defaults"}) {
    EXPECT_EQ(json::parse(render_session(record_of(f[name]["doc"]))), f[name]["rendered"]) << name;
  }
}

// The Agent shape (Julep's Agent plus the tools kept on it).
TEST(SessionsDocuments, RenderAgent) {
  const json f = fixture("documents_render.json");
  EXPECT_EQ(json::parse(render_agent(record_of(f["agent"]["doc"]))), f["agent"]["rendered"]);
}

// What a document read back renders: create then render gives the defaults of the shape.
TEST(SessionsDocuments, ParsedDocumentsRender) {
  const json f = fixture("documents_render.json");
  auto doc = parse_session(R"({"agent":"0190f000-0000-7000-8000-0000000000aa"})", nullptr, false);
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(json::parse(render_session(record_of(*doc))), f["session_defaults"]["rendered"]);
}

// Lists wrap the rendered documents in {"items":[...]}; an empty list is {"items":[]}.
TEST(SessionsDocuments, RenderList) {
  const json f = fixture("documents_render.json");
  std::vector<store::document_record> records{record_of(f["agent"]["doc"]),
                                              record_of(f["agent"]["doc"])};
  json got = json::parse(render_list(records, &render_agent));
  EXPECT_EQ(got, (json{{"items", {f["agent"]["rendered"], f["agent"]["rendered"]}}}));
  EXPECT_EQ(render_list({}, &render_session), R"({"items":[]})");
}

// DELETE answers {"id","deleted_at","jobs":[]} with a current RFC 3339 time.
TEST(SessionsDocuments, RenderDeleted) {
  json got = json::parse(render_deleted("0197a000-0000-7000-8000-000000000001"));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got["id"], "0197a000-0000-7000-8000-000000000001");
  EXPECT_EQ(got["jobs"], json::array());
  std::string at = got["deleted_at"];
  ASSERT_EQ(at.size(), 27u) << at;
  EXPECT_EQ(at.substr(0, 2), "20");
  EXPECT_EQ(at.back(), 'Z');
}

// Entries (spec §5.6) keep content as parts and carry every Entry key; ids are fresh UUIDs.
TEST(SessionsDocuments, EntryOfMessage) {
  const json f = fixture("documents_render.json");
  std::set<std::string> ids;
  for (const auto& c : f["entries"]) {
    json e = entry_of_message(c["message"], c["source"].get<std::string>(),
                              c["model"].get<std::string>(), f["record"]["created_us"]);
    ASSERT_TRUE(e.contains("id")) << c["comment"];
    EXPECT_TRUE(is_uuid(e["id"].get<std::string>())) << c["comment"];
    ids.insert(e["id"].get<std::string>());
    e.erase("id");
    EXPECT_EQ(e, c["entry"]) << c["comment"];
  }
  EXPECT_EQ(ids.size(), f["entries"].size());
}

// History is {"entries","relations":[],"session_id","created_at"}, entries in stored order;
// a stored body that no longer parses is left out rather than failing the read.
TEST(SessionsDocuments, RenderHistory) {
  const json f = fixture("documents_render.json");
  std::vector<store::entry_record> entries;
  json expected = json::array();
  for (const auto& c : f["entries"]) {
    json e = c["entry"];
    e["id"] = "0197a000-0000-7000-8000-00000000000" + std::to_string(entries.size());
    entries.push_back(store::entry_record{e["id"], "s", e.dump(), 1});
    expected.push_back(e);
    if (entries.size() == 2) {
      entries.push_back(store::entry_record{"x", "s", "{broken", 1});
    }
  }
  json got = json::parse(
      render_history("0197a000-0000-7000-8000-0000000000ff", f["record"]["created_us"], entries));
  EXPECT_EQ(got, (json{{"entries", expected},
                       {"relations", json::array()},
                       {"session_id", "0197a000-0000-7000-8000-0000000000ff"},
                       {"created_at", "2025-06-01T12:00:00.123456Z"}}));
  EXPECT_EQ(json::parse(render_history("s", 0, {})),
            (json{{"entries", json::array()},
                  {"relations", json::array()},
                  {"session_id", "s"},
                  {"created_at", "1970-01-01T00:00:00.000000Z"}}));
}

// Timestamps always carry six fraction digits and Z, as upstream's (spec §3).
TEST(SessionsUtil, Timestamp) {
  EXPECT_EQ(timestamp(1748779200123456), "2025-06-01T12:00:00.123456Z");
  EXPECT_EQ(timestamp(1748853005000007), "2025-06-02T08:30:05.000007Z");
  EXPECT_EQ(timestamp(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(timestamp(-1), "1969-12-31T23:59:59.999999Z");
}

// New ids are canonical lower-case UUID v7 (version 7, RFC variant), time-ordered by their
// millisecond prefix, and distinct.
TEST(SessionsUtil, NewUuid) {
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 1000; ++i) {
    std::string id = new_uuid();
    ASSERT_TRUE(is_uuid(id)) << id;
    EXPECT_EQ(id[14], '7') << id;
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
    for (char c : id) {
      EXPECT_FALSE(c >= 'A' && c <= 'F') << id;
    }
    EXPECT_LE(previous.substr(0, 13), id.substr(0, 13));  // 48-bit ms prefix never goes back
    previous = id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

// Only the canonical 8-4-4-4-12 hex form is a UUID (path ids and participant ids).
TEST(SessionsUtil, IsUuid) {
  EXPECT_TRUE(is_uuid("0190f000-0000-7000-8000-0000000000aa"));
  EXPECT_TRUE(is_uuid("0190F000-0000-7000-8000-0000000000AA"));
  EXPECT_FALSE(is_uuid(""));
  EXPECT_FALSE(is_uuid("0190f0000000700080000000000000aa"));
  EXPECT_FALSE(is_uuid("0190f000-0000-7000-8000-0000000000ag"));
  EXPECT_FALSE(is_uuid("0190f000-0000-7000-8000-0000000000aa0"));
  EXPECT_FALSE(is_uuid("0190f000_0000-7000-8000-0000000000aa"));
  EXPECT_FALSE(is_uuid("{0190f000-0000-7000-8000-0000000000a}"));
}

}  // namespace
}  // namespace interlingua

#pragma once

// Stored agents, sessions and session history (Julep-style session chat). Like the interaction
// store, it keeps each object's JSON document as text beside the fields it queries, and never
// interprets the JSON. Same SQLite file, same durability: WAL, synchronous=FULL.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <interlingua/core/result.hpp>

namespace interlingua::store {

// An agent or a session.
struct document_record {
  std::string id;               // UUID (text)
  std::string owner;            // hash of the gateway key that created it ("" on an open gateway)
  std::string body;             // the dialect's JSON document
  std::int64_t created_us = 0;  // unix microseconds
  std::int64_t updated_us = 0;
};

// One history entry of a session, in the order they were appended.
struct entry_record {
  std::string id;  // UUID
  std::string session_id;
  std::string body;  // the dialect's Entry JSON
  std::int64_t created_us = 0;
};

struct list_query {
  std::int64_t limit = 100;  // 1..1000
  std::int64_t offset = 0;
  bool by_updated = false;  // sort by updated_us instead of created_us
  bool descending = true;
};

// Blocking interface: implementations are called from the store thread pool only (release_memory
// excepted). Every call is scoped to `owner`: another owner's objects do not exist for it.
class session_store {
 public:
  virtual ~session_store() = default;

  // Inserts or replaces.
  virtual core::result<void> put_agent(const document_record& r) = 0;
  virtual core::result<std::optional<document_record>> get_agent(std::string_view id,
                                                                 std::string_view owner) = 0;
  virtual core::result<std::vector<document_record>> list_agents(std::string_view owner,
                                                                 const list_query& q) = 0;
  // false when there was nothing to delete.
  virtual core::result<bool> remove_agent(std::string_view id, std::string_view owner) = 0;

  virtual core::result<void> put_session(const document_record& r) = 0;
  virtual core::result<std::optional<document_record>> get_session(std::string_view id,
                                                                   std::string_view owner) = 0;
  virtual core::result<std::vector<document_record>> list_sessions(std::string_view owner,
                                                                   const list_query& q) = 0;
  // Removes the session and its history in one transaction.
  virtual core::result<bool> remove_session(std::string_view id, std::string_view owner) = 0;

  // Appends entries to a session's history in one transaction: all or none. false (nothing
  // written) when the session does not exist for this owner.
  virtual core::result<bool> append_entries(std::string_view session_id, std::string_view owner,
                                            const std::vector<entry_record>& entries) = 0;
  // The session's history in append order; empty when the session has none.
  virtual core::result<std::vector<entry_record>> history(std::string_view session_id,
                                                          std::string_view owner) = 0;
  // Removes the session's history, keeping the session; false when the session does not exist.
  virtual core::result<bool> clear_history(std::string_view session_id, std::string_view owner) = 0;
  // Gives back memory the store can rebuild from its file (a page cache): called when load has
  // dropped, from any thread.
  virtual void release_memory() {}
  // Reads now what the store would otherwise read at its first call under load (SQLite parses
  // the schema lazily, and again once another connection changed it), so that this memory is
  // taken at start-up and not in the middle of a burst, where it would keep the burst's memory
  // from going back. Called once, after every store on the file is open.
  virtual void warm_up() {}
};

// Opens the session tables in the SQLite file at `path` (the same file as the interactions; a
// separate connection). nullptr and `error` set when it cannot be opened or migrated.
std::shared_ptr<session_store> open_sqlite_sessions(const std::string& path, std::string& error);

}  // namespace interlingua::store

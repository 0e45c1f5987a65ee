#pragma once

// Stored interactions. The store keeps the dialect's JSON (steps, usage, request echo) as text
// beside the fields it queries; it never interprets the JSON.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <interlingua/core/result.hpp>

namespace interlingua::store {

struct interaction_record {
  std::string id;
  std::string owner;  // hash of the gateway key that created it ("" on an open gateway)
  std::string model;
  std::string status;
  std::string previous_id;   // previous_interaction_id, "" when none
  std::string input_steps;   // JSON array: this interaction's input, as steps
  std::string output_steps;  // JSON array: the steps the model produced
  std::string usage;         // JSON object
  std::string request;       // JSON object: request config (system_instruction, tools, ...)
  std::int64_t created = 0;  // unix seconds
  std::int64_t updated = 0;
  std::string error;  // JSON object {code, message} when the run failed; "" otherwise
};

// What one retention sweep removed.
struct purge_result {
  std::int64_t expired = 0;  // older than the retention period
  std::int64_t evicted = 0;  // oldest first, to bring the store under its size cap
};

// Blocking interface: implementations are called from the store thread pool only (release_memory
// excepted).
class interaction_store {
 public:
  virtual ~interaction_store() = default;
  // Inserts or replaces. Returns once the write is durable.
  virtual core::result<void> put(const interaction_record& r) = 0;
  // Inserts or replaces every record, one result each, in order; returns once they are durable.
  // A store that can make them durable together (one transaction, one sync) overrides this;
  // a record's failure must not fail the others.
  virtual std::vector<core::result<void>> put_many(std::span<const interaction_record* const> rs) {
    std::vector<core::result<void>> out;
    out.reserve(rs.size());
    for (const auto* r : rs) {
      out.push_back(put(*r));
    }
    return out;
  }
  // Replaces a record that still exists (id and owner); false, writing nothing, when it was
  // deleted meanwhile — a background run finishing after a DELETE must not bring it back.
  virtual core::result<bool> update(const interaction_record& r) = 0;
  // nullopt when there is no such id for this owner (another owner's record is invisible).
  virtual core::result<std::optional<interaction_record>> get(std::string_view id,
                                                              std::string_view owner) = 0;
  // false when there was nothing to delete for this owner.
  virtual core::result<bool> remove(std::string_view id, std::string_view owner) = 0;
  // Marks every `in_progress` interaction `failed` with `error` (a JSON object) and returns how
  // many there were: runs the process can no longer finish (start-up after a crash, shutdown).
  virtual core::result<std::int64_t> fail_running(std::string_view error, std::int64_t now) = 0;
  // Removes finished interactions last updated before `updated_before` (0: none), then the
  // oldest finished ones until the stored bytes are within `max_bytes` (0: no cap). Running
  // interactions are never removed.
  virtual core::result<purge_result> purge(std::int64_t updated_before, std::int64_t max_bytes) = 0;
  // Readiness: the store can serve (e.g. the database file is open and writable).
  virtual bool healthy() = 0;
  // Gives back memory the store can rebuild from its file (a page cache): called when load has
  // dropped, from any thread.
  virtual void release_memory() {}
  // Reads now what the store would otherwise read at its first call under load (SQLite parses
  // the schema lazily, and again once another connection changed it), so that this memory is
  // taken at start-up and not in the middle of a burst, where it would keep the burst's memory
  // from going back. Called once, after every store on the file is open.
  virtual void warm_up() {}
};

// SQLite (WAL, synchronous=FULL) at `path`; ":memory:" for a private in-memory database.
// Returns nullptr and sets `error` when the database cannot be opened or migrated.
std::shared_ptr<interaction_store> open_sqlite(const std::string& path, std::string& error);

}  // namespace interlingua::store

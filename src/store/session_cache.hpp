#pragma once

// What session chat reads on every call — the session, its agent and its history — kept in
// memory so that a chat on a warm session does not leave the worker thread for the store pool
// (a round trip there cost a session chat ~0.2 ms at p50: bench/RESULTS.md).
//
// The gateway is the only writer of its store (one SQLite file, one process), so the cache can
// be exact: every write invalidates what it touched after it committed and before its caller
// hears back, and a read from the store only fills the cache when no write invalidated
// anything since the read began (a generation number), so a stale read cannot land after the
// invalidation that should have removed it. Bounded: past its caps a map is emptied.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <interlingua/store/sessions.hpp>

namespace interlingua::store {

class session_cache {
 public:
  static constexpr std::size_t max_documents = 4096;             // per kind (agents, sessions)
  static constexpr std::size_t max_history_bytes = 8 << 20;      // all cached histories
  static constexpr std::size_t max_session_history = 256 << 10;  // one session's, to be cached

  // A snapshot to fill from after a store read; invalid if a write came between.
  std::uint64_t generation() const;

  std::optional<document_record> agent(std::string_view owner, std::string_view id) const;
  std::optional<document_record> session(std::string_view owner, std::string_view id) const;
  // A cached history is immutable and shared: a warm chat takes a reference, not a copy.
  using history_ptr = std::shared_ptr<const std::vector<entry_record>>;
  history_ptr history(std::string_view owner, std::string_view session_id) const;

  // Fill after a read that began at `since`; ignored if a write happened in between.
  void fill_agent(std::uint64_t since, std::string_view owner, const document_record& r);
  void fill_session(std::uint64_t since, std::string_view owner, const document_record& r);
  void fill_history(std::uint64_t since, std::string_view owner, std::string_view session_id,
                    history_ptr entries);

  // After a committed write (or a failed one: the store's state is then unknown).
  void forget_agent(std::string_view owner, std::string_view id);
  void forget_session(std::string_view owner, std::string_view id);  // and its history
  void forget_history(std::string_view owner, std::string_view session_id);

  // Copies every entry into new memory and frees the old copies. Called when load has dropped,
  // inside core::startup_arena_scope: the copies go into start-up memory, and the pages of
  // the burst in which the entries were filled can go back to the system instead of staying
  // resident for a few small objects (bench/RESULTS.md). Holds the lock for the copy: at most
  // the caps above, and only at quiet time.
  void rehome();

 private:
  static std::string key(std::string_view owner, std::string_view id);
  void erase_history(const std::string& k);

  struct cached_history {
    history_ptr entries;
    std::size_t bytes = 0;
  };

  mutable std::mutex mutex_;
  std::uint64_t generation_ = 0;
  std::unordered_map<std::string, document_record> agents_;
  std::unordered_map<std::string, document_record> sessions_;
  std::unordered_map<std::string, cached_history> histories_;
  std::size_t history_bytes_ = 0;
};

}  // namespace interlingua::store

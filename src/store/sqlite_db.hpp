#pragma once

// A thin RAII layer over the SQLite C API: errors become core::error, never exceptions.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <interlingua/core/result.hpp>

struct sqlite3;
struct sqlite3_stmt;

namespace interlingua::store {

class statement {
 public:
  statement(sqlite3* db, sqlite3_stmt* st) : db_(db), st_(st, &finalize) {}

  statement& bind(int at, std::string_view text);
  statement& bind(int at, std::int64_t value);
  // true: a row is ready; false: done.
  core::result<bool> step();
  // Steps until done (for writes).
  core::result<void> run_to_end();
  std::string text(int column) const;
  std::int64_t integer(int column) const;

 private:
  static void finalize(sqlite3_stmt* st);
  core::error failure(int rc) const;

  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, void (*)(sqlite3_stmt*)> st_;
};

class sqlite_db {
 public:
  // Opens (creating) the file with WAL journaling and synchronous=FULL, so a committed write
  // survives power loss; ":memory:" opens a private in-memory database.
  static core::result<sqlite_db> open(const std::string& path);

  core::result<void> exec(const char* sql);
  core::result<statement> prepare(const char* sql);
  std::int64_t changes() const;
  // Frees the page cache's unused pages (SQLite refills it from the file as needed).
  void release_memory();
  // Makes the connection read the schema now if its copy is missing or stale.
  void load_schema();

 private:
  explicit sqlite_db(sqlite3* db) : db_(db, &close) {}
  static void close(sqlite3* db);
  core::error failure(int rc, std::string_view what) const;

  std::unique_ptr<sqlite3, void (*)(sqlite3*)> db_;
};

}  // namespace interlingua::store

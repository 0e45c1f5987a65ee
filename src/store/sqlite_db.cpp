#include "sqlite_db.hpp"

#include <sqlite3.h>

namespace interlingua::store {

namespace {

core::error store_error(std::string message) {
  return core::make_error(core::error_kind::internal, "store: " + std::move(message));
}

}  // namespace

void statement::finalize(sqlite3_stmt* st) {
  sqlite3_finalize(st);
}

core::error statement::failure(int rc) const {
  return store_error(std::string(sqlite3_errstr(rc)) + ": " + sqlite3_errmsg(db_));
}

statement& statement::bind(int at, std::string_view text) {
  sqlite3_bind_text(st_.get(), at, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

statement& statement::bind(int at, std::int64_t value) {
  sqlite3_bind_int64(st_.get(), at, value);
  return *this;
}

core::result<bool> statement::step() {
  int rc = sqlite3_step(st_.get());
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return failure(rc);
}

core::result<void> statement::run_to_end() {
  for (;;) {
    auto row = step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      return {};
    }
  }
}

std::string statement::text(int column) const {
  const auto* p = sqlite3_column_text(st_.get(), column);
  int n = sqlite3_column_bytes(st_.get(), column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
           : std::string{};
}

std::int64_t statement::integer(int column) const {
  return sqlite3_column_int64(st_.get(), column);
}

void sqlite_db::close(sqlite3* db) {
  sqlite3_close_v2(db);
}

core::error sqlite_db::failure(int rc, std::string_view what) const {
  std::string message = std::string(what) + ": " + sqlite3_errstr(rc);
  if (db_) {
    message += std::string(" (") + sqlite3_errmsg(db_.get()) + ")";
  }
  return store_error(std::move(message));
}

core::result<sqlite_db> sqlite_db::open(const std::string& path) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  sqlite_db db(raw);
  if (rc != SQLITE_OK) {
    return store_error("cannot open " + path + ": " + sqlite3_errstr(rc));
  }
  sqlite3_busy_timeout(raw, 5000);
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"}) {
    if (auto r = db.exec(pragma); !r) {
      return r.error();
    }
  }
  return db;
}

core::result<void> sqlite_db::exec(const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return store_error(text);
  }
  return {};
}

core::result<statement> sqlite_db::prepare(const char* sql) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql, -1, &st, nullptr);
  if (rc != SQLITE_OK) {
    return failure(rc, "prepare");
  }
  return statement(db_.get(), st);
}

std::int64_t sqlite_db::changes() const {
  return sqlite3_changes64(db_.get());
}

void sqlite_db::release_memory() {
  sqlite3_db_release_memory(db_.get());
}

void sqlite_db::load_schema() {
  // Naming a table makes SQLite read the schema if its copy is missing or stale.
  (void)exec("SELECT count(*) FROM sqlite_schema");
}

}  // namespace interlingua::store

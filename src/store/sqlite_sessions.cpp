#include <interlingua/store/sessions.hpp>

#include <algorithm>
#include <mutex>

#include "sqlite_db.hpp"

namespace interlingua::store {

namespace {

// Every key starts with owner: the same id under two owners is two objects, so one gateway key
// can never overwrite (or even detect) another's. Entries carry their owner too, so each query
// is scoped by the index alone.
constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS agents (
  owner       TEXT NOT NULL,
  id          TEXT NOT NULL,
  body        TEXT NOT NULL,
  created_us  INTEGER NOT NULL,
  updated_us  INTEGER NOT NULL,
  PRIMARY KEY (owner, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS agents_by_created ON agents (owner, created_us, id);
CREATE INDEX IF NOT EXISTS agents_by_updated ON agents (owner, updated_us, id);
CREATE TABLE IF NOT EXISTS sessions (
  owner       TEXT NOT NULL,
  id          TEXT NOT NULL,
  body        TEXT NOT NULL,
  created_us  INTEGER NOT NULL,
  updated_us  INTEGER NOT NULL,
  PRIMARY KEY (owner, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_by_created ON sessions (owner, created_us, id);
CREATE INDEX IF NOT EXISTS sessions_by_updated ON sessions (owner, updated_us, id);
CREATE TABLE IF NOT EXISTS entries (
  owner       TEXT NOT NULL,
  id          TEXT NOT NULL,
  session_id  TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  body        TEXT NOT NULL,
  created_us  INTEGER NOT NULL,
  PRIMARY KEY (owner, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS entries_by_session ON entries (owner, session_id, seq);
)sql";

constexpr const char* next_seq_sql =
    "SELECT COALESCE(MAX(seq), 0) + 1 FROM entries WHERE owner = ? AND session_id = ?";
constexpr const char* append_sql =
    "INSERT INTO entries (owner, id, session_id, seq, body, created_us) VALUES (?,?,?,?,?,?)";
constexpr const char* history_sql =
    "SELECT id, session_id, body, created_us FROM entries WHERE owner = ? AND session_id = ? "
    "ORDER BY seq";
constexpr const char* clear_sql = "DELETE FROM entries WHERE owner = ? AND session_id = ?";

constexpr std::int64_t max_list_limit = 1000;

// The statements of one document table (agents or sessions); the table name is ours, never input.
struct document_sql {
  explicit document_sql(const std::string& table) {
    const std::string columns = "id, owner, body, created_us, updated_us";
    put = "INSERT OR REPLACE INTO " + table + " (" + columns + ") VALUES (?,?,?,?,?)";
    get = "SELECT " + columns + " FROM " + table + " WHERE owner = ? AND id = ?";
    exists = "SELECT 1 FROM " + table + " WHERE owner = ? AND id = ?";
    remove = "DELETE FROM " + table + " WHERE owner = ? AND id = ?";
    for (int by_updated = 0; by_updated < 2; ++by_updated) {
      for (int descending = 0; descending < 2; ++descending) {
        std::string column = by_updated ? "updated_us" : "created_us";
        std::string order = descending ? " DESC" : " ASC";
        list[by_updated][descending] = "SELECT " + columns + " FROM " + table +
                                       " WHERE owner = ? ORDER BY " + column + order + ", id" +
                                       order + " LIMIT ? OFFSET ?";
      }
    }
  }

  std::string put, get, exists, remove;
  std::string list[2][2];  // [by_updated][descending]; id breaks ties so pages never overlap
};

// BEGIN IMMEDIATE takes the write lock up front, so a read-then-write (the existence check before
// an append) never fails half-way on the other connection's lock; rolled back unless committed.
class write_transaction {
 public:
  explicit write_transaction(sqlite_db& db) : db_(db), begun_(db.exec("BEGIN IMMEDIATE")) {}
  ~write_transaction() {
    if (begun_ && !committed_) {
      (void)db_.exec("ROLLBACK");
    }
  }
  write_transaction(const write_transaction&) = delete;
  write_transaction& operator=(const write_transaction&) = delete;

  const core::result<void>& begun() const { return begun_; }
  core::result<void> commit() {
    auto r = db_.exec("COMMIT");
    committed_ = r.has_value();
    return r;
  }

 private:
  sqlite_db& db_;
  core::result<void> begun_;
  bool committed_ = false;
};

core::result<std::vector<document_record>> read_documents(statement& st) {
  std::vector<document_record> out;
  for (;;) {
    auto row = st.step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      return out;
    }
    out.push_back(
        document_record{st.text(0), st.text(1), st.text(2), st.integer(3), st.integer(4)});
  }
}

class sqlite_sessions final : public session_store {
 public:
  explicit sqlite_sessions(sqlite_db db) : db_(std::move(db)) {}

  core::result<void> put_agent(const document_record& r) override { return put(agents_, r); }
  core::result<std::optional<document_record>> get_agent(std::string_view id,
                                                         std::string_view owner) override {
    return get(agents_, id, owner);
  }
  core::result<std::vector<document_record>> list_agents(std::string_view owner,
                                                         const list_query& q) override {
    return list(agents_, owner, q);
  }
  core::result<bool> remove_agent(std::string_view id, std::string_view owner) override {
    std::lock_guard lock(mutex_);
    return run_counting(agents_.remove.c_str(), owner, id);
  }

  core::result<void> put_session(const document_record& r) override { return put(sessions_, r); }
  core::result<std::optional<document_record>> get_session(std::string_view id,
                                                           std::string_view owner) override {
    return get(sessions_, id, owner);
  }
  core::result<std::vector<document_record>> list_sessions(std::string_view owner,
                                                           const list_query& q) override {
    return list(sessions_, owner, q);
  }

  core::result<bool> remove_session(std::string_view id, std::string_view owner) override {
    std::lock_guard lock(mutex_);
    write_transaction tx(db_);
    if (!tx.begun()) {
      return tx.begun().error();
    }
    auto removed = run_counting(sessions_.remove.c_str(), owner, id);
    if (!removed || !*removed) {
      return removed;
    }
    if (auto cleared = run_counting(clear_sql, owner, id); !cleared) {
      return cleared.error();
    }
    if (auto done = tx.commit(); !done) {
      return done.error();
    }
    return true;
  }

  core::result<bool> append_entries(std::string_view session_id, std::string_view owner,
                                    const std::vector<entry_record>& entries) override {
    std::lock_guard lock(mutex_);
    write_transaction tx(db_);
    if (!tx.begun()) {
      return tx.begun().error();
    }
    auto found = session_exists(session_id, owner);
    if (!found || !*found) {
      return found;
    }
    auto seq = next_seq(session_id, owner);
    if (!seq) {
      return seq.error();
    }
    for (const auto& e : entries) {
      auto st = db_.prepare(append_sql);
      if (!st) {
        return st.error();
      }
      // The argument names the session; an entry's own session_id is not trusted over it.
      st->bind(1, owner).bind(2, e.id).bind(3, session_id).bind(4, (*seq)++);
      st->bind(5, e.body).bind(6, e.created_us);
      if (auto done = st->run_to_end(); !done) {
        return done.error();
      }
    }
    if (auto done = tx.commit(); !done) {
      return done.error();
    }
    return true;
  }

  core::result<std::vector<entry_record>> history(std::string_view session_id,
                                                  std::string_view owner) override {
    std::lock_guard lock(mutex_);
    auto st = db_.prepare(history_sql);
    if (!st) {
      return st.error();
    }
    st->bind(1, owner).bind(2, session_id);
    std::vector<entry_record> out;
    for (;;) {
      auto row = st->step();
      if (!row) {
        return row.error();
      }
      if (!*row) {
        return out;
      }
      out.push_back(entry_record{st->text(0), st->text(1), st->text(2), st->integer(3)});
    }
  }

  core::result<bool> clear_history(std::string_view session_id, std::string_view owner) override {
    std::lock_guard lock(mutex_);
    write_transaction tx(db_);
    if (!tx.begun()) {
      return tx.begun().error();
    }
    auto found = session_exists(session_id, owner);
    if (!found || !*found) {
      return found;
    }
    if (auto cleared = run_counting(clear_sql, owner, session_id); !cleared) {
      return cleared.error();
    }
    if (auto done = tx.commit(); !done) {
      return done.error();
    }
    return true;
  }

  void release_memory() override {
    std::lock_guard lock(mutex_);
    db_.release_memory();
  }

  void warm_up() override {
    std::lock_guard lock(mutex_);
    db_.load_schema();
  }

 private:
  core::result<void> put(const document_sql& sql, const document_record& r) {
    std::lock_guard lock(mutex_);
    auto st = db_.prepare(sql.put.c_str());
    if (!st) {
      return st.error();
    }
    st->bind(1, r.id).bind(2, r.owner).bind(3, r.body).bind(4, r.created_us).bind(5, r.updated_us);
    return st->run_to_end();
  }

  core::result<std::optional<document_record>> get(const document_sql& sql, std::string_view id,
                                                   std::string_view owner) {
    std::lock_guard lock(mutex_);
    auto st = db_.prepare(sql.get.c_str());
    if (!st) {
      return st.error();
    }
    st->bind(1, owner).bind(2, id);
    auto rows = read_documents(*st);
    if (!rows) {
      return rows.error();
    }
    if (rows->empty()) {
      return std::optional<document_record>{};
    }
    return std::optional<document_record>{std::move(rows->front())};
  }

  core::result<std::vector<document_record>> list(const document_sql& sql, std::string_view owner,
                                                  const list_query& q) {
    std::lock_guard lock(mutex_);
    auto st = db_.prepare(sql.list[q.by_updated ? 1 : 0][q.descending ? 1 : 0].c_str());
    if (!st) {
      return st.error();
    }
    st->bind(1, owner)
        .bind(2, std::clamp<std::int64_t>(q.limit, 1, max_list_limit))
        .bind(3, std::max<std::int64_t>(q.offset, 0));
    return read_documents(*st);
  }

  // Runs a write whose parameters are (owner, id); true when it changed a row. The caller holds
  // the mutex.
  core::result<bool> run_counting(const char* sql, std::string_view owner, std::string_view id) {
    auto st = db_.prepare(sql);
    if (!st) {
      return st.error();
    }
    st->bind(1, owner).bind(2, id);
    if (auto done = st->run_to_end(); !done) {
      return done.error();
    }
    return db_.changes() > 0;
  }

  core::result<bool> session_exists(std::string_view id, std::string_view owner) {
    auto st = db_.prepare(sessions_.exists.c_str());
    if (!st) {
      return st.error();
    }
    st->bind(1, owner).bind(2, id);
    return st->step();
  }

  core::result<std::int64_t> next_seq(std::string_view session_id, std::string_view owner) {
    auto st = db_.prepare(next_seq_sql);
    if (!st) {
      return st.error();
    }
    st->bind(1, owner).bind(2, session_id);
    auto row = st->step();
    if (!row) {
      return row.error();
    }
    return st->integer(0);
  }

  const document_sql agents_{"agents"};
  const document_sql sessions_{"sessions"};
  std::mutex mutex_;  // one connection, opened without SQLite's own mutex
  sqlite_db db_;
};

}  // namespace

std::shared_ptr<session_store> open_sqlite_sessions(const std::string& path, std::string& error) {
  auto db = sqlite_db::open(path);
  if (!db) {
    error = db.error().message;
    return nullptr;
  }
  // The interactions' connection writes to the same file: wait for its lock rather than fail.
  for (const char* sql : {"PRAGMA busy_timeout=5000", schema}) {
    if (auto done = db->exec(sql); !done) {
      error = done.error().message;
      return nullptr;
    }
  }
  return std::make_shared<sqlite_sessions>(std::move(*db));
}

}  // namespace interlingua::store

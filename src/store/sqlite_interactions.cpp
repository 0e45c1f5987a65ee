#include <interlingua/store/interactions.hpp>

#include <algorithm>
#include <mutex>
#include <vector>

#include <sqlite3.h>

#include "sqlite_db.hpp"

namespace interlingua::store {

namespace {

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS interactions (
  id            TEXT PRIMARY KEY,
  owner         TEXT NOT NULL,
  model         TEXT NOT NULL,
  status        TEXT NOT NULL,
  previous_id   TEXT NOT NULL,
  input_steps   TEXT NOT NULL,
  output_steps  TEXT NOT NULL,
  usage         TEXT NOT NULL,
  request       TEXT NOT NULL,
  created       INTEGER NOT NULL,
  updated       INTEGER NOT NULL,
  error         TEXT NOT NULL DEFAULT '',
  size          INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS interactions_updated ON interactions (updated);
)sql";

// Columns added after the first release, for databases created before them: name, definition.
constexpr std::pair<const char*, const char*> added_columns[] = {
    {"error", "TEXT NOT NULL DEFAULT ''"},
    {"size", "INTEGER NOT NULL DEFAULT 0"},
};

constexpr const char* put_sql =
    "INSERT OR REPLACE INTO interactions (id, owner, model, status, previous_id, input_steps, "
    "output_steps, usage, request, created, updated, error, size) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)";
constexpr const char* update_sql =
    "UPDATE interactions SET model = ?, status = ?, previous_id = ?, input_steps = ?, "
    "output_steps = ?, usage = ?, request = ?, created = ?, updated = ?, error = ?, size = ? "
    "WHERE id = ? AND owner = ?";
constexpr const char* get_sql =
    "SELECT id, owner, model, status, previous_id, input_steps, output_steps, usage, request, "
    "created, updated, error FROM interactions WHERE id = ? AND owner = ?";
constexpr const char* fail_running_sql =
    "UPDATE interactions SET status = 'failed', error = ?, updated = ? WHERE status = "
    "'in_progress'";
constexpr const char* expire_sql =
    "DELETE FROM interactions WHERE updated < ? AND status != 'in_progress'";
constexpr const char* total_size_sql = "SELECT COALESCE(SUM(size), 0) FROM interactions";
constexpr const char* oldest_sql =
    "SELECT id, size FROM interactions WHERE status != 'in_progress' ORDER BY updated, id LIMIT "
    "256";
constexpr const char* backfill_size_sql =
    "UPDATE interactions SET size = length(id) + length(owner) + length(model) + length(status) + "
    "length(previous_id) + length(input_steps) + length(output_steps) + length(usage) + "
    "length(request) + length(error) + 16";
constexpr const char* evict_sql = "DELETE FROM interactions WHERE id = ?";

// What a record costs on disk, near enough for the size cap: its text columns.
std::int64_t size_of(const interaction_record& r) {
  std::size_t n = r.id.size() + r.owner.size() + r.model.size() + r.status.size() +
                  r.previous_id.size() + r.input_steps.size() + r.output_steps.size() +
                  r.usage.size() + r.request.size() + r.error.size() + 16;
  return static_cast<std::int64_t>(n);
}
constexpr const char* remove_sql = "DELETE FROM interactions WHERE id = ? AND owner = ?";

class sqlite_interactions final : public interaction_store {
 public:
  explicit sqlite_interactions(sqlite_db db) : db_(std::move(db)) {}

  core::result<void> put(const interaction_record& r) override {
    std::lock_guard lock(mutex_);
    return insert(r);
  }

  // Group commit: every record in one transaction, so one sync makes them all durable. If any
  // of it fails, nothing of it is kept and each record is written again in its own transaction,
  // so that one record's failure is that record's alone.
  std::vector<core::result<void>> put_many(std::span<const interaction_record* const> rs) override {
    std::lock_guard lock(mutex_);
    if (rs.size() > 1 && db_.exec("BEGIN IMMEDIATE")) {
      bool written = true;
      for (const auto* r : rs) {
        if (!insert(*r)) {
          written = false;
          break;
        }
      }
      if (written && db_.exec("COMMIT")) {
        return std::vector<core::result<void>>(rs.size());
      }
      (void)db_.exec("ROLLBACK");
    }
    std::vector<core::result<void>> out;
    out.reserve(rs.size());
    for (const auto* r : rs) {
      out.push_back(insert(*r));
    }
    return out;
  }

  core::result<bool> update(const interaction_record& r) override {
    std::lock_guard lock(mutex_);
    auto st = db_.prepare(update_sql);
    if (!st) {
      return st.error();
    }
    st->bind(1, r.model).bind(2, r.status).bind(3, r.previous_id).bind(4, r.input_steps);
    st->bind(5, r.output_steps).bind(6, r.usage).bind(7, r.request).bind(8, r.created);
    st->bind(9, r.updated).bind(10, r.error).bind(11, size_of(r)).bind(12, r.id).bind(13, r.owner);
    if (auto done = st->run_to_end(); !done) {
      return done.error();
    }
    return db_.changes() > 0;
  }

  core::result<std::optional<interaction_record>> get(std::string_view id,
                                                      std::string_view owner) override {
    std::lock_guard lock(mutex_);
    auto st = db_.prepare(get_sql);
    if (!st) {
      return st.error();
    }
    st->bind(1, id).bind(2, owner);
    auto row = st->step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      return std::optional<interaction_record>{};
    }
    interaction_record r{st->text(0), st->text(1),    st->text(2),     st->text(3),
                         st->text(4), st->text(5),    st->text(6),     st->text(7),
                         st->text(8), st->integer(9), st->integer(10), st->text(11)};
    return std::optional<interaction_record>{std::move(r)};
  }

  core::result<bool> remove(std::string_view id, std::string_view owner) override {
    std::lock_guard lock(mutex_);
    auto st = db_.prepare(remove_sql);
    if (!st) {
      return st.error();
    }
    st->bind(1, id).bind(2, owner);
    if (auto done = st->run_to_end(); !done) {
      return done.error();
    }
    return db_.changes() > 0;
  }

  core::result<std::int64_t> fail_running(std::string_view error, std::int64_t now) override {
    std::lock_guard lock(mutex_);
    auto st = db_.prepare(fail_running_sql);
    if (!st) {
      return st.error();
    }
    st->bind(1, error).bind(2, now);
    if (auto done = st->run_to_end(); !done) {
      return done.error();
    }
    return db_.changes();
  }

  core::result<purge_result> purge(std::int64_t updated_before, std::int64_t max_bytes) override {
    std::lock_guard lock(mutex_);
    purge_result out;
    if (updated_before > 0) {
      auto st = db_.prepare(expire_sql);
      if (!st) {
        return st.error();
      }
      st->bind(1, updated_before);
      if (auto done = st->run_to_end(); !done) {
        return done.error();
      }
      out.expired = db_.changes();
    }
    if (max_bytes > 0) {
      auto evicted = evict_to(max_bytes);
      if (!evicted) {
        return evicted.error();
      }
      out.evicted = *evicted;
    }
    return out;
  }

  bool healthy() override {
    std::lock_guard lock(mutex_);
    return db_.exec("SELECT 1").has_value();
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
  core::result<std::int64_t> total_size() {
    auto st = db_.prepare(total_size_sql);
    if (!st) {
      return st.error();
    }
    auto row = st->step();
    if (!row) {
      return row.error();
    }
    return st->integer(0);
  }

  // Deletes the oldest finished records until the total is within `max_bytes`, in one
  // transaction per batch so a crash never leaves half a batch.
  core::result<std::int64_t> evict_to(std::int64_t max_bytes) {
    std::int64_t evicted = 0;
    for (;;) {
      auto total = total_size();
      if (!total) {
        return total.error();
      }
      std::int64_t excess = *total - max_bytes;
      if (excess <= 0) {
        return evicted;
      }
      std::vector<std::string> victims;
      {
        auto st = db_.prepare(oldest_sql);
        if (!st) {
          return st.error();
        }
        for (;;) {
          auto row = st->step();
          if (!row) {
            return row.error();
          }
          if (!*row || excess <= 0) {
            break;
          }
          victims.push_back(st->text(0));
          excess -= st->integer(1);
        }
      }
      if (victims.empty()) {
        return evicted;  // only running interactions left
      }
      if (auto r = db_.exec("BEGIN IMMEDIATE"); !r) {
        return r.error();
      }
      for (const auto& id : victims) {
        auto st = db_.prepare(evict_sql);
        if (!st) {
          (void)db_.exec("ROLLBACK");
          return st.error();
        }
        st->bind(1, id);
        if (auto done = st->run_to_end(); !done) {
          (void)db_.exec("ROLLBACK");
          return done.error();
        }
        evicted += db_.changes();
      }
      if (auto r = db_.exec("COMMIT"); !r) {
        (void)db_.exec("ROLLBACK");
        return r.error();
      }
    }
  }

  // One insert, in the caller's transaction if one is open (else its own). Under mutex_.
  core::result<void> insert(const interaction_record& r) {
    auto st = db_.prepare(put_sql);
    if (!st) {
      return st.error();
    }
    st->bind(1, r.id).bind(2, r.owner).bind(3, r.model).bind(4, r.status).bind(5, r.previous_id);
    st->bind(6, r.input_steps).bind(7, r.output_steps).bind(8, r.usage).bind(9, r.request);
    st->bind(10, r.created).bind(11, r.updated).bind(12, r.error).bind(13, size_of(r));
    return st->run_to_end();
  }

  std::mutex mutex_;  // one connection; SQLite serializes writers anyway
  sqlite_db db_;
};

core::result<void> add_missing_columns(sqlite_db& db) {
  auto st = db.prepare("SELECT name FROM pragma_table_info('interactions')");
  if (!st) {
    return st.error();
  }
  std::vector<std::string> have;
  for (;;) {
    auto row = st->step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      break;
    }
    have.push_back(st->text(0));
  }
  for (const auto& [name, definition] : added_columns) {
    if (std::find(have.begin(), have.end(), name) == have.end()) {
      std::string sql =
          std::string("ALTER TABLE interactions ADD COLUMN ") + name + " " + definition;
      if (auto r = db.exec(sql.c_str()); !r) {
        return r.error();
      }
      if (std::string_view(name) == "size") {
        if (auto r = db.exec(backfill_size_sql); !r) {
          return r.error();
        }
      }
    }
  }
  return {};
}

}  // namespace

std::shared_ptr<interaction_store> open_sqlite(const std::string& path, std::string& error) {
  auto db = sqlite_db::open(path);
  if (!db) {
    error = db.error().message;
    return nullptr;
  }
  if (auto made = db->exec(schema); !made) {
    error = made.error().message;
    return nullptr;
  }
  if (auto migrated = add_missing_columns(*db); !migrated) {
    error = migrated.error().message;
    return nullptr;
  }
  return std::make_shared<sqlite_interactions>(std::move(*db));
}

}  // namespace interlingua::store

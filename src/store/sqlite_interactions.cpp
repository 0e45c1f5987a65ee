#include <interlingua/store/interactions.hpp>

#include <mutex>

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
  updated       INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

constexpr const char* put_sql =
    "INSERT OR REPLACE INTO interactions (id, owner, model, status, previous_id, input_steps, "
    "output_steps, usage, request, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?)";
constexpr const char* get_sql =
    "SELECT id, owner, model, status, previous_id, input_steps, output_steps, usage, request, "
    "created, updated FROM interactions WHERE id = ? AND owner = ?";
constexpr const char* remove_sql = "DELETE FROM interactions WHERE id = ? AND owner = ?";

class sqlite_interactions final : public interaction_store {
 public:
  explicit sqlite_interactions(sqlite_db db) : db_(std::move(db)) {}

  core::result<void> put(const interaction_record& r) override {
    std::lock_guard lock(mutex_);
    auto st = db_.prepare(put_sql);
    if (!st) {
      return st.error();
    }
    st->bind(1, r.id).bind(2, r.owner).bind(3, r.model).bind(4, r.status).bind(5, r.previous_id);
    st->bind(6, r.input_steps).bind(7, r.output_steps).bind(8, r.usage).bind(9, r.request);
    st->bind(10, r.created).bind(11, r.updated);
    return st->run_to_end();
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
    interaction_record r{st->text(0), st->text(1), st->text(2), st->text(3), st->text(4),
                         st->text(5), st->text(6), st->text(7), st->text(8), st->integer(9),
                         st->integer(10)};
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

  bool healthy() override {
    std::lock_guard lock(mutex_);
    return db_.exec("SELECT 1").has_value();
  }

 private:
  std::mutex mutex_;  // one connection; SQLite serializes writers anyway
  sqlite_db db_;
};

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
  return std::make_shared<sqlite_interactions>(std::move(*db));
}

}  // namespace interlingua::store

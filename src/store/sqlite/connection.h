// What the SQLite repositories share: a connection with its cache of prepared
// statements, the borrowed-statement wrapper and the row helpers. Internal to the SQLite
// backend (src/store/sqlite/).
#pragma once

#include <sqlite3.h>

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/model.h"
#include "store/page.h"
#include "store/store.h"  // now_iso8601, kSqliteIsParticipantSql
#include "util/result.h"
#include "util/text.h"

namespace mailcase::store::sqlite {

// A state read from a row that names none the domain knows: the file was written by
// something else (a newer mailcase, a hand edit). Reading it as some default would
// change what mailcase does with the row, so it is an error that names the row.
template <typename T>
Result<T> known_state(std::optional<T> v, std::string_view what, const std::string& text, Id row) {
  if (v) return *v;
  return fail(ErrorCode::kInternal,
              "unknown " + std::string(what) + " '" + text + "' in row " + std::to_string(row));
}

inline std::string join(const std::vector<std::string>& v) { return text::join(v, ","); }

inline std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t c = s.find(',', start);
    if (c == std::string_view::npos) c = s.size();
    if (c > start) out.emplace_back(s.substr(start, c - start));
    start = c + 1;
  }
  return out;
}

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

// A prepared statement borrowed from the cache: bound on creation, reset on destruction.
class Query {
 public:
  // refuse_writes: stepping a statement that would write is an error (a read unit's;
  // Connection::refuse_writes).
  Query(sqlite3* db, sqlite3_stmt* stmt, bool refuse_writes)
      : db_(db), stmt_(stmt), refuse_writes_(refuse_writes) {}
  ~Query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // Text SQLite reads where it is instead of copying it first (a mail's body may be
  // megabytes): the caller's bytes must outlive the step and stay where they are until
  // this Query is gone.
  Query& bind_kept(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Query& bind_blob(int i, std::string_view v) {
    sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_STATIC);  // the caller's bytes outlive the step
    return *this;
  }
  Query& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Query& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Query& bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Query& bind(int i, std::optional<Id> v) {
    if (v)
      sqlite3_bind_int64(stmt_, i, *v);
    else
      sqlite3_bind_null(stmt_, i);
    return *this;
  }
  Query& bind_null(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  Query& bind_double(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }

  // SQLITE_ROW → true, SQLITE_DONE → false, anything else → error.
  Result<bool> step() {
    if (refuse_writes_ && !sqlite3_stmt_readonly(stmt_))
      return fail(ErrorCode::kInternal,
                  std::string("database: a read unit cannot write: ") + sqlite3_sql(stmt_));
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return tl::unexpected(error(rc));
  }
  Status run() {
    MC_RETURN_IF_ERROR(step());
    return {};
  }

  std::string text(int col) const {
    auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  std::string blob(int col) const {
    auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
  }
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  double real(int col) const { return sqlite3_column_double(stmt_, col); }
  std::optional<Id> optional_id(int col) const {
    if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_int64(stmt_, col);
  }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

  Error error(int rc) const {
    int base = rc & 0xff;
    std::string msg = std::string("database: ") + sqlite3_errmsg(db_);
    if (base == SQLITE_BUSY || base == SQLITE_LOCKED || base == SQLITE_FULL || base == SQLITE_IOERR)
      return Error{ErrorCode::kTemporary, msg};
    if (base == SQLITE_CONSTRAINT) {
      // kConflict means "it exists already" to callers; only a unique key says that. A
      // reference to a row that is not there is kNotFound; NOT NULL, CHECK: a bug.
      int ext = sqlite3_extended_errcode(db_);
      if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        return Error{ErrorCode::kConflict, msg};
      if (ext == SQLITE_CONSTRAINT_FOREIGNKEY) return Error{ErrorCode::kNotFound, msg};
    }
    return Error{ErrorCode::kInternal, msg};
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool refuse_writes_;
};

// One SQLite connection and the statements prepared on it, each once. Owns the handle:
// closes it when destroyed. Used by one thread at a time, like the store it serves.
class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection() {
    cache_.clear();
    by_text_.clear();
    sqlite3_close_v2(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }

  // Runs SQL text (one or more statements) with no parameters and no rows.
  Status exec(const char* sql);
  // The statement for `sql`, prepared on first use. `sql` must outlive the connection
  // (a literal or a static string): the cache is keyed by its address.
  Result<std::unique_ptr<Query>> q(const char* sql);
  // Runs one statement of SQL text with no parameters and no rows, prepared on its first
  // run and kept: for the statements every transaction runs (BEGIN, COMMIT, SAVEPOINT
  // name, PRAGMA synchronous=…), which exec() parses anew each time (a mail's savepoint
  // and its release were 7% of an import's commits). The texts must come from a small
  // set (literals, savepoint names): each stays prepared as long as the connection.
  Status run(std::string_view sql);
  // The SQL text of every statement prepared so far.
  std::vector<std::string> prepared_sql() const;
  // How many times the statements of q() were prepared again since each was first
  // prepared (SQLite prepares a statement again when it has been expired).
  int64_t reprepares() const;

  // From now on, until called again: a statement that would write is refused instead of
  // run (a read unit's write is an error, not a wait for the write lock). Checked per
  // statement rather than by PRAGMA query_only: SQLite expires every prepared statement
  // of the connection whenever a flag pragma runs, so with the pragma at each unit's
  // start every statement a unit used was parsed and planned again.
  void refuse_writes(bool on) { refuse_writes_ = on; }

  // The search index written apart from the statements that change the cases
  // (migrations 28, 31 and 35), on a store whose file has reached schema_version: from
  // 28 on, the calls below flush the noted cases; below it they do nothing (the triggers
  // index per statement). From 28 to 34 the triggers note only in a transaction whose
  // case_search_mode says so (set and reset below); from 35 on they always note.
  void enable_deferred_search(int schema_version) {
    deferred_search_ = schema_version >= 28;
    mode_flag_ = schema_version < 35;
    deferred_contact_names_ = schema_version >= 48;
  }
  // Just after BEGIN of a write transaction: the triggers now note the cases they touch.
  Status begin_deferred_search();
  // Cases noted and not yet re-indexed at which a write transaction's COMMIT re-indexes
  // them: fewer are left noted (a search brings them in). The flush's cost is mostly per
  // flush (a segment, its merges), so 64 cases share it instead of one group's two or three.
  static constexpr int64_t kSearchFlushAt = 64;
  // Before a search: re-indexes every noted case, so the search sees every case as it is
  // now. In a write unit: within it (the unit's own writes too). With no transaction
  // open: in a transaction of its own. In a read unit: an error when cases are noted (a
  // read unit cannot write; searches open write units, store::access_for).
  Status bring_search_index_up_to_date();
  // Just before COMMIT: re-indexes the noted cases when kSearchFlushAt of them wait, and
  // (28 to 34) sets the mode back so the commit leaves the triggers in their
  // per-statement mode.
  Status end_deferred_search();
  // After a ROLLBACK: the transaction's mode and notes are gone with it.
  void abandon_deferred_search() { deferring_ = false; }
  // Before a search of contacts' names: indexes the contacts noted since their last
  // commit (migration 48), so that the search sees every name as it is now. In a write
  // transaction: within it. With none open: in a transaction of its own. In a read
  // transaction nothing can be written: a contact written outside any unit (none of
  // mailcase's writes are) is found once the next write unit has committed.
  Status bring_contact_names_up_to_date();

 private:
  sqlite3* db_;
  bool deferred_search_ = false;
  bool mode_flag_ = true;  // the triggers read case_search_mode (migrations 28 to 34)
  bool deferring_ = false;
  bool deferred_contact_names_ = false;  // migrated to 48: names indexed at commit
  using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;
  // Re-indexes every noted case and forgets the notes; inside a write transaction.
  Status flush_search_index();
  // Indexes the noted contacts' names and forgets the notes; inside a write transaction.
  Status flush_contact_names();
  // Runs each statement in turn (no parameters, no rows); literals, as for q().
  Status run_in_order(std::initializer_list<const char*> statements);
  // BEGIN IMMEDIATE, `write`, COMMIT; ROLLBACK when `write` fails. With no transaction open.
  Status in_transaction_of_its_own(const std::function<Status()>& write);
  // The noted cases, counted up to at_most.
  Result<int64_t> search_cases_pending(int64_t at_most);
  // One statement of sql, prepared to be kept; an error when it holds none.
  Result<Stmt> prepare(std::string_view sql);

  std::map<const char*, Stmt> cache_;
  std::map<std::string, Stmt, std::less<>> by_text_;  // run()'s
  bool refuse_writes_ = false;
};

// The base of each repository: its statements go through the connection it borrows.
class SqliteRepository {
 public:
  explicit SqliteRepository(Connection& c) : conn_(c), db_(c.db()) {}

 protected:
  Result<std::unique_ptr<Query>> q(const char* sql) { return conn_.q(sql); }

  Connection& conn_;
  sqlite3* db_;
};

// The end of a keyset page read with LIMIT limit + 1: the extra row, when there is one,
// only says that a next page exists, whose cursor is the key of the page's last row.
template <typename T, typename KeyOf>
Page<T> finish_page(std::vector<T> rows, int limit, std::string_view list, KeyOf key_of) {
  Page<T> page;
  if (rows.size() > static_cast<size_t>(limit)) {
    rows.resize(static_cast<size_t>(limit));
    page.next_cursor = encode_cursor(list, key_of(rows.back()));
  }
  page.items = std::move(rows);
  return page;
}

// The one integer a `SELECT count(*)` query (already bound) answers.
inline Result<int64_t> count_of(Query& qq) {
  MC_ASSIGN_OR_RETURN(auto row, qq.step());
  return row ? qq.integer(0) : int64_t{0};
}

}  // namespace mailcase::store::sqlite

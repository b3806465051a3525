// The SQLite connection the repositories share (connection.h).
#include "store/sqlite/connection.h"

namespace mailcase::store::sqlite {

Status Connection::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = std::string("database: ") + (err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    int base = rc & 0xff;
    return fail(base == SQLITE_BUSY || base == SQLITE_LOCKED || base == SQLITE_FULL || base == SQLITE_IOERR
                    ? ErrorCode::kTemporary
                    : ErrorCode::kInternal,
                msg);
  }
  return {};
}
Result<Connection::Stmt> Connection::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                              nullptr);
  if (rc != SQLITE_OK) return fail(ErrorCode::kInternal, std::string("database: ") + sqlite3_errmsg(db_));
  if (!stmt) return fail(ErrorCode::kInternal, "database: no statement in " + std::string(sql));
  return Stmt(stmt);
}
Result<std::unique_ptr<Query>> Connection::q(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    MC_ASSIGN_OR_RETURN(auto stmt, prepare(sql));
    it = cache_.emplace(sql, std::move(stmt)).first;
  }
  return std::make_unique<Query>(db_, it->second.get(), refuse_writes_);
}
Status Connection::run(std::string_view sql) {
  auto it = by_text_.find(sql);
  if (it == by_text_.end()) {
    MC_ASSIGN_OR_RETURN(auto stmt, prepare(sql));
    it = by_text_.emplace(std::string(sql), std::move(stmt)).first;
  }
  return Query(db_, it->second.get(), refuse_writes_).run();
}
Status Connection::begin_deferred_search() {
  if (!deferred_search_) return {};
  if (mode_flag_) {
    MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE case_search_mode SET deferred = 1"));
    MC_RETURN_IF_ERROR(qq->run());
  }
  deferring_ = true;
  return {};
}

Status Connection::run_in_order(std::initializer_list<const char*> statements) {
  for (const char* sql : statements) {
    MC_ASSIGN_OR_RETURN(auto st, q(sql));
    MC_RETURN_IF_ERROR(st->run());
  }
  return {};
}

Status Connection::in_transaction_of_its_own(const std::function<Status()>& write) {
  MC_RETURN_IF_ERROR(run("BEGIN IMMEDIATE"));
  if (auto s = write(); !s) {
    (void)exec("ROLLBACK");
    return s;
  }
  return run("COMMIT");
}

Status Connection::flush_search_index() {
  // The old entries out with the exact text they were indexed under, then the cases'
  // text now (a case deleted meanwhile is no longer in the view: only out). Each is one
  // statement, so FTS5 writes its pending terms as one segment.
  return run_in_order(
      {"INSERT INTO case_search(case_search, rowid, subject, comments, contact) "
       "SELECT 'delete', id, subject, comments, contact FROM case_search_pending WHERE indexed",
       "INSERT INTO case_search(rowid, subject, comments, contact) "
       "SELECT id, subject, comments, contact FROM case_search_source "
       "WHERE id IN (SELECT id FROM case_search_pending)",
       "DELETE FROM case_search_pending"});
}

Status Connection::flush_contact_names() {
  if (!deferred_contact_names_) return {};
  // One statement: FTS5 writes the names as one segment.
  return run_in_order(
      {"INSERT INTO contact_names(rowid, name) SELECT c.id, c.name "
       "FROM contact_names_pending JOIN contacts c ON c.id = contact_names_pending.id",
       "DELETE FROM contact_names_pending"});
}

Status Connection::bring_contact_names_up_to_date() {
  if (!deferred_contact_names_) return {};
  MC_ASSIGN_OR_RETURN(auto noted, q("SELECT 1 FROM contact_names_pending LIMIT 1"));
  MC_ASSIGN_OR_RETURN(const bool any, noted->step());
  noted.reset();
  if (!any) return {};
  switch (sqlite3_txn_state(db_, "main")) {
    case SQLITE_TXN_WRITE:
      return flush_contact_names();
    case SQLITE_TXN_NONE:
      return in_transaction_of_its_own([this] { return flush_contact_names(); });
    default:
      return {};  // a read transaction: see the contract in connection.h
  }
}

Result<int64_t> Connection::search_cases_pending(int64_t at_most) {
  MC_ASSIGN_OR_RETURN(auto n, q("SELECT count(*) FROM (SELECT 1 FROM case_search_pending LIMIT ?)"));
  n->bind(1, at_most);
  MC_RETURN_IF_ERROR(n->step());
  return n->integer(0);
}

Status Connection::bring_search_index_up_to_date() {
  if (!deferred_search_) return {};  // migrated below 28: the triggers index per statement
  if (deferring_) return flush_search_index();
  MC_ASSIGN_OR_RETURN(const int64_t pending, search_cases_pending(1));
  if (pending == 0) return {};
  if (sqlite3_get_autocommit(db_) == 0)
    return fail(ErrorCode::kInternal,
                "database: a search must run in a write unit (store::access_for): the search index "
                "has cases to bring up to date first");
  // On its own (no transaction open): a write transaction of its own.
  return in_transaction_of_its_own([this] { return flush_search_index(); });
}

Status Connection::end_deferred_search() {
  if (!deferring_) return {};
  MC_RETURN_IF_ERROR(flush_contact_names());
  MC_ASSIGN_OR_RETURN(const int64_t pending, search_cases_pending(kSearchFlushAt));
  if (pending >= kSearchFlushAt) MC_RETURN_IF_ERROR(flush_search_index());
  if (mode_flag_) {
    MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE case_search_mode SET deferred = 0"));
    MC_RETURN_IF_ERROR(qq->run());
  }
  deferring_ = false;
  return {};
}

int64_t Connection::reprepares() const {
  int64_t n = 0;
  for (const auto& [sql, stmt] : cache_) n += sqlite3_stmt_status(stmt.get(), SQLITE_STMTSTATUS_REPREPARE, 0);
  return n;
}

std::vector<std::string> Connection::prepared_sql() const {
  std::vector<std::string> out;
  for (const auto& [sql, stmt] : cache_) out.emplace_back(sql);
  return out;
}
}  // namespace mailcase::store::sqlite

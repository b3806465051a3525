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
Result<std::unique_ptr<Query>> Connection::q(const char* sql) {
  auto it = cache_.find(sql);
  sqlite3_stmt* stmt = nullptr;
  if (it == cache_.end()) {
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return fail(ErrorCode::kInternal, std::string("database: ") + sqlite3_errmsg(db_));
    cache_.emplace(sql, std::unique_ptr<sqlite3_stmt, StmtDeleter>(stmt));
  } else {
    stmt = it->second.get();
  }
  return std::make_unique<Query>(db_, stmt);
}
std::vector<std::string> Connection::prepared_sql() const {
  std::vector<std::string> out;
  for (const auto& [sql, stmt] : cache_) out.emplace_back(sql);
  return out;
}
}  // namespace mailcase::store::sqlite

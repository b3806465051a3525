// EXPLAIN QUERY PLAN of a statement against a SQLite store file, for the tests that
// check a query on the mail path reads through an index (its cost must not grow with
// the store). Opens the file read-only beside the store's own connection.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <string>

namespace mailcase::testing {

// The plan's detail lines, one per line ("SEARCH t USING INDEX …"), or "cannot explain: …".
inline std::string query_plan(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string plan;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    plan = std::string("cannot open: ") + (db ? sqlite3_errmsg(db) : file.string());
    sqlite3_close(db);
    return plan;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &st, nullptr) != SQLITE_OK) {
    plan = std::string("cannot explain: ") + sqlite3_errmsg(db);
  } else {
    while (sqlite3_step(st) == SQLITE_ROW)
      plan += std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 3))) + "\n";
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return plan;
}

}  // namespace mailcase::testing

// Numbered schema migrations. A migration is never edited once released: add a new one.
#pragma once

#include <string_view>
#include <vector>

namespace mailcase::store {

struct Migration {
  int version;
  std::string_view sql;
  // Rebuilds a table that other tables' foreign keys name (SQLite's way to change a
  // column's constraints): applied with foreign keys off, checked before its commit.
  bool rebuilds_table = false;
};

// SQLite dialect; applied in order, each in its own transaction.
const std::vector<Migration>& sqlite_migrations();

}  // namespace mailcase::store

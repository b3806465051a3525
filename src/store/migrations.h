// Numbered schema migrations. A migration is never edited once released: add a new one.
#pragma once

#include <string_view>
#include <vector>

namespace mailcase::store {

struct Migration {
  int version;
  std::string_view sql;
};

// SQLite dialect; applied in order, each in its own transaction.
const std::vector<Migration>& sqlite_migrations();

}  // namespace mailcase::store

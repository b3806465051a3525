// The SQLite side of CaseRepository::find_cases: which cases make a page (by keyset over
// indexes, or through the FTS5 index case_search of migration 13), with their snippets.
// The Cases repository turns the ids into summaries.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/repositories.h"
#include "store/sqlite/connection.h"

namespace mailcase::store::sqlite {

struct CaseIdPage {
  struct Row {
    Id id = 0;
    std::string snippet;  // HTML, empty without a text
  };
  std::vector<Row> rows;
  std::optional<std::string> next_cursor;
  std::optional<int64_t> total;
};

// Validates q (kInvalidInput) and reads one page of case ids in q's order.
Result<CaseIdPage> find_case_ids(Connection& conn, const CaseQuery& q);

// The phase-1 statement find_case_ids runs for q (no cursor: the first page), for
// checking its query plan; empty when q is refused.
std::string case_page_sql(const CaseQuery& q);

}  // namespace mailcase::store::sqlite

// Fuzz target for the pure parts of the case search (store/case_query.h), which read what
// an API client or an agent sends: the page cursor and the search words. Contract under
// test, with no crash or sanitizer report:
//  - a cursor the fuzzer wrote is refused with kInvalidInput, or is one that encodes back
//    to itself (only this server's cursors are accepted);
//  - a cursor the server made for a query reads back as its position, and is refused for
//    another sort;
//  - the words as an FTS5 query, plain or by word starts, are always a query FTS5 accepts
//    (run on a table tokenized as the store's search index), never its syntax;
//  - a snippet becomes HTML with no tag but <mark> and </mark>.
//
// Input: 1 byte of sort, then the text (used as the cursor, the words and the snippet).
#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "store/case_query.h"

using namespace mailcase;
using store::CaseQuery;
namespace cq = store::case_query;

namespace {

sqlite3* search_table() {
  static sqlite3* db = [] {
    sqlite3* d = nullptr;
    if (sqlite3_open(":memory:", &d) != SQLITE_OK) std::abort();
    const char* sql =
        "CREATE VIRTUAL TABLE t USING fts5(subject, comments, tokenize='unicode61 remove_diacritics 2');"
        "INSERT INTO t VALUES ('printer jams on floor 3', 'Smith wrote: déjà vu, ça marche pas');";
    if (sqlite3_exec(d, sql, nullptr, nullptr, nullptr) != SQLITE_OK) std::abort();
    return d;
  }();
  return db;
}

// Aborts unless FTS5 runs `expr` as a query (an empty expression is no filter: not run).
void must_run(const std::string& expr) {
  if (expr.empty()) return;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(search_table(), "SELECT count(*) FROM t WHERE t MATCH ?", -1, &st, nullptr) !=
      SQLITE_OK)
    std::abort();
  sqlite3_bind_text(st, 1, expr.data(), static_cast<int>(expr.size()), SQLITE_TRANSIENT);
  const int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW) {
    std::fprintf(stderr, "FTS5 refused [%s]: %s\n", expr.c_str(), sqlite3_errmsg(search_table()));
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto sort = static_cast<CaseQuery::Sort>(data[0] % 5);
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  CaseQuery q;
  q.text = std::string(text.substr(0, 64));

  // A cursor the fuzzer wrote.
  if (auto k = cq::decode_cursor(text, q, sort)) {
    if (cq::encode_cursor(q, sort, *k) != text) std::abort();
  } else if (k.error().code != ErrorCode::kInvalidInput) {
    std::abort();
  }

  // One the server made, for a key of the sort's kind.
  cq::CursorKey mine;
  mine.id = static_cast<int64_t>(size);
  mine.max_id = sort == CaseQuery::Sort::kRelevance ? mine.id + 7 : 0;
  if (sort == CaseQuery::Sort::kRelevance)
    mine.key = "-1.5";
  else if (sort == CaseQuery::Sort::kUpdatedAsc || sort == CaseQuery::Sort::kUpdatedDesc)
    mine.key = "2026-12-01T10:00:00.000000Z";
  const std::string cursor = cq::encode_cursor(q, sort, mine);
  auto back = cq::decode_cursor(cursor, q, sort);
  if (!back || back->key != mine.key || back->id != mine.id || back->max_id != mine.max_id) std::abort();
  const auto other = static_cast<CaseQuery::Sort>((static_cast<int>(sort) + 1) % 5);
  if (cq::decode_cursor(cursor, q, other)) std::abort();

  // The words.
  must_run(cq::fts_match_expression(text));
  must_run(cq::fts_prefix_expression(text));

  // A snippet: only our own tags come out.
  const std::string html = cq::snippet_html(text);
  for (size_t p = html.find('<'); p != std::string::npos; p = html.find('<', p + 1)) {
    const std::string_view at = std::string_view(html).substr(p);
    if (!at.starts_with("<mark>") && !at.starts_with("</mark>")) std::abort();
  }
  (void)cq::is_iso8601_prefix(text);
  return 0;
}

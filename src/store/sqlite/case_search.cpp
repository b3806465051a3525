// The case list and full-text search over SQLite (migration 13): keyset pages over the
// cases(…, updated_at) indexes, and ranked search through the FTS5 table case_search.
#include "store/sqlite/case_search.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string_view>
#include <variant>

#include "store/case_query.h"
#include "util/text.h"

namespace mailcase::store::sqlite {
namespace {

using Sort = CaseQuery::Sort;

constexpr int kMaxLimit = 200;
constexpr size_t kMaxTextBytes = 1000;   // a search box's worth; longer is refused
constexpr size_t kMaxFilterBytes = 320;  // an address or a queue name; longer is refused

// The statement texts are made from a bounded set of shapes (filters present × sort ×
// cursor × count), so each is kept once here for the life of the process: the
// connection's statement cache is keyed by a text's address.
const char* intern(const std::string& sql) {
  static std::mutex mu;
  static std::set<std::string> texts;
  std::lock_guard lock(mu);
  return texts.insert(sql).first->c_str();
}

using Param = std::variant<std::string, int64_t, double>;

// One query's SQL and its parameters, in order.
struct Plan {
  std::string sql;
  std::vector<Param> params;
};

struct Shape {
  std::string match;  // FTS5 expression; empty: no text filter
  Sort sort = Sort::kUpdatedDesc;
};

bool filters_cases(const CaseQuery& q) {
  return q.status || q.unsolved || q.queue || q.owner || q.contact || q.updated_since;
}

// The statuses of a case still being worked (CaseQuery::unsolved).
constexpr CaseStatus kUnsolved[] = {CaseStatus::kNew, CaseStatus::kOpen, CaseStatus::kSolutionProposed};

// The case id column of the rows: a search without case filters reads the FTS index
// alone (no lookup of each match's case row, which a common word makes many).
const char* id_column(const CaseQuery& q, const Shape& shape) {
  return !shape.match.empty() && !filters_cases(q) && shape.sort == Sort::kRelevance ? "case_search.rowid"
                                                                                     : "c.id";
}

// FROM and WHERE of the rows q selects, without any cursor.
void from_where(const CaseQuery& q, const Shape& shape, Plan& p) {
  if (!shape.match.empty() && std::string_view(id_column(q, shape)) == "case_search.rowid") {
    p.sql += " FROM case_search WHERE case_search MATCH ?";
    p.params.emplace_back(shape.match);
    return;
  }
  if (!shape.match.empty()) {
    // The FTS index drives (CROSS JOIN keeps it outer): a rare word reads a few rows, and
    // never a probe of the index per case.
    p.sql += " FROM case_search CROSS JOIN cases c ON c.id = case_search.rowid WHERE case_search MATCH ?";
    p.params.emplace_back(shape.match);
  } else {
    p.sql += " FROM cases c WHERE 1";
  }
  if (q.status) {
    p.sql += " AND c.status = ?";
    p.params.emplace_back(std::string(to_string(*q.status)));
  } else if (q.unsolved) {
    p.sql += " AND c.status IN (?, ?, ?)";
    for (auto s : kUnsolved) p.params.emplace_back(std::string(to_string(s)));
  }
  if (q.queue) {
    p.sql += " AND c.queue = ?";
    p.params.emplace_back(*q.queue);
  }
  if (q.owner) {
    p.sql += " AND c.owner = ?";
    p.params.emplace_back(text::normalize_email(*q.owner));
  }
  if (q.contact) {
    p.sql += " AND c.contact_id = (SELECT contact_id FROM contact_emails WHERE email = ?)";
    p.params.emplace_back(text::normalize_email(*q.contact));
  }
  if (q.updated_since) {
    p.sql += " AND c.updated_at >= ?";
    p.params.emplace_back(*q.updated_since);
  }
}

Plan page_plan(const CaseQuery& q, const Shape& shape, const std::optional<case_query::CursorKey>& after,
               int64_t max_id);

// A page's ORDER BY in `sort`, over its id, updated time and rank: columns by name, or by
// position in a merged page.
std::string order_by(Sort sort, const std::string& id, const std::string& updated, const std::string& rank) {
  switch (sort) {
    case Sort::kUpdatedDesc:
      return " ORDER BY " + updated + " DESC, " + id + " DESC";
    case Sort::kUpdatedAsc:
      return " ORDER BY " + updated + " ASC, " + id + " ASC";
    case Sort::kCreatedDesc:  // ids are given in the order cases are created
      return " ORDER BY " + id + " DESC";
    case Sort::kCreatedAsc:
      return " ORDER BY " + id + " ASC";
    case Sort::kRelevance:
      return " ORDER BY " + rank + ", " + id;
  }
  return {};
}

// The unsolved cases' page: the page of each of their statuses, each on its own index
// range (an IN list would read every unsolved case to sort them), merged and cut to the
// page. Each branch is a page of one status after the same cursor, so the merge holds
// the first limit + 1 rows of all three in the list's order.
Plan unsolved_page_plan(const CaseQuery& q, const Shape& shape,
                        const std::optional<case_query::CursorKey>& after, int64_t max_id) {
  Plan p;
  for (auto s : kUnsolved) {
    CaseQuery one = q;
    one.status = s;
    Plan branch = page_plan(one, shape, after, max_id);
    if (!p.sql.empty()) p.sql += " UNION ALL ";
    p.sql += "SELECT * FROM (" + branch.sql + ")";
    p.params.insert(p.params.end(), branch.params.begin(), branch.params.end());
  }
  p.sql += order_by(shape.sort, "1", "2", "3");  // the columns: the id, the updated time, the rank
  p.sql += " LIMIT ?";
  p.params.emplace_back(int64_t{q.limit + 1});
  return p;
}

// The page statement: ids (and sort keys) of up to limit + 1 rows after the cursor.
Plan page_plan(const CaseQuery& q, const Shape& shape, const std::optional<case_query::CursorKey>& after,
               int64_t max_id) {
  if (q.unsolved && !q.status) return unsolved_page_plan(q, shape, after, max_id);
  Plan p;
  const std::string id = id_column(q, shape);
  p.sql = "SELECT " + id;
  p.sql += shape.sort == Sort::kRelevance ? ", '', case_search.rank" : ", c.updated_at, 0";
  from_where(q, shape, p);
  // Each keyset condition is a range on the sort's index column plus a per-row test of
  // the rows sharing the cursor's key, so that the index serves both WHERE and ORDER BY.
  switch (shape.sort) {
    case Sort::kUpdatedDesc:
      if (after) {
        p.sql += " AND c.updated_at <= ? AND (c.updated_at < ? OR c.id < ?)";
        p.params.insert(p.params.end(), {after->key, after->key, after->id});
      }
      break;
    case Sort::kUpdatedAsc:
      if (after) {
        p.sql += " AND c.updated_at >= ? AND (c.updated_at > ? OR c.id > ?)";
        p.params.insert(p.params.end(), {after->key, after->key, after->id});
      }
      break;
    case Sort::kCreatedDesc:
      if (after) {
        p.sql += " AND c.id < ?";
        p.params.emplace_back(after->id);
      }
      break;
    case Sort::kCreatedAsc:
      if (after) {
        p.sql += " AND c.id > ?";
        p.params.emplace_back(after->id);
      }
      break;
    case Sort::kRelevance: {
      // Cases added after the first page stay out of the later ones.
      p.sql += " AND " + id + " <= ?";
      p.params.emplace_back(max_id);
      if (after) {
        double rank = after->rank;
        p.sql += " AND (case_search.rank > ? OR (case_search.rank = ? AND " + id + " > ?))";
        p.params.insert(p.params.end(), {rank, rank, after->id});
      }
      break;
    }
  }
  p.sql += order_by(shape.sort, id, "c.updated_at", "case_search.rank");
  p.sql += " LIMIT ?";
  p.params.emplace_back(int64_t{q.limit + 1});
  return p;
}

void bind_all(Query& qq, const std::vector<Param>& params) {
  int i = 1;
  for (const auto& v : params) {
    if (auto* s = std::get_if<std::string>(&v))
      qq.bind(i, *s);
    else if (auto* n = std::get_if<int64_t>(&v))
      qq.bind(i, *n);
    else
      qq.bind_double(i, std::get<double>(v));
    ++i;
  }
}

Error invalid(std::string m) {
  return Error{ErrorCode::kInvalidInput, std::move(m)};
}

// The shape of q after validation: kInvalidInput for what find_cases refuses.
Result<Shape> validate(const CaseQuery& q) {
  if (q.limit < 1 || q.limit > kMaxLimit)
    return tl::unexpected(invalid("limit must be 1 to " + std::to_string(kMaxLimit)));
  if (q.text && q.text->size() > kMaxTextBytes)
    return tl::unexpected(invalid("search text longer than " + std::to_string(kMaxTextBytes) + " bytes"));
  for (const auto* f : {&q.queue, &q.owner, &q.contact})
    if (*f && (*f)->size() > kMaxFilterBytes)
      return tl::unexpected(invalid("filter longer than " + std::to_string(kMaxFilterBytes) + " bytes"));
  if (q.updated_since && !case_query::is_iso8601_prefix(*q.updated_since))
    return tl::unexpected(invalid("updated_since must be an ISO 8601 UTC time like 2026-12-01T10:00:00Z"));
  if (q.sort == Sort::kRelevance && !q.text)
    return tl::unexpected(invalid("sort by relevance needs a search text"));
  Shape s;
  if (q.text) s.match = case_query::fts_match_expression(*q.text);
  s.sort = case_query::effective_sort(q, !s.match.empty());
  return s;
}

std::string format_rank(double r) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", r);
  return buf;
}

}  // namespace

std::string case_page_sql(const CaseQuery& q) {
  auto shape = validate(q);
  if (!shape) return {};
  return page_plan(q, *shape, std::nullopt, 0).sql;
}

Result<CaseIdPage> find_case_ids(Connection& conn, const CaseQuery& q) {
  MC_ASSIGN_OR_RETURN(auto shape, validate(q));
  // A search sees every case as it is now, the unit's own writes too (migrations 28, 31).
  if (!shape.match.empty()) MC_RETURN_IF_ERROR(conn.bring_search_index_up_to_date());
  std::optional<case_query::CursorKey> after;
  if (q.cursor) {
    MC_ASSIGN_OR_RETURN(after, case_query::decode_cursor(*q.cursor, q, shape.sort));
  }

  int64_t max_id = 0;
  if (shape.sort == Sort::kRelevance) {
    if (after) {
      max_id = after->max_id;
    } else {
      MC_ASSIGN_OR_RETURN(auto mq, conn.q("SELECT COALESCE(MAX(id), 0) FROM cases"));
      MC_RETURN_IF_ERROR(mq->step());
      max_id = mq->integer(0);
    }
  }

  if (after && shape.sort == Sort::kRelevance) {
    // bm25 weighs by the whole index's statistics, which every added case shifts: a score
    // kept in the cursor would no longer compare with the scores computed now. The cursor
    // row's score now does (the same statistics as the rows it is compared with); the kept
    // one stands in when that row no longer matches.
    after->rank = std::strtod(after->key.c_str(), nullptr);
    static const char* const kRankSql =
        "SELECT rank FROM case_search WHERE case_search MATCH ? AND rowid = ?";
    MC_ASSIGN_OR_RETURN(auto rq, conn.q(kRankSql));
    rq->bind(1, shape.match).bind(2, after->id);
    MC_ASSIGN_OR_RETURN(auto found, rq->step());
    if (found) after->rank = rq->real(0);
  }

  CaseIdPage page;
  struct Last {
    std::string updated_at;
    double rank = 0;
  };
  std::vector<Last> keys;
  {
    Plan p = page_plan(q, shape, after, max_id);
    MC_ASSIGN_OR_RETURN(auto qq, conn.q(intern(p.sql)));
    bind_all(*qq, p.params);
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      page.rows.push_back({qq->integer(0), {}});
      keys.push_back({qq->text(1), qq->real(2)});
    }
  }
  if (page.rows.size() > static_cast<size_t>(q.limit)) {
    page.rows.resize(static_cast<size_t>(q.limit));
    const auto& k = keys[static_cast<size_t>(q.limit) - 1];
    case_query::CursorKey next;
    next.id = page.rows.back().id;
    next.max_id = max_id;
    if (shape.sort == Sort::kUpdatedDesc || shape.sort == Sort::kUpdatedAsc) next.key = k.updated_at;
    if (shape.sort == Sort::kRelevance) next.key = format_rank(k.rank);
    page.next_cursor = case_query::encode_cursor(q, shape.sort, next);
  }

  if (!shape.match.empty()) {
    // Only the page's rows get a snippet (it reads the row's text back through the view).
    static const char* const kSnippetSql =
        "SELECT snippet(case_search, -1, char(57344), char(57345), '…', 24) FROM case_search "
        "WHERE case_search MATCH ? AND rowid = ?";
    for (auto& r : page.rows) {
      MC_ASSIGN_OR_RETURN(auto sq, conn.q(kSnippetSql));
      sq->bind(1, shape.match).bind(2, r.id);
      MC_ASSIGN_OR_RETURN(auto row, sq->step());
      if (row) r.snippet = case_query::snippet_html(sq->text(0));
    }
  }

  if (q.count) {
    Plan p;
    p.sql = "SELECT count(*)";
    from_where(q, shape, p);
    MC_ASSIGN_OR_RETURN(auto cq, conn.q(intern(p.sql)));
    bind_all(*cq, p.params);
    MC_RETURN_IF_ERROR(cq->step());
    page.total = cq->integer(0);
  }
  return page;
}

}  // namespace mailcase::store::sqlite

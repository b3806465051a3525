// The pure parts of the case list and its search (CaseRepository::find_cases): the page
// cursor, the user's words as an FTS5 query, the snippet as HTML. No I/O; unit-tested in
// tests/store/case_query_test.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/repositories.h"
#include "util/result.h"

namespace mailcase::store::case_query {

// Where a page ended: the last row's sort key and id. `key` is the row's updated_at for
// the updated sorts, its bm25 score (printed exactly, %.17g) for kRelevance, empty for
// the created sorts (their key is the id). `max_id` is the highest case id when the first
// page was read (relevance only, else 0): later pages leave out cases added since.
struct CursorKey {
  std::string key;
  int64_t id = 0;
  int64_t max_id = 0;
  double rank = 0;  // not encoded: the store fills it in from key or from the row's score now
};

// The sort a query runs with: its own, else kRelevance with a text, kUpdatedDesc without.
// `has_text` is whether the words left a text filter (fts_match_expression non-empty).
CaseQuery::Sort effective_sort(const CaseQuery& q, bool has_text);

// The opaque cursor of `k` for query `q` sorted by `sort`: base64url of a small versioned
// text ("c1|sort|key|id|max_id|check"). The check is a hash of those fields and of q's
// filters, so that a cursor used with other filters, another sort, or edited by hand is
// refused. It is not a secret and needs none: a forged cursor only moves within the rows
// the same filters return anyway.
std::string encode_cursor(const CaseQuery& q, CaseQuery::Sort sort, const CursorKey& k);

// The position a cursor made by encode_cursor for the same filters and sort names;
// kInvalidInput with a message saying why for anything else.
Result<CursorKey> decode_cursor(std::string_view cursor, const CaseQuery& q, CaseQuery::Sort sort);

// The user's search words as an FTS5 query that is never FTS5 syntax: each
// whitespace-separated word is quoted as a phrase ("" inside doubled), words are ANDed.
// A word without a letter or digit (`*`, `"`, `(`…) is dropped: it would match nothing
// as a phrase. Empty when no word is left (then no text filter at all). A word typed in
// ASCII whose letters may stand for ł, ø, ß, æ or œ (which the index keeps as they are)
// is the OR of its spellings (at most 32): "michal" is ("michal" OR "michał").
std::string fts_match_expression(std::string_view user_text);
// The same, each word standing for any word it starts ("smi" matches "Smith"): what a
// person types while looking someone up.
std::string fts_prefix_expression(std::string_view user_text);
// The start of an address's domain that a contact search stands for, lowercased: the text
// after a leading "@" ("@acme" finds everyone at acme.com, acme.org…), or a text with a
// dot and neither "@" nor a space ("acme.com", "corp.example"). Empty when it is neither
// (a name, the start of an address): then domains are not searched.
std::string contact_domain_prefix(std::string_view user_text);

// FTS5 snippet() text with the private-use markers kMarkOpen/kMarkClose around matches,
// as HTML: everything escaped, each marked span in <mark>…</mark>, a mark left open at
// the end closed. The indexed text never contains the markers (the index replaces them
// by spaces), so only our own tags come out unescaped.
std::string snippet_html(std::string_view snippet);
inline constexpr std::string_view kMarkOpen = "\xEE\x80\x80";   // U+E000
inline constexpr std::string_view kMarkClose = "\xEE\x80\x81";  // U+E001

// Whether `s` reads as an ISO 8601 UTC time as the store writes them, or a prefix of one
// ("2026-12-01", "2026-12-01T10:00:00Z"): what updated_since may be.
bool is_iso8601_prefix(std::string_view s);

}  // namespace mailcase::store::case_query

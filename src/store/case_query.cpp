#include "store/case_query.h"

#include "util/text.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace mailcase::store::case_query {
namespace {

constexpr std::string_view kVersion = "c1";
constexpr size_t kMaxCursorBytes = 512;  // far above any cursor we make; bounds the decoding

const char* sort_code(CaseQuery::Sort s) {
  switch (s) {
    case CaseQuery::Sort::kUpdatedDesc:
      return "ud";
    case CaseQuery::Sort::kUpdatedAsc:
      return "ua";
    case CaseQuery::Sort::kCreatedDesc:
      return "cd";
    case CaseQuery::Sort::kCreatedAsc:
      return "ca";
    case CaseQuery::Sort::kRelevance:
      return "r";
  }
  return "?";
}

// FNV-1a, 64 bits: a check against edits and mix-ups, not a MAC (see encode_cursor).
uint64_t fnv1a(std::string_view s, uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

void add_field(std::string& out, const std::optional<std::string>& v) {
  // Presence and length first, so that no two filter sets give the same text.
  if (!v) {
    out += "-;";
    return;
  }
  out += std::to_string(v->size()) + ":" + *v + ";";
}

// The filters a cursor is bound to, as one unambiguous text.
std::string filters_text(const CaseQuery& q) {
  std::string out;
  add_field(out, q.status ? std::optional<std::string>(domain::to_string(*q.status)) : std::nullopt);
  add_field(out, q.queue);
  add_field(out, q.owner);
  add_field(out, q.contact);
  add_field(out, q.text ? std::optional<std::string>(fts_match_expression(*q.text)) : std::nullopt);
  add_field(out, q.updated_since);
  if (q.unsolved && !q.status) out += "unsolved;";  // cursors of other lists stay as they were
  return out;
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(std::string_view in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> unbase64url(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-')
      v = 62;
    else if (c == '_')
      v = 63;
    else
      return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // The bits left over must be zero, as encoding leaves them: one text, one spelling.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::vector<std::string_view> split_bar(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find('|', start);
    if (p == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
}

std::optional<int64_t> parse_id(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// The payload the check covers: every field before it.
std::string payload(CaseQuery::Sort sort, const CursorKey& k) {
  return std::string(kVersion) + "|" + sort_code(sort) + "|" + k.key + "|" + std::to_string(k.id) + "|" +
         std::to_string(k.max_id);
}

std::string check_of(const CaseQuery& q, std::string_view body) {
  return hex64(fnv1a(body, fnv1a(filters_text(q))));
}

Error bad_cursor(const std::string& why) {
  return Error{ErrorCode::kInvalidInput, "cursor: " + why};
}

// Whether the UTF-8 sequence starting at s[i] (of `len` bytes, code point cp) can be part
// of a word for FTS5's unicode61 tokenizer. An approximation that errs on keeping: the
// ASCII letters and digits, and any non-ASCII code point outside the common punctuation
// and symbol blocks. A kept word that the tokenizer finds empty only narrows the search.
bool word_code_point(uint32_t cp) {
  if (cp < 0x80) return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  if (cp >= 0x80 && cp <= 0xBF) return cp == 0xAA || cp == 0xB5 || cp == 0xBA;  // Latin-1 punctuation
  if (cp == 0xD7 || cp == 0xF7) return false;                                   // × ÷
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;  // punctuation, arrows, maths, boxes…
  if (cp >= 0x3000 && cp <= 0x303F) return false;  // CJK punctuation
  if (cp >= 0xE000 && cp <= 0xF8FF) return false;  // private use: our snippet markers
  if (cp >= 0xFE30 && cp <= 0xFE4F) return false;
  if (cp >= 0xFF01 && cp <= 0xFF0F) return false;
  return true;
}

bool has_word_char(std::string_view w) {
  for (size_t i = 0; i < w.size();) {
    unsigned char c = static_cast<unsigned char>(w[i]);
    uint32_t cp;
    size_t len;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if ((c >> 5) == 6) {
      cp = c & 0x1F;
      len = 2;
    } else if ((c >> 4) == 14) {
      cp = c & 0x0F;
      len = 3;
    } else if ((c >> 3) == 30) {
      cp = c & 0x07;
      len = 4;
    } else {
      ++i;  // not UTF-8: skip the byte
      continue;
    }
    if (i + len > w.size()) return false;
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(w[i + k]) & 0x3F);
    if (word_code_point(cp)) return true;
    i += len;
  }
  return false;
}

}  // namespace

CaseQuery::Sort effective_sort(const CaseQuery& q, bool has_text) {
  if (q.sort) {
    if (*q.sort == CaseQuery::Sort::kRelevance && !has_text) return CaseQuery::Sort::kUpdatedDesc;
    return *q.sort;
  }
  return has_text ? CaseQuery::Sort::kRelevance : CaseQuery::Sort::kUpdatedDesc;
}

std::string encode_cursor(const CaseQuery& q, CaseQuery::Sort sort, const CursorKey& k) {
  std::string body = payload(sort, k);
  return base64url(body + "|" + check_of(q, body));
}

Result<CursorKey> decode_cursor(std::string_view cursor, const CaseQuery& q, CaseQuery::Sort sort) {
  if (cursor.empty() || cursor.size() > kMaxCursorBytes)
    return tl::unexpected(bad_cursor("not one this server made"));
  auto text = unbase64url(cursor);
  if (!text) return tl::unexpected(bad_cursor("not one this server made"));
  auto f = split_bar(*text);
  if (f.size() != 6 || f[0] != kVersion) return tl::unexpected(bad_cursor("not one this server made"));
  CursorKey k;
  k.key = std::string(f[2]);
  auto id = parse_id(f[3]);
  auto max_id = parse_id(f[4]);
  if (!id || !max_id) return tl::unexpected(bad_cursor("not one this server made"));
  k.id = *id;
  k.max_id = *max_id;
  if (f[1] != sort_code(sort))
    return tl::unexpected(bad_cursor("made for another sort order; start again without a cursor"));
  std::string body = text->substr(0, text->size() - f[5].size() - 1);
  if (f[5] != check_of(q, body))
    return tl::unexpected(bad_cursor("made for other filters, or altered; start again without a cursor"));
  // The check matched, so the fields are ours; the key still must read as its sort's.
  if (sort == CaseQuery::Sort::kRelevance) {
    char* end = nullptr;
    std::string key(k.key);
    std::strtod(key.c_str(), &end);
    if (key.empty() || end != key.c_str() + key.size())
      return tl::unexpected(bad_cursor("not one this server made"));
  }
  return k;
}

namespace {

// Letters unicode61's remove_diacritics keeps as they are (Unicode gives them no
// accent-free form), each with the plain letters people type for it: a word searched
// stands for its spellings with them too ("michal" for "michał", "lodz" for "łodz",
// "soren" for "søren", "strasse" for "straße"), so that the index stays as the text is
// written (snippets too) and only the query grows, with no cost on the mail's path.
// Either letter case: the tokenizer lowers both sides.
struct Fold {
  std::string_view plain;  // lower-case ASCII
  std::string_view letter;
};
constexpr Fold kFolds[] = {{"ss", "ß"}, {"ae", "æ"}, {"oe", "œ"}, {"l", "ł"}, {"o", "ø"}};
// At most this many places of a word are varied: 2^5 spellings, each one index lookup.
constexpr size_t kMaxFoldedPlaces = 5;

// A word typed in plain ASCII, with each spelling it may stand for (itself first); a word
// with any other letter is taken as written (its writer has those letters at hand).
std::vector<std::string> spellings(std::string_view word) {
  for (char c : word)
    if (static_cast<unsigned char>(c) >= 0x80) return {std::string(word)};
  std::vector<std::pair<size_t, const Fold*>> places;  // where, and which fold
  for (size_t i = 0; i < word.size() && places.size() < kMaxFoldedPlaces;) {
    const Fold* found = nullptr;
    for (const Fold& f : kFolds) {
      if (i + f.plain.size() <= word.size() && text::iequals(word.substr(i, f.plain.size()), f.plain)) {
        found = &f;
        break;  // the two-letter folds come first: "oe" is œ, not "øe"
      }
    }
    if (found) places.emplace_back(i, found);
    i += found ? found->plain.size() : 1;
  }
  std::vector<std::string> out;
  for (size_t mask = 0; mask < (size_t{1} << places.size()); ++mask) {
    std::string w;
    size_t from = 0;
    for (size_t k = 0; k < places.size(); ++k) {
      if (!(mask & (size_t{1} << k))) continue;
      w.append(word.substr(from, places[k].first - from));
      w.append(places[k].second->letter);
      from = places[k].first + places[k].second->plain.size();
    }
    w.append(word.substr(from));
    out.push_back(std::move(w));
  }
  return out;
}

void append_phrase(std::string& out, std::string_view word, bool word_starts) {
  out += '"';
  for (char c : word) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  if (word_starts) out += '*';
}

// fts_match_expression's words, each a prefix query when `word_starts`.
std::string fts_words(std::string_view user_text, bool word_starts) {
  std::vector<std::string> words;
  bool grouped = false;
  size_t i = 0;
  // Any ASCII control character separates words: FTS5 reads its query as a C string, so a
  // NUL inside a quoted word would end the query there, unterminated.
  auto is_space = [](char c) { return (c >= 0 && c <= ' ') || c == 0x7f; };
  while (i < user_text.size()) {
    while (i < user_text.size() && is_space(user_text[i])) ++i;
    size_t start = i;
    while (i < user_text.size() && !is_space(user_text[i])) ++i;
    std::string_view word = user_text.substr(start, i - start);
    if (word.empty() || !has_word_char(word)) continue;
    const auto all = spellings(word);
    std::string expr;
    if (all.size() > 1) expr += '(';
    for (size_t k = 0; k < all.size(); ++k) {
      if (k) expr += " OR ";
      append_phrase(expr, all[k], word_starts);
    }
    if (all.size() > 1) expr += ')';
    grouped = grouped || all.size() > 1;
    words.push_back(std::move(expr));
  }
  // FTS5 ANDs phrases put side by side, but a group in parentheses only with an explicit AND.
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : grouped ? " AND " : " ") + w;
  return out;
}

}  // namespace

std::string fts_match_expression(std::string_view user_text) {
  return fts_words(user_text, false);
}

std::string fts_prefix_expression(std::string_view user_text) {
  return fts_words(user_text, true);
}

std::string contact_domain_prefix(std::string_view user_text) {
  std::string_view t = user_text;
  const bool at = !t.empty() && t.front() == '@';
  if (at) t.remove_prefix(1);
  if (t.empty()) return {};
  for (char c : t)
    if (c == '@' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return {};
  if (!at && t.find('.') == std::string_view::npos) return {};
  return text::ascii_lower(t);
}

std::string snippet_html(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 32);
  bool open = false;
  size_t text_from = 0;  // start of the text not yet escaped
  for (size_t i = 0; i < s.size();) {
    const bool opens = s.substr(i, kMarkOpen.size()) == kMarkOpen;
    const bool closes = !opens && s.substr(i, kMarkClose.size()) == kMarkClose;
    if (!opens && !closes) {
      ++i;
      continue;
    }
    out += text::html_escape(s.substr(text_from, i - text_from));
    if (opens && !open) out += "<mark>";
    if (closes && open) out += "</mark>";
    open = opens;
    i += opens ? kMarkOpen.size() : kMarkClose.size();
    text_from = i;
  }
  out += text::html_escape(s.substr(text_from));
  if (open) out += "</mark>";
  return out;
}

bool is_iso8601_prefix(std::string_view s) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (s.size() < 4 || s.size() > kShape.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (kShape[i] == 'd') {
      if (s[i] < '0' || s[i] > '9') return false;
    } else if (s[i] != kShape[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace mailcase::store::case_query

#include "ingest/reply_text.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <string>
#include <vector>

#include "util/text.h"

namespace mailcase::ingest {
namespace {

// Each line of the body gets one of these kinds; the cut is decided on the sequence.
enum class Kind { kEmpty, kText, kQuote, kHeader, kDelimiter, kSignature };

// "On … wrote:" and its siblings in many languages; matched against a line or a line
// joined with the next two (mail clients wrap long header lines). Split into a start
// and an end pattern so that each stays small and linear.
const RE2& wrote_start_re() {
  static const RE2 re("(?i)^[\\s*_-]*(?:on|le|w\\s+dniu|dnia|am|op|el|en|il|em|no\\s+dia|den|at)\\s");
  return re;
}
const RE2& wrote_end_re() {
  static const RE2 re(
      "(?i)(?:wrote|a\\s+[ée]crit|pisze|napisa[łl]\\S*|schrieb|schreef|geschreven|"
      "escribi[óo]|ha\\s+scritto|escreveu|skrev|kirjoitti)(?:\\s*[:：]|\\s.{0,80}[:：])?[\\s*_-]*$");
  return re;
}
// "Some One <a@b> wrote:" with no leading word: an address before the end keyword.
const RE2& address_re() {
  static const RE2 re("[^\\s<>]+@[^\\s<>]+");
  return re;
}
// Gmail's date-only form: "2016-10-24 15:36 GMT+02:00 Foo bar <foo@bar>:".
const RE2& date_address_re() {
  static const RE2 re(
      "^\\s*\\d{4}[-/]\\d{1,2}[-/]\\d{1,2}\\s(?:.{0,160}@[^\\s]{1,120}\\s*[:：]?|"
      "\\d{1,2}:\\d{2}(?::\\d{2})?\\s+GMT[+-]\\d{2}:?\\d{2}\\s.{1,160})\\s*$");
  return re;
}
// Languages whose quote header need not start with a fixed word.
const RE2& wrote_free_re() {
  static const RE2 re("(?:написал\\S*|написав\\S*|пише|писал\\S*|写道)\\s*[:：]?\\s*$");
  return re;
}

const RE2& separator_re() {
  static const RE2 re(
      "(?i)^\\s*(?:"
      "[*_]*-{3,}\\s*(?:original\\s+message|ursprüngliche\\s+nachricht|message\\s+d'origine|oryginalna\\s+wiadomo[śs][ćc]|"
      "mensaje\\s+original|messaggio\\s+originale|oorspronkelijk\\s+bericht|mensagem\\s+original|"
      "originalmeddelande|opprinnelig\\s+melding|forwarded\\s+message|weitergeleitete\\s+nachricht|"
      "message\\s+transf[ée]r[ée]|wiadomo[śs][ćc]\\s+przekazana)\\s*-{3,}[*_]*|"
      "begin\\s+forwarded\\s+message\\s*:|"
      "d[ée]but\\s+du\\s+message\\s+r[ée]exp[ée]di[ée]\\s*:"
      ")\\s*$");
  return re;
}

// "From:" line of an Outlook-style header block, in several languages, maybe in bold.
const RE2& from_field_re() {
  static const RE2 re("(?i)^\\s*[*_]*(?:from|de|von|od|van|från|fra|da|от|від|发件人)\\s*[*_]*\\s*[:：]");
  return re;
}
const RE2& other_field_re() {
  static const RE2 re(
      "(?i)^\\s*[*_]*(?:sent|date|to|subject|cc|reply-to|envoy[ée]|[àa]|objet|gesendet|datum|an|betreff|wys[łl]ano|"
      "data|do|temat|enviado|fecha|para|asunto|inviato|oggetto|verzonden|aan|onderwerp|skickat|till|ämne|sendt|"
      "emne|til|отправлено|дата|кому|тема|发送时间|收件人|主题)\\s*[*_]*\\s*[:：]");
  return re;
}

const RE2& signature_re() {
  static const RE2 re(
      "(?i)^\\s*(?:"
      "sent\\s+(?:from|via|with|using)\\s.{1,120}|"
      "from\\s+my\\s+(?:iphone|ipad|android|mobile|samsung|blackberry).{0,80}|"
      "get\\s+outlook\\s+for\\s.{1,60}|"
      "envoy[ée]\\s+(?:depuis|de)\\s+(?:mon|ma)\\s.{1,80}|"
      "von\\s+meinem\\s.{1,80}\\sgesendet.{0,40}|"
      "diese\\s+nachricht\\s+wurde\\s+von\\s+meinem\\s.{1,120}\\sgesendet.{0,20}|"
      "wys[łl]ane\\s+z\\s.{1,80}|"
      "enviado\\s+desde\\s+mi\\s.{1,80}|"
      "inviato\\s+da\\s.{1,80}|"
      "verzonden\\s+(?:met|vanaf)\\s.{1,80}|"
      "skickat\\s+från\\s.{1,80}|"
      "sendt\\s+fra\\s.{1,80}|"
      "l[äa]hetetty\\s.{1,80}"
      ")\\s*$");
  return re;
}

// A line made only of punctuation runs ("--", "***", "______", "-- "), i.e. a signature
// or footer delimiter. A line with words in it is text.
bool is_delimiter(std::string_view line) {
  std::string_view t = text::trim(line);
  if (t.size() < 2) return false;
  char c = t[0];
  if (c != '-' && c != '_' && c != '=' && c != '~' && c != '+' && c != '*' && c != '#') return false;
  for (char x : t) {
    if (x != c) return false;
  }
  return true;
}

// The most lines of text a signature or a footer below a delimiter line is taken to have.
constexpr size_t kSignatureLines = 12;

bool is_empty(std::string_view line) {
  std::string_view t = text::trim(line);
  // Gmail's invisible tracking mark (U+1427) and non-breaking spaces count as nothing.
  while (!t.empty()) {
    if (t.substr(0, 3) == "\xE1\x90\xA7") t.remove_prefix(3);
    else if (t.substr(0, 2) == "\xC2\xA0") t.remove_prefix(2);
    else if (t.front() == ' ' || t.front() == '\t') t.remove_prefix(1);
    else break;
  }
  return t.empty();
}

std::string_view unquoted(std::string_view line) {
  std::string_view t = line;
  while (!t.empty() && (t.front() == '>' || t.front() == ' ')) t.remove_prefix(1);
  return t;
}

bool matches(const RE2& re, std::string_view s) {
  return RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), re);
}

// Up to n bytes of `s` after RE2's \s ([\t\n\f\r ]), ASCII letters lower-cased.
std::string lead(std::string_view s, size_t n) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\f' || s[i] == '\r')) ++i;
  return text::ascii_lower(s.substr(i, n));
}

// The two patterns below cost milliseconds to compile (bounded repeats of UTF-8 '.'),
// which a `deliver`, one process per mail, paid for every mail before any line could
// match. These checks are exact: a line they refuse cannot match the pattern, so the
// pattern is compiled only for a line that may.
//
// Every alternative of signature_re() begins with one of these words. A character that
// (?i) folds onto an ASCII letter (ſ onto s, the Kelvin sign onto k) sends the line on.
bool may_be_signature(std::string_view line) {
  if (line.find("\xC5\xBF") != std::string_view::npos || line.find("\xE2\x84\xAA") != std::string_view::npos)
    return true;
  const std::string l = lead(line, 3);
  for (std::string_view w : {"sen", "fro", "get", "env", "von", "die", "wys", "inv", "ver", "ski", "lah",
                             "l\xC3\xA4", "l\xC3\x84"})
    if (l == w) return true;
  return false;
}
// date_address_re() begins with four ASCII digits (RE2's \d).
bool may_be_date_address(std::string_view line) {
  const std::string l = lead(line, 4);
  return l.size() == 4 && std::all_of(l.begin(), l.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Exact checks, as above, for the patterns every line of a body met, whose compiling was
// most of a plain delivery's regular-expression work. A character that (?i) folds onto an
// ASCII letter (ſ, the Kelvin sign) sends the line on.
bool has_folding_to_ascii(std::string_view s) {
  return s.find("\xC5\xBF") != std::string_view::npos || s.find("\xE2\x84\xAA") != std::string_view::npos;
}
bool contains_any(std::string_view s, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words)
    if (s.find(w) != std::string_view::npos) return true;
  return false;
}
// Each of wrote_end_re()'s keywords holds one of these ASCII words.
bool may_be_wrote_end(std::string_view s) {
  if (has_folding_to_ascii(s)) return true;
  return contains_any(text::ascii_lower(s),
                      {"wrote", "crit", "pisze", "napisa", "schrieb", "schreef", "geschreven", "escribi",
                       "scritto", "escreveu", "skrev", "kirjoitti"});
}
// Every word of wrote_free_re() (no (?i)) holds "пи" or is 写道.
bool may_be_wrote_free(std::string_view s) {
  return contains_any(s, {"\xD0\xBF\xD0\xB8", "\xE5\x86\x99\xE9\x81\x93"});
}
// wrote_start_re(): past a run of [\s*_-], one of its words, all of which begin with one
// of these letters.
bool may_be_wrote_start(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\f' || s[i] == '\r' ||
                          s[i] == '*' || s[i] == '_' || s[i] == '-'))
    ++i;
  if (i == s.size()) return false;
  const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
  return std::string_view("olwdaein").find(c) != std::string_view::npos;
}
// separator_re(): past \s, '*', '_' or '-' (its dashed lines), or "begin …", "début …".
bool may_be_separator(std::string_view s) {
  const std::string l = lead(s, 1);
  return !l.empty() && std::string_view("*_-bd").find(l[0]) != std::string_view::npos;
}

bool is_wrote(std::string_view joined) {
  if (joined.size() >= 600) return false;
  // French typography puts a no-break space before the colon. Every line of every body
  // comes here: lines without one (nearly all) are not copied.
  constexpr std::string_view kNbsp = "\xC2\xA0";
  std::string plain;
  if (size_t at = joined.find(kNbsp); at != std::string_view::npos) {
    size_t from = 0;
    for (; at != std::string_view::npos; at = joined.find(kNbsp, from)) {
      plain.append(joined.substr(from, at - from)).push_back(' ');
      from = at + kNbsp.size();
    }
    plain.append(joined.substr(from));
    joined = plain;
  }
  if ((may_be_wrote_free(joined) && matches(wrote_free_re(), joined)) ||
      (may_be_date_address(joined) && matches(date_address_re(), joined)))
    return true;
  if (!may_be_wrote_end(joined) || !matches(wrote_end_re(), joined)) return false;
  return (may_be_wrote_start(joined) && matches(wrote_start_re(), joined)) ||
         (joined.find('@') != std::string::npos && matches(address_re(), joined));
}

// After a separator or a From: line, the header block runs to the first empty line.
size_t block_to_blank(const std::vector<std::string_view>& lines, size_t i) {
  size_t k = i + 1;
  while (k < lines.size() && k - i < 12 && !is_empty(lines[k])) ++k;
  return k - i;
}

// Header lines: returns how many lines the header spans (0 when none starts here).
size_t header_span(const std::vector<std::string_view>& lines, size_t i) {
  std::string_view line = lines[i];
  if (line.size() > 1000) return 0;
  if (may_be_separator(line) && matches(separator_re(), line)) return block_to_blank(lines, i);
  const std::string_view trimmed = text::trim(line);
  if (trimmed.empty()) return 0;
  if (is_wrote(trimmed)) return 1;
  // Wrapped headers: join up to five more lines, skipping blank ones, when it starts like one.
  // Only a line that starts like a header (a leading word, a date, or an address) may
  // continue on the following lines.
  bool starts_like_header = (may_be_wrote_start(trimmed) && matches(wrote_start_re(), trimmed)) ||
                            (trimmed.find('@') != std::string_view::npos && matches(address_re(), trimmed)) ||
                            trimmed.back() == '<' ||
                            (std::isdigit(static_cast<unsigned char>(trimmed[0])) && trimmed.back() != '.');
  if (starts_like_header) {
    std::string joined(trimmed);  // copied only for a line that may go on
    size_t used = 1;
    for (size_t k = i + 1; k < lines.size() && k <= i + 5; ++k) {
      if (lines[k].size() > 500) break;
      used = k - i + 1;
      if (is_empty(lines[k])) continue;
      joined += " ";
      joined += text::trim(lines[k]);
      if (is_wrote(joined)) return used;
    }
  }
  // from_field_re() ends in ':' or '：'.
  if (contains_any(line, {":", "\xEF\xBC\x9A"}) && matches(from_field_re(), line)) {
    int fields = 0;
    for (size_t k = 1; k <= 6 && i + k < lines.size(); ++k) {
      if (matches(other_field_re(), lines[i + k])) ++fields;
    }
    if (fields >= 2) return block_to_blank(lines, i);
  }
  return 0;
}

}  // namespace

ReplyText split_reply(std::string_view body_in) {
  // Line ends made "\n" ("\r\n" and a lone "\r" alike), copied a run at a time between
  // the '\r's (a character at a time was most of this function's own cost). A body
  // without '\r' (what the parser hands on) is read where it is: a body of megabytes is
  // not copied for it.
  std::string normalized;
  const bool has_cr = body_in.find('\r') != std::string_view::npos;
  if (has_cr) normalized.reserve(body_in.size());
  for (size_t from = 0; has_cr && from < body_in.size();) {
    const size_t cr = body_in.find('\r', from);
    if (cr == std::string_view::npos) {
      normalized.append(body_in.substr(from));
      break;
    }
    normalized.append(body_in.substr(from, cr - from));
    normalized += '\n';
    from = cr + 1;
    if (from < body_in.size() && body_in[from] == '\n') ++from;
  }
  const std::string_view body = has_cr ? std::string_view(normalized) : body_in;
  std::vector<std::string_view> lines = text::split_lines(body);
  std::vector<Kind> kinds(lines.size(), Kind::kText);
  bool in_code = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    if (text::trim(l).substr(0, 3) == "```") {
      in_code = !in_code;
      continue;
    }
    if (in_code) continue;
    if (is_empty(l)) kinds[i] = Kind::kEmpty;
    else if (!l.empty() && (l.front() == '>' || l.front() == '|')) {
      kinds[i] = header_span(std::vector<std::string_view>{unquoted(l)}, 0) ? Kind::kHeader : Kind::kQuote;
    } else if (size_t span = header_span(lines, i)) {
      for (size_t k = 0; k < span; ++k) kinds[i + k] = Kind::kHeader;
      i += span - 1;
    } else if (is_delimiter(l)) kinds[i] = Kind::kDelimiter;
    else if (may_be_signature(l) && matches(signature_re(), l)) kinds[i] = Kind::kSignature;
  }

  auto text_after = [&](size_t from) {
    for (size_t k = from; k < lines.size(); ++k)
      if (kinds[k] == Kind::kText) return k;
    return lines.size();
  };
  size_t first_text = text_after(0);
  size_t keep_from = 0, cut = lines.size();

  // Bottom-posting: the mail opens with a quote header and the quote; the new text
  // follows it. The quote becomes the history.
  size_t first_nonempty = 0;
  while (first_nonempty < lines.size() && kinds[first_nonempty] == Kind::kEmpty) ++first_nonempty;
  if (first_nonempty < lines.size() && kinds[first_nonempty] == Kind::kHeader) {
    size_t k = first_nonempty;
    while (k < lines.size() && (kinds[k] == Kind::kHeader || kinds[k] == Kind::kQuote || kinds[k] == Kind::kEmpty)) ++k;
    keep_from = k;
    first_text = text_after(k);
  }

  // Whether the delimiter at lines[k] ends the new text. The signature dash "-- " always
  // does (RFC 3676 §4.3). Another line of punctuation ("--", "*****", "_____") ends it
  // when what follows, up to the quoted history or the end, is as short as a signature or
  // a footer; past that it is a rule between sections of what the sender wrote. (Every
  // line that is not empty counts, so that each look ends within a few lines.)
  auto delimiter_ends_text = [&](size_t k) {
    if (lines[k] == "-- ") return true;
    size_t counted = 0;
    for (size_t j = k + 1; j < lines.size() && kinds[j] != Kind::kHeader && kinds[j] != Kind::kQuote; ++j)
      if (kinds[j] != Kind::kEmpty && ++counted > kSignatureLines) return false;
    return true;
  };
  // Top-posting: the first header, delimiter or signature after some text ends the new text.
  for (size_t k = first_text; k < lines.size(); ++k) {
    if (k < keep_from) continue;
    Kind kd = kinds[k];
    if (kd == Kind::kHeader || kd == Kind::kSignature || (kd == Kind::kDelimiter && delimiter_ends_text(k))) {
      cut = k;
      break;
    }
  }
  // A trailing quote block (after the new text) is history too; interleaved quotes stay.
  size_t end = cut;
  while (end > keep_from && kinds[end - 1] == Kind::kEmpty) --end;
  size_t q = end;
  while (q > keep_from && (kinds[q - 1] == Kind::kQuote || kinds[q - 1] == Kind::kEmpty)) --q;
  if (q < end && q > keep_from && text_after(keep_from) < q) cut = q;

  // Lines a to b, trimmed, made in one piece of the size it needs and trimmed in place (a
  // new text of megabytes is neither grown by doubling nor copied again to trim it).
  auto join = [&](size_t a, size_t b) {
    while (b > a && kinds[b - 1] == Kind::kEmpty) --b;
    size_t size = 0;
    for (size_t k = a; k < b; ++k) size += lines[k].size() + 1;
    std::string s;
    s.reserve(size);
    for (size_t k = a; k < b; ++k) {
      s.append(lines[k]);
      s += '\n';
    }
    const std::string_view kept = text::trim(s);
    const size_t from = kept.empty() ? 0 : static_cast<size_t>(kept.data() - s.data());
    s.resize(from + kept.size());
    s.erase(0, from);
    return s;
  };
  // A quote alone, without any new text, is what the sender wrote.
  if (keep_from == 0 && first_text == lines.size() && first_nonempty < lines.size() &&
      kinds[first_nonempty] == Kind::kQuote) {
    return ReplyText{std::string(text::trim(body)), ""};
  }
  ReplyText r;
  r.new_text = join(keep_from, std::min(cut, lines.size()));
  std::string before = join(0, keep_from);
  std::string after = join(std::min(cut, lines.size()), lines.size());
  r.quoted = before.empty()  ? std::move(after)
             : after.empty() ? std::move(before)
                             : before + "\n\n" + after;
  return r;
}

}  // namespace mailcase::ingest

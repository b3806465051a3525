#include "spam/verdict.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "util/text.h"

namespace mailcase::spam {

const char* to_string(Kind k) {
  switch (k) {
    case Kind::kNone:
      return "";
    case Kind::kHam:
      return "ham";
    case Kind::kSpam:
      return "spam";
    case Kind::kUnchecked:
      return "unchecked";
  }
  return "";
}

std::string format_score(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  // "12.30" → "12.3", "5.00" → "5"; "-0" stays readable as "0".
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

namespace {

// A finite number, the whole of `s` (an optional leading '+'); nullopt for anything else
// ("1e400", "nan", "12,3", "").
std::optional<double> number(std::string_view s) {
  s = text::trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || s.size() > 64) return std::nullopt;
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// A field's value as the record shows it: one line of valid UTF-8, at most 200 bytes.
std::string shown(std::string_view v) {
  std::string s = text::terminal_safe(text::make_valid_utf8(text::trim(v.substr(0, 200))), true);
  return s;
}

// The value of "name=" in a list of "k=v" words ("score=12.3 required=5.0"), where a word
// ends at a space, tab or comma.
std::optional<std::string_view> word_value(std::string_view s, std::string_view name) {
  size_t pos = 0;
  while (pos < s.size()) {
    while (pos < s.size() &&
           (s[pos] == ' ' || s[pos] == '\t' || s[pos] == ',' || s[pos] == '\r' || s[pos] == '\n'))
      ++pos;
    size_t end = pos;
    while (end < s.size() && s[end] != ' ' && s[end] != '\t' && s[end] != ',' && s[end] != '\r' &&
           s[end] != '\n')
      ++end;
    std::string_view w = s.substr(pos, end - pos);
    if (w.size() > name.size() && w[name.size()] == '=' && text::iequals(w.substr(0, name.size()), name))
      return w.substr(name.size() + 1);
    pos = end;
  }
  return std::nullopt;
}

// One field's reading: spam or not, with a score and threshold where it gave them.
struct Reading {
  bool spam = false;
  std::optional<double> score, threshold;
  std::string source, detail;
};

std::string compare(double score, double threshold) {
  return "score " + format_score(score) + (score >= threshold ? " ≥ " : " < ") + format_score(threshold);
}

std::optional<Reading> read_flag(std::string_view v) {
  v = text::trim(v);
  Reading r;
  r.source = "X-Spam-Flag";
  if (text::iequals(v, "YES")) {
    r.spam = true;
  } else if (!text::iequals(v, "NO")) {
    return std::nullopt;
  }
  r.detail = std::string("X-Spam-Flag ") + (r.spam ? "YES" : "NO");
  return r;
}

std::optional<Reading> read_status(std::string_view v) {
  v = text::trim(v);
  Reading r;
  r.source = "X-Spam-Status";
  size_t end = 0;
  while (end < v.size() && v[end] != ',' && v[end] != ' ' && v[end] != '\t') ++end;
  const std::string_view yes_no = v.substr(0, end);
  bool said = false;
  if (text::iequals(yes_no, "Yes")) {
    r.spam = true;
    said = true;
  } else if (text::iequals(yes_no, "No")) {
    said = true;
  }
  auto score = word_value(v, "score");
  if (!score) score = word_value(v, "hits");  // SpamAssassin before 3.0
  if (score) r.score = number(*score);
  if (auto req = word_value(v, "required")) r.threshold = number(*req);
  if (r.score && r.threshold && *r.score >= *r.threshold) r.spam = true;
  if (!said && !(r.score && r.threshold)) return std::nullopt;
  r.detail = r.score && r.threshold ? compare(*r.score, *r.threshold)
                                    : std::string("X-Spam-Status ") + (r.spam ? "Yes" : "No");
  return r;
}

std::optional<Reading> read_score(std::string_view v, double threshold) {
  auto s = number(v);
  if (!s) return std::nullopt;
  Reading r;
  r.source = "X-Spam-Score";
  r.score = s;
  r.threshold = threshold;
  r.spam = *s >= threshold;
  r.detail = compare(*s, threshold);
  return r;
}

// "default: True [12.30 / 15.00]; SYMBOL(1.00)[…]; …": the default metric's verdict and
// its score against its threshold.
std::optional<Reading> read_spamd_result(std::string_view v) {
  v = text::trim(v);
  const auto colon = v.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view rest = text::trim(v.substr(colon + 1));
  size_t end = 0;
  while (end < rest.size() && rest[end] != ' ' && rest[end] != '[' && rest[end] != ';') ++end;
  const std::string_view yes_no = rest.substr(0, end);
  Reading r;
  r.source = "X-Spamd-Result";
  bool said = false;
  if (text::iequals(yes_no, "True")) {
    r.spam = true;
    said = true;
  } else if (text::iequals(yes_no, "False")) {
    said = true;
  }
  const auto open = rest.find('[');
  const auto semi = rest.find(';');
  if (open != std::string_view::npos && (semi == std::string_view::npos || open < semi)) {
    const auto close = rest.find(']', open);
    if (close != std::string_view::npos) {
      std::string_view inside = rest.substr(open + 1, close - open - 1);
      const auto slash = inside.find('/');
      if (slash != std::string_view::npos) {
        r.score = number(inside.substr(0, slash));
        r.threshold = number(inside.substr(slash + 1));
      }
    }
  }
  if (r.score && r.threshold && *r.score >= *r.threshold) r.spam = true;
  if (!said && !(r.score && r.threshold)) return std::nullopt;
  r.detail = r.score && r.threshold ? compare(*r.score, *r.threshold)
                                    : std::string("X-Spamd-Result ") + (r.spam ? "True" : "False");
  return r;
}

// rspamd's actions, lower-case: which call a mail spam, and which are known at all.
std::optional<bool> action_is_spam(std::string_view action) {
  const std::string a = text::ascii_lower(text::trim(action));
  if (a == "reject" || a == "add header" || a == "rewrite subject") return true;
  if (a == "no action" || a == "greylist" || a == "soft reject") return false;
  return std::nullopt;
}

std::optional<Reading> read_action(std::string_view v) {
  auto spam = action_is_spam(v);
  if (!spam) return std::nullopt;
  Reading r;
  r.source = "X-Rspamd-Action";
  r.spam = *spam;
  r.detail = "action " + text::ascii_lower(text::trim(v));
  return r;
}

}  // namespace

Verdict from_headers(const SpamHeaders& h, double threshold) {
  std::vector<Reading> readings;
  auto add = [&](const std::optional<std::string_view>& value, auto&& reader) {
    if (!value || value->size() > kMaxHeaderValueBytes) return;
    if (auto r = reader(*value)) readings.push_back(std::move(*r));
  };
  // rspamd's first, then SpamAssassin's: the first reading that says spam (else the
  // first at all) is the one the verdict names.
  add(h.spamd_result, read_spamd_result);
  add(h.rspamd_action, read_action);
  add(h.status, read_status);
  add(h.flag, read_flag);
  add(h.score, [threshold](std::string_view v) { return read_score(v, threshold); });
  Verdict v;
  if (readings.empty()) return v;
  auto it = std::find_if(readings.begin(), readings.end(), [](const Reading& r) { return r.spam; });
  const Reading& chosen = it != readings.end() ? *it : readings.front();
  v.kind = it != readings.end() ? Kind::kSpam : Kind::kHam;
  v.source = chosen.source;
  v.detail = chosen.detail;
  // The score named is the deciding field's, else the first field's that gave one.
  v.score = chosen.score;
  v.threshold = chosen.threshold;
  if (!v.score) {
    for (const auto& r : readings) {
      if (r.score) {
        v.score = r.score;
        v.threshold = r.threshold;
        break;
      }
    }
  }
  return v;
}

Verdict unchecked(std::string_view source, std::string_view reason) {
  Verdict v;
  v.kind = Kind::kUnchecked;
  v.source = std::string(source);
  v.detail = shown(reason);
  return v;
}

Verdict from_rspamd(std::string_view json, double threshold) {
  if (json.size() > kMaxRspamdAnswerBytes)
    return unchecked("rspamd", "rspamd's answer is over " + std::to_string(kMaxRspamdAnswerBytes) + " bytes");
  auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return unchecked("rspamd", "rspamd's answer is not a JSON object");
  if (auto e = doc.find("error"); e != doc.end() && e->is_string())
    return unchecked("rspamd", "rspamd: " + e->get<std::string>());
  // rspamd sets is_skipped both when it stops early on a certain verdict (GTUBE: action
  // reject) and when it does not look at a mail at all (too large, a settings rule).
  bool skipped = false;
  if (auto s = doc.find("is_skipped"); s != doc.end() && s->is_boolean()) skipped = s->get<bool>();
  std::optional<double> score;
  if (auto s = doc.find("score"); s != doc.end() && s->is_number()) {
    const double d = s->get<double>();
    if (std::isfinite(d)) score = d;
  }
  std::optional<std::string> action;
  std::optional<bool> action_spam;
  if (auto a = doc.find("action"); a != doc.end() && a->is_string()) {
    action = text::ascii_lower(text::trim(a->get<std::string>()));
    action_spam = action_is_spam(*action);
  }
  if (!score && !action_spam)
    return unchecked("rspamd", "rspamd's answer has neither a score nor a known action");
  if (skipped && !(action_spam && *action_spam)) return unchecked("rspamd", "rspamd skipped the mail");
  Verdict v;
  v.source = "rspamd";
  v.score = score;
  v.threshold = threshold;
  const bool by_score = score && *score >= threshold;
  v.kind = by_score || (action_spam && *action_spam) ? Kind::kSpam : Kind::kHam;
  if (by_score || !action_spam || !*action_spam) {
    v.detail = score ? compare(*score, threshold) : "action " + *action;
    if (!by_score && action) v.detail += ", action " + *action;
  } else {
    v.detail = "action " + *action + (score ? ", score " + format_score(*score) : std::string());
  }
  // The strongest symbols, so that an agent sees why (GTUBE, BAYES_SPAM…).
  if (auto syms = doc.find("symbols"); syms != doc.end() && syms->is_object()) {
    std::vector<std::pair<double, std::string>> named;
    for (auto it = syms->begin(); it != syms->end() && named.size() < 1000; ++it) {
      double weight = 0;
      if (it->is_object()) {
        if (auto sc = it->find("score"); sc != it->end() && sc->is_number()) weight = sc->get<double>();
      }
      if (!std::isfinite(weight)) weight = 0;
      named.emplace_back(weight, it.key());
    }
    std::stable_sort(named.begin(), named.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::string list;
    for (size_t i = 0; i < named.size() && i < 5; ++i) list += (i ? ", " : "") + shown(named[i].second);
    if (!list.empty()) v.detail += "; " + list;
  }
  v.detail = shown(v.detail);
  return v;
}

std::string hold_reason(const Verdict& v) {
  std::string why = v.detail;
  // The symbols stay on the record; the reason says the decisive part.
  if (auto semi = why.find("; "); semi != std::string::npos) why.resize(semi);
  return "spam: " + (why.empty() ? std::string("judged spam") : why) + " (" + v.source + ")";
}

Admission admit(const Verdict& spam, bool sender_allowed, bool from_proven) {
  if (sender_allowed && from_proven) return {false, "sender allowed"};
  return {true,
          hold_reason(spam) + (sender_allowed ? "; the sender is allowed but its From is not proven" : "")};
}

}  // namespace mailcase::spam

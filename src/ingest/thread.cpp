#include "ingest/thread.h"

#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <mutex>

#include "domain/case_number.h"
#include "util/text.h"

namespace mailcase::ingest {
namespace {

// A reply/forward prefix: a word from many languages, an optional counter "[2]" or "(2)",
// then a colon (ASCII or full-width). Matched case-insensitively at the start only.
const RE2& prefix_re() {
  static const RE2 re(
      "^\\s*(?i:re|aw|wg|fw|fwd|tr|sv|vs|vb|antw|antwort|odp|pd|rif|r|ref|rv|enc|res|doorst|trs|ynt|ilt|"
      "vá|válasz|fs|vl|ot|отв|пересл|回复|转发|答复)"
      "\\s*(?:\\[\\d+\\]|\\(\\d+\\))?\\s*(?::|：)\\s*");
  return re;
}

std::string re2_escape(std::string_view s) { return RE2::QuoteMeta(std::string(s)); }

}  // namespace

std::string strip_reply_prefixes(std::string_view subject) {
  re2::StringPiece in(subject.data(), subject.size());
  // Also strip "[External]"-free forms only: tags in brackets are kept, they may be case tags.
  while (RE2::Consume(&in, prefix_re())) {
  }
  return std::string(text::trim(std::string_view(in.data(), in.size())));
}

// The tag patterns cost milliseconds to compile (the Unicode classes \pL and \pN), which
// a `deliver`, one process per mail, paid for every mail. They are compiled on the first
// subject that may hold a tag: one with the case prefix followed by a digit, or "[#" and a
// digit. The check is exact: a subject it refuses cannot match a pattern.
struct SubjectTags::Impl {
  config::Threading cfg;
  // Two forms of the tag patterns, each compiled on its first use. On a subject of ASCII
  // alone, [^\pL\pN] and [^\pN] match exactly what [^A-Za-z0-9] and [^0-9] match, and those
  // compile in a fraction of the time (the Unicode classes cost a tagged reply ~10 million
  // instructions, most of its patterns' work); any other subject gets the Unicode form.
  struct Patterns {
    std::once_flag compiled;
    std::vector<std::unique_ptr<RE2>> tags;  // each captures the digits
  };
  Patterns ascii, unicode;
  std::once_flag numeric_compiled;
  std::unique_ptr<RE2> numeric;  // [#235]

  void compile(Patterns& into, bool unicode_classes) const {
    const std::string not_alnum = unicode_classes ? "[^\\pL\\pN]" : "[^A-Za-z0-9]";
    const std::string not_digit = unicode_classes ? "[^\\pN]" : "[^0-9]";
    std::string number =
        "(?i:" + re2_escape(cfg.case_prefix) + ")(\\d{1," + std::to_string(cfg.case_digits + 3) + "})";
    for (const auto& tag : cfg.subject_tags) {
      size_t at = tag.find("{number}");
      if (at == std::string::npos) continue;
      std::string pattern = "(?i:" + re2_escape(tag.substr(0, at)) + ")\\s*" + number +
                            "(?i:" + re2_escape(tag.substr(at + 8)) + ")";
      // A tag must not be glued to a longer word or number on its left/right.
      if (!tag.empty() && std::isalnum(static_cast<unsigned char>(tag.front())))
        pattern = "(?:^|" + not_alnum + ")" + pattern;
      pattern += "(?:$|" + not_digit + ")";
      auto re = std::make_unique<RE2>(pattern);
      if (re->ok()) into.tags.push_back(std::move(re));
    }
  }

  // The tag patterns for this subject, compiled if they were not yet.
  const std::vector<std::unique_ptr<RE2>>& tags_for(std::string_view subject) {
    const bool ascii_only = std::all_of(subject.begin(), subject.end(),
                                        [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    Patterns& p = ascii_only ? ascii : unicode;
    std::call_once(p.compiled, [&] { compile(p, !ascii_only); });
    return p.tags;
  }
  const RE2* numeric_tag() {
    if (!cfg.numeric_tags) return nullptr;
    std::call_once(numeric_compiled, [&] { numeric = std::make_unique<RE2>("\\[#(\\d{1,12})\\]"); });
    return numeric.get();
  }

  // Whether some pattern may match: each needs the prefix (case-insensitive) then an ASCII
  // digit, or "[#" then one. A non-ASCII prefix, or a character (?i) folds onto an ASCII
  // letter (ſ, the Kelvin sign), goes to the patterns.
  bool may_hold_tag(std::string_view subject) const {
    const auto digit_at = [&](size_t i) {
      return i < subject.size() && subject[i] >= '0' && subject[i] <= '9';
    };
    if (cfg.numeric_tags)
      for (size_t at = subject.find("[#"); at != std::string_view::npos; at = subject.find("[#", at + 1))
        if (digit_at(at + 2)) return true;
    if (cfg.subject_tags.empty()) return false;
    const std::string prefix = text::ascii_lower(cfg.case_prefix);
    if (std::any_of(prefix.begin(), prefix.end(),
                    [](char c) { return static_cast<unsigned char>(c) >= 0x80; }) ||
        subject.find("\xC5\xBF") != std::string_view::npos ||
        subject.find("\xE2\x84\xAA") != std::string_view::npos)
      return true;
    const std::string lower = text::ascii_lower(subject);
    for (size_t at = lower.find(prefix); at != std::string::npos; at = lower.find(prefix, at + 1))
      if (digit_at(at + prefix.size())) return true;
    return false;
  }
};

SubjectTags::SubjectTags(const config::Threading& cfg) : impl_(std::make_unique<Impl>()) {
  impl_->cfg = cfg;
}

SubjectTags::~SubjectTags() = default;
SubjectTags::SubjectTags(SubjectTags&&) noexcept = default;

std::string SubjectTags::number_of(int64_t id) const {
  return domain::case_number::format(impl_->cfg.case_prefix, impl_->cfg.case_digits, id);
}

std::vector<std::string> SubjectTags::case_numbers(std::string_view subject) const {
  struct Hit {
    size_t pos;
    std::string number;
  };
  std::vector<Hit> hits;
  auto scan = [&](const RE2& re, bool numeric) {
    re2::StringPiece in(subject.data(), subject.size());
    re2::StringPiece digits;
    const char* base = subject.data();
    while (RE2::FindAndConsume(&in, re, &digits)) {
      // The tag patterns matched the prefix already; the digits alone name the id.
      auto id = domain::case_number::parse("", std::string_view(digits.data(), digits.size()));
      if (!id) continue;
      hits.push_back({static_cast<size_t>(digits.data() - base), number_of(*id)});
      (void)numeric;
      if (in.empty()) break;
    }
  };
  if (!impl_->may_hold_tag(subject)) return {};
  for (const auto& re : impl_->tags_for(subject)) scan(*re, false);
  if (const RE2* numeric = impl_->numeric_tag()) scan(*numeric, true);
  std::stable_sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) { return a.pos < b.pos; });
  std::vector<std::string> out;
  for (auto& h : hits) {
    if (std::find(out.begin(), out.end(), h.number) == out.end()) out.push_back(std::move(h.number));
  }
  return out;
}

std::vector<std::string> referenced_ids(const std::vector<std::string>& in_reply_to,
                                        const std::vector<std::string>& references, size_t limit) {
  std::vector<std::string> out;
  auto add = [&](const std::string& id) {
    if (id.empty() || out.size() >= limit) return;
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  };
  for (const auto& id : in_reply_to) add(id);
  for (auto it = references.rbegin(); it != references.rend(); ++it) add(*it);
  return out;
}

ThreadDecision decide_thread(const ThreadFacts& facts) {
  for (size_t i = 0; i < facts.tag_numbers.size() && i < facts.tag_cases.size(); ++i) {
    if (facts.tag_cases[i]) return {facts.tag_cases[i], "subject tag " + facts.tag_numbers[i]};
  }
  for (size_t i = 0; i < facts.referenced_ids.size() && i < facts.ref_cases.size(); ++i) {
    if (facts.ref_cases[i]) return {facts.ref_cases[i], "answers <" + facts.referenced_ids[i] + ">"};
  }
  if (!facts.tag_numbers.empty()) return {std::nullopt, "unknown case number " + facts.tag_numbers.front()};
  return {std::nullopt, "no case referenced"};
}

int64_t answered_proposal(const ThreadFacts& facts, int64_t case_id) {
  for (size_t i = 0; i < facts.ref_cases.size() && i < facts.ref_proposals.size(); ++i) {
    if (facts.ref_cases[i] == case_id && facts.ref_proposals[i] != 0) return facts.ref_proposals[i];
  }
  return 0;
}

}  // namespace mailcase::ingest

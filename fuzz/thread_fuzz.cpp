// Fuzz target for threading (ingest/thread.h): reply-prefix stripping and case tags in
// a subject, and the Message-IDs a reply points at. The subject-tag settings come from
// mailcase.toml, so they are fuzzed too.
//
// Input, one field a line: subject; In-Reply-To ids (space separated); References ids;
// then optionally case_prefix, case_digits, and one subject tag a line.
// Contract under test: no crash, no sanitizer report; every case number found has the
// configured prefix followed by digits; referenced_ids keeps its limit and has no
// duplicates.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/thread.h"

using namespace mailcase;

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

void check_numbers(const ingest::SubjectTags& tags, const config::Threading& cfg, std::string_view subject) {
  for (const auto& n : tags.case_numbers(subject)) {
    // Tags match the prefix case-insensitively; the number is always written canonically.
    if (n.size() <= cfg.case_prefix.size() || n.compare(0, cfg.case_prefix.size(), cfg.case_prefix) != 0)
      std::abort();
    if (!std::all_of(n.begin() + static_cast<std::ptrdiff_t>(cfg.case_prefix.size()), n.end(),
                     [](char c) { return c >= '0' && c <= '9'; }))
      std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto lines = split(std::string_view(reinterpret_cast<const char*>(data), size), '\n');
  const std::string_view subject = lines.empty() ? std::string_view() : lines[0];

  (void)ingest::strip_reply_prefixes(subject);

  static const config::Threading default_cfg = [] {
    config::Threading t;
    t.numeric_tags = true;
    return t;
  }();
  static const ingest::SubjectTags default_tags(default_cfg);
  check_numbers(default_tags, default_cfg, subject);

  std::vector<std::string> in_reply_to, references;
  if (lines.size() > 1)
    for (auto id : split(lines[1], ' ')) in_reply_to.emplace_back(id);
  if (lines.size() > 2)
    for (auto id : split(lines[2], ' ')) references.emplace_back(id);
  const auto ids = ingest::referenced_ids(in_reply_to, references, 20);
  if (ids.size() > 20) std::abort();
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i].empty() ||
        std::find(ids.begin() + static_cast<std::ptrdiff_t>(i) + 1, ids.end(), ids[i]) != ids.end())
      std::abort();

  // Settings as config::load accepts them: digits 1 to 12, any prefix and tags.
  if (lines.size() > 4) {
    config::Threading cfg;
    cfg.case_prefix = std::string(lines[3]);
    cfg.case_digits = 1 + static_cast<int>(lines[4].size() % 12);
    cfg.subject_tags.clear();
    for (size_t i = 5; i < lines.size() && i < 9; ++i) cfg.subject_tags.emplace_back(lines[i]);
    cfg.numeric_tags = lines[4].size() % 2 == 0;
    const ingest::SubjectTags tags(cfg);
    check_numbers(tags, cfg, subject);
    // The facts as the pipeline would find them: every other number known.
    ingest::ThreadFacts facts;
    facts.tag_numbers = tags.case_numbers(subject);
    for (size_t i = 0; i < facts.tag_numbers.size(); ++i)
      facts.tag_cases.push_back(i % 2 ? std::optional<int64_t>(static_cast<int64_t>(i)) : std::nullopt);
    facts.referenced_ids = ids;
    facts.ref_cases.assign(ids.size(), std::nullopt);
    (void)ingest::decide_thread(facts);
  }
  return 0;
}

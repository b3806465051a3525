#include "rules/assignment.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <utility>

#include "util/text.h"

namespace mailcase::rules {
namespace {

constexpr size_t kMaxNameBytes = 100;
constexpr size_t kMaxPatternBytes = 1000;
constexpr size_t kMaxValueBytes = 320;  // an address (RFC 5321: 254) or a name, with room
// The DFA memory of one RE2::Set: 100 patterns of 1,000 bytes need more than RE2's 8 MiB
// default before the DFA gives up; past this budget a mail falls back to one RE2 per rule.
constexpr int64_t kSetMaxMem = 64 << 20;

RE2::Options pattern_options() {
  RE2::Options o;
  o.set_case_sensitive(false);
  o.set_log_errors(false);
  return o;
}

RE2::Options set_options() {
  RE2::Options o = pattern_options();
  o.set_max_mem(kSetMaxMem);
  return o;
}

std::string_view bounded(std::string_view text) {
  return text.substr(0, std::min(text.size(), kMaxScannedBytes));
}

bool looks_like_address(std::string_view s) {
  const auto at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= s.size()) return false;
  if (s.find('@', at + 1) != std::string_view::npos) return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '<' || c == '>' || c == ',' || c == ';';
  });
}

bool looks_like_domain(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || static_cast<unsigned char>(c) >= 0x80;
  });
}

Status invalid(std::string_view flag, std::string_view why) {
  return fail(ErrorCode::kInvalidInput, std::string(flag) + ": " + std::string(why));
}

// A text condition or action: one line of clean UTF-8, bounded.
Status check_value(std::string_view flag, std::string_view v) {
  if (v.size() > kMaxValueBytes)
    return invalid(flag, "longer than " + std::to_string(kMaxValueBytes) + " bytes");
  if (!text::is_clean_text(v, true)) return invalid(flag, "must be one line of text");
  return {};
}

Status check_address(std::string_view flag, std::string_view v) {
  if (v.empty()) return {};
  MC_RETURN_IF_ERROR(check_value(flag, v));
  if (!looks_like_address(v)) return invalid(flag, "not an email address: " + std::string(v));
  return {};
}

Status check_pattern(std::string_view flag, std::string_view p) {
  if (p.empty()) return {};
  if (p.size() > kMaxPatternBytes)
    return invalid(flag, "longer than " + std::to_string(kMaxPatternBytes) + " bytes");
  RE2 re(p, pattern_options());
  if (!re.ok()) return invalid(flag, re.error());
  return {};
}

// One enabled rule, ready to check: comparisons lower-cased once.
struct CompiledRule {
  Rule rule;
  std::string address, sender, sender_domain, contact, account, account_level, priority, language;
  int subject_index = -1;  // in the subject set; -1: no subject condition
  int body_index = -1;
};

using Singles = std::vector<std::unique_ptr<RE2>>;  // a set's patterns, one RE2 each, by set index

// Which patterns of a set match a text, computed on first need during one evaluation.
class LazyMatches {
 public:
  LazyMatches(const RE2::Set* set, const Singles* singles, std::string_view text)
      : set_(set), singles_(singles), text_(bounded(text)) {}

  bool matches(int index) {
    if (!done_) run();
    return index >= 0 && static_cast<size_t>(index) < hit_.size() && hit_[static_cast<size_t>(index)];
  }

 private:
  void run() {
    done_ = true;
    hit_.assign(singles_->size(), false);
    if (!set_) return match_each();
    std::vector<int> found;
    RE2::Set::ErrorInfo info{};
    if (set_->Match(re2::StringPiece(text_.data(), text_.size()), &found, &info)) {
      for (int i : found) hit_[static_cast<size_t>(i)] = true;
      return;
    }
    if (info.kind == RE2::Set::kNoError) return;  // nothing matched
    // The DFA ran out of its memory budget (a pathological text or set): each pattern
    // alone, slower but the same answer.
    match_each();
  }

  void match_each() {
    for (size_t i = 0; i < singles_->size(); ++i)
      hit_[i] = RE2::PartialMatch(re2::StringPiece(text_.data(), text_.size()), *(*singles_)[i]);
  }

  const RE2::Set* set_;
  const Singles* singles_;
  std::string_view text_;
  bool done_ = false;
  std::vector<bool> hit_;
};

void apply(const Actions& set, const std::string& by, Evaluation& e) {
  auto take = [&](const std::string& value, std::string& field, std::string& field_by) {
    if (value.empty()) return;
    field = value;
    field_by = by;
  };
  take(set.queue, e.result.queue, e.queue_by);
  take(set.owner, e.result.owner, e.owner_by);
  take(set.priority, e.result.priority, e.priority_by);
  take(set.product, e.result.product, e.product_by);
  take(set.process, e.result.process, e.process_by);
}

}  // namespace

Status check_rule(const Rule& r) {
  if (r.name.empty()) return invalid("name", "must not be empty");
  if (r.name.size() > kMaxNameBytes)
    return invalid("name", "longer than " + std::to_string(kMaxNameBytes) + " bytes");
  if (!text::is_clean_text(r.name, true)) return invalid("name", "must be one line of text");
  if (r.name != text::trim(r.name)) return invalid("name", "must not start or end with a space");
  if (text::iequals(r.name, kRoundRobin)) return invalid("name", "\"round-robin\" is reserved");

  const Conditions& c = r.when;
  MC_RETURN_IF_ERROR(check_address("--if-address", c.address));
  MC_RETURN_IF_ERROR(check_address("--if-sender", c.sender));
  if (!c.sender_domain.empty()) {
    MC_RETURN_IF_ERROR(check_value("--if-sender-domain", c.sender_domain));
    if (c.sender_domain.find('@') != std::string::npos)
      return invalid("--if-sender-domain", "a domain without '@' (example.com)");
    if (!looks_like_domain(c.sender_domain))
      return invalid("--if-sender-domain", "not a domain: " + c.sender_domain);
  }
  MC_RETURN_IF_ERROR(check_address("--if-contact", c.contact));
  MC_RETURN_IF_ERROR(check_value("--if-account", c.account));
  MC_RETURN_IF_ERROR(check_value("--if-account-level", c.account_level));
  MC_RETURN_IF_ERROR(check_pattern("--if-subject", c.subject));
  MC_RETURN_IF_ERROR(check_pattern("--if-body", c.body));
  MC_RETURN_IF_ERROR(check_value("--if-priority", c.priority));
  MC_RETURN_IF_ERROR(check_value("--if-language", c.language));

  const Actions& a = r.set;
  if (a.empty())
    return invalid("--set-*", "a rule must set at least one of queue, owner, priority, product, process");
  MC_RETURN_IF_ERROR(check_value("--set-queue", a.queue));
  if (a.owner != kRoundRobin) MC_RETURN_IF_ERROR(check_address("--set-owner", a.owner));
  MC_RETURN_IF_ERROR(check_value("--set-priority", a.priority));
  MC_RETURN_IF_ERROR(check_value("--set-product", a.product));
  MC_RETURN_IF_ERROR(check_value("--set-process", a.process));
  return {};
}

std::string pattern_problem(const Rule& r) {
  for (auto [flag, pattern] :
       {std::pair{"--if-subject", &r.when.subject}, std::pair{"--if-body", &r.when.body}}) {
    if (pattern->empty()) continue;
    RE2 re(*pattern, pattern_options());
    if (!re.ok()) return std::string(flag) + ": " + re.error();
  }
  return "";
}

struct RuleSet::Compiled {
  std::vector<CompiledRule> rules;
  std::unique_ptr<RE2::Set> subject_set, body_set;  // null: no rule has such a condition
  // For the fallback when a set runs out of memory. A pattern of a rule left out after
  // it was added stays in its set, matched but never read.
  Singles subject_singles, body_singles;
  std::vector<SkippedRule> skipped;
};

RuleSet::RuleSet() : compiled_(std::make_unique<Compiled>()) {}
RuleSet::~RuleSet() = default;
RuleSet::RuleSet(RuleSet&&) noexcept = default;
RuleSet& RuleSet::operator=(RuleSet&&) noexcept = default;

RuleSet RuleSet::compile(std::vector<Rule> rules) {
  std::erase_if(rules, [](const Rule& r) { return !r.enabled; });
  std::stable_sort(rules.begin(), rules.end(),
                   [](const Rule& a, const Rule& b) { return a.position < b.position; });

  RuleSet out;
  Compiled& k = *out.compiled_;
  // A rule's pattern compiled alone (null when it has none), or why RE2 refuses it.
  auto compile_one = [](const std::string& pattern, std::string_view flag, std::unique_ptr<RE2>& single,
                        std::string& why) {
    if (pattern.empty() || !why.empty()) return;
    single = std::make_unique<RE2>(pattern, pattern_options());
    if (!single->ok()) why = std::string(flag) + ": " + single->error();
  };
  // Adds a compiled pattern to its set; "" when done, else why not (the flag and RE2's words).
  auto add_to_set = [](std::unique_ptr<RE2> single, std::string_view flag, std::unique_ptr<RE2::Set>& set,
                       Singles& singles, int& index) -> std::string {
    if (!single) return "";
    if (!set) set = std::make_unique<RE2::Set>(set_options(), RE2::UNANCHORED);
    std::string error;
    index = set->Add(single->pattern(), &error);
    if (index < 0) return std::string(flag) + ": " + error;
    singles.push_back(std::move(single));
    return "";
  };
  k.rules.reserve(rules.size());
  for (Rule& r : rules) {
    const Conditions& c = r.when;
    // Both patterns are compiled (as pattern_problem does) before either joins its set:
    // a rule left out adds nothing.
    std::unique_ptr<RE2> subject_re, body_re;
    std::string why;
    compile_one(c.subject, "--if-subject", subject_re, why);
    compile_one(c.body, "--if-body", body_re, why);
    CompiledRule cr;
    if (why.empty())
      why = add_to_set(std::move(subject_re), "--if-subject", k.subject_set, k.subject_singles,
                       cr.subject_index);
    if (why.empty())
      why = add_to_set(std::move(body_re), "--if-body", k.body_set, k.body_singles, cr.body_index);
    if (!why.empty()) {
      k.skipped.push_back({r.name, std::move(why)});
      continue;
    }
    cr.address = text::normalize_email(c.address);
    cr.sender = text::normalize_email(c.sender);
    cr.sender_domain = text::ascii_lower(text::trim(c.sender_domain));
    cr.contact = text::normalize_email(c.contact);
    cr.account = text::ascii_lower(c.account);
    cr.account_level = text::ascii_lower(c.account_level);
    cr.priority = text::ascii_lower(c.priority);
    cr.language = text::ascii_lower(c.language);
    cr.rule = std::move(r);
    k.rules.push_back(std::move(cr));
  }
  // Patterns each within RE2's budget can exceed the set's together (four subjects of
  // "\pL{300}" do): the rules then run one RE2 each, slower but with the same answers,
  // since a rule set that cannot compile would stop every mail from becoming a case.
  for (auto* set : {&k.subject_set, &k.body_set})
    if (*set && !(*set)->Compile()) set->reset();
  return out;
}

size_t RuleSet::size() const {
  return compiled_ ? compiled_->rules.size() : 0;
}

const std::vector<SkippedRule>& RuleSet::skipped() const {
  static const std::vector<SkippedRule> kNone;
  return compiled_ ? compiled_->skipped : kNone;
}

Evaluation RuleSet::evaluate(const MailFacts& facts) const {
  return run(facts, true);
}

Evaluation RuleSet::decide(const MailFacts& facts) const {
  return run(facts, false);
}

Evaluation RuleSet::run(const MailFacts& facts, bool trace) const {
  Evaluation e;
  if (!compiled_) return e;
  const Compiled& k = *compiled_;
  LazyMatches subject(k.subject_set.get(), &k.subject_singles, facts.subject);
  LazyMatches body(k.body_set.get(), &k.body_singles, facts.body);
  // Looked up once per mail rather than once per rule.
  const std::string sender_domain = text::email_domain(facts.sender);

  // The first condition of r that fails, as its flag without "--if-"; "" when all hold.
  auto first_failure = [&](const CompiledRule& r) -> const char* {
    const Conditions& c = r.rule.when;
    if (!r.address.empty() && !text::iequals(r.address, facts.address)) return "address";
    if (!r.sender.empty() && !text::iequals(r.sender, facts.sender)) return "sender";
    if (!r.sender_domain.empty() && !text::iequals(r.sender_domain, sender_domain)) return "sender-domain";
    if (!r.contact.empty() && std::none_of(facts.contact_emails.begin(), facts.contact_emails.end(),
                                           [&](const std::string& m) { return text::iequals(r.contact, m); }))
      return "contact";
    if (!r.account.empty() && !text::iequals(r.account, facts.account)) return "account";
    if (!r.account_level.empty() && !text::iequals(r.account_level, facts.account_level))
      return "account-level";
    if (r.subject_index >= 0 && !subject.matches(r.subject_index)) return "subject";
    if (r.body_index >= 0 && !body.matches(r.body_index)) return "body";
    if (c.attachments && *c.attachments != facts.has_attachments) return "attachments";
    if (!r.priority.empty() && !text::iequals(r.priority, facts.priority)) return "priority";
    if (!r.language.empty() && !text::iequals(r.language, facts.language)) return "language";
    if (c.business_hours && *c.business_hours != facts.in_business_hours) return "business-hours";
    return "";
  };

  if (trace) {
    e.checked.reserve(k.rules.size());
    e.skipped = k.skipped;
  }
  for (const CompiledRule& r : k.rules) {
    const char* failed = first_failure(r);
    if (trace) {
      RuleCheck& check = e.checked.emplace_back();
      check.name = r.rule.name;
      check.set = r.rule.set;
      check.failed = failed;
      check.matched = *failed == '\0';
    }
    if (*failed != '\0') continue;
    e.matched.push_back(r.rule.name);
    apply(r.rule.set, r.rule.name, e);
    if (!r.rule.continue_after) break;
  }
  return e;
}

}  // namespace mailcase::rules

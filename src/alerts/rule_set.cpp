#include "alerts/rule_set.h"

#include <re2/re2.h>

#include "util/text.h"

namespace mailcase::alerts {
namespace {

RE2::Options pattern_options() {
  RE2::Options o;
  o.set_case_sensitive(false);
  o.set_log_errors(false);
  o.set_max_mem(8 << 20);  // a pattern's compiled size is bounded, whoever wrote it
  return o;
}

std::unique_ptr<RE2> compile_pattern(const std::string& p) {
  if (p.empty()) return nullptr;
  return std::make_unique<RE2>(p, pattern_options());
}

bool matches(const RE2* re, std::string_view s) {
  if (!re) return true;
  if (s.size() > kMaxScannedBytes) s = s.substr(0, kMaxScannedBytes);
  return RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *re);
}

}  // namespace

Status check_rule(const AlertRule& r) {
  if (r.name.empty() || r.name.size() > kMaxRuleNameBytes || !text::is_clean_text(r.name, true) ||
      text::trim(r.name).size() != r.name.size())
    return fail(ErrorCode::kInvalidInput, "name: one line of 1 to " + std::to_string(kMaxRuleNameBytes) +
                                              " bytes, no spaces before or after");
  const std::pair<const char*, const std::string*> patterns[] = {
      {"--sender", &r.sender_re}, {"--subject", &r.subject_re}, {"--body", &r.body_re}};
  for (const auto& [what, p] : patterns) {
    if (p->size() > kMaxPatternBytes)
      return fail(ErrorCode::kInvalidInput,
                  std::string(what) + ": at most " + std::to_string(kMaxPatternBytes) + " bytes");
    if (p->empty()) continue;
    RE2 re(*p, pattern_options());
    if (!re.ok())
      return fail(ErrorCode::kInvalidInput, std::string(what) + ": not an RE2 pattern: " + re.error());
  }
  if (r.format == Format::kGeneric) {
    if (r.body_re.empty())
      return fail(ErrorCode::kInvalidInput,
                  "--body: the generic format needs a body RE with named groups host and state");
    RE2 re(r.body_re, pattern_options());
    const auto& groups = re.NamedCapturingGroups();
    if (!groups.count("host") || !groups.count("state"))
      return fail(ErrorCode::kInvalidInput,
                  "--body: the generic format needs the named groups host and state, e.g. "
                  "(?P<host>\\S+)/(?P<service>\\S+) is (?P<state>\\w+)");
  }
  if (r.reopen_within_hours < 0 || r.reopen_within_hours > kMaxReopenWithinHours)
    return fail(ErrorCode::kInvalidInput,
                "--reopen-within: hours from 0 to " + std::to_string(kMaxReopenWithinHours));
  return {};
}

struct RuleSet::Compiled {
  AlertRule rule;
  std::unique_ptr<RE2> sender, subject, body;
};

RuleSet::RuleSet() = default;
RuleSet::~RuleSet() = default;
RuleSet::RuleSet(RuleSet&&) noexcept = default;
RuleSet& RuleSet::operator=(RuleSet&&) noexcept = default;

RuleSet RuleSet::compile(const std::vector<AlertRule>& rules) {
  RuleSet set;
  for (const auto& r : rules) {
    if (!check_rule(r)) {
      set.skipped_.push_back(r.name);
      continue;
    }
    auto c = std::make_unique<Compiled>();
    c->rule = r;
    c->sender = compile_pattern(r.sender_re);
    c->subject = compile_pattern(r.subject_re);
    c->body = compile_pattern(r.body_re);
    set.rules_.push_back(std::move(c));
  }
  return set;
}

bool RuleSet::empty() const {
  return rules_.empty();
}

std::string sender_refusal(const AlertRule& r, const SenderStanding& s) {
  if (!s.contradicted.empty()) return "the From may be forged (" + s.contradicted + ")";
  if (r.proven_sender && !s.verified)
    return "the rule wants a proven sender, and no trusted server vouched for the From (no DKIM or DMARC "
           "pass aligned with it)";
  return {};
}

std::optional<RuleSet::Match> RuleSet::match(std::string_view from, std::string_view subject,
                                             std::string_view body) const {
  for (const auto& c : rules_) {
    if (!matches(c->sender.get(), from) || !matches(c->subject.get(), subject) ||
        !matches(c->body.get(), body))
      continue;
    Match m;
    m.rule = &c->rule;
    m.alert = parse_alert(c->rule.format, subject, body, c->body.get());
    return m;
  }
  return std::nullopt;
}

}  // namespace mailcase::alerts

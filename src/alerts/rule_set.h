// Alert rules (`mailcase alert add`): which mails are a monitoring system's alerts, in
// which format, for which account. A RuleSet is the rules compiled once (each RE2 once)
// and matched against every mail; pure, no I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/alert.h"
#include "domain/model.h"
#include "util/result.h"

namespace mailcase::alerts {

struct AlertRule {
  domain::Id id = 0;
  std::string name;  // unique, exact
  Format format = Format::kNagios;
  // RE2 patterns, each optional ("" matches every mail), matched anywhere and without
  // regard to letter case: sender against the From address, subject against the
  // Subject, body against the text body (for kGeneric also the parse: named groups host,
  // state and optional service).
  std::string sender_re, subject_re, body_re;
  std::optional<domain::Id> account_id;  // the account its cases are for
  std::string account;                   // that account's name, as listed ("" for none)
  int reopen_within_hours = kDefaultReopenWithinHours;
  // A rule matches by the From address, which anyone can write: with proven_sender, a
  // mail it matches acts only when a trusted receiving server vouched for that From (a
  // DKIM or DMARC pass aligned with it, trust::from_verified); any other is held. Off, a
  // mail acts unless a trusted server speaks against its From.
  bool proven_sender = false;
  int position = 0;  // rules are tried in this order (then by id)
  std::string created_at;

  static constexpr int kDefaultReopenWithinHours = 24;
};

// Limits on a rule's text, checked before it is stored.
inline constexpr size_t kMaxRuleNameBytes = 100;
inline constexpr size_t kMaxPatternBytes = 2000;
inline constexpr int kMaxReopenWithinHours = 24 * 365;

// Whether a rule may be stored: a name of one line (1..kMaxRuleNameBytes), patterns RE2
// compiles (at most kMaxPatternBytes each), a generic rule with a body RE naming the
// groups host and state, reopen_within_hours in 0..kMaxReopenWithinHours. kInvalidInput
// naming the field otherwise.
Status check_rule(const AlertRule& r);

// What the receiving side proved of a mail's sender, as an alert rule weighs it.
struct SenderStanding {
  // Why the trusted Authentication-Results speak against the From
  // (trust::from_contradicted's words); "" when they do not.
  std::string contradicted;
  // A trusted server vouched for the From's domain (trust::from_verified).
  bool verified = false;
};

// Why rule r may not act on a mail from a sender of this standing, "" when it may: a
// contradicted From is never believed; a rule wanting a proven sender wants it verified.
// Pure.
std::string sender_refusal(const AlertRule& r, const SenderStanding& s);

class RuleSet {
 public:
  RuleSet();
  ~RuleSet();
  RuleSet(RuleSet&&) noexcept;
  RuleSet& operator=(RuleSet&&) noexcept;

  // Compiles every rule, in the order given. A rule that no longer compiles (stored by
  // another version) is left out and named in skipped().
  static RuleSet compile(const std::vector<AlertRule>& rules);

  struct Match {
    const AlertRule* rule = nullptr;
    // The alert read from the mail, or why it could not be read (the mail is then held).
    Result<Alert> alert = fail(ErrorCode::kInvalidInput, "not parsed");
  };
  // The first rule whose patterns all match the mail, with its parse; nullopt when none
  // does. The rule points into this set.
  std::optional<Match> match(std::string_view from, std::string_view subject, std::string_view body) const;

  bool empty() const;
  const std::vector<std::string>& skipped() const { return skipped_; }

 private:
  struct Compiled;
  std::vector<std::unique_ptr<Compiled>> rules_;
  std::vector<std::string> skipped_;
};

}  // namespace mailcase::alerts

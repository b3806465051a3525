// Assignment rules (CW2): ordered conditions on a new case's mail, its sender's contact
// and account, and what a matching rule sets on the case. Pure: the adapter (ingest)
// gathers MailFacts, compiles the enabled rules once into a RuleSet (recompiled only when
// the rules change), and applies what evaluate() decides through the case services, each
// change an event naming the rule.
//
// Order: rules are checked by position (1 first). The first rule that matches wins and
// stops the evaluation, unless it says `continue_after`: then its settings apply and the
// next rules are checked too; a later matching rule's setting replaces an earlier one's
// for the same field (a rule further down refines). Disabled rules are never checked.
//
// Conditions: every condition that is set must hold (AND); an unset one holds for any
// mail. Text comparisons of addresses, names, levels, priorities and languages ignore
// ASCII letter case. subject and body are RE2 patterns, matched case-insensitively
// anywhere in the text (not anchored); all the rules' subject patterns are compiled
// together into one RE2::Set, and the body patterns into another, so that a mail's
// subject and body are each scanned once whatever the number of rules (patterns too large
// to compile together are matched one by one, with the same answers). Only the first
// kMaxScannedBytes of each are scanned: a pattern that would match only further into a
// long body does not match (the cost of a mail stays bounded whatever its size).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace mailcase::rules {

inline constexpr size_t kMaxScannedBytes = 64 * 1024;

struct Conditions {
  std::string address;        // the routing address the mail came to
  std::string sender;         // the From address
  std::string sender_domain;  // the From address's domain ("example.com"; not its subdomains)
  std::string contact;        // an address of the sender's contact (any of the contact's addresses)
  std::string account;        // the sender's account, by name
  std::string account_level;  // the sender's account's support level
  std::string subject;        // RE2
  std::string body;           // RE2
  std::optional<bool> attachments;     // the mail has (yes) or has not (no) attachments
  std::string priority;                // the priority routing gave the case
  std::string language;                // the contact's language ("en", "fr", "pl")
  std::optional<bool> business_hours;  // received inside (yes) or outside (no) business hours
};

// What a matching rule sets; an empty field sets nothing. owner is an agent's email, or
// kRoundRobin: the queue's member with the fewest open cases (round_robin.h).
struct Actions {
  std::string queue;
  std::string owner;
  std::string priority;
  std::string product;
  std::string process;
  bool empty() const {
    return queue.empty() && owner.empty() && priority.empty() && product.empty() && process.empty();
  }
};
inline constexpr std::string_view kRoundRobin = "round-robin";

struct Rule {
  int64_t id = 0;
  std::string name;   // unique, one line, at most 100 bytes
  int position = 0;   // 1-based; the store keeps positions dense (1..n)
  bool enabled = true;
  Conditions when;
  Actions set;
  bool continue_after = false;
  int64_t hits = 0;        // mails it matched
  std::string created_at;  // ISO 8601 UTC
};

// Whether a rule can be stored: a name (one line, ≤ 100 bytes, not "round-robin"), at
// least one action, subject/body patterns that RE2 compiles (each ≤ 1,000 bytes),
// attachments/business_hours as given, addresses that look like addresses, a domain
// without '@'. kInvalidInput naming the flag (e.g. "--if-subject: missing )") when not.
[[nodiscard]] Status check_rule(const Rule& r);

// Why a stored rule cannot be checked: its subject or body pattern is one RE2 refuses,
// as "--if-subject: missing ): (" (RE2's words); "" when both compile. What compile()
// leaves a rule out for, and what the listings show of a broken rule. Pure.
std::string pattern_problem(const Rule& r);

// An enabled rule compile() left out, and why (pattern_problem's words).
struct SkippedRule {
  std::string name;
  std::string reason;
};

// What the adapter knows of a mail that opens a case, looked up before evaluate().
struct MailFacts {
  std::string address;                      // routing address, "" when none matched
  std::string sender;                       // From address, normalized
  std::vector<std::string> contact_emails;  // the sender's contact's addresses; empty: no contact
  std::string account;                      // the sender's account's name, "" when none
  std::string account_level;
  std::string subject;
  std::string body;  // the text body (as the case's description)
  bool has_attachments = false;
  std::string priority;  // as routing decided it
  std::string language;  // the contact's, "" when none
  bool in_business_hours = false;
};

// One rule as evaluate() checked it, for `mailcase rule test` and the events.
struct RuleCheck {
  std::string name;
  bool matched = false;
  // When not matched: the first condition that failed, as its flag without "--if-"
  // ("subject", "sender-domain", "business-hours" …).
  std::string failed;
  Actions set;  // the rule's settings (what it sets when it matches)
};

struct Evaluation {
  std::vector<RuleCheck> checked;    // the rules checked, in order (none after the one that stopped)
  std::vector<std::string> matched;  // names of the matching rules, in order
  Actions result;                    // what the matching rules set together (see Order above)
  // For each field of result: the rule that set it (for the event naming the rule).
  std::string queue_by, owner_by, priority_by, product_by, process_by;
  std::vector<SkippedRule> skipped;  // evaluate() only: the enabled rules left out (RuleSet::skipped)
};

// The enabled rules, compiled. Immutable after compile(): one RuleSet may be read by many
// threads at once.
class RuleSet {
 public:
  RuleSet();
  ~RuleSet();
  RuleSet(RuleSet&&) noexcept;
  RuleSet& operator=(RuleSet&&) noexcept;

  // Takes every rule (disabled ones are left out), orders them by position. A rule whose
  // pattern RE2 refuses (stored by another version, or written into the store by hand) is
  // left out and named in skipped(), with why: the other rules still apply, in order, so
  // that one broken rule never stops every mail from becoming a case.
  static RuleSet compile(std::vector<Rule> rules);

  Evaluation evaluate(const MailFacts& facts) const;
  // The same decision (matched, result, *_by) without the trace: `checked` stays empty,
  // so no rule's name and settings are copied per mail. What ingest needs.
  Evaluation decide(const MailFacts& facts) const;
  size_t size() const;  // enabled rules that compiled
  bool empty() const { return size() == 0; }
  // The enabled rules left out by compile(), in position order.
  const std::vector<SkippedRule>& skipped() const;

 private:
  struct Compiled;
  Evaluation run(const MailFacts& facts, bool trace) const;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace mailcase::rules

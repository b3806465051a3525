// Assignment rules in ingest (rules/assignment.h): what the rules read of a mail that
// opens a case, the compiled rules a pipeline keeps between mails, and how what they
// decide reaches the new case: its fields before it is created, then its owner through
// the case services, each matching rule named by an event and counted in the same unit
// of work.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/message.h"
#include "rules/assignment.h"
#include "store/store.h"

namespace mailcase::services {
class CaseServices;
}  // namespace mailcase::services

namespace mailcase::ingest {

// The facts of a mail that opens a case: its routing address ("" when the fallback route
// took it), its sender's contact and account as found before routing (nullopt: none),
// the priority routing gave it, and whether it came in business hours. An attachment is
// one that is not inline (a logo in a signature is none). Pure.
rules::MailFacts rule_facts(const mime::ParsedMessage& m, std::string_view routing_address,
                            const std::optional<store::Contact>& contact,
                            const std::optional<store::Account>& account, std::string_view priority,
                            bool in_business_hours);

// The enabled rules, compiled once per change: current() reads the store's rules_version
// (one row) and compiles the rules again only when it moved since the last call, also
// when another process (`mailcase rule …`) changed them. A rule whose pattern does not
// compile is left out (rules::RuleSet::skipped) and logged once per compile, naming it and
// why; the mails go on with the others. Thread-safe; the set it returns
// stays valid while it is held, whatever happens to the cache.
class RuleCache {
 public:
  [[nodiscard]] Result<std::shared_ptr<const rules::RuleSet>> current(store::UnitOfWork& u);

 private:
  std::mutex mu_;
  int64_t version_ = -1;
  std::shared_ptr<const rules::RuleSet> set_;
};

// The queue, priority and product the matching rules set, on the case about to be
// created. Pure.
void apply_rule_fields(const rules::Evaluation& ev, store::Case& c);

// The details of each matching rule's rule_matched event, in ev.matched's order: the
// rule's name and each field it set; the owner rule's names `owner` when one was chosen,
// else `not_assigned` (why nobody was). Pure.
std::vector<std::map<std::string, std::string>> rule_match_details(const rules::Evaluation& ev,
                                                                   const std::string& owner,
                                                                   const std::string& not_assigned);

// After the case is created: one rule_matched event per matching rule, naming it and what
// it set; the owner the rules chose (an agent, or round-robin among the case's queue's
// active members by fewest open cases) through CaseServices::assign by the rule. The
// rules' hits are the caller's to count (RuleRepository::count_rule_hits with ev.matched),
// once per unit of work for all of its mails. An owner who is no active agent, or a queue with no active member, never
// fails the mail: the owner rule's event says why nobody was assigned instead.
[[nodiscard]] Status apply_rules_to_new_case(store::UnitOfWork& u, services::CaseServices& cases,
                                             const rules::Evaluation& ev, store::Case& kase);

}  // namespace mailcase::ingest

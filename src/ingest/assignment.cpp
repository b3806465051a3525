#include "ingest/assignment.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <utility>

#include "rules/round_robin.h"
#include "services/case_services.h"
#include "util/text.h"

namespace mailcase::ingest {

rules::MailFacts rule_facts(const mime::ParsedMessage& m, std::string_view routing_address,
                            const std::optional<store::Contact>& contact,
                            const std::optional<store::Account>& account, std::string_view priority,
                            bool in_business_hours) {
  rules::MailFacts f;
  f.address = std::string(routing_address);
  f.sender = text::normalize_email(m.from.email);
  if (contact) {
    f.contact_emails = contact->emails;
    f.language = contact->language;
  }
  if (account) {
    f.account = account->name;
    f.account_level = account->support_level;
  }
  f.subject = m.subject;
  // The rules scan no further (rules::kMaxScannedBytes): a long body is not copied whole.
  f.body = m.text_body.substr(0, std::min(m.text_body.size(), rules::kMaxScannedBytes));
  for (const auto& a : m.attachments) {
    if (!a.is_inline) {
      f.has_attachments = true;
      break;
    }
  }
  f.priority = std::string(priority);
  f.in_business_hours = in_business_hours;
  return f;
}

Result<std::shared_ptr<const rules::RuleSet>> RuleCache::current(store::UnitOfWork& u) {
  MC_ASSIGN_OR_RETURN(auto version, u.rules().rules_version());
  std::lock_guard lock(mu_);
  if (set_ && version == version_) return set_;
  MC_ASSIGN_OR_RETURN(auto all, u.rules().list_rules());
  auto compiled = rules::RuleSet::compile(std::move(all));
  for (const auto& s : compiled.skipped())
    spdlog::warn("assignment rule {} does not compile and is left out ({}); change its pattern or remove it",
                 s.name, s.reason);
  set_ = std::make_shared<const rules::RuleSet>(std::move(compiled));
  version_ = version;
  return set_;
}

void apply_rule_fields(const rules::Evaluation& ev, store::Case& c) {
  if (!ev.result.queue.empty()) c.queue = ev.result.queue;
  if (!ev.result.priority.empty()) c.priority = ev.result.priority;
  if (!ev.result.product.empty()) c.product = ev.result.product;
  // The case services start it at the process's first stage (an unknown one is named in
  // the case's history, never failing the mail).
  if (!ev.result.process.empty()) c.process = ev.result.process;
}

std::vector<std::map<std::string, std::string>> rule_match_details(const rules::Evaluation& ev,
                                                                   const std::string& owner,
                                                                   const std::string& not_assigned) {
  std::vector<std::map<std::string, std::string>> out;
  out.reserve(ev.matched.size());
  for (const auto& name : ev.matched) {
    std::map<std::string, std::string> details{{"rule", name}};
    if (ev.queue_by == name) details["queue"] = ev.result.queue;
    if (ev.priority_by == name) details["priority"] = ev.result.priority;
    if (ev.product_by == name) details["product"] = ev.result.product;
    if (ev.process_by == name) details["process"] = ev.result.process;
    if (ev.owner_by == name) {
      if (!owner.empty())
        details["owner"] = owner;
      else
        details["not_assigned"] = not_assigned;
    }
    out.push_back(std::move(details));
  }
  return out;
}

Status apply_rules_to_new_case(store::UnitOfWork& u, services::CaseServices& cases,
                               const rules::Evaluation& ev, store::Case& kase) {
  if (ev.matched.empty()) return {};
  // Whom the owner rule gives the case to, or why nobody.
  std::string owner;
  std::string not_assigned;
  const std::string& wanted = ev.result.owner;
  if (wanted == rules::kRoundRobin) {
    MC_ASSIGN_OR_RETURN(auto candidates, u.rules().round_robin_candidates(kase.queue));
    if (auto pick = rules::pick_owner(candidates)) {
      owner = *pick;
      MC_RETURN_IF_ERROR(u.rules().note_round_robin(kase.queue, owner));
    } else {
      not_assigned = "queue " + kase.queue + " has no active member";
    }
  } else if (!wanted.empty()) {
    MC_ASSIGN_OR_RETURN(auto agent, u.agents().find_agent_by_email(wanted));
    if (agent && agent->active)
      owner = agent->email;
    else
      not_assigned = "no active agent " + wanted;
  }

  auto details = rule_match_details(ev, owner, not_assigned);
  for (size_t i = 0; i < ev.matched.size(); ++i) {
    MC_RETURN_IF_ERROR(u.events().add_event({.case_id = kase.id,
                                             .actor_kind = store::ActorKind::kRule,
                                             .actor = ev.matched[i],
                                             .action = store::EventAction::kRuleMatched,
                                             .details = std::move(details[i])}));
  }
  if (!owner.empty()) MC_RETURN_IF_ERROR(cases.assign(u, services::Actor::rule(ev.owner_by), kase, owner));
  return {};
}

}  // namespace mailcase::ingest

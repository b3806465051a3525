#include "admin/alert_rules.h"

#include <algorithm>
#include <map>
#include <string>

namespace mailcase::admin {
namespace {

Status alert_rule_event(store::UnitOfWork& u, std::string_view actor, store::EventAction action,
                        std::map<std::string, std::string> details) {
  return u.events().add_event({.actor_kind = store::ActorKind::kAgent,
                               .actor = std::string(actor),
                               .action = action,
                               .details = std::move(details)});
}

// The rule as its alert_rule_added (or _changed) event keeps it: its format and each pattern and
// account that is set, under its flag's name.
std::map<std::string, std::string> alert_rule_details(const alerts::AlertRule& r) {
  std::map<std::string, std::string> d{{"rule", r.name},
                                       {"format", alerts::to_string(r.format)},
                                       {"position", std::to_string(r.position)},
                                       {"reopen-within", std::to_string(r.reopen_within_hours)}};
  auto put = [&](const char* key, const std::string& v) {
    if (!v.empty()) d[key] = v;
  };
  put("sender", r.sender_re);
  put("subject", r.subject_re);
  put("body", r.body_re);
  put("account", r.account);
  if (r.proven_sender) d["proven-sender"] = "yes";
  return d;
}

// r.account's id (and its name as the store spells it), or none when r names none.
// The alert rule of that name as the unit reads it; kNotFound when there is none.
Result<alerts::AlertRule> alert_rule_in(store::UnitOfWork& u, std::string_view name) {
  MC_ASSIGN_OR_RETURN(auto all, u.alerts().list_alert_rules());
  auto it = std::find_if(all.begin(), all.end(), [&](const alerts::AlertRule& r) { return r.name == name; });
  if (it == all.end()) return fail(ErrorCode::kNotFound, "no alert rule " + std::string(name));
  return std::move(*it);
}

Status resolve_account(store::UnitOfWork& u, alerts::AlertRule& r) {
  r.account_id.reset();
  if (r.account.empty()) return {};
  MC_ASSIGN_OR_RETURN(auto a, u.accounts().find_account_by_name(r.account));
  if (!a) return fail(ErrorCode::kNotFound, "--account: no account " + r.account);
  r.account_id = a->id;
  r.account = a->name;
  return {};
}

// The rule as the store kept it (its account named as r names it), with its event; then
// the unit's commit.
Result<alerts::AlertRule> record_and_commit(store::UnitOfWork& u, alerts::AlertRule stored,
                                            const alerts::AlertRule& r, store::EventAction action,
                                            std::string_view actor) {
  stored.account = r.account;
  MC_RETURN_IF_ERROR(alert_rule_event(u, actor, action, alert_rule_details(stored)));
  MC_RETURN_IF_ERROR(u.commit());
  return stored;
}

}  // namespace

AlertRuleChange change_to(const alerts::AlertRule& r) {
  AlertRuleChange c;
  c.format = r.format;
  c.sender_re = r.sender_re;
  c.subject_re = r.subject_re;
  c.body_re = r.body_re;
  c.account = r.account;
  c.reopen_within_hours = r.reopen_within_hours;
  c.proven_sender = r.proven_sender;
  return c;
}

alerts::AlertRule changed_alert_rule(alerts::AlertRule r, const AlertRuleChange& c) {
  if (c.format) r.format = *c.format;
  if (c.sender_re) r.sender_re = *c.sender_re;
  if (c.subject_re) r.subject_re = *c.subject_re;
  if (c.body_re) r.body_re = *c.body_re;
  if (c.account) {
    r.account = *c.account;
    r.account_id.reset();
  }
  if (c.reopen_within_hours) r.reopen_within_hours = *c.reopen_within_hours;
  if (c.proven_sender) r.proven_sender = *c.proven_sender;
  return r;
}

Result<alerts::AlertRule> change_alert_rule(store::Store& st, std::string_view name, const AlertRuleChange& c,
                                            std::string_view actor, const Expect<alerts::AlertRule>& expect) {
  return edit_alert_rule(
      st, name,
      [&c](const alerts::AlertRule& current) -> Result<alerts::AlertRule> {
        return changed_alert_rule(current, c);
      },
      actor, expect);
}

Result<alerts::AlertRule> edit_alert_rule(store::Store& st, std::string_view name, const AlertRuleEdit& edit,
                                          std::string_view actor, const Expect<alerts::AlertRule>& expect) {
  MC_ASSIGN_OR_RETURN(auto u, st.open_unit(store::Access::kWrite));
  MC_ASSIGN_OR_RETURN(auto current, alert_rule_in(u, name));
  MC_RETURN_IF_ERROR(check_expect(expect, current));
  MC_ASSIGN_OR_RETURN(auto edited, edit(current));
  auto r = changed_alert_rule(std::move(current), change_to(edited));
  MC_RETURN_IF_ERROR(alerts::check_rule(r));
  MC_RETURN_IF_ERROR(resolve_account(u, r));
  MC_ASSIGN_OR_RETURN(auto stored, u.alerts().replace_alert_rule(r));
  return record_and_commit(u, std::move(stored), r, store::EventAction::kAlertRuleChanged, actor);
}

Result<alerts::AlertRule> add_alert_rule(store::Store& st, alerts::AlertRule r, std::string_view actor) {
  MC_RETURN_IF_ERROR(alerts::check_rule(r));
  MC_ASSIGN_OR_RETURN(auto u, st.open_unit(store::Access::kWrite));
  MC_RETURN_IF_ERROR(resolve_account(u, r));
  MC_ASSIGN_OR_RETURN(auto stored, u.alerts().add_alert_rule(r));
  return record_and_commit(u, std::move(stored), r, store::EventAction::kAlertRuleAdded, actor);
}

Result<std::vector<alerts::AlertRule>> list_alert_rules(store::Store& st) {
  MC_ASSIGN_OR_RETURN(auto unit, st.open_unit(store::Access::kRead));
  return unit.alerts().list_alert_rules();
}

Status remove_alert_rule(store::Store& st, std::string_view name, std::string_view actor,
                         const Expect<alerts::AlertRule>& expect) {
  MC_ASSIGN_OR_RETURN(auto u, st.open_unit(store::Access::kWrite));
  if (expect) {
    MC_ASSIGN_OR_RETURN(auto current, alert_rule_in(u, name));
    MC_RETURN_IF_ERROR(expect(current));
  }
  MC_RETURN_IF_ERROR(u.alerts().remove_alert_rule(name));
  MC_RETURN_IF_ERROR(
      alert_rule_event(u, actor, store::EventAction::kAlertRuleRemoved, {{"rule", std::string(name)}}));
  return u.commit();
}

}  // namespace mailcase::admin

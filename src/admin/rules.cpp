#include "admin/rules.h"

#include <map>
#include <string>

#include "util/text.h"

namespace mailcase::admin {
namespace {

template <typename F>
Status in_unit(store::Store& st, F&& f) {
  MC_ASSIGN_OR_RETURN(auto unit, st.open_unit(store::Access::kWrite));
  MC_RETURN_IF_ERROR(f(unit));
  return unit.commit();
}

Result<rules::Rule> rule_in(store::UnitOfWork& u, std::string_view name) {
  MC_ASSIGN_OR_RETURN(auto r, u.rules().find_rule(name));
  if (!r) return fail(ErrorCode::kNotFound, "no rule " + std::string(name));
  return *r;
}

Status rule_event(store::UnitOfWork& u, std::string_view actor, store::EventAction action,
                  std::map<std::string, std::string> details) {
  return u.events().add_event({.actor_kind = store::ActorKind::kAgent,
                               .actor = std::string(actor),
                               .action = action,
                               .details = std::move(details)});
}

// The rule as its rule_added event keeps it: each condition and action that is set,
// under its flag's name.
std::map<std::string, std::string> rule_details(const rules::Rule& r) {
  std::map<std::string, std::string> d{{"rule", r.name}, {"position", std::to_string(r.position)}};
  auto put = [&](const char* key, const std::string& v) {
    if (!v.empty()) d[key] = v;
  };
  auto yes_no = [&](const char* key, const std::optional<bool>& v) {
    if (v) d[key] = *v ? "yes" : "no";
  };
  put("if-address", r.when.address);
  put("if-sender", r.when.sender);
  put("if-sender-domain", r.when.sender_domain);
  put("if-contact", r.when.contact);
  put("if-account", r.when.account);
  put("if-account-level", r.when.account_level);
  put("if-subject", r.when.subject);
  put("if-body", r.when.body);
  yes_no("if-attachments", r.when.attachments);
  put("if-priority", r.when.priority);
  put("if-language", r.when.language);
  yes_no("if-business-hours", r.when.business_hours);
  put("set-queue", r.set.queue);
  put("set-owner", r.set.owner);
  put("set-priority", r.set.priority);
  put("set-product", r.set.product);
  put("set-process", r.set.process);
  if (r.continue_after) d["continue"] = "yes";
  return d;
}

// An owner that is not round-robin must be an agent's email: stored as the agent's.
Status owner_as_stored(store::UnitOfWork& u, rules::Rule& r) {
  if (r.set.owner.empty() || r.set.owner == rules::kRoundRobin) return {};
  MC_ASSIGN_OR_RETURN(auto agent, u.agents().find_agent_by_email(text::trim(r.set.owner)));
  if (!agent)
    return fail(ErrorCode::kNotFound, "--set-owner: no agent " + text::normalize_email(text::trim(r.set.owner)) +
                                          " (add one with `mailcase agent add`, or say round-robin)");
  r.set.owner = agent->email;
  return {};
}

}  // namespace

Result<rules::Rule> add_rule(store::Store& st, rules::Rule r, std::string_view actor) {
  MC_RETURN_IF_ERROR(rules::check_rule(r));
  // A new rule's name is a path segment of the API (/api/v1/rules/{name}), which a "/"
  // would split: such a rule could be made but never read, changed or removed there.
  if (r.name.find('/') != std::string::npos)
    return fail(ErrorCode::kInvalidInput, "name: must not contain \"/\" (the API names a rule in its path)");
  if (r.position < 0) return fail(ErrorCode::kInvalidInput, "--position: 1 or more");
  rules::Rule out;
  auto done = in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_RETURN_IF_ERROR(owner_as_stored(u, r));
    MC_ASSIGN_OR_RETURN(out, u.rules().add_rule(r));
    return rule_event(u, actor, store::EventAction::kRuleAdded, rule_details(out));
  });
  MC_RETURN_IF_ERROR(done);
  return out;
}

Result<std::vector<rules::Rule>> list_rules(store::Store& st) {
  MC_ASSIGN_OR_RETURN(auto unit, st.open_unit(store::Access::kRead));
  return unit.rules().list_rules();
}

namespace {

Status set_enabled_in(store::UnitOfWork& u, std::string_view name, bool enabled, std::string_view actor) {
  MC_RETURN_IF_ERROR(u.rules().set_rule_enabled(name, enabled));
  return rule_event(u, actor, store::EventAction::kRuleChanged,
                    {{"rule", std::string(name)}, {"change", enabled ? "enabled" : "disabled"}});
}

Status move_in(store::UnitOfWork& u, std::string_view name, int position, std::string_view actor) {
  if (position < 1) return fail(ErrorCode::kInvalidInput, "--position: 1 or more");
  MC_RETURN_IF_ERROR(u.rules().move_rule(name, position));
  MC_ASSIGN_OR_RETURN(auto moved, rule_in(u, name));
  return rule_event(
      u, actor, store::EventAction::kRuleChanged,
      {{"rule", moved.name}, {"change", "moved"}, {"position", std::to_string(moved.position)}});
}

// r: checked by the caller.
Status change_in(store::UnitOfWork& u, std::string_view name, rules::Rule r, std::string_view actor) {
  MC_RETURN_IF_ERROR(owner_as_stored(u, r));
  MC_RETURN_IF_ERROR(u.rules().change_rule(name, r));
  MC_ASSIGN_OR_RETURN(auto changed, rule_in(u, name));
  // What it does now, as rule_added says it.
  auto details = rule_details(changed);
  details["change"] = "changed";
  return rule_event(u, actor, store::EventAction::kRuleChanged, std::move(details));
}

}  // namespace

Result<rules::Rule> patch_rule(store::Store& st, std::string_view name, const RulePatch& p,
                               std::string_view actor, const Expect<rules::Rule>& expect) {
  if (p.position && *p.position < 1) return fail(ErrorCode::kInvalidInput, "--position: 1 or more");
  rules::Rule out;
  auto done = in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_ASSIGN_OR_RETURN(auto current, rule_in(u, name));
    MC_RETURN_IF_ERROR(check_expect(expect, current));
    if (p.does) {
      MC_ASSIGN_OR_RETURN(auto does, p.does(current));
      does.name = std::string(name);
      MC_RETURN_IF_ERROR(rules::check_rule(does));
      MC_RETURN_IF_ERROR(change_in(u, name, does, actor));
    }
    if (p.enabled) MC_RETURN_IF_ERROR(set_enabled_in(u, name, *p.enabled, actor));
    if (p.position) MC_RETURN_IF_ERROR(move_in(u, name, *p.position, actor));
    MC_ASSIGN_OR_RETURN(out, rule_in(u, name));
    return {};
  });
  MC_RETURN_IF_ERROR(done);
  return out;
}

Result<rules::Rule> set_rule_enabled(store::Store& st, std::string_view name, bool enabled,
                                     std::string_view actor) {
  return patch_rule(st, name, {.enabled = enabled}, actor);
}

Result<rules::Rule> move_rule(store::Store& st, std::string_view name, int position, std::string_view actor) {
  return patch_rule(st, name, {.position = position}, actor);
}

Result<rules::Rule> change_rule(store::Store& st, std::string_view name, rules::Rule r, std::string_view actor) {
  return patch_rule(st, name, {.does = [&r](const rules::Rule&) -> Result<rules::Rule> { return r; }}, actor);
}

Status remove_rule(store::Store& st, std::string_view name, std::string_view actor,
                   const Expect<rules::Rule>& expect) {
  return in_unit(st, [&](store::UnitOfWork& u) -> Status {
    if (expect) {
      MC_ASSIGN_OR_RETURN(auto current, rule_in(u, name));
      MC_RETURN_IF_ERROR(expect(current));
    }
    MC_RETURN_IF_ERROR(u.rules().remove_rule(name));
    return rule_event(u, actor, store::EventAction::kRuleRemoved, {{"rule", std::string(name)}});
  });
}

}  // namespace mailcase::admin

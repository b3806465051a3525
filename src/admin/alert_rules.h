// Monitoring alert rules (alerts/rule_set.h): the writes the command line (`alert …`)
// shares with the REST API and the console. Each checks its input, then writes in one
// unit of work of its own with an event that names the rule (no case), by `actor`.
//
// Errors: kInvalidInput ("--flag: why", as alerts::check_rule says it, the flag being
// the command line's), kNotFound (no such rule; "--account: no account …"), kConflict (a
// rule of that name exists), kTemporary as the store's.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/expect.h"
#include "alerts/rule_set.h"
#include "store/store.h"

namespace mailcase::admin {

// Stores the rule last, after alerts::check_rule; r.account, when set, must name an
// account (stored by its id, shown by its name). Returns it as stored.
Result<alerts::AlertRule> add_alert_rule(store::Store& st, alerts::AlertRule r, std::string_view actor);
// Every alert rule, in the order they are tried.
Result<std::vector<alerts::AlertRule>> list_alert_rules(store::Store& st);
// A change of an alert rule: each field that is set replaces the rule's ("" clears a
// pattern or the account). The name, position and created_at stay.
struct AlertRuleChange {
  std::optional<alerts::Format> format;
  std::optional<std::string> sender_re, subject_re, body_re, account;
  std::optional<int> reopen_within_hours;
  std::optional<bool> proven_sender;
};
// A change that gives every field of r (a form or a merged body that holds the whole rule).
AlertRuleChange change_to(const alerts::AlertRule& r);
// r with the change applied (the account's id is left for the store to find). Pure.
alerts::AlertRule changed_alert_rule(alerts::AlertRule r, const AlertRuleChange& c);
// Changes the named rule (kNotFound when there is none) after alerts::check_rule of the
// result, with an alert_rule_changed event that keeps the rule as it now is; running
// servers use it from their next mail. Returns it as stored.
Result<alerts::AlertRule> change_alert_rule(store::Store& st, std::string_view name, const AlertRuleChange& c,
                                            std::string_view actor,
                                            const Expect<alerts::AlertRule>& expect = {});
// The change an edit makes of the rule as the unit reads it (the API merges its PATCH body
// into that rule), so that what another changed between a client's read and this write is
// kept where the edit does not touch it; the fields change_to gives are taken from the
// edit's result. As change_alert_rule otherwise.
using AlertRuleEdit = std::function<Result<alerts::AlertRule>(const alerts::AlertRule& current)>;
Result<alerts::AlertRule> edit_alert_rule(store::Store& st, std::string_view name, const AlertRuleEdit& edit,
                                          std::string_view actor,
                                          const Expect<alerts::AlertRule>& expect = {});
// The cases its alerts opened stay.
Status remove_alert_rule(store::Store& st, std::string_view name, std::string_view actor,
                         const Expect<alerts::AlertRule>& expect = {});

}  // namespace mailcase::admin

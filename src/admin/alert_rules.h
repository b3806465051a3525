// Monitoring alert rules (alerts/rule_set.h): the writes the command line (`alert …`)
// shares with the REST API and the console. Each checks its input, then writes in one
// unit of work of its own with an event that names the rule (no case), by `actor`.
//
// Errors: kInvalidInput ("--flag: why", as alerts::check_rule says it, the flag being
// the command line's), kNotFound (no such rule; "--account: no account …"), kConflict (a
// rule of that name exists), kTemporary as the store's.
#pragma once

#include <string_view>
#include <vector>

#include "alerts/rule_set.h"
#include "store/store.h"

namespace mailcase::admin {

// Stores the rule last, after alerts::check_rule; r.account, when set, must name an
// account (stored by its id, shown by its name). Returns it as stored.
Result<alerts::AlertRule> add_alert_rule(store::Store& st, alerts::AlertRule r, std::string_view actor);
// Every alert rule, in the order they are tried.
Result<std::vector<alerts::AlertRule>> list_alert_rules(store::Store& st);
// The cases its alerts opened stay.
Status remove_alert_rule(store::Store& st, std::string_view name, std::string_view actor);

}  // namespace mailcase::admin

// The JSON form of a monitoring alert rule (`mailcase alert list --json`, the REST API).
#pragma once

#include <nlohmann/json.hpp>

#include "alerts/rule_set.h"

namespace mailcase::present {

// {"name", "format", "sender", "subject", "body" (patterns, "" for any), "account" (a
// name, or null), "reopen_within_hours", "position", "created_at"}.
nlohmann::json alert_rule_json(const alerts::AlertRule& r);

}  // namespace mailcase::present

// The JSON form of assignment rules and of an evaluation (`mailcase rule list --json`,
// `mailcase rule test`), shared with the REST API and the console to come.
#pragma once

#include <nlohmann/json.hpp>

#include "rules/assignment.h"

namespace mailcase::present {

// {"name", "position", "enabled", "if": {the conditions set}, "set": {the actions set},
//  "continue", "hits", "created_at"}, and "broken" (why: rules::pattern_problem) for a rule
// whose pattern does not compile, which is never checked. attachments and business_hours
// are booleans.
nlohmann::json rule_json(const rules::Rule& r);
// {"rules": [{"rule", "matched", "failed" (when not matched), "set"}], "matched": [names],
//  "result": {the fields the matching rules set}, "set_by": {field: rule}}, and
//  "skipped": [{"rule", "broken"}] when enabled rules were left out for not compiling.
nlohmann::json evaluation_json(const rules::Evaluation& e);

}  // namespace mailcase::present

// Assignment rules (rules/assignment.h): the writes the command line (`rule …`) shares
// with the REST API and the console to come. Each checks its input, then writes in one
// unit of work of its own (Store::open_unit, callable from any thread) with an event that
// names the rule (no case: like agent_added), by `actor`.
//
// Errors: kInvalidInput ("--flag: why", as rules::check_rule says it), kNotFound (no such
// rule; an owner who is no agent), kConflict (a rule of that name exists), kTemporary as
// the store's.
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "admin/expect.h"
#include "rules/assignment.h"
#include "store/store.h"

namespace mailcase::admin {

// Stores the rule at r.position (0: last), after rules::check_rule; an owner that is not
// round-robin must be an agent's email (stored as the agent's). Returns it as stored.
Result<rules::Rule> add_rule(store::Store& st, rules::Rule r, std::string_view actor);
// Every rule, by position, with its hits.
Result<std::vector<rules::Rule>> list_rules(store::Store& st);
// Turns the rule on or off; returns it as it now is.
Result<rules::Rule> set_rule_enabled(store::Store& st, std::string_view name, bool enabled,
                                     std::string_view actor);
// Moves the rule to `position` (1-based; past the end: last). kInvalidInput for a
// position below 1.
Result<rules::Rule> move_rule(store::Store& st, std::string_view name, int position, std::string_view actor);
// Changes what the rule does to what `r` says (its conditions, actions and continue,
// after rules::check_rule; the owner as add_rule stores it); its name, position, enabled
// state and hits stay. Returns it as it now is.
Result<rules::Rule> change_rule(store::Store& st, std::string_view name, rules::Rule r, std::string_view actor);
// What a rule is to do, made from the rule as the change's unit reads it (the API merges
// its PATCH body into that rule), so that a change made by another between a client's read
// and this write is kept where the patch does not touch it. Its name is the rule's whatever
// it says; an error it returns ends the change with nothing written.
using RuleEdit = std::function<Result<rules::Rule>(const rules::Rule& current)>;
// A change of a rule's parts at once (the API's PATCH): what it does (as change_rule), then
// enabled, then position, each when given, in one unit of work with each one's event.
struct RulePatch {
  RuleEdit does;
  std::optional<bool> enabled;
  std::optional<int> position;
};
Result<rules::Rule> patch_rule(store::Store& st, std::string_view name, const RulePatch& p,
                               std::string_view actor, const Expect<rules::Rule>& expect = {});
Status remove_rule(store::Store& st, std::string_view name, std::string_view actor,
                   const Expect<rules::Rule>& expect = {});

}  // namespace mailcase::admin

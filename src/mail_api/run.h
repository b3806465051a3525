// Runs an API mail's commands (commands.h) through the case services, in the caller's
// unit of work, and words the reply. The caller makes it all or nothing: it takes a
// savepoint before run_commands and rolls back to it when any command failed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mail_api/commands.h"
#include "services/case_services.h"
#include "store/store.h"

namespace mailcase::mail_api {

struct ActionResult {
  size_t position = 0;
  std::string element;
  bool ok = false;
  std::string text;                  // what was done ("created case 2026-000001"), or the error
  std::optional<store::Id> case_id;  // the case made or touched
};

struct RunResult {
  std::vector<ActionResult> actions;  // up to and with the first that failed
  bool ok() const { return !actions.empty() && actions.back().ok; }
  // The first case made or touched (the mail's record names it).
  std::optional<store::Id> first_case() const;
};

// Runs the commands in order and stops at the first that fails for what it asks (an
// unknown case, an action the case's status refuses, a name taken…): that one's error is
// its result. Fails itself only when the store does (kTemporary, kInternal): the
// caller's unit then fails as a whole.
[[nodiscard]] Result<RunResult> run_commands(store::UnitOfWork& u, services::CaseServices& cases,
                                             const services::Actor& by, const std::vector<Command>& commands);

// The reply's plain text when the commands ran: each action's result; when one failed,
// which, and that nothing was applied. Pure.
std::string reply_text(const std::vector<Command>& commands, const RunResult& run);
// The reply's plain text when the XML could not be read or checked: each error, and that
// nothing was applied. Pure.
std::string reply_text(const std::vector<CommandError>& errors);

}  // namespace mailcase::mail_api

// Monitoring alerts (CW5): what a monitoring system's notification mail says, and what
// it does to the one alert case of its (account, host, service). Pure: no I/O; the
// ingest adapter (ingest/alert_ingest.h) gathers the facts and applies the decision.
//
// Formats are each system's documented default notification mail:
//   nagios  — notify-service-by-email / notify-host-by-email:
//             "** PROBLEM Service Alert: web01/HTTP is CRITICAL **", body lines
//             "Notification Type:", "Service:", "Host:", "State:"; Icinga 1 mails alike.
//   icinga  — Icinga 2's mail-service-notification.sh / mail-host-notification.sh:
//             "[PROBLEM] HTTP on web01 is CRITICAL!", "[RECOVERY] Host web01 is UP!",
//             body "Host:", "Service:", "State:" (older scripts) when present; Icinga 1's
//             Nagios-style mails too.
//   zabbix  — the default media type messages: "Problem: NAME" with "Problem name:",
//             "Host:", "Severity:"; "Resolved: NAME" / "Resolved in 5m: NAME"; the older
//             "PROBLEM: NAME" / "OK: NAME" with "Trigger:" and "Trigger status:".
//             The problem's name is the service; state is the severity, or "RESOLVED".
//   checkmk — "Check_MK: web01/HTTP OK -> CRIT", "Check_MK: web01 - UP -> DOWN", body
//             "Host:", "Service:", "State:" or "Event:" (the state after "->").
//   monit   — "monit alert --  Does not exist nginx", body "Service: nginx",
//             "Event: Does not exist", "Host: web01" (or the default "Does not exist
//             Service nginx" line); the event is the state.
//   generic — the rule's body RE with named groups host, state and (optional) service.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/model.h"
#include "util/result.h"

namespace re2 {
class RE2;
}

namespace mailcase::alerts {

enum class Format { kNagios, kIcinga, kZabbix, kCheckmk, kMonit, kGeneric };
const char* to_string(Format f);
std::optional<Format> format_from(std::string_view s);

// problem: something is wrong; recovery: it is well again; unknown: anything else a
// system mails (an acknowledgement, flapping, downtime).
enum class AlertKind { kProblem, kRecovery, kUnknown };
const char* to_string(AlertKind k);

struct Alert {
  std::string host;
  std::string service;  // "" for a host alert
  std::string state;    // as written: "CRITICAL", "DOWN", "High", "Does not exist"
  AlertKind kind = AlertKind::kUnknown;
};

// Limits on what a parse reads and keeps: only the first kMaxScannedBytes of a body are
// read; a host, service or state longer than its limit makes the mail unparsable.
inline constexpr size_t kMaxScannedBytes = 64 * 1024;
inline constexpr size_t kMaxHostBytes = 255;
inline constexpr size_t kMaxServiceBytes = 255;
inline constexpr size_t kMaxStateBytes = 64;

// Reads an alert from a mail's subject and text body as `format` writes it. generic_body:
// the rule's compiled body RE, used (and needed) only by kGeneric. kInvalidInput with a
// sentence saying what is missing when the mail is not such an alert (no host, no state,
// a value too long or not one line of text).
Result<Alert> parse_alert(Format format, std::string_view subject, std::string_view body,
                          const re2::RE2* generic_body = nullptr);

// Whether a state word says "well again" for the generic format: OK, UP, RESOLVED or
// RECOVERY, whatever the letter case.
bool is_recovery_state(std::string_view state);

// The alert case of an (account, host, service), as the store has it: the latest one.
struct ExistingAlertCase {
  domain::Id case_id = 0;
  // The alert row's flag: its problem has not recovered (at most one such row per key).
  bool open = false;
  domain::CaseStatus status = domain::CaseStatus::kNew;  // the case's status now
  std::optional<int64_t> resolved_at;                    // unix seconds, when not open
};

enum class AlertAction {
  kOpenCase,      // the first problem of the key: a new case
  kComment,       // an internal comment on the case (a repeat, an acknowledgement…)
  kResolve,       // recovery: the case is resolved, its row no longer open
  kNoteRecovery,  // recovery of a case an agent finished already: a comment; row no longer open
  kReopen,        // a problem again within reopen-within of its resolution: reopened, row open
  kNewCase,       // a problem again later: another case
  kIgnore,        // nothing to record it on (a recovery, or other news, with no case)
};
const char* to_string(AlertAction a);

struct AlertDecision {
  AlertAction action = AlertAction::kIgnore;
  std::string reason;  // one sentence, for the mail's record
};

// What an alert does to its key's case. reopen_within_hours 0: a problem after a
// recovery always opens a new case. now: unix seconds.
AlertDecision decide_alert(const Alert& alert, int reopen_within_hours,
                           const std::optional<ExistingAlertCase>& existing, int64_t now);

// "web01/HTTP CRITICAL", "web01 DOWN": the subject of the alert's case.
std::string alert_subject(const Alert& a);

}  // namespace mailcase::alerts

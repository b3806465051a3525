#include "alerts/alert.h"

#include <re2/re2.h>

#include <array>
#include <vector>

#include "util/text.h"

namespace mailcase::alerts {

const char* to_string(Format f) {
  switch (f) {
    case Format::kNagios:
      return "nagios";
    case Format::kIcinga:
      return "icinga";
    case Format::kZabbix:
      return "zabbix";
    case Format::kCheckmk:
      return "checkmk";
    case Format::kMonit:
      return "monit";
    case Format::kGeneric:
      return "generic";
  }
  return "generic";
}

std::optional<Format> format_from(std::string_view s) {
  for (auto f : {Format::kNagios, Format::kIcinga, Format::kZabbix, Format::kCheckmk, Format::kMonit,
                 Format::kGeneric})
    if (s == to_string(f)) return f;
  return std::nullopt;
}

const char* to_string(AlertKind k) {
  switch (k) {
    case AlertKind::kProblem:
      return "problem";
    case AlertKind::kRecovery:
      return "recovery";
    case AlertKind::kUnknown:
      return "unknown";
  }
  return "unknown";
}

const char* to_string(AlertAction a) {
  switch (a) {
    case AlertAction::kOpenCase:
      return "open";
    case AlertAction::kComment:
      return "comment";
    case AlertAction::kResolve:
      return "resolve";
    case AlertAction::kNoteRecovery:
      return "note_recovery";
    case AlertAction::kReopen:
      return "reopen";
    case AlertAction::kNewCase:
      return "new_case";
    case AlertAction::kIgnore:
      return "ignore";
  }
  return "ignore";
}

namespace {

using re2::StringPiece;

StringPiece piece(std::string_view s) {
  return StringPiece(s.data(), s.size());
}

// The body as far as a parse reads it.
std::string_view scanned(std::string_view body) {
  return body.size() > kMaxScannedBytes ? body.substr(0, kMaxScannedBytes) : body;
}

// The value of the first "Key: value" line whose key is `key` (any letter case, spaces
// before the colon allowed, the line's indentation ignored); nullopt when none.
std::optional<std::string> field(std::string_view body, std::string_view key) {
  for (auto line : text::split_lines(scanned(body))) {
    line = text::trim(line);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (!text::iequals(text::trim(line.substr(0, colon)), key)) continue;
    return std::string(text::trim(line.substr(colon + 1)));
  }
  return std::nullopt;
}

std::string first_field(std::string_view body, std::initializer_list<std::string_view> keys) {
  for (auto k : keys)
    if (auto v = field(body, k); v && !v->empty()) return *v;
  return {};
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

// "OK -> CRIT" → "CRIT"; "CRIT" → "CRIT".
std::string after_arrow(std::string_view s) {
  auto arrow = s.rfind("->");
  if (arrow != std::string_view::npos) s = s.substr(arrow + 2);
  return std::string(text::trim(s));
}

// "web01 (Web server)" → "web01": Check_MK writes the alias after the name.
std::string without_alias(std::string_view s) {
  s = text::trim(s);
  if (!s.empty() && s.back() == ')') {
    auto open = s.rfind(" (");
    if (open != std::string_view::npos) s = s.substr(0, open);
  }
  return std::string(text::trim(s));
}

// The kind a Nagios/Icinga notification type names.
AlertKind kind_of_type(std::string_view type) {
  const std::string t = upper(text::trim(type));
  if (t == "PROBLEM") return AlertKind::kProblem;
  if (t == "RECOVERY") return AlertKind::kRecovery;
  return AlertKind::kUnknown;
}

// The kind a state word alone says (Nagios/Icinga/Check_MK states).
AlertKind kind_of_state(std::string_view state) {
  const std::string s = upper(text::trim(state));
  if (s == "OK" || s == "UP") return AlertKind::kRecovery;
  static constexpr std::array<std::string_view, 9> kBad{
      "CRITICAL", "CRIT", "WARNING", "WARN", "UNKNOWN", "UNKN", "DOWN", "UNREACH", "UNREACHABLE"};
  for (auto b : kBad)
    if (s == b) return AlertKind::kProblem;
  return AlertKind::kUnknown;
}

Status check_value(std::string_view what, const std::string& v, size_t limit) {
  if (v.size() > limit)
    return fail(ErrorCode::kInvalidInput,
                "alert: the " + std::string(what) + " is longer than " + std::to_string(limit) + " bytes");
  if (!text::is_clean_text(v, true))
    return fail(ErrorCode::kInvalidInput, "alert: the " + std::string(what) + " is not one line of text");
  return {};
}

// The checks every format's result passes: a host and a state, each one bounded line.
Result<Alert> finish(std::string_view format, Alert a) {
  a.host = std::string(text::trim(a.host));
  a.service = std::string(text::trim(a.service));
  a.state = std::string(text::trim(a.state));
  if (a.host.empty())
    return fail(ErrorCode::kInvalidInput, "alert: no host found in the " + std::string(format) + " mail");
  if (a.state.empty())
    return fail(ErrorCode::kInvalidInput, "alert: no state found in the " + std::string(format) + " mail");
  MC_RETURN_IF_ERROR(check_value("host", a.host, kMaxHostBytes));
  MC_RETURN_IF_ERROR(check_value("service", a.service, kMaxServiceBytes));
  MC_RETURN_IF_ERROR(check_value("state", a.state, kMaxStateBytes));
  return a;
}

// Nagios' (and Icinga 1's) "** TYPE Service Alert: host/service is STATE **" or
// "** TYPE Host Alert: host is STATE **".
bool nagios_subject(std::string_view subject, Alert& a, std::string& type) {
  static const RE2 re(R"(^\s*\*\*\s*(\S+)\s+(Service|Host)\s+Alert:\s*(.+?)\s+is\s+(\S+)\s*\*\*)");
  std::string kind, who, state;
  if (!RE2::PartialMatch(piece(subject), re, &type, &kind, &who, &state)) return false;
  if (kind == "Service") {
    auto slash = who.find('/');
    if (slash == std::string::npos) return false;
    a.host = who.substr(0, slash);
    a.service = who.substr(slash + 1);
  } else {
    a.host = who;
  }
  a.state = state;
  return true;
}

Result<Alert> parse_nagios(std::string_view subject, std::string_view body, std::string_view format) {
  Alert a;
  std::string type;
  // The subject names the host by its name (the service mail's body by its alias):
  // the subject's first, so that host and service alerts share a key.
  const bool from_subject = nagios_subject(subject, a, type);
  if (!from_subject) {
    a.host = first_field(body, {"Host"});
    a.service = first_field(body, {"Service"});
    a.state = first_field(body, {"State"});
  }
  if (type.empty()) type = first_field(body, {"Notification Type"});
  a.kind = type.empty() ? kind_of_state(a.state) : kind_of_type(type);
  if (type.empty() && a.kind == AlertKind::kUnknown && !a.state.empty()) a.kind = AlertKind::kProblem;
  return finish(format, std::move(a));
}

Result<Alert> parse_icinga(std::string_view subject, std::string_view body) {
  {
    Alert a;
    std::string type;
    if (nagios_subject(subject, a, type)) return parse_nagios(subject, body, "icinga");
  }
  // Icinga 2: "[TYPE] Host NAME is STATE!" or "[TYPE] SERVICE on HOST is STATE!".
  static const RE2 host_re(R"(^\s*\[([A-Za-z]+)\]\s+Host\s+(.+?)\s+is\s+([^\s!]+)!?\s*$)");
  static const RE2 service_re(R"(^\s*\[([A-Za-z]+)\]\s+(.+)\s+on\s+(.+?)\s+is\s+([^\s!]+)!?\s*$)");
  Alert a;
  std::string type, host, service, state;
  const std::string body_service = first_field(body, {"Service"});
  if (body_service.empty() && RE2::FullMatch(piece(subject), host_re, &type, &host, &state)) {
    a.host = host;
  } else if (RE2::FullMatch(piece(subject), service_re, &type, &service, &host, &state)) {
    a.host = host;
    a.service = service;
  }
  a.state = state;
  // The body names host and service by their object names (the subject by display
  // names, which may change): the body's first.
  if (auto h = first_field(body, {"Host"}); !h.empty()) a.host = h;
  if (!body_service.empty()) a.service = body_service;
  if (auto s = first_field(body, {"State"}); !s.empty()) a.state = s;
  if (type.empty()) type = first_field(body, {"Notification Type"});
  a.kind = type.empty() ? kind_of_state(a.state) : kind_of_type(type);
  if (type.empty() && a.kind == AlertKind::kUnknown && !a.state.empty()) a.kind = AlertKind::kProblem;
  return finish("icinga", std::move(a));
}

Result<Alert> parse_zabbix(std::string_view subject, std::string_view body) {
  // "Problem: NAME", "Resolved: NAME", "Resolved in 1h 2m: NAME", "Updated problem: NAME",
  // "Updated problem in 5m: NAME"; before Zabbix 5 "PROBLEM: NAME" and "OK: NAME".
  static const RE2 subject_re(
      R"(^\s*(Problem|PROBLEM|Resolved|RESOLVED|OK|Updated problem)(?:\s+in\s+[^:]*)?:\s*(.+?)\s*$)");
  std::string word, name;
  const bool by_subject = RE2::FullMatch(piece(subject), subject_re, &word, &name);
  Alert a;
  a.host = first_field(body, {"Host"});
  a.service = first_field(body, {"Problem name", "Trigger"});
  if (a.service.empty()) a.service = name;
  const std::string severity = first_field(body, {"Severity", "Trigger severity"});
  const std::string status = upper(first_field(body, {"Trigger status"}));
  const std::string w = upper(word);
  if (w == "PROBLEM")
    a.kind = AlertKind::kProblem;
  else if (w == "RESOLVED" || w == "OK")
    a.kind = AlertKind::kRecovery;
  else if (by_subject)
    a.kind = AlertKind::kUnknown;  // an update: acknowledged, commented, severity changed
  else if (status == "PROBLEM" || text::istarts_with(text::trim(scanned(body)), "Problem started"))
    a.kind = AlertKind::kProblem;
  else if (status == "OK" || text::istarts_with(text::trim(scanned(body)), "Problem has been resolved"))
    a.kind = AlertKind::kRecovery;
  else
    return fail(ErrorCode::kInvalidInput, "alert: neither a problem nor a resolution in the zabbix mail");
  if (a.kind == AlertKind::kRecovery)
    a.state = "RESOLVED";
  else
    a.state = severity.empty() ? (a.kind == AlertKind::kProblem ? "PROBLEM" : "UPDATED") : severity;
  if (a.service.empty()) return fail(ErrorCode::kInvalidInput, "alert: no problem name in the zabbix mail");
  return finish("zabbix", std::move(a));
}

Result<Alert> parse_checkmk(std::string_view subject, std::string_view body) {
  static const RE2 service_re(R"(^\s*Check_MK:\s+([^/\s]+)/(.+?)\s+(\S+\s*->\s*\S+|\S+)\s*$)");
  static const RE2 host_re(R"(^\s*Check_MK:\s+(\S+)\s+-\s+(.+?)\s*$)");
  Alert a;
  std::string host, service, event;
  if (RE2::FullMatch(piece(subject), service_re, &host, &service, &event)) {
    a.host = host;
    a.service = service;
  } else if (RE2::FullMatch(piece(subject), host_re, &host, &event)) {
    a.host = host;
  }
  if (a.host.empty()) a.host = without_alias(first_field(body, {"Host"}));
  if (a.service.empty()) a.service = first_field(body, {"Service"});
  std::string state = first_field(body, {"State", "Event"});
  if (state.empty()) state = event;
  // "CRIT -> OK (RECOVERY) since …" and the like: the state after the arrow, its first word.
  state = after_arrow(state);
  if (auto sp = state.find_first_of(" \t("); sp != std::string::npos) state = state.substr(0, sp);
  a.state = state;
  a.kind = kind_of_state(a.state);
  return finish("checkmk", std::move(a));
}

AlertKind kind_of_monit_event(std::string_view event) {
  const std::string e = text::ascii_lower(text::trim(event));
  auto ends_with = [&](std::string_view tail) {
    return e.size() >= tail.size() && e.compare(e.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (e == "exists" || ends_with("succeeded") || e == "running" || e == "started")
    return AlertKind::kRecovery;
  static constexpr std::array<std::string_view, 8> kBad{
      "failed", "does not exist", "not exist", "timeout", "matched", "invalid", "error", "not running"};
  for (auto b : kBad)
    if (e.find(b) != std::string::npos) return AlertKind::kProblem;
  return AlertKind::kUnknown;  // "changed", "Action done", "Monit instance changed"
}

Result<Alert> parse_monit(std::string_view subject, std::string_view body) {
  Alert a;
  a.host = first_field(body, {"Host"});
  a.service = first_field(body, {"Service"});
  std::string event = first_field(body, {"Event"});
  // The default message's first line: "EVENT Service SERVICE".
  static const RE2 line_re(R"((?m)^\s*(.+?)\s+Service\s+(\S+)\s*$)");
  std::string e, s;
  if ((event.empty() || a.service.empty()) && RE2::PartialMatch(piece(scanned(body)), line_re, &e, &s)) {
    if (event.empty()) event = e;
    if (a.service.empty()) a.service = s;
  }
  // The default subject: "monit alert --  EVENT SERVICE".
  static const RE2 subject_re(R"(^\s*monit alert\s+--\s+(.+)\s+(\S+)\s*$)");
  if ((event.empty() || a.service.empty()) && RE2::FullMatch(piece(subject), subject_re, &e, &s)) {
    if (event.empty()) event = e;
    if (a.service.empty()) a.service = s;
  }
  a.state = event;
  a.kind = kind_of_monit_event(event);
  return finish("monit", std::move(a));
}

Result<Alert> parse_generic(std::string_view body, const re2::RE2* re) {
  if (!re || !re->ok()) return fail(ErrorCode::kInvalidInput, "alert: the generic format needs a body RE");
  const auto& groups = re->NamedCapturingGroups();
  auto index = [&](const char* name) -> int {
    auto it = groups.find(name);
    return it == groups.end() ? -1 : it->second;
  };
  const int host = index("host"), service = index("service"), state = index("state");
  if (host < 0 || state < 0)
    return fail(ErrorCode::kInvalidInput, "alert: the body RE needs the named groups host and state");
  std::vector<StringPiece> m(static_cast<size_t>(re->NumberOfCapturingGroups()) + 1);
  const auto in = scanned(body);
  if (!re->Match(piece(in), 0, in.size(), RE2::UNANCHORED, m.data(), static_cast<int>(m.size())))
    return fail(ErrorCode::kInvalidInput, "alert: the body does not match the rule's body RE");
  auto group = [&](int i) {
    if (i < 0) return std::string();
    const auto& g = m[static_cast<size_t>(i)];
    return g.data() ? std::string(g.data(), g.size()) : std::string();  // an unmatched group: none
  };
  Alert a;
  a.host = group(host);
  a.service = group(service);
  a.state = group(state);
  a.kind = is_recovery_state(text::trim(a.state)) ? AlertKind::kRecovery : AlertKind::kProblem;
  return finish("generic", std::move(a));
}

}  // namespace

bool is_recovery_state(std::string_view state) {
  for (auto w : {"OK", "UP", "RESOLVED", "RECOVERY"})
    if (text::iequals(state, w)) return true;
  return false;
}

Result<Alert> parse_alert(Format format, std::string_view subject, std::string_view body,
                          const re2::RE2* generic_body) {
  switch (format) {
    case Format::kNagios:
      return parse_nagios(subject, body, "nagios");
    case Format::kIcinga:
      return parse_icinga(subject, body);
    case Format::kZabbix:
      return parse_zabbix(subject, body);
    case Format::kCheckmk:
      return parse_checkmk(subject, body);
    case Format::kMonit:
      return parse_monit(subject, body);
    case Format::kGeneric:
      return parse_generic(body, generic_body);
  }
  return fail(ErrorCode::kInvalidInput, "alert: unknown format");
}

std::string alert_subject(const Alert& a) {
  return a.host + (a.service.empty() ? "" : "/" + a.service) + " " + a.state;
}

AlertDecision decide_alert(const Alert& alert, int reopen_within_hours,
                           const std::optional<ExistingAlertCase>& existing, int64_t now) {
  const std::string what = alert.host + (alert.service.empty() ? "" : "/" + alert.service);
  const bool problem = alert.kind == AlertKind::kProblem;
  const bool recovery = alert.kind == AlertKind::kRecovery;
  if (!existing) {
    if (problem) return {AlertAction::kOpenCase, "alert: a problem of " + what + " opens a case"};
    return {AlertAction::kIgnore, std::string("alert: ") + (recovery ? "a recovery" : "news") + " of " +
                                      what + " with no alert case to record it on"};
  }
  const auto& e = *existing;
  const bool finished = e.status == domain::CaseStatus::kResolved || e.status == domain::CaseStatus::kClosed;
  if (e.open) {
    if (recovery) {
      if (finished)
        return {AlertAction::kNoteRecovery, "alert: " + what + " recovered; its case was finished already"};
      return {AlertAction::kResolve, "alert: " + what + " recovered; its case is resolved"};
    }
    // A problem continuing on a case an agent finished by hand: the problem is not over.
    if (problem && finished)
      return {AlertAction::kReopen, "alert: " + what + " is still failing; its case is reopened"};
    return {AlertAction::kComment,
            std::string("alert: ") + (problem ? "a repeat" : "news") + " of " + what + " on its open case"};
  }
  if (!problem) {
    return {AlertAction::kComment, std::string("alert: ") + (recovery ? "a recovery" : "news") + " of " +
                                       what + " on its resolved case"};
  }
  const int64_t window = int64_t{reopen_within_hours} * 3600;
  if (reopen_within_hours > 0 && e.resolved_at && now - *e.resolved_at <= window)
    return {AlertAction::kReopen, "alert: " + what + " failed again within " +
                                      std::to_string(reopen_within_hours) +
                                      " h of its recovery; its case is reopened"};
  return {AlertAction::kNewCase, "alert: " + what + " failed again after its case was resolved; a new case"};
}

}  // namespace mailcase::alerts

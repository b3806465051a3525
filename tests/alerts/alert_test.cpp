// Monitoring alerts, pure: each system's default notification mail (tests/fixtures/alerts)
// read into host, service, state and kind; the rule checks and matching; and every
// decision an alert makes on its key's case.
#include "alerts/alert.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <string>

#include "alerts/rule_set.h"
#include "support/test_support.h"

namespace mailcase::alerts {
namespace {

struct Mail {
  std::string from, subject, body;
};

// The fixture's From address, Subject and body: plain ASCII mails, no encodings.
Mail fixture(const std::string& name) {
  const std::string raw = mailcase::testing::read_file(std::filesystem::path(MAILCASE_SOURCE_DIR) /
                                                       "tests/fixtures/alerts" / name);
  Mail m;
  const auto split = raw.find("\n\n");
  const std::string head = raw.substr(0, split);
  m.body = split == std::string::npos ? "" : raw.substr(split + 2);
  size_t start = 0;
  while (start < head.size()) {
    auto end = head.find('\n', start);
    if (end == std::string::npos) end = head.size();
    const std::string line = head.substr(start, end - start);
    if (line.rfind("Subject: ", 0) == 0) m.subject = line.substr(9);
    if (line.rfind("From: ", 0) == 0) m.from = line.substr(6);
    start = end + 1;
  }
  return m;
}

Alert parsed(Format f, const std::string& name, const RE2* generic = nullptr) {
  const auto m = fixture(name);
  auto a = parse_alert(f, m.subject, m.body, generic);
  EXPECT_TRUE(a) << name << ": " << (a ? "" : a.error().message);
  return a ? *a : Alert{};
}

void expect_alert(const Alert& a, const std::string& host, const std::string& service,
                  const std::string& state, AlertKind kind) {
  EXPECT_EQ(a.host, host);
  EXPECT_EQ(a.service, service);
  EXPECT_EQ(a.state, state);
  EXPECT_EQ(a.kind, kind) << to_string(a.kind);
}

TEST(AlertFormats, NagiosServiceProblemAndRecoveryAreKeyedByTheSubjectsHostName) {
  // The body names the host by its alias ("Web server 01"); the subject by its name.
  expect_alert(parsed(Format::kNagios, "nagios-problem.eml"), "web01", "HTTP", "CRITICAL",
               AlertKind::kProblem);
  expect_alert(parsed(Format::kNagios, "nagios-recovery.eml"), "web01", "HTTP", "OK", AlertKind::kRecovery);
}

TEST(AlertFormats, NagiosHostAlertHasNoService) {
  expect_alert(parsed(Format::kNagios, "nagios-host-problem.eml"), "db01", "", "DOWN", AlertKind::kProblem);
}

TEST(AlertFormats, NagiosBodyAloneIsEnoughAndOtherNotificationTypesAreUnknown) {
  auto a = parse_alert(Format::kNagios, "web01 alert",
                       "Notification Type: ACKNOWLEDGEMENT\nService: HTTP\nHost: web01\nState: CRITICAL\n");
  ASSERT_TRUE(a) << a.error().message;
  expect_alert(*a, "web01", "HTTP", "CRITICAL", AlertKind::kUnknown);
  auto flap = parse_alert(Format::kNagios, "** FLAPPINGSTART Service Alert: web01/HTTP is CRITICAL **", "");
  ASSERT_TRUE(flap);
  EXPECT_EQ(flap->kind, AlertKind::kUnknown);
}

TEST(AlertFormats, Icinga2ServiceAndHostMailsUseTheBodysObjectNames) {
  expect_alert(parsed(Format::kIcinga, "icinga-problem.eml"), "web01", "disk", "CRITICAL",
               AlertKind::kProblem);
  expect_alert(parsed(Format::kIcinga, "icinga-recovery.eml"), "web01", "disk", "OK", AlertKind::kRecovery);
  expect_alert(parsed(Format::kIcinga, "icinga-host-problem.eml"), "db01", "", "DOWN", AlertKind::kProblem);
}

TEST(AlertFormats, IcingaReadsTheSubjectAloneAndIcinga1sNagiosStyleMails) {
  auto a = parse_alert(Format::kIcinga, "[RECOVERY] ping4 on router 7 is OK!", "");
  ASSERT_TRUE(a) << a.error().message;
  expect_alert(*a, "router 7", "ping4", "OK", AlertKind::kRecovery);
  auto old = parse_alert(Format::kIcinga, "** PROBLEM Service Alert: gw/PING is WARNING **",
                         "***** Icinga *****\n\nNotification Type: PROBLEM\n");
  ASSERT_TRUE(old) << old.error().message;
  expect_alert(*old, "gw", "PING", "WARNING", AlertKind::kProblem);
  auto ack = parse_alert(Format::kIcinga, "[ACKNOWLEDGEMENT] disk on web01 is CRITICAL!", "");
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->kind, AlertKind::kUnknown);
}

TEST(AlertFormats, ZabbixProblemNameIsTheServiceAndSeverityTheState) {
  expect_alert(parsed(Format::kZabbix, "zabbix-problem.eml"), "app01",
               "High CPU utilization (over 90% for 5m)", "High", AlertKind::kProblem);
  expect_alert(parsed(Format::kZabbix, "zabbix-recovery.eml"), "app01",
               "High CPU utilization (over 90% for 5m)", "RESOLVED", AlertKind::kRecovery);
}

TEST(AlertFormats, ZabbixOlderTriggerMailsAndUpdates) {
  auto old = parse_alert(Format::kZabbix, "OK: Zabbix agent on db01 is unreachable",
                         "Trigger: Zabbix agent on db01 is unreachable\nTrigger status: OK\n"
                         "Trigger severity: Average\nHost: db01\n");
  ASSERT_TRUE(old) << old.error().message;
  expect_alert(*old, "db01", "Zabbix agent on db01 is unreachable", "RESOLVED", AlertKind::kRecovery);
  auto upd = parse_alert(Format::kZabbix, "Updated problem in 1h 2m: Disk full",
                         "Problem name: Disk full\nHost: db01\nSeverity: Disaster\n");
  ASSERT_TRUE(upd) << upd.error().message;
  expect_alert(*upd, "db01", "Disk full", "Disaster", AlertKind::kUnknown);
}

TEST(AlertFormats, CheckmkServiceWithSpacesAndArrowStates) {
  expect_alert(parsed(Format::kCheckmk, "checkmk-problem.eml"), "web01", "Filesystem /var", "CRIT",
               AlertKind::kProblem);
  expect_alert(parsed(Format::kCheckmk, "checkmk-recovery.eml"), "web01", "Filesystem /var", "OK",
               AlertKind::kRecovery);
  auto host = parse_alert(Format::kCheckmk, "Check_MK: db01 - UP -> DOWN", "");
  ASSERT_TRUE(host) << host.error().message;
  expect_alert(*host, "db01", "", "DOWN", AlertKind::kProblem);
  auto plain = parse_alert(Format::kCheckmk, "Check_MK: web01/HTTP CRIT", "");
  ASSERT_TRUE(plain) << plain.error().message;
  expect_alert(*plain, "web01", "HTTP", "CRIT", AlertKind::kProblem);
}

TEST(AlertFormats, MonitDefaultMailAndServiceEventLines) {
  expect_alert(parsed(Format::kMonit, "monit-problem.eml"), "web01", "nginx", "Does not exist",
               AlertKind::kProblem);
  expect_alert(parsed(Format::kMonit, "monit-recovery.eml"), "web01", "nginx", "Exists",
               AlertKind::kRecovery);
  auto lines = parse_alert(Format::kMonit, "monit alert -- Connection succeeded mysql",
                           "Service: mysql\nEvent: Connection succeeded\nHost: db01\n");
  ASSERT_TRUE(lines) << lines.error().message;
  expect_alert(*lines, "db01", "mysql", "Connection succeeded", AlertKind::kRecovery);
  auto info = parse_alert(Format::kMonit, "monit alert -- Monit instance changed web01",
                          "Service: web01\nEvent: Monit instance changed\nHost: web01\n");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->kind, AlertKind::kUnknown);
}

TEST(AlertFormats, GenericReadsTheRulesNamedGroupsAndKnowsRecoveryWords) {
  RE2 re(R"(Check:\s*(?P<host>[^/\s]+)/(?P<service>\S+)\s+Status:\s*(?P<state>\w+))");
  ASSERT_TRUE(re.ok());
  expect_alert(parsed(Format::kGeneric, "generic-problem.eml", &re), "shop.example.com", "https", "DOWN",
               AlertKind::kProblem);
  expect_alert(parsed(Format::kGeneric, "generic-recovery.eml", &re), "shop.example.com", "https", "Up",
               AlertKind::kRecovery);
  for (const char* w : {"ok", "UP", "Resolved", "RECOVERY"}) EXPECT_TRUE(is_recovery_state(w)) << w;
  for (const char* w : {"DOWN", "", "OKAY", "critical"}) EXPECT_FALSE(is_recovery_state(w)) << w;
  RE2 no_state(R"((?P<host>\S+))");
  EXPECT_FALSE(parse_alert(Format::kGeneric, "", "web01", &no_state));
  EXPECT_FALSE(parse_alert(Format::kGeneric, "", "web01", nullptr));
  EXPECT_FALSE(parse_alert(Format::kGeneric, "", "nothing here", &re));
}

TEST(AlertFormats, MailsThatAreNoSuchAlertSayWhatIsMissing) {
  auto none = parse_alert(Format::kNagios, "Hello", "How are you?");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(none.error().message.find("no host"), std::string::npos) << none.error().message;
  EXPECT_FALSE(parse_alert(Format::kZabbix, "Weekly report", "Host: app01\n"));
  EXPECT_FALSE(parse_alert(Format::kCheckmk, "Check_MK: web01/HTTP", "Host: web01\n"));
  EXPECT_FALSE(parse_alert(Format::kMonit, "monit alert -- Exists nginx", "no host line"));
  // A value too long, or not one line of text, is refused rather than kept.
  auto long_host = parse_alert(Format::kNagios, "", "Host: " + std::string(300, 'h') + "\nState: DOWN\n");
  ASSERT_FALSE(long_host);
  EXPECT_NE(long_host.error().message.find("host"), std::string::npos);
  EXPECT_FALSE(parse_alert(Format::kNagios, "", "Host: web\x01\nState: DOWN\n"));
}

TEST(AlertFormats, EveryFormatHasOneName) {
  for (auto f : {Format::kNagios, Format::kIcinga, Format::kZabbix, Format::kCheckmk, Format::kMonit,
                 Format::kGeneric})
    EXPECT_EQ(format_from(to_string(f)), f);
  EXPECT_FALSE(format_from("Nagios"));
  EXPECT_FALSE(format_from(""));
}

TEST(AlertFormats, TheCaseSubjectNamesHostServiceAndState) {
  EXPECT_EQ(alert_subject({"web01", "HTTP", "CRITICAL", AlertKind::kProblem}), "web01/HTTP CRITICAL");
  EXPECT_EQ(alert_subject({"db01", "", "DOWN", AlertKind::kProblem}), "db01 DOWN");
}

// ---- rules ------------------------------------------------------------------------

AlertRule rule(std::string name, Format f) {
  AlertRule r;
  r.name = std::move(name);
  r.format = f;
  return r;
}

TEST(AlertRules, ChecksRefuseBadPatternsNamesAndGenericRulesWithoutGroups) {
  EXPECT_TRUE(check_rule(rule("nagios", Format::kNagios)));
  auto bad = rule("x", Format::kNagios);
  bad.subject_re = "(unclosed";
  auto s = check_rule(bad);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("--subject"), std::string::npos) << s.error().message;
  EXPECT_FALSE(check_rule(rule("", Format::kNagios)));
  EXPECT_FALSE(check_rule(rule(" padded", Format::kNagios)));
  EXPECT_FALSE(check_rule(rule("two\nlines", Format::kNagios)));
  auto generic = rule("g", Format::kGeneric);
  EXPECT_FALSE(check_rule(generic)) << "generic needs --body";
  generic.body_re = "(?P<host>\\S+)";
  EXPECT_FALSE(check_rule(generic)) << "and a state group";
  generic.body_re = "(?P<host>\\S+) is (?P<state>\\w+)";
  EXPECT_TRUE(check_rule(generic));
  auto hours = rule("h", Format::kNagios);
  hours.reopen_within_hours = -1;
  EXPECT_FALSE(check_rule(hours));
  hours.reopen_within_hours = 0;
  EXPECT_TRUE(check_rule(hours));
  auto huge = rule("big", Format::kNagios);
  huge.body_re = std::string(kMaxPatternBytes + 1, 'a');
  EXPECT_FALSE(check_rule(huge));
}

TEST(AlertRules, TheFirstRuleWhosePatternsAllMatchParsesTheMail) {
  auto zabbix = rule("zabbix", Format::kZabbix);
  zabbix.sender_re = "^zabbix@";
  auto nagios = rule("nagios", Format::kNagios);
  nagios.sender_re = "@monitor\\.example\\.net$";
  nagios.subject_re = "service alert";  // any letter case
  auto broken = rule("broken", Format::kNagios);
  broken.body_re = "(";
  auto set = RuleSet::compile({broken, zabbix, nagios});
  EXPECT_EQ(set.skipped(), std::vector<std::string>{"broken"});
  const auto m = fixture("nagios-problem.eml");
  auto hit = set.match("nagios@monitor.example.net", m.subject, m.body);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->rule->name, "nagios");
  ASSERT_TRUE(hit->alert) << hit->alert.error().message;
  EXPECT_EQ(hit->alert->host, "web01");
  EXPECT_FALSE(set.match("alice@example.org", "Hello", "Hi")) << "no rule for a person's mail";
  // Matched but unreadable: the match says why.
  auto z = set.match("zabbix@monitor.example.net", "Weekly report", "nothing");
  ASSERT_TRUE(z);
  EXPECT_EQ(z->rule->name, "zabbix");
  EXPECT_FALSE(z->alert);
  EXPECT_TRUE(RuleSet::compile({}).empty());
}

// ---- decisions ----------------------------------------------------------------------

constexpr int64_t kNow = 1'800'000'000;

Alert problem() {
  return {"web01", "HTTP", "CRITICAL", AlertKind::kProblem};
}
Alert recovery() {
  return {"web01", "HTTP", "OK", AlertKind::kRecovery};
}
Alert news() {
  return {"web01", "HTTP", "CRITICAL", AlertKind::kUnknown};
}

ExistingAlertCase open_case(domain::CaseStatus s = domain::CaseStatus::kNew) {
  return {7, true, s, std::nullopt};
}
ExistingAlertCase resolved_case(int64_t ago, domain::CaseStatus s = domain::CaseStatus::kResolved) {
  return {7, false, s, kNow - ago};
}

AlertAction act(const Alert& a, const std::optional<ExistingAlertCase>& e, int hours = 24) {
  return decide_alert(a, hours, e, kNow).action;
}

TEST(AlertDecisions, WithoutACaseAProblemOpensOneAndAnythingElseIsIgnored) {
  auto d = decide_alert(problem(), 24, std::nullopt, kNow);
  EXPECT_EQ(d.action, AlertAction::kOpenCase);
  EXPECT_NE(d.reason.find("web01/HTTP"), std::string::npos) << d.reason;
  auto r = decide_alert(recovery(), 24, std::nullopt, kNow);
  EXPECT_EQ(r.action, AlertAction::kIgnore);
  EXPECT_NE(r.reason.find("no alert case"), std::string::npos) << r.reason;
  EXPECT_EQ(act(news(), std::nullopt), AlertAction::kIgnore);
}

TEST(AlertDecisions, OnAnOpenCaseRepeatsCommentAndRecoveryResolves) {
  for (auto s :
       {domain::CaseStatus::kNew, domain::CaseStatus::kOpen, domain::CaseStatus::kSolutionProposed}) {
    EXPECT_EQ(act(problem(), open_case(s)), AlertAction::kComment);
    EXPECT_EQ(act(news(), open_case(s)), AlertAction::kComment);
    EXPECT_EQ(act(recovery(), open_case(s)), AlertAction::kResolve);
  }
}

TEST(AlertDecisions, AnOpenProblemWhoseCaseAnAgentFinishedIsReopenedByAProblem) {
  for (auto s : {domain::CaseStatus::kResolved, domain::CaseStatus::kClosed}) {
    EXPECT_EQ(act(problem(), open_case(s)), AlertAction::kReopen);
    EXPECT_EQ(act(recovery(), open_case(s)), AlertAction::kNoteRecovery);
    EXPECT_EQ(act(news(), open_case(s)), AlertAction::kComment);
  }
}

TEST(AlertDecisions, AProblemWithinReopenWithinReopensLaterOpensANewCase) {
  EXPECT_EQ(act(problem(), resolved_case(3600)), AlertAction::kReopen);
  EXPECT_EQ(act(problem(), resolved_case(24 * 3600)), AlertAction::kReopen) << "the window's end is in it";
  EXPECT_EQ(act(problem(), resolved_case(24 * 3600 + 1)), AlertAction::kNewCase);
  EXPECT_EQ(act(problem(), resolved_case(60, domain::CaseStatus::kClosed)), AlertAction::kReopen);
  EXPECT_EQ(act(problem(), resolved_case(30 * 86400, domain::CaseStatus::kClosed)), AlertAction::kNewCase);
  EXPECT_EQ(act(problem(), resolved_case(60), 0), AlertAction::kNewCase) << "0: never reopen";
  EXPECT_EQ(act(problem(), resolved_case(2 * 3600), 1), AlertAction::kNewCase);
  ExistingAlertCase no_time{7, false, domain::CaseStatus::kResolved, std::nullopt};
  EXPECT_EQ(act(problem(), no_time), AlertAction::kNewCase);
}

TEST(AlertDecisions, RecoveryOrNewsOnAResolvedCaseIsAComment) {
  EXPECT_EQ(act(recovery(), resolved_case(60)), AlertAction::kComment);
  EXPECT_EQ(act(news(), resolved_case(60)), AlertAction::kComment);
  EXPECT_EQ(act(recovery(), resolved_case(90 * 86400, domain::CaseStatus::kClosed)), AlertAction::kComment);
}

TEST(AlertSender, AContradictedFromIsRefusedAndAProvenSenderRuleWantsItVerified) {
  AlertRule open_rule;
  AlertRule proven_rule;
  proven_rule.proven_sender = true;
  EXPECT_EQ(sender_refusal(open_rule, {}), "") << "nothing speaks against the From";
  EXPECT_NE(sender_refusal(proven_rule, {}).find("proven sender"), std::string::npos);
  EXPECT_EQ(sender_refusal(proven_rule, {.contradicted = "", .verified = true}), "");
  for (const auto* r : {&open_rule, &proven_rule})
    EXPECT_NE(sender_refusal(*r, {.contradicted = "DMARC failed", .verified = true}).find("DMARC failed"),
              std::string::npos);
}

}  // namespace
}  // namespace mailcase::alerts

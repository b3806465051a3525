// Assignment rules (rules/assignment.h): which rules a mail matches and what they set,
// and which rules may be stored. Pure: rules and facts built here, no store, no mail.
#include "rules/assignment.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mailcase::rules {
namespace {

Rule rule(std::string name, int position, std::string queue) {
  Rule r;
  r.name = std::move(name);
  r.position = position;
  r.set.queue = std::move(queue);
  return r;
}

MailFacts facts() {
  MailFacts f;
  f.address = "support@corp.example";
  f.sender = "anna@acme.example";
  f.contact_emails = {"anna@acme.example", "anna.k@acme.example"};
  f.account = "Acme";
  f.account_level = "Gold";
  f.subject = "Printer jams on page 2";
  f.body = "Hello,\nthe printer in room 301 shows error E42 again.\nAnna";
  f.has_attachments = true;
  f.priority = "normal";
  f.language = "pl";
  f.in_business_hours = true;
  return f;
}

Evaluation run(std::vector<Rule> rules, const MailFacts& f = facts()) {
  auto set = RuleSet::compile(std::move(rules));
  EXPECT_TRUE(set.skipped().empty());
  return set.evaluate(f);
}

// One condition set to `match` must hold on facts(); set to `miss` must fail, with its flag.
struct ConditionCase {
  const char* flag;
  void (*set)(Conditions&, bool match);
};

const ConditionCase kConditions[] = {
    {"address", [](Conditions& c, bool m) { c.address = m ? "Support@Corp.example" : "sales@corp.example"; }},
    {"sender", [](Conditions& c, bool m) { c.sender = m ? "ANNA@acme.example" : "bob@acme.example"; }},
    {"sender-domain", [](Conditions& c, bool m) { c.sender_domain = m ? "ACME.example" : "other.example"; }},
    {"contact", [](Conditions& c, bool m) { c.contact = m ? "Anna.K@acme.example" : "bob@acme.example"; }},
    {"account", [](Conditions& c, bool m) { c.account = m ? "acme" : "Globex"; }},
    {"account-level", [](Conditions& c, bool m) { c.account_level = m ? "gold" : "silver"; }},
    {"subject", [](Conditions& c, bool m) { c.subject = m ? "PRINTER\\s+jams" : "scanner"; }},
    {"body", [](Conditions& c, bool m) { c.body = m ? "error e[0-9]+" : "error E99"; }},
    {"attachments", [](Conditions& c, bool m) { c.attachments = m; }},
    {"priority", [](Conditions& c, bool m) { c.priority = m ? "Normal" : "high"; }},
    {"language", [](Conditions& c, bool m) { c.language = m ? "PL" : "fr"; }},
    {"business-hours", [](Conditions& c, bool m) { c.business_hours = m; }},
};

TEST(AssignmentRules, EachConditionAloneMatchesOrFailsNamingItsFlag) {
  for (const auto& cc : kConditions) {
    Rule hit = rule("hit", 1, "Q");
    cc.set(hit.when, true);
    auto e = run({hit});
    ASSERT_EQ(e.checked.size(), 1u) << cc.flag;
    EXPECT_TRUE(e.checked[0].matched) << cc.flag << " failed: " << e.checked[0].failed;
    EXPECT_EQ(e.result.queue, "Q") << cc.flag;

    Rule miss = rule("miss", 1, "Q");
    cc.set(miss.when, false);
    e = run({miss});
    ASSERT_EQ(e.checked.size(), 1u) << cc.flag;
    EXPECT_FALSE(e.checked[0].matched) << cc.flag;
    EXPECT_EQ(e.checked[0].failed, cc.flag);
    EXPECT_TRUE(e.matched.empty()) << cc.flag;
    EXPECT_TRUE(e.result.empty()) << cc.flag;
  }
}

TEST(AssignmentRules, ARuleWithoutConditionsMatchesEveryMail) {
  auto e = run({rule("all", 1, "Everything")}, MailFacts{});
  ASSERT_EQ(e.matched, std::vector<std::string>{"all"});
  EXPECT_EQ(e.result.queue, "Everything");
  EXPECT_EQ(e.queue_by, "all");
}

TEST(AssignmentRules, AllConditionsMustHoldAndTheFirstFailingOneIsNamed) {
  Rule r = rule("and", 1, "Q");
  for (const auto& cc : kConditions) cc.set(r.when, true);
  auto e = run({r});
  ASSERT_EQ(e.matched.size(), 1u) << e.checked[0].failed;

  // Two failing: the first in flag order is named.
  r.when.language = "fr";
  r.when.account = "Globex";
  e = run({r});
  ASSERT_EQ(e.checked.size(), 1u);
  EXPECT_FALSE(e.checked[0].matched);
  EXPECT_EQ(e.checked[0].failed, "account");
  EXPECT_TRUE(e.matched.empty());
}

TEST(AssignmentRules, MissingFactsFailTheirConditions) {
  MailFacts none;  // no routing address, no contact, no account, no language
  for (const auto& cc : kConditions) {
    if (std::string(cc.flag) == "attachments" || std::string(cc.flag) == "business-hours") continue;
    Rule r = rule("r", 1, "Q");
    cc.set(r.when, true);
    auto e = run({r}, none);
    ASSERT_EQ(e.checked.size(), 1u);
    EXPECT_EQ(e.checked[0].failed, cc.flag);
  }
  Rule no_attachments = rule("r", 1, "Q");
  no_attachments.when.attachments = false;
  EXPECT_EQ(run({no_attachments}, none).matched.size(), 1u);
}

TEST(AssignmentRules, PatternsIgnoreCaseAndMatchAnywhere) {
  MailFacts f = facts();
  f.subject = "URGENT: Invoice 2026/11 is wrong";
  for (const char* pattern : {"invoice", "INVOICE \\d+", "wrong$", "^urgent", "[a-z]+ 2026"}) {
    Rule r = rule("r", 1, "Billing");
    r.when.subject = pattern;
    EXPECT_EQ(run({r}, f).matched.size(), 1u) << pattern;
  }
  Rule anchored = rule("r", 1, "Billing");
  anchored.when.subject = "^invoice";
  EXPECT_EQ(run({anchored}, f).checked[0].failed, "subject");
}

TEST(AssignmentRules, SenderDomainIsTheDomainNotItsSubdomains) {
  MailFacts f = facts();
  f.sender = "anna@eu.acme.example";
  Rule r = rule("r", 1, "Q");
  r.when.sender_domain = "acme.example";
  EXPECT_EQ(run({r}, f).checked[0].failed, "sender-domain");
  r.when.sender_domain = "eu.acme.example";
  EXPECT_EQ(run({r}, f).matched.size(), 1u);
}

TEST(AssignmentRules, RulesAreCheckedByPositionAndTheFirstMatchStops) {
  // Given out of order: position decides.
  Rule third = rule("third", 3, "C");
  Rule first = rule("first", 1, "A");
  first.when.subject = "scanner";  // does not match
  Rule second = rule("second", 2, "B");
  second.when.subject = "printer";
  auto e = run({third, first, second});
  ASSERT_EQ(e.checked.size(), 2u);  // nothing checked after the match
  EXPECT_EQ(e.checked[0].name, "first");
  EXPECT_FALSE(e.checked[0].matched);
  EXPECT_EQ(e.checked[0].failed, "subject");
  EXPECT_EQ(e.checked[1].name, "second");
  EXPECT_TRUE(e.checked[1].matched);
  EXPECT_EQ(e.checked[1].failed, "");
  EXPECT_EQ(e.checked[1].set.queue, "B");
  EXPECT_EQ(e.matched, std::vector<std::string>{"second"});
  EXPECT_EQ(e.result.queue, "B");
  EXPECT_EQ(e.queue_by, "second");
}

TEST(AssignmentRules, ContinueAppliesAndALaterRuleOverridesTheSameField) {
  Rule base = rule("base", 1, "Support");
  base.set.priority = "normal";
  base.set.product = "Printers";
  base.continue_after = true;
  Rule skipped = rule("skipped", 2, "Never");
  skipped.when.language = "fr";
  Rule urgent = rule("urgent", 3, "");
  urgent.when.subject = "jams";
  urgent.set.priority = "high";
  urgent.set.owner = std::string(kRoundRobin);
  Rule after = rule("after", 4, "Late");  // urgent did not say continue: never checked

  auto e = run({base, skipped, urgent, after});
  ASSERT_EQ(e.checked.size(), 3u);
  EXPECT_EQ(e.matched, (std::vector<std::string>{"base", "urgent"}));
  EXPECT_EQ(e.result.queue, "Support");
  EXPECT_EQ(e.queue_by, "base");
  EXPECT_EQ(e.result.priority, "high");  // the later rule refines
  EXPECT_EQ(e.priority_by, "urgent");
  EXPECT_EQ(e.result.product, "Printers");
  EXPECT_EQ(e.product_by, "base");
  EXPECT_EQ(e.result.owner, kRoundRobin);
  EXPECT_EQ(e.owner_by, "urgent");
  EXPECT_EQ(e.result.process, "");
  EXPECT_EQ(e.process_by, "");
}

TEST(AssignmentRules, DecideGivesTheSameAnswerWithoutTheTrace) {
  Rule base = rule("base", 1, "Support");
  base.continue_after = true;
  Rule miss = rule("miss", 2, "Never");
  miss.when.body = "nothing like this";
  Rule urgent = rule("urgent", 3, "Urgent");
  urgent.when.subject = "jams";
  urgent.set.priority = "high";
  auto set = RuleSet::compile({base, miss, urgent});
  const auto full = set.evaluate(facts());
  const auto quick = set.decide(facts());
  EXPECT_EQ(full.checked.size(), 3u);
  EXPECT_TRUE(quick.checked.empty());
  EXPECT_EQ(quick.matched, (std::vector<std::string>{"base", "urgent"}));
  EXPECT_EQ(quick.matched, full.matched);
  EXPECT_EQ(quick.result.queue, "Urgent");
  EXPECT_EQ(quick.result.priority, "high");
  EXPECT_EQ(quick.queue_by, "urgent");
  EXPECT_EQ(quick.priority_by, "urgent");
  EXPECT_EQ(full.result.queue, quick.result.queue);
  EXPECT_EQ(full.queue_by, quick.queue_by);
}

TEST(AssignmentRules, DisabledRulesAreNeverChecked) {
  Rule off = rule("off", 1, "Off");
  off.enabled = false;
  Rule on = rule("on", 2, "On");
  auto set = RuleSet::compile({off, on});
  EXPECT_EQ(set.size(), 1u);
  auto e = set.evaluate(facts());
  ASSERT_EQ(e.checked.size(), 1u);
  EXPECT_EQ(e.checked[0].name, "on");
  EXPECT_EQ(e.result.queue, "On");

  auto none = RuleSet::compile({off});
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(none.evaluate(facts()).checked.empty());
  EXPECT_TRUE(RuleSet{}.evaluate(facts()).checked.empty());
}

TEST(AssignmentRules, AHundredPatternRulesMatchTheRightOnes) {
  // Rules i = 1..100: subject "ticket-<i>\b" for odd i, body "code <i>;" for even i, each
  // continuing, so that every rule is checked and each matching one is listed.
  std::vector<Rule> rules;
  for (int i = 1; i <= 100; ++i) {
    Rule r = rule("r" + std::to_string(i), i, "Q" + std::to_string(i));
    if (i % 2)
      r.when.subject = "ticket-" + std::to_string(i) + "\\b";
    else
      r.when.body = "code " + std::to_string(i) + ";";
    r.continue_after = true;
    rules.push_back(std::move(r));
  }
  MailFacts f = facts();
  f.subject = "About TICKET-7 and ticket-71, not ticket-999";
  f.body = "codes: CODE 42; code 100; code 4";
  auto e = run(rules, f);
  EXPECT_EQ(e.checked.size(), 100u);
  EXPECT_EQ(e.matched, (std::vector<std::string>{"r7", "r42", "r71", "r100"}));
  EXPECT_EQ(e.result.queue, "Q100");
  EXPECT_EQ(e.queue_by, "r100");
  for (const auto& c : e.checked) {
    if (!c.matched) {
      EXPECT_TRUE(c.failed == "subject" || c.failed == "body") << c.name << ": " << c.failed;
    }
  }
}

TEST(AssignmentRules, PatternsTooLargeToCompileTogetherStillMatch) {
  // Each "\pL{300}" is a valid pattern of 8 bytes that RE2 compiles alone, yet four of
  // them are past what one RE2::Set may take: the rules must still compile (else no mail
  // could become a case) and give the same answers.
  std::vector<Rule> rules;
  for (int i = 1; i <= 4; ++i) {
    Rule r = rule("big" + std::to_string(i), i, "Q" + std::to_string(i));
    r.when.subject = "case-" + std::to_string(i) + " \\pL{300}";
    rules.push_back(std::move(r));
  }
  auto set = RuleSet::compile(std::move(rules));
  ASSERT_TRUE(set.skipped().empty());
  MailFacts f = facts();
  f.subject = "re: case-3 " + std::string(300, 'x');
  auto e = set.evaluate(f);
  EXPECT_EQ(e.matched, (std::vector<std::string>{"big3"}));
  EXPECT_EQ(e.result.queue, "Q3");
  ASSERT_EQ(e.checked.size(), 3u);
  EXPECT_EQ(e.checked[0].failed, "subject");
  f.subject = "case-3 too short";
  EXPECT_TRUE(set.evaluate(f).matched.empty());
}

TEST(AssignmentRules, OnlyTheBoundedStartOfTheBodyIsScanned) {
  MailFacts f = facts();
  f.body = std::string(kMaxScannedBytes - 10, 'x') + "early" + std::string(100, 'y') + "late";
  Rule early = rule("early", 1, "Q");
  early.when.body = "early";
  EXPECT_EQ(run({early}, f).matched.size(), 1u);
  Rule late = rule("late", 1, "Q");
  late.when.body = "late";
  EXPECT_EQ(run({late}, f).checked[0].failed, "body");
}

TEST(AssignmentRules, ABodyThatIsNotUtf8IsMatchedWithoutHarm) {
  MailFacts f = facts();
  f.body = std::string("caf\xe9 \xff\xfe error E42 \xc3");
  Rule r = rule("r", 1, "Q");
  r.when.body = "error e42";
  EXPECT_EQ(run({r}, f).matched.size(), 1u);
}

TEST(AssignmentRules, CheckRuleAcceptsAGoodRule) {
  Rule r = rule("Printers to hardware", 1, "Hardware");
  r.when.address = "support@corp.example";
  r.when.sender = "anna@acme.example";
  r.when.sender_domain = "acme.example";
  r.when.contact = "anna@acme.example";
  r.when.subject = "print(er|ing)";
  r.when.body = "E[0-9]+";
  r.when.attachments = true;
  r.when.business_hours = false;
  r.set.owner = "marek@corp.example";
  EXPECT_TRUE(check_rule(r).has_value()) << check_rule(r).error().message;
  r.set.owner = std::string(kRoundRobin);
  EXPECT_TRUE(check_rule(r).has_value());
}

TEST(AssignmentRules, CheckRuleRefusesABadRuleNamingTheFlag) {
  struct Bad {
    void (*spoil)(Rule&);
    const char* flag;
  };
  const Bad cases[] = {
      {[](Rule& r) { r.when.subject = "printer (jam"; }, "--if-subject: "},
      {[](Rule& r) { r.when.body = "[z-a]"; }, "--if-body: "},
      {[](Rule& r) { r.when.subject = std::string(1001, 'a'); }, "--if-subject: "},
      {[](Rule& r) { r.when.sender = "not an address"; }, "--if-sender: "},
      {[](Rule& r) { r.when.address = "support"; }, "--if-address: "},
      {[](Rule& r) { r.when.contact = "a@b@c"; }, "--if-contact: "},
      {[](Rule& r) { r.when.sender_domain = "@acme.example"; }, "--if-sender-domain: "},
      {[](Rule& r) { r.when.account = "two\nlines"; }, "--if-account: "},
      {[](Rule& r) { r.set.owner = "marek"; }, "--set-owner: "},
      {[](Rule& r) { r.set = {}; }, "--set-*: "},
      {[](Rule& r) { r.name = ""; }, "name: "},
      {[](Rule& r) { r.name = std::string(101, 'n'); }, "name: "},
      {[](Rule& r) { r.name = "a\nb"; }, "name: "},
      {[](Rule& r) { r.name = "round-robin"; }, "name: "},
  };
  for (const auto& b : cases) {
    Rule r = rule("r", 1, "Q");
    b.spoil(r);
    auto s = check_rule(r);
    ASSERT_FALSE(s.has_value()) << b.flag;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidInput);
    EXPECT_EQ(s.error().message.rfind(b.flag, 0), 0u) << s.error().message;
  }
  Rule r = rule("r", 1, "Q");
  r.when.subject = "printer (jam";
  EXPECT_NE(check_rule(r).error().message.find("missing )"), std::string::npos)
      << check_rule(r).error().message;
}

TEST(AssignmentRules, AStoredPatternThatNoLongerCompilesLeavesOnlyItsRuleOut) {
  // Stored by another version, or written into the store by hand: RE2 refuses it.
  Rule first = rule("first", 1, "First");
  first.continue_after = true;
  Rule broken = rule("broken one", 2, "Broken");
  broken.when.body = "(unclosed";
  broken.continue_after = true;
  Rule broken_subject = rule("broken subject", 3, "Never");
  broken_subject.when.subject = "printer (jam";  // its body pattern is fine: neither is added
  broken_subject.when.body = "jams";
  broken_subject.continue_after = true;
  Rule last = rule("last", 4, "Last");
  last.when.subject = "jams";
  last.when.body = "error E\\d+";
  last.set.priority = "high";
  auto set = RuleSet::compile({last, broken, first, broken_subject});
  EXPECT_EQ(set.size(), 2u);
  ASSERT_EQ(set.skipped().size(), 2u);
  EXPECT_EQ(set.skipped()[0].name, "broken one");
  EXPECT_EQ(set.skipped()[0].reason.rfind("--if-body: ", 0), 0u) << set.skipped()[0].reason;
  EXPECT_NE(set.skipped()[0].reason.find("missing )"), std::string::npos) << set.skipped()[0].reason;
  EXPECT_EQ(set.skipped()[1].name, "broken subject");
  EXPECT_EQ(set.skipped()[1].reason.rfind("--if-subject: ", 0), 0u) << set.skipped()[1].reason;
  EXPECT_EQ(pattern_problem(broken), set.skipped()[0].reason);
  EXPECT_EQ(pattern_problem(broken_subject), set.skipped()[1].reason);
  EXPECT_EQ(pattern_problem(last), "");

  // The others apply, in their order, with the sets' indexes right after the gap.
  for (const auto& e : {set.evaluate(facts()), set.decide(facts())}) {
    EXPECT_EQ(e.matched, (std::vector<std::string>{"first", "last"}));
    EXPECT_EQ(e.result.queue, "Last");
    EXPECT_EQ(e.result.priority, "high");
  }
  const auto traced = set.evaluate(facts());
  ASSERT_EQ(traced.checked.size(), 2u);
  ASSERT_EQ(traced.skipped.size(), 2u);
  EXPECT_EQ(traced.skipped[0].name, "broken one");
  EXPECT_TRUE(set.decide(facts()).skipped.empty());
  MailFacts f = facts();
  f.subject = "something else";
  EXPECT_EQ(set.evaluate(f).matched, (std::vector<std::string>{"first"}));

  broken.enabled = false;  // a disabled rule is left out before it is compiled: not named
  broken_subject.enabled = false;
  EXPECT_TRUE(RuleSet::compile({first, broken, broken_subject}).skipped().empty());
  // Every rule broken: nothing is checked, and the mail keeps routing's settings.
  broken.enabled = true;
  auto none = RuleSet::compile({broken});
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(none.evaluate(facts()).matched.empty());
}

TEST(AssignmentRules, AMovedRuleSetStillEvaluates) {
  auto set = RuleSet::compile({rule("a", 1, "A")});
  RuleSet moved = std::move(set);
  EXPECT_EQ(moved.evaluate(facts()).result.queue, "A");
}

}  // namespace
}  // namespace mailcase::rules

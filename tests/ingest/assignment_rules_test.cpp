// Assignment rules as ingest applies them to a mail that opens a case: what a matching
// rule sets (queue, priority, product, owner) with an event naming it and its hits;
// round-robin by fewest open cases; --continue; disabled rules; an owner who cannot take
// the case; business hours at the clock's now; and a rule changed by the command line
// while a pipeline lives, seen on its next mail.
#include <gtest/gtest.h>

#include <fstream>

#include "config/config.h"
#include "domain/clock.h"
#include "ingest/assignment.h"
#include "ingest/pipeline.h"
#include "runtime/runtime.h"
#include "support/test_support.h"

namespace mailcase::ingest {
namespace {

// Wednesday 2 December 2026, 10:00 UTC: inside the default business hours (Monday to
// Friday, 9 to 17, UTC).
constexpr int64_t kWednesdayMorning = 1'796'205'600;
// Sunday 6 December 2026, 10:00 UTC: outside them.
constexpr int64_t kSundayMorning = kWednesdayMorning + 4 * 86400;

class AssignmentRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    ASSERT_EQ(cli({"init"}).exit_code, 0);
    std::ofstream(data_ / "mailcase.toml") << "[outbound]\nfrom_address = \"support@corp.example\"\n";
    ASSERT_EQ(cli({"address", "add", "support@corp.example", "--queue", "Support"}).exit_code, 0);
    for (const char* who : {"ann", "bob", "cy"}) {
      auto r = cli({"agent", "add", "--name", who, "--email", std::string(who) + "@corp.example"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    cfg_ = *cfg;
    auto rt = runtime::Runtime::open(data_, cfg_, clock_);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = std::move(*rt);
  }

  mailcase::testing::CommandResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_.string()});
    return mailcase::testing::run_mailcase(args);
  }
  void rule(std::vector<std::string> args) {
    args.insert(args.begin(), "rule");
    auto r = cli(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Delivers a new mail; returns the case it opened.
  store::Case deliver(const std::string& subject, const std::string& body = "Hello.",
                      const std::string& from = "alice@customer.example") {
    const std::string raw = "From: " + from + "\r\nTo: support@corp.example\r\nSubject: " + subject +
                            "\r\nMessage-ID: <" + std::to_string(++n_) + "@customer.example>\r\n\r\n" + body +
                            "\r\n";
    auto o = rt_->ingest().deliver(raw, Envelope{"test", {"support@corp.example"}, std::nullopt});
    EXPECT_TRUE(o) << o.error().message;
    if (!o) return {};
    EXPECT_EQ(o->kind, OutcomeKind::kCreated) << o->reason;
    auto c = rt_->store().find_case_by_number(o->case_number.value_or(""));
    EXPECT_TRUE(c && *c);
    return c && *c ? **c : store::Case{};
  }

  // The case's events as "action actor {details}" lines, in order.
  std::vector<std::string> events(const store::Case& c) {
    auto ev = rt_->store().events_of(c.id);
    EXPECT_TRUE(ev);
    std::vector<std::string> out;
    if (!ev) return out;
    for (const auto& e : *ev) {
      std::string line = std::string(store::to_string(e.action)) + " " + e.actor;
      for (const auto& [k, v] : e.details) line += " " + k + "=" + v;
      out.push_back(line);
    }
    return out;
  }
  std::vector<std::string> rule_events(const store::Case& c) {
    std::vector<std::string> out;
    for (auto& e : events(c))
      if (e.rfind("rule_matched ", 0) == 0 || e.rfind("assigned ", 0) == 0) out.push_back(e);
    return out;
  }

  int64_t hits(const std::string& name) {
    auto u = rt_->store().open_unit(store::Access::kRead);
    EXPECT_TRUE(u);
    auto r = u->rules().find_rule(name);
    EXPECT_TRUE(r && *r);
    return r && *r ? (*r)->hits : -1;
  }

  mailcase::testing::TempDir dir_;
  std::filesystem::path data_;
  config::Config cfg_;
  domain::FixedClock clock_{kWednesdayMorning};
  std::unique_ptr<runtime::Runtime> rt_;
  int n_ = 0;
};

using V = std::vector<std::string>;

TEST_F(AssignmentRulesTest, AMatchingRuleSetsTheCaseAndSaysSo) {
  rule({"add", "invoices", "--if-subject", "invoice|refund", "--set-queue", "Billing", "--set-priority",
        "high", "--set-product", "Widget", "--set-owner", "BOB@corp.example"});
  auto c = deliver("Refund for INVOICE 12");
  EXPECT_EQ(c.queue, "Billing");
  EXPECT_EQ(c.priority, "high");
  EXPECT_EQ(c.product, "Widget");
  EXPECT_EQ(c.owner, "bob@corp.example");
  EXPECT_EQ(rule_events(c), (V{"rule_matched invoices owner=bob@corp.example priority=high product=Widget "
                               "queue=Billing rule=invoices",
                               "assigned invoices owner=bob@corp.example"}));
  EXPECT_EQ(hits("invoices"), 1);

  // A mail it does not match keeps what routing gave it, and no rule event.
  auto other = deliver("Printer jam");
  EXPECT_EQ(other.queue, "Support");
  EXPECT_EQ(other.priority, "normal");
  EXPECT_EQ(other.owner, "");
  EXPECT_EQ(rule_events(other), V{});
  EXPECT_EQ(hits("invoices"), 1);
}

TEST_F(AssignmentRulesTest, ARuleLooksAtTheNewCaseOnlyNeverAtAReply) {
  auto c = deliver("Printer jam");
  rule({"add", "all", "--if-sender-domain", "customer.example", "--set-priority", "urgent"});
  const std::string reply = "From: alice@customer.example\r\nTo: support@corp.example\r\nSubject: Re: [" +
                            c.number +
                            "] Printer jam\r\nMessage-ID: <reply@customer.example>\r\n\r\nStill.\r\n";
  auto o = rt_->ingest().deliver(reply, Envelope{"test", {"support@corp.example"}, std::nullopt});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->kind, OutcomeKind::kUpdated);
  auto after = rt_->store().get_case(c.id);
  ASSERT_TRUE(after && *after);
  EXPECT_EQ((*after)->priority, "normal");
  EXPECT_EQ(hits("all"), 0);
}

TEST_F(AssignmentRulesTest, RoundRobinSpreadsCasesByFewestOpenCasesThenLongestWaiting) {
  ASSERT_EQ(cli({"queue", "add", "Billing", "--agents", "ann@corp.example,bob@corp.example"}).exit_code, 0);
  rule({"add", "billing", "--if-subject", "bill", "--set-queue", "Billing", "--set-owner", "round-robin"});
  // Bob has an open case already.
  auto earlier = deliver("Printer jam");
  ASSERT_EQ(cli({"case", "assign", earlier.number, "--owner", "bob@corp.example"}).exit_code, 0);

  auto first = deliver("bill 1");   // ann 0, bob 1: ann
  auto second = deliver("bill 2");  // ann 1, bob 1: bob, who never got one this way
  auto third = deliver("bill 3");   // ann 1, bob 2: ann
  EXPECT_EQ(first.owner, "ann@corp.example");
  EXPECT_EQ(second.owner, "bob@corp.example");
  EXPECT_EQ(third.owner, "ann@corp.example");
  EXPECT_EQ(rule_events(second), (V{"rule_matched billing owner=bob@corp.example queue=Billing rule=billing",
                                    "assigned billing owner=bob@corp.example"}));

  // A closed case no longer counts: Bob closes his first case, and with one open case
  // each, bob (who got one by round-robin longest ago) gets the next.
  ASSERT_EQ(cli({"case", "close", earlier.number}).exit_code, 0);
  ASSERT_EQ(cli({"case", "close", second.number}).exit_code, 0);
  auto fourth = deliver("bill 4");  // ann 2, bob 0: bob
  EXPECT_EQ(fourth.owner, "bob@corp.example");
  EXPECT_EQ(hits("billing"), 4);
}

TEST_F(AssignmentRulesTest, TheFirstMatchWinsUnlessItSaysContinue) {
  rule({"add", "vip", "--if-sender", "alice@customer.example", "--set-queue", "VIP", "--set-priority", "high",
        "--continue"});
  rule({"add", "urgent", "--if-body", "down", "--set-priority", "urgent"});
  rule({"add", "never", "--if-body", "down", "--set-product", "Servers"});
  auto c = deliver("Help", "Our site is DOWN.");
  EXPECT_EQ(c.queue, "VIP");
  EXPECT_EQ(c.priority, "urgent");  // the later rule refines
  EXPECT_EQ(c.product, "");         // "urgent" matched and stopped the evaluation
  EXPECT_EQ(rule_events(c),
            (V{"rule_matched vip queue=VIP rule=vip", "rule_matched urgent priority=urgent rule=urgent"}));
  EXPECT_EQ(hits("vip"), 1);
  EXPECT_EQ(hits("urgent"), 1);
  EXPECT_EQ(hits("never"), 0);
}

// A batch (as import and LMTP commit theirs) counts each rule once per mail it matched,
// and a mail of the batch that is a copy of another opens nothing and counts nothing.
TEST_F(AssignmentRulesTest, ABatchCountsEachRuleOncePerMailItMatched) {
  rule({"add", "vip", "--if-sender", "alice@customer.example", "--set-queue", "VIP", "--continue"});
  rule({"add", "billing", "--if-subject", "bill", "--set-priority", "high"});
  auto mail = [](const std::string& from, const std::string& subject, const std::string& id) {
    return RawMail{"From: " + from + "\r\nTo: support@corp.example\r\nSubject: " + subject +
                       "\r\nMessage-ID: <" + id + "@customer.example>\r\n\r\nHello.\r\n",
                   Envelope{"test", {"support@corp.example"}, std::nullopt}};
  };
  const std::vector<RawMail> batch{mail("alice@customer.example", "bill 1", "b1"),
                                   mail("bob@customer.example", "bill 2", "b2"),
                                   mail("alice@customer.example", "Printer jam", "b3"),
                                   mail("alice@customer.example", "bill 1", "b1")};
  auto outcomes = rt_->ingest().deliver_batch(batch);
  ASSERT_EQ(outcomes.size(), 4u);
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(outcomes[i]) << outcomes[i].error().message;
    EXPECT_EQ(outcomes[i]->kind, OutcomeKind::kCreated) << i;
  }
  ASSERT_TRUE(outcomes[3]) << outcomes[3].error().message;
  EXPECT_EQ(outcomes[3]->kind, OutcomeKind::kDuplicate);
  EXPECT_EQ(hits("vip"), 2);
  EXPECT_EQ(hits("billing"), 2);

  // The next batch adds to them.
  auto more = rt_->ingest().deliver_batch({mail("carol@customer.example", "bill 3", "b4")});
  ASSERT_EQ(more.size(), 1u);
  ASSERT_TRUE(more[0]) << more[0].error().message;
  EXPECT_EQ(hits("vip"), 2);
  EXPECT_EQ(hits("billing"), 3);
}

TEST_F(AssignmentRulesTest, ADisabledRuleIsNeverChecked) {
  rule({"add", "first", "--if-subject", "printer", "--set-queue", "Hardware"});
  rule({"add", "second", "--if-subject", "printer", "--set-queue", "Printers"});
  rule({"disable", "first"});
  EXPECT_EQ(deliver("Printer jam").queue, "Printers");
  EXPECT_EQ(hits("first"), 0);
  rule({"enable", "first"});
  EXPECT_EQ(deliver("Printer on fire").queue, "Hardware");
}

TEST_F(AssignmentRulesTest, ARuleChangedByTheCommandLineIsSeenOnTheNextMail) {
  EXPECT_EQ(deliver("Printer jam").queue, "Support");
  rule({"add", "printers", "--if-subject", "printer", "--set-queue", "Printers"});
  EXPECT_EQ(deliver("Printer jam again").queue, "Printers");
  rule({"add", "hardware", "--position", "1", "--if-subject", "printer", "--set-queue", "Hardware"});
  EXPECT_EQ(deliver("Printer jam 3").queue, "Hardware");
  rule({"move", "hardware", "--position", "2"});
  EXPECT_EQ(deliver("Printer jam 4").queue, "Printers");
  rule({"remove", "printers"});
  EXPECT_EQ(deliver("Printer jam 5").queue, "Hardware");
}

TEST_F(AssignmentRulesTest, AnOwnerWhoCannotTakeTheCaseNeverFailsTheMail) {
  rule({"add", "to-cy", "--if-subject", "cy", "--set-owner", "cy@corp.example", "--set-priority", "high"});
  rule(
      {"add", "nobody-queue", "--if-subject", "empty", "--set-queue", "Empty", "--set-owner", "round-robin"});
  ASSERT_EQ(cli({"agent", "disable", "cy@corp.example"}).exit_code, 0);
  auto c = deliver("for cy");
  EXPECT_EQ(c.owner, "");
  EXPECT_EQ(c.priority, "high");  // the rest of what it sets holds
  EXPECT_EQ(rule_events(c),
            (V{"rule_matched to-cy not_assigned=no active agent cy@corp.example priority=high rule=to-cy"}));
  auto e = deliver("empty queue");
  EXPECT_EQ(e.owner, "");
  EXPECT_EQ(e.queue, "Empty");
  EXPECT_EQ(rule_events(e),
            (V{"rule_matched nobody-queue not_assigned=queue Empty has no active member queue=Empty "
               "rule=nobody-queue"}));
}

TEST_F(AssignmentRulesTest, BusinessHoursAreThoseOfTheClocksNow) {
  rule({"add", "office", "--if-business-hours", "yes", "--set-queue", "Office"});
  rule({"add", "night", "--if-business-hours", "no", "--set-queue", "OnCall"});
  EXPECT_EQ(deliver("Wednesday").queue, "Office");
  clock_.set(kSundayMorning);
  EXPECT_EQ(deliver("Sunday").queue, "OnCall");
}

TEST(RuleFactsTest, AMailsFactsAreItsSenderContactAccountAndRealAttachments) {
  mime::ParsedMessage m;
  m.from.email = "Olga@Acme.Example";
  m.subject = "Invoice";
  m.text_body = std::string(rules::kMaxScannedBytes + 10, 'x');
  mime::Attachment logo;
  logo.is_inline = true;
  m.attachments.push_back(logo);
  store::Contact contact;
  contact.emails = {"olga@acme.example", "o@acme.example"};
  contact.language = "pl";
  store::Account account;
  account.name = "Acme";
  account.support_level = "gold";

  auto f = rule_facts(m, "support@corp.example", contact, account, "high", true);
  EXPECT_EQ(f.address, "support@corp.example");
  EXPECT_EQ(f.sender, "olga@acme.example");
  EXPECT_EQ(f.contact_emails, contact.emails);
  EXPECT_EQ(f.language, "pl");
  EXPECT_EQ(f.account, "Acme");
  EXPECT_EQ(f.account_level, "gold");
  EXPECT_EQ(f.subject, "Invoice");
  EXPECT_EQ(f.body.size(), rules::kMaxScannedBytes);  // no further than the rules scan
  EXPECT_FALSE(f.has_attachments);                    // an inline logo is no attachment
  EXPECT_EQ(f.priority, "high");
  EXPECT_TRUE(f.in_business_hours);

  mime::Attachment file;
  m.attachments.push_back(file);
  auto g = rule_facts(m, "", std::nullopt, std::nullopt, "normal", false);
  EXPECT_TRUE(g.has_attachments);
  EXPECT_TRUE(g.contact_emails.empty());
  EXPECT_EQ(g.account, "");
  EXPECT_FALSE(g.in_business_hours);
}

TEST(RuleFactsTest, OnlyTheFieldsTheRulesSetChangeTheCase) {
  store::Case c;
  c.queue = "Support";
  c.priority = "normal";
  c.product = "Widget";
  rules::Evaluation ev;
  ev.result.priority = "high";
  apply_rule_fields(ev, c);
  EXPECT_EQ(c.queue, "Support");
  EXPECT_EQ(c.priority, "high");
  EXPECT_EQ(c.product, "Widget");
  ev.result.queue = "Billing";
  ev.result.product = "Gadget";
  apply_rule_fields(ev, c);
  EXPECT_EQ(c.queue, "Billing");
  EXPECT_EQ(c.product, "Gadget");
}

}  // namespace
}  // namespace mailcase::ingest

namespace mailcase::ingest {
namespace {

TEST(RuleMatchDetailsTest, EachMatchingRuleNamesWhatItSetAndTheOwnerRuleWhomOrWhyNot) {
  rules::Evaluation ev;
  ev.matched = {"vip", "night"};
  ev.result.queue = "VIP";
  ev.result.priority = "high";
  ev.result.owner = rules::kRoundRobin;
  ev.queue_by = "vip";
  ev.priority_by = "night";
  ev.owner_by = "night";
  auto got = rule_match_details(ev, "", "queue VIP has no active member");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (std::map<std::string, std::string>{{"rule", "vip"}, {"queue", "VIP"}}));
  EXPECT_EQ(got[1], (std::map<std::string, std::string>{
                        {"rule", "night"}, {"priority", "high"}, {"not_assigned", "queue VIP has no active member"}}));
  got = rule_match_details(ev, "ann@corp.example", "");
  EXPECT_EQ(got[1].at("owner"), "ann@corp.example");
  EXPECT_EQ(got[1].count("not_assigned"), 0u);
  EXPECT_TRUE(rule_match_details(rules::Evaluation{}, "", "").empty());
}

}  // namespace
}  // namespace mailcase::ingest

#include "ingest/route.h"
#include "ingest/ingest.h"

#include <gtest/gtest.h>

namespace mailcase::ingest {
namespace {

mime::ParsedMessage mail(std::string from, std::string subject = "Help") {
  mime::ParsedMessage m;
  m.from = {"Ann", std::move(from)};
  m.subject = std::move(subject);
  return m;
}

domain::RoutingAddress address(std::string email) {
  domain::RoutingAddress a;
  a.email = std::move(email);
  return a;
}

TEST(RecipientCandidates, EnvelopeThenDeliveredToThenHeaders) {
  auto m = mail("ann@example.com");
  m.headers = {{"Delivered-To", "Support@Corp.example"}, {"X-Original-To", "<sales@corp.example>"}};
  m.to = {{"", "billing@corp.example"}};
  m.cc = {{"", "SUPPORT@corp.example"}};
  auto c = recipient_candidates(m, {"lmtp@corp.example"});
  EXPECT_EQ(c, (std::vector<std::string>{"lmtp@corp.example", "support@corp.example", "sales@corp.example",
                                         "billing@corp.example"}));
}

TEST(AcceptsRecipient, ARoutingAddressInAnyCaseOrAnyAddressWhenNoneIsConfigured) {
  std::vector<domain::RoutingAddress> cfg(1);
  cfg[0].email = "support@corp.example";
  EXPECT_TRUE(accepts_recipient("Support@Corp.Example", cfg));
  EXPECT_FALSE(accepts_recipient("sales@corp.example", cfg));
  EXPECT_TRUE(accepts_recipient("sales@corp.example", {}));
}

TEST(MatchAddress, CaseInsensitiveFirstMatch) {
  std::vector<domain::RoutingAddress> cfg = {address("sales@corp.example"), address("support@corp.example")};
  auto a = match_address({"other@x.example", "support@corp.example", "sales@corp.example"}, cfg);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->email, "support@corp.example");
  EXPECT_FALSE(match_address({"nobody@x.example"}, cfg));
}

TEST(DecideRoute, NewCaseFromKnownSender) {
  auto m = mail("ann@example.com");
  RouteFacts f;
  f.message = &m;
  auto a = address("support@corp.example");
  a.queue = "Tier1";
  a.product = "Printers";
  f.address = a;
  f.sender_known = true;
  auto d = decide_route(f, config::Config{});
  EXPECT_EQ(d.action, Action::kCreateCase);
  EXPECT_EQ(d.queue, "Tier1");
  EXPECT_EQ(d.product, "Printers");
  EXPECT_FALSE(d.create_contact);
}

TEST(DecideRoute, FallbackQueueWhenNoAddressMatches) {
  auto m = mail("ann@example.com");
  RouteFacts f;
  f.message = &m;
  auto d = decide_route(f, config::Config{});
  EXPECT_EQ(d.action, Action::kCreateCase);
  EXPECT_EQ(d.queue, "Unrouted");
  EXPECT_TRUE(d.create_contact);
}

TEST(DecideRoute, AddressWithoutQueueUsesDefaultQueue) {
  auto m = mail("ann@example.com");
  RouteFacts f;
  f.message = &m;
  f.address = address("support@corp.example");
  EXPECT_EQ(decide_route(f, config::Config{}).queue, "Support");
}

TEST(DecideRoute, UnknownSenderHeldWhenPolicySaysHold) {
  auto m = mail("stranger@example.com");
  RouteFacts f;
  f.message = &m;
  auto a = address("support@corp.example");
  a.unknown_sender = "hold";
  f.address = a;
  auto d = decide_route(f, config::Config{});
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.reason, "unknown sender");
  f.sender_known = true;
  EXPECT_EQ(decide_route(f, config::Config{}).action, Action::kCreateCase);
}

TEST(DecideRoute, AddressThatCreatesNoCasesStillTakesReplies) {
  auto m = mail("ann@example.com");
  RouteFacts f;
  f.message = &m;
  auto a = address("noreply@corp.example");
  a.creates_cases = false;
  f.address = a;
  f.sender_known = true;
  EXPECT_EQ(decide_route(f, config::Config{}).action, Action::kIgnore);
  f.threaded_case = 3;
  f.sender_role = SenderRole::kContact;
  EXPECT_EQ(decide_route(f, config::Config{}).action, Action::kComment);
}

TEST(DecideRoute, RequiredSubjectPrefix) {
  auto m = mail("ann@example.com", "Re: Invoice 123");
  RouteFacts f;
  f.message = &m;
  auto a = address("invoices@corp.example");
  a.subject_prefix = "invoice";
  f.address = a;
  f.sender_known = true;
  EXPECT_EQ(decide_route(f, config::Config{}).action, Action::kCreateCase);
  m.subject = "Hello";
  auto d = decide_route(f, config::Config{});
  EXPECT_EQ(d.action, Action::kIgnore);
  EXPECT_NE(d.reason.find("prefix"), std::string::npos);
}

TEST(DecideRoute, BounceGoesToItsCaseAsInternalNoteOrIsHeld) {
  auto m = mail("MAILER-DAEMON@mx.example");
  RouteFacts f;
  f.message = &m;
  f.classification.kind = MailKind::kBounce;
  auto d = decide_route(f, config::Config{});
  EXPECT_EQ(d.action, Action::kHold);
  f.threaded_case = 4;
  d = decide_route(f, config::Config{});
  EXPECT_EQ(d.action, Action::kComment);
  EXPECT_TRUE(d.internal);
}

// Machine mail that names no case is held, and the record says what made it machine mail.
TEST(DecideRoute, MachineMailForNoCaseIsHeldSayingWhy) {
  auto m = mail("anna@example.com");
  RouteFacts f;
  f.message = &m;
  f.sender_known = true;
  f.classification.kind = MailKind::kAutoReply;
  f.classification.reason = "sent from the null sender <>";
  auto d = decide_route(f, config::Config{});
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_FALSE(d.create_contact);
  EXPECT_EQ(d.reason, "auto-reply for no known case (sent from the null sender <>)");
}

TEST(DecideRoute, OutOfOfficeOnACaseIsAPublicCommentNeverANewCase) {
  auto m = mail("ann@example.com", "Automatic reply: [CS0000001]");
  RouteFacts f;
  f.message = &m;
  f.sender_known = true;
  f.classification.kind = MailKind::kAutoReply;
  EXPECT_EQ(decide_route(f, config::Config{}).action, Action::kHold);
  f.threaded_case = 1;
  f.sender_role = SenderRole::kContact;
  auto d = decide_route(f, config::Config{});
  EXPECT_EQ(d.action, Action::kComment);
  EXPECT_FALSE(d.internal);
}

TEST(DecideRoute, MailWithoutSenderIsHeld) {
  auto m = mail("");
  RouteFacts f;
  f.message = &m;
  EXPECT_EQ(decide_route(f, config::Config{}).action, Action::kHold);
}

// Who may write to a case (SF3): the contact by any of its addresses, the contacts of
// the case's account, listed participants; never our own addresses.
TEST(SenderRole, ContactAccountParticipantOrStranger) {
  ParticipantFacts f;
  f.case_contact = 1;
  f.case_account = 10;
  EXPECT_EQ(sender_role(f), SenderRole::kStranger);
  f.listed = true;
  EXPECT_EQ(sender_role(f), SenderRole::kParticipant);
  f.sender_contact = 2;
  f.sender_account = 10;
  EXPECT_EQ(sender_role(f), SenderRole::kAccount);
  f.sender_contact = 1;
  EXPECT_EQ(sender_role(f), SenderRole::kContact);
  f.ours = true;
  EXPECT_EQ(sender_role(f), SenderRole::kStranger);
}

TEST(SenderRole, NoAccountOnEitherSideIsNotTheSameAccount) {
  ParticipantFacts f;
  f.case_contact = 1;
  f.sender_contact = 2;
  EXPECT_EQ(sender_role(f), SenderRole::kStranger);
  f.sender_account = 7;
  EXPECT_EQ(sender_role(f), SenderRole::kStranger);
}

TEST(SenderRole, AnAccountAddressSpeaksForItsCaseWithoutContact) {
  ParticipantFacts f;
  f.case_account = 10;
  f.sender_account = 10;
  EXPECT_EQ(sender_role(f), SenderRole::kContact);
  f.sender_account = 11;
  EXPECT_EQ(sender_role(f), SenderRole::kStranger);
}

TEST(MayChangeCase, ContactAlwaysAccountOnlyWhenConfigured) {
  config::Threading t;
  EXPECT_TRUE(may_change_case(SenderRole::kContact, t));
  EXPECT_FALSE(may_change_case(SenderRole::kAccount, t));
  EXPECT_FALSE(may_change_case(SenderRole::kParticipant, t));
  EXPECT_FALSE(may_change_case(SenderRole::kStranger, t));
  t.verdict_from = "account";
  EXPECT_TRUE(may_change_case(SenderRole::kAccount, t));
  EXPECT_FALSE(may_change_case(SenderRole::kParticipant, t));
}

RouteFacts stranger_on_case(const mime::ParsedMessage& m) {
  RouteFacts f;
  f.message = &m;
  f.sender_known = true;
  f.threaded_case = 1;
  f.thread_reason = "subject tag CS0000001";
  f.sender_role = SenderRole::kStranger;
  return f;
}

TEST(DecideRoute, NonParticipantNamingACaseBecomesAnInternalNoteByDefault) {
  auto m = mail("eve@example.net", "Re: [CS0000001] Help");
  auto d = decide_route(stranger_on_case(m), config::Config{});
  EXPECT_EQ(d.action, Action::kComment);
  EXPECT_TRUE(d.internal);
  EXPECT_TRUE(d.not_participant);
  EXPECT_FALSE(d.may_change_case);
  EXPECT_FALSE(d.create_contact);
  EXPECT_NE(d.reason.find("not a participant"), std::string::npos) << d.reason;
}

TEST(DecideRoute, NonParticipantHeldOrNewCaseWhenSoConfigured) {
  auto m = mail("eve@example.net", "Re: [CS0000001] Help");
  config::Config cfg;
  cfg.threading.non_participant = "hold";
  auto d = decide_route(stranger_on_case(m), cfg);
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_NE(d.reason.find("not a participant"), std::string::npos) << d.reason;
  cfg.threading.non_participant = "new";
  auto f = stranger_on_case(m);
  f.sender_known = false;
  d = decide_route(f, cfg);
  EXPECT_EQ(d.action, Action::kCreateCase);
  EXPECT_TRUE(d.create_contact);
  EXPECT_NE(d.reason.find("not a participant"), std::string::npos) << d.reason;
}

TEST(DecideRoute, NonParticipantUnderHoldPolicyIsHeldAsUnknownSender) {
  auto m = mail("eve@example.net", "Re: [CS0000001] Help");
  auto f = stranger_on_case(m);
  f.sender_known = false;
  auto a = address("vip@corp.example");
  a.unknown_sender = "hold";
  f.address = a;
  auto d = decide_route(f, config::Config{});
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.reason, "unknown sender");
}

TEST(DecideRoute, AutoReplyFromNonParticipantIsNeverPublic) {
  auto m = mail("eve@example.net", "Automatic reply: [CS0000001]");
  auto f = stranger_on_case(m);
  f.classification.kind = MailKind::kAutoReply;
  auto d = decide_route(f, config::Config{});
  EXPECT_EQ(d.action, Action::kComment);
  EXPECT_TRUE(d.internal);
  EXPECT_TRUE(d.not_participant);
  config::Config cfg;
  cfg.threading.non_participant = "new";
  EXPECT_EQ(decide_route(f, cfg).action, Action::kHold);  // machine mail never opens a case
}

TEST(DecideRoute, BounceFromAnyoneStillReachesItsCase) {
  auto m = mail("MAILER-DAEMON@mx.example");
  auto f = stranger_on_case(m);
  f.classification.kind = MailKind::kBounce;
  auto d = decide_route(f, config::Config{});
  EXPECT_EQ(d.action, Action::kComment);
  EXPECT_TRUE(d.internal);
  EXPECT_FALSE(d.may_change_case);
}

// A mail From one of our own addresses would make us the contact of its case: it opens
// none, whatever the policies; on a case it is at most an internal note.
TEST(DecideRoute, OurOwnAddressOpensNoCaseAndIsNoContact) {
  auto m = mail("support+x@corp.example");
  RouteFacts f;
  f.message = &m;
  f.address = address("support@corp.example");
  f.sender_is_ours = true;
  auto d = decide_route(f, config::Config{});
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_FALSE(d.create_contact);
  EXPECT_EQ(d.reason, "sent from our own address support+x@corp.example: a mail loop or a forged sender");

  auto on_case = stranger_on_case(m);
  on_case.sender_is_ours = true;
  d = decide_route(on_case, config::Config{});
  EXPECT_EQ(d.action, Action::kComment);
  EXPECT_TRUE(d.internal);
  EXPECT_FALSE(d.create_contact);
  EXPECT_FALSE(d.may_change_case);
  EXPECT_NE(d.reason.find("our own address"), std::string::npos) << d.reason;
  for (const char* policy : {"hold", "new"}) {
    config::Config cfg;
    cfg.threading.non_participant = policy;
    d = decide_route(on_case, cfg);
    EXPECT_EQ(d.action, Action::kHold) << policy;
    EXPECT_NE(d.reason.find("our own address"), std::string::npos) << d.reason;
  }
}

TEST(DecideRoute, ParticipantsCommentOnlyTheContactChangesTheCase) {
  auto m = mail("ann@example.com", "Re: [CS0000001] Help");
  RouteFacts f;
  f.message = &m;
  f.threaded_case = 1;
  f.sender_role = SenderRole::kParticipant;
  auto a = address("vip@corp.example");
  a.unknown_sender = "hold";
  f.address = a;
  auto d = decide_route(f, config::Config{});
  EXPECT_EQ(d.action, Action::kComment);  // listed: not held as an unknown sender
  EXPECT_FALSE(d.internal);
  EXPECT_FALSE(d.may_change_case);
  f.sender_known = true;
  f.sender_role = SenderRole::kAccount;
  EXPECT_FALSE(decide_route(f, config::Config{}).may_change_case);
  config::Config cfg;
  cfg.threading.verdict_from = "account";
  EXPECT_TRUE(decide_route(f, cfg).may_change_case);
  f.sender_role = SenderRole::kContact;
  d = decide_route(f, config::Config{});
  EXPECT_FALSE(d.internal);
  EXPECT_TRUE(d.may_change_case);
}

// A mail from `role` answering CS0000001, which is in `status`; the body is the reply.
struct OnCase {
  mime::ParsedMessage message;
  RouteFacts facts;
  OnCase(SenderRole role, domain::CaseStatus status, std::string body) {
    message = mail("ann@example.com", "Re: [CS0000001] Help");
    message.text_body = std::move(body);
    facts.message = &message;
    facts.sender_known = true;
    facts.threaded_case = 1;
    facts.thread_reason = "subject tag CS0000001";
    facts.sender_role = role;
    facts.threaded_case_facts = CaseFacts{"CS0000001", status, "Hardware", "Printers", "high"};
    auto a = address("support@corp.example");
    a.queue = "Tier1";
    facts.address = a;
  }
  OnCase(const OnCase&) = delete;
};

constexpr const char* kQuoted =
    "\n\nOn Mon, 3 Nov 2026 at 10:00, Support <s@example.com> wrote:\n> We propose a fix\n";

config::Config reply_to_closed(std::string how) {
  config::Config cfg;
  cfg.outbound.reply_to_closed = std::move(how);
  return cfg;
}

TEST(ReplyEffect, ContactsReplyToAResolvedOrClosedCaseReopensItByDefault) {
  for (auto status : {domain::CaseStatus::kResolved, domain::CaseStatus::kClosed}) {
    OnCase c(SenderRole::kContact, status, std::string("It broke again.") + kQuoted);
    auto d = decide_route(c.facts, config::Config{});
    EXPECT_EQ(d.action, Action::kComment) << domain::to_string(status);
    EXPECT_FALSE(d.internal);
    EXPECT_EQ(d.case_effect, CaseEffect::kReopen) << domain::to_string(status);
    EXPECT_EQ(d.reason, "subject tag CS0000001");
  }
}

TEST(ReplyEffect, ReplyToAClosedCaseStartsANewCaseLikeTheOldOneWhenSoConfigured) {
  OnCase c(SenderRole::kContact, domain::CaseStatus::kClosed, "It broke again.");
  auto d = decide_route(c.facts, reply_to_closed("new"));
  EXPECT_EQ(d.action, Action::kCreateCase);
  EXPECT_EQ(d.reason, "answers CS0000001, which is closed: a new case");
  // The old case's queue, product and priority, not those of the address it came to.
  EXPECT_EQ(d.queue, "Hardware");
  EXPECT_EQ(d.product, "Printers");
  EXPECT_EQ(d.priority, "high");
  EXPECT_FALSE(d.internal);
  EXPECT_FALSE(d.create_contact);
  EXPECT_EQ(d.case_effect, CaseEffect::kNone);
}

TEST(ReplyEffect, ReplyToAResolvedCaseStartsANewCaseTooAndSaysSo) {
  OnCase c(SenderRole::kContact, domain::CaseStatus::kResolved, "Accept");
  auto d = decide_route(c.facts, reply_to_closed("new"));
  EXPECT_EQ(d.action, Action::kCreateCase);
  EXPECT_EQ(d.reason, "answers CS0000001, which is resolved: a new case");
  EXPECT_EQ(d.case_effect, CaseEffect::kNone);
}

TEST(ReplyEffect, AnyParticipantsReplyToAClosedCaseStartsTheNewCase) {
  // Only the contact may reopen; but the reply of a Cc'd participant is not lost on a
  // closed case either: it starts the new case, with a contact if it has none.
  OnCase c(SenderRole::kParticipant, domain::CaseStatus::kClosed, "Me too.");
  c.facts.sender_known = false;
  auto d = decide_route(c.facts, reply_to_closed("new"));
  EXPECT_EQ(d.action, Action::kCreateCase);
  EXPECT_TRUE(d.create_contact);
  EXPECT_EQ(d.queue, "Hardware");
  d = decide_route(c.facts, config::Config{});
  EXPECT_EQ(d.action, Action::kComment);
  EXPECT_EQ(d.case_effect, CaseEffect::kNone);  // a participant does not reopen it
}

TEST(ReplyEffect, FirstLineAcceptsOrRejectsAProposedSolution) {
  const auto proposed = domain::CaseStatus::kSolutionProposed;
  struct Reply {
    std::string body;
    CaseEffect effect;
  };
  for (const auto& [body, effect] : std::vector<Reply>{
           {std::string("Accept.") + kQuoted, CaseEffect::kAccept},
           {"\n\n  ACCEPTER !\nmerci", CaseEffect::kAccept},
           {std::string("Reject") + kQuoted, CaseEffect::kReject},
           {"Odrzucam", CaseEffect::kReject},
           {std::string("Thanks, I will try it tomorrow.\nAccept") + kQuoted, CaseEffect::kNone},
           {std::string("I cannot accept this.") + kQuoted, CaseEffect::kNone},
           {"", CaseEffect::kNone},
       }) {
    OnCase c(SenderRole::kContact, proposed, body);
    auto d = decide_route(c.facts, reply_to_closed("new"));
    EXPECT_EQ(d.action, Action::kComment) << body;
    EXPECT_EQ(d.case_effect, effect) << body;
  }
}

// The customer who answers the mail of an earlier proposal (a reply to the wrong mail of
// the thread) has not read the solution proposed since: the verdict answers neither.
TEST(ReplyEffect, AVerdictToAnEarlierProposalsMailChangesNothing) {
  const auto proposed = domain::CaseStatus::kSolutionProposed;
  for (const std::string body : {"Accept", "Reject"}) {
    OnCase c(SenderRole::kContact, proposed, body);
    c.facts.threaded_case_facts->latest_proposal = 15;
    c.facts.answered_proposal = 7;
    auto d = decide_route(c.facts, config::Config{});
    EXPECT_EQ(d.action, Action::kComment);
    EXPECT_EQ(d.case_effect, CaseEffect::kNone) << body;
    EXPECT_EQ(d.verdict_not_taken,
              "the reply's " + body + " answers an earlier proposed solution, not the one proposed since");
    EXPECT_NE(d.reason.find(d.verdict_not_taken), std::string::npos) << d.reason;
    // The mail of the proposal made now, or none in particular: the verdict counts.
    for (int64_t answered : {15, 0}) {
      c.facts.answered_proposal = answered;
      d = decide_route(c.facts, config::Config{});
      EXPECT_EQ(d.case_effect, body == "Accept" ? CaseEffect::kAccept : CaseEffect::kReject);
      EXPECT_TRUE(d.verdict_not_taken.empty());
    }
  }
  // Words that are no verdict are a comment either way, with nothing to explain.
  OnCase c(SenderRole::kContact, proposed, "Thanks, trying it now.");
  c.facts.threaded_case_facts->latest_proposal = 15;
  c.facts.answered_proposal = 7;
  auto d = decide_route(c.facts, config::Config{});
  EXPECT_EQ(d.case_effect, CaseEffect::kNone);
  EXPECT_TRUE(d.verdict_not_taken.empty());
}

TEST(ReplyEffect, AcceptOnACaseWithNothingProposedIsAComment) {
  for (auto status : {domain::CaseStatus::kNew, domain::CaseStatus::kOpen}) {
    OnCase c(SenderRole::kContact, status, "Accept");
    auto d = decide_route(c.facts, reply_to_closed("new"));
    EXPECT_EQ(d.action, Action::kComment);
    EXPECT_EQ(d.case_effect, CaseEffect::kNone) << domain::to_string(status);
  }
}

TEST(ReplyEffect, OnlyWhoMayChangeTheCaseAcceptsRejectsOrReopens) {
  for (auto status : {domain::CaseStatus::kSolutionProposed, domain::CaseStatus::kClosed}) {
    for (auto role : {SenderRole::kParticipant, SenderRole::kAccount}) {
      OnCase c(role, status, "Accept");
      auto d = decide_route(c.facts, config::Config{});
      EXPECT_EQ(d.action, Action::kComment);
      EXPECT_FALSE(d.internal);
      EXPECT_EQ(d.case_effect, CaseEffect::kNone) << to_string(role) << " " << domain::to_string(status);
    }
  }
  // Another contact of the account speaks for it when so configured.
  config::Config cfg;
  cfg.threading.verdict_from = "account";
  OnCase c(SenderRole::kAccount, domain::CaseStatus::kSolutionProposed, "Reject");
  EXPECT_EQ(decide_route(c.facts, cfg).case_effect, CaseEffect::kReject);
}

TEST(ReplyEffect, AStrangerNamingTheCaseChangesNothing) {
  for (auto status : {domain::CaseStatus::kSolutionProposed, domain::CaseStatus::kClosed}) {
    for (std::string how : {"internal", "hold", "new"}) {
      OnCase c(SenderRole::kStranger, status, "Accept");
      auto cfg = reply_to_closed("new");
      cfg.threading.non_participant = how;
      auto d = decide_route(c.facts, cfg);
      EXPECT_EQ(d.case_effect, CaseEffect::kNone) << how;
      // "new" opens a case as if the mail named none: in the address's queue, not the old case's.
      if (d.action == Action::kCreateCase) {
        EXPECT_EQ(d.queue, "Tier1") << how;
      }
      if (d.action == Action::kComment) {
        EXPECT_TRUE(d.internal) << how;
      }
    }
  }
}

TEST(ReplyEffect, MachineMailChangesNothingAndOpensNoCase) {
  for (auto kind : {MailKind::kAutoReply, MailKind::kAutomated, MailKind::kBounce, MailKind::kFeedback}) {
    for (auto status : {domain::CaseStatus::kSolutionProposed, domain::CaseStatus::kClosed}) {
      OnCase c(SenderRole::kContact, status, "Accept");
      c.facts.classification.kind = kind;
      auto d = decide_route(c.facts, reply_to_closed("new"));
      EXPECT_EQ(d.action, Action::kComment) << to_string(kind);
      EXPECT_EQ(d.case_effect, CaseEffect::kNone) << to_string(kind) << " " << domain::to_string(status);
      d = decide_route(c.facts, config::Config{});
      EXPECT_EQ(d.case_effect, CaseEffect::kNone) << to_string(kind) << " " << domain::to_string(status);
    }
  }
}

TEST(ReplyEffect, InternalNotesChangeNothing) {
  // An auto-reply from a stranger, and a stranger's mail, both become internal notes.
  OnCase c(SenderRole::kStranger, domain::CaseStatus::kClosed, "Accept");
  auto d = decide_route(c.facts, reply_to_closed("new"));
  ASSERT_EQ(d.action, Action::kComment);
  EXPECT_TRUE(d.internal);
  EXPECT_EQ(d.case_effect, CaseEffect::kNone);
  c.facts.classification.kind = MailKind::kAutoReply;
  d = decide_route(c.facts, reply_to_closed("new"));
  ASSERT_EQ(d.action, Action::kComment);
  EXPECT_TRUE(d.internal);
  EXPECT_EQ(d.case_effect, CaseEffect::kNone);
}

TEST(ReplyEffect, WithoutTheCasesStateNothingChanges) {
  OnCase c(SenderRole::kContact, domain::CaseStatus::kClosed, "Accept");
  c.facts.threaded_case_facts.reset();
  auto d = decide_route(c.facts, reply_to_closed("new"));
  EXPECT_EQ(d.action, Action::kComment);
  EXPECT_EQ(d.case_effect, CaseEffect::kNone);
}

TEST(ParticipantsToRecord, ToAndCcWithoutOursOrTheSenderOnceLowerCase) {
  auto m = mail("Ann@Example.com");
  m.to = {{"", "support@corp.example"}, {"Bob", "Bob@Example.com"}};
  m.cc = {{"", "ann@example.com"}, {"", "SUPPORT@corp.example"}, {"", "bob@example.com"},
          {"", "noreply@corp.example"}, {"", "carol@example.org"}, {"", "not-an-address"}};
  m.bcc = {{"", "dave@example.org"}};
  auto got = participants_to_record(m, {"support@corp.example", "noreply@corp.example"});
  EXPECT_EQ(got, (std::vector<std::string>{"bob@example.com", "carol@example.org"}));
  // A sub-address of ours is ours too.
  m.cc.push_back({"", "support+billing@corp.example"});
  EXPECT_EQ(participants_to_record(m, {"support@corp.example"}),
            (std::vector<std::string>{"bob@example.com", "noreply@corp.example", "carol@example.org"}));
}

TEST(ParticipantsToRecord, AtMostTheLimit) {
  auto m = mail("ann@example.com");
  for (int i = 0; i < 500; ++i) m.cc.push_back({"", "p" + std::to_string(i) + "@example.org"});
  EXPECT_EQ(participants_to_record(m, {}).size(), 50u);
  EXPECT_EQ(participants_to_record(m, {}, 3).size(), 3u);
}

TEST(CcShown, TheCcLineOnceLowerCaseWithoutWhatIsNoAddress) {
  auto m = mail("ann@example.com");
  m.to = {{"", "support@corp.example"}};
  m.cc = {{"Bob", "Bob@Example.com"}, {"", "SUPPORT@corp.example"}, {"", "bob@example.com"},
          {"", "not-an-address"},     {"", ""},                     {"", "\"a,b\"@example.org"},
          {"", "carol@example.org"}};
  EXPECT_EQ(cc_shown(m),
            (std::vector<std::string>{"bob@example.com", "support@corp.example", "carol@example.org"}));
  for (int i = 0; i < 500; ++i) m.cc.push_back({"", "p" + std::to_string(i) + "@example.org"});
  EXPECT_EQ(cc_shown(m).size(), 50u);
  EXPECT_EQ(cc_shown(m, 2).size(), 2u);
  m.cc.clear();
  EXPECT_TRUE(cc_shown(m).empty());
}

// A reply whose DMARC failed at a trusted server does not speak as the case's contact,
// account or participant: held (the default), or an internal note that changes nothing.
TEST(DmarcFail, ReplyFromSomeoneTheCaseKnowsIsHeldByDefault) {
  for (auto role : {SenderRole::kContact, SenderRole::kAccount, SenderRole::kParticipant}) {
    OnCase c(role, domain::CaseStatus::kResolved, "accept");
    c.facts.from_contradicted = "DMARC failed for the From domain example.com";
    auto d = decide_route(c.facts, config::Config{});
    EXPECT_EQ(d.action, Action::kHold) << to_string(role);
    EXPECT_NE(d.reason.find("DMARC failed for the From domain example.com"), std::string::npos) << d.reason;
    EXPECT_NE(d.reason.find(to_string(role)), std::string::npos) << d.reason;
    EXPECT_EQ(d.case_effect, CaseEffect::kNone);
  }
}

TEST(DmarcFail, InternalNoteChangesNothing) {
  config::Config cfg;
  cfg.trust.on_dmarc_fail = "internal";
  for (auto status :
       {domain::CaseStatus::kResolved, domain::CaseStatus::kClosed, domain::CaseStatus::kOpen}) {
    for (const char* body : {"accept", "reject", "It broke again."}) {
      OnCase c(SenderRole::kContact, status, body);
      c.facts.from_contradicted = "DMARC failed for the From domain example.com";
      auto d = decide_route(c.facts, cfg);
      EXPECT_EQ(d.action, Action::kComment);
      EXPECT_TRUE(d.internal);
      EXPECT_TRUE(d.dmarc_failed);
      EXPECT_FALSE(d.may_change_case);
      EXPECT_FALSE(d.create_contact);
      EXPECT_EQ(d.case_effect, CaseEffect::kNone) << body;
      EXPECT_EQ(d.reason.rfind("internal note: DMARC failed for the From domain example.com", 0), 0u)
          << d.reason;
    }
  }
}

TEST(DmarcFail, WithoutItOrFromAStrangerNothingChanges) {
  // No believed failure: the contact's "accept" accepts, as before.
  OnCase ok(SenderRole::kContact, domain::CaseStatus::kResolved, "accept");
  auto d = decide_route(ok.facts, config::Config{});
  EXPECT_EQ(d.action, Action::kComment);
  EXPECT_FALSE(d.dmarc_failed);
  // A stranger is judged by threading.non_participant, DMARC or not.
  OnCase s(SenderRole::kStranger, domain::CaseStatus::kOpen, "hello");
  s.facts.from_contradicted = "DMARC failed for the From domain example.com";
  d = decide_route(s.facts, config::Config{});
  EXPECT_EQ(d.action, Action::kComment);
  EXPECT_TRUE(d.not_participant);
  EXPECT_FALSE(d.dmarc_failed);
  // A new case is made as usual (its confirmation is the loop guard's to skip).
  auto m = mail("ann@example.com");
  RouteFacts f;
  f.message = &m;
  f.sender_known = true;
  f.from_contradicted = "DMARC failed for the From domain example.com";
  EXPECT_EQ(decide_route(f, config::Config{}).action, Action::kCreateCase);
  // A bounce stays an internal note on its case.
  OnCase b(SenderRole::kContact, domain::CaseStatus::kOpen, "");
  b.facts.classification.kind = MailKind::kBounce;
  b.facts.from_contradicted = "DMARC failed for the From domain example.com";
  d = decide_route(b.facts, config::Config{});
  EXPECT_EQ(d.action, Action::kComment);
  EXPECT_TRUE(d.internal);
}

// A mail's key: its Message-ID, else its bytes' hash (no Message-ID, or not parsed).
TEST(DedupeKey, IsTheMessageIdElseTheHashOfTheBytes) {
  EXPECT_EQ(dedupe_key("a@example.com", "ab12"), "mid:a@example.com");
  EXPECT_EQ(dedupe_key("", "ab12"), "sha:ab12");
}

// The same Message-ID from another sender is another mail, known by the id and its sender;
// a copy of one mail (the same From, however written) and a key of the bytes alone are not.
TEST(DedupeKey, AnotherSendersMailOfTheSameIdIsKnownByTheIdAndItsSender) {
  EXPECT_EQ(sender_qualified_key("mid:@localhost", "ab12", "p1@one.example", "Paul@Two.Example"),
            "mid:@localhost from paul@two.example");
  EXPECT_EQ(sender_qualified_key("mid:@localhost", "ab12", "P1@One.Example", "p1@one.example"), std::nullopt);
  EXPECT_EQ(sender_qualified_key("mid:@localhost", "ab12", "", "p2@two.example"), std::nullopt);
  EXPECT_EQ(sender_qualified_key("sha:ab12", "ab12", "p1@one.example", "p2@two.example"), std::nullopt);
}

TEST(DuplicateReason, SaysWhetherTheBytesOrOnlyTheKeyWereSeenBefore) {
  EXPECT_EQ(duplicate_reason(true, 7), "already recorded as message 7");
  EXPECT_EQ(duplicate_reason(false, 7), "same Message-ID as message 7");
}

}  // namespace
}  // namespace mailcase::ingest

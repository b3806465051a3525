// RFC 3834 rules for automatic replies, and the per-sender rate limit.
#include "outbound/loop_guard.h"

#include <gtest/gtest.h>

#include "util/text.h"

namespace mailcase::outbound {
namespace {

AutoReplyFacts person() {
  AutoReplyFacts f;
  f.from = "Anna <anna@example.org>";
  f.our_addresses = {"support@corp.example", "noreply-cases@corp.example"};
  return f;
}

TEST(LoopGuard, APersonGetsAnAnswer) {
  auto d = may_auto_reply(person());
  EXPECT_TRUE(d.allowed) << d.reason;
}

TEST(LoopGuard, AutoSubmittedOtherThanNoIsAMachine) {
  for (const char* v : {"auto-replied", "auto-generated", "Auto-Notified", "auto-replied; owner-email=x@y"}) {
    auto f = person();
    f.auto_submitted = v;
    auto d = may_auto_reply(f);
    EXPECT_FALSE(d.allowed) << v;
    EXPECT_NE(d.reason.find("Auto-Submitted"), std::string::npos);
  }
  auto f = person();
  f.auto_submitted = "No";
  EXPECT_TRUE(may_auto_reply(f).allowed);
}

TEST(LoopGuard, BulkJunkAndListsAreNotAnswered) {
  for (const char* v : {"bulk", "junk", "list", " Bulk "}) {
    auto f = person();
    f.precedence = v;
    EXPECT_FALSE(may_auto_reply(f).allowed) << v;
  }
  auto f = person();
  f.precedence = "first-class";
  EXPECT_TRUE(may_auto_reply(f).allowed);
  f.has_list_id = true;
  EXPECT_FALSE(may_auto_reply(f).allowed);
}

TEST(LoopGuard, DaemonsAndOurOwnAddressesAreNotAnswered) {
  for (const char* from : {"MAILER-DAEMON@mx.example.org", "postmaster@example.org", "<>", "",
                           "Support <SUPPORT@corp.example>"}) {
    auto f = person();
    f.from = from;
    EXPECT_FALSE(may_auto_reply(f).allowed) << from;
  }
}

TEST(LoopGuard, MachineMailIsNotAnswered) {
  auto f = person();
  f.is_machine_mail = true;
  EXPECT_FALSE(may_auto_reply(f).allowed);
}

TEST(LoopGuard, AtMostNPerSenderPerHour) {
  auto f = person();
  f.max_auto_replies_per_hour = 3;
  f.auto_replies_last_hour = 2;
  EXPECT_TRUE(may_auto_reply(f).allowed);
  f.auto_replies_last_hour = 3;
  auto d = may_auto_reply(f);
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.find("in the last hour"), std::string::npos);
}

// RFC 3834 section 4: never answer the null sender (bounces and other machines).
TEST(LoopGuard, TheNullEnvelopeSenderIsNeverAnswered) {
  for (const char* env : {"", "<>", "MAILER-DAEMON"}) {
    auto f = person();
    f.envelope_sender = env;
    f.sender_is_known_contact = true;
    f.confirm_unverified_senders = true;
    auto d = may_auto_reply(f);
    EXPECT_FALSE(d.allowed) << env;
    EXPECT_NE(d.reason.find("envelope sender is empty"), std::string::npos) << d.reason;
  }
}

TEST(LoopGuard, WhatIsTheNullSender) {
  for (const char* env : {"", "<>", " < > ", "MAILER-DAEMON", "<mailer-daemon>"})
    EXPECT_TRUE(is_null_sender(env)) << env;
  for (const char* env : {"anna@example.org", "<MAILER-DAEMON@mx.example.org>"})
    EXPECT_FALSE(is_null_sender(env)) << env;
}

TEST(LoopGuard, AnEnvelopeSenderOfAnotherDomainNeedsAKnownContactOrTheSetting) {
  auto f = person();
  f.envelope_sender = "bounce-77@spammer.example";
  auto d = may_auto_reply(f);
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.find("spammer.example"), std::string::npos) << d.reason;
  f.sender_is_known_contact = true;
  EXPECT_TRUE(may_auto_reply(f).allowed);
  f.sender_is_known_contact = false;
  f.confirm_unverified_senders = true;
  EXPECT_TRUE(may_auto_reply(f).allowed);
}

TEST(LoopGuard, TheFromHeaderIsWhatTheEnvelopeSenderMustVouchFor) {
  auto f = person();  // answered at the contact's address anna@example.org
  f.header_from = "anna@other.example";
  f.envelope_sender = "anna@example.org";
  EXPECT_FALSE(may_auto_reply(f).allowed);
  f.envelope_sender = "anna@other.example";
  EXPECT_TRUE(may_auto_reply(f).allowed);
}

TEST(LoopGuard, AnEnvelopeSenderInTheSameDomainOrASubdomainIsAnswered) {
  for (const char* env : {"anna@example.org", "<ANNA+x@Example.ORG>", "bounces+123@mail.example.org"}) {
    auto f = person();
    f.envelope_sender = env;
    EXPECT_TRUE(may_auto_reply(f).allowed) << env;
  }
  EXPECT_TRUE(envelope_matches_from("a@lists.example.org", "Anna <b@example.org>"));
  EXPECT_FALSE(envelope_matches_from("a@co.uk", "Anna <b@victim.co.uk>"));
  EXPECT_FALSE(envelope_matches_from("a@badexample.org", "b@example.org"));
  EXPECT_FALSE(envelope_matches_from("a@example.org.evil.example", "b@example.org"));
  EXPECT_FALSE(envelope_matches_from("", "b@example.org"));
  EXPECT_FALSE(envelope_matches_from("a@example.org", "nodomain"));
}

// A source that does not tell its envelope sender (an old pipe without --sender) is not
// held to the domain rule: there is nothing to compare.
TEST(LoopGuard, AnUnknownEnvelopeSenderIsNotCompared) {
  auto f = person();
  f.envelope_sender.reset();
  EXPECT_TRUE(may_auto_reply(f).allowed);
}

TEST(LoopGuard, AnOverallCapStopsAFlood) {
  auto f = person();
  f.max_auto_replies_total_per_hour = 200;
  f.auto_replies_total_last_hour = 199;
  EXPECT_TRUE(may_auto_reply(f).allowed);
  f.auto_replies_total_last_hour = 200;
  auto d = may_auto_reply(f);
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.find("max_auto_replies_total_per_hour"), std::string::npos) << d.reason;
}

TEST(MailboxKey, CaseAndPlusTagsAreOneMailbox) {
  EXPECT_EQ(text::mailbox_key("Anna+1@Example.ORG"), "anna@example.org");
  EXPECT_EQ(text::mailbox_key("<anna+a+b@example.org>"), "anna@example.org");
  EXPECT_EQ(text::mailbox_key("anna@example.org"), "anna@example.org");
  EXPECT_EQ(text::mailbox_key("+tag@example.org"), "+tag@example.org");  // no local part left
  EXPECT_EQ(text::mailbox_key("anna@ex+ample.org"), "anna@ex+ample.org");
  EXPECT_EQ(text::email_domain("Anna@Example.ORG"), "example.org");
  EXPECT_EQ(text::email_domain("anna"), "");
}

// A forged From (DMARC failed at a trusted server) gets no confirmation, even as a known
// contact with a matching envelope sender: the answer would reach the address's owner.
TEST(LoopGuard, DmarcFailIsNotAnswered) {
  auto f = person();
  f.envelope_sender = "anna@example.org";
  f.sender_is_known_contact = true;
  f.confirm_unverified_senders = true;
  ASSERT_TRUE(may_auto_reply(f).allowed);
  f.from_contradicted = "DMARC failed for the From domain example.org";
  auto d = may_auto_reply(f);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "DMARC failed for the From domain example.org (the From may be forged)");
  // The other contradictions give their own reason, not DMARC's failure.
  f.from_contradicted = "the mail has no From line, which DMARC would have checked";
  d = may_auto_reply(f);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "the mail has no From line, which DMARC would have checked (the From may be forged)");
}

TEST(HeaderKeyword, WithoutCommentsQuotesParametersOrCase) {
  EXPECT_EQ(header_keyword("no (sent by a human)"), "no");
  EXPECT_EQ(header_keyword("(a (nested) comment) No"), "no");
  EXPECT_EQ(header_keyword(" \"Junk\" "), "junk");
  EXPECT_EQ(header_keyword("auto-replied; owner-email=\"x@y\""), "auto-replied");
  EXPECT_EQ(header_keyword("bulk (a \\) in a comment) "), "bulk");
  EXPECT_EQ(header_keyword(""), "");
  EXPECT_EQ(header_keyword("(only a comment)"), "");
}

// Header values as responders write them (RFC 3834 allows a comment after "no").
TEST(LoopGuard, HeaderValuesAreReadWithQuotesCaseAndComments) {
  auto f = person();
  f.auto_submitted = "no (sent by a human)";
  EXPECT_TRUE(may_auto_reply(f).allowed);
  f.auto_submitted = "Auto-Generated (cron)";
  EXPECT_FALSE(may_auto_reply(f).allowed);
  for (const char* v : {"\"junk\"", "\"Bulk\"", "list (x)", "auto_reply"}) {
    auto g = person();
    g.precedence = v;
    auto d = may_auto_reply(g);
    EXPECT_FALSE(d.allowed) << v;
    EXPECT_NE(d.reason.find("Precedence"), std::string::npos) << d.reason;
  }
}

TEST(LoopGuard, NoReplyMailboxesInAnySpellingAreNotAnswered) {
  for (const char* from : {"no_reply@bot.com", "No.Reply@bot.com", "noreply+x@bot.com",
                           "do_not_reply@bot.com", "Do-Not-Reply@bot.com", "no-reply-aws@amazon.com",
                           "notifications-noreply@remote.example", "billing_do_not_reply@bank.example"}) {
    auto f = person();
    f.from = from;
    EXPECT_FALSE(may_auto_reply(f).allowed) << from;
  }
  for (const char* person_address : {"noreen@example.org", "replyno@example.org", "snorey@example.org"}) {
    auto f = person();
    f.from = person_address;
    EXPECT_TRUE(may_auto_reply(f).allowed) << person_address;
  }
}

// X-Auto-Response-Suppress: All or AutoReply (other help desks and notification systems
// send it, often with no Auto-Submitted) is honoured; other values ask about other answers.
TEST(LoopGuard, AMailAskingForNoAutomaticAnswersIsNotConfirmed) {
  for (const char* v : {"All", "all", "AutoReply", "DR, OOF, AutoReply", " oof ,  ALL "}) {
    EXPECT_TRUE(suppresses_auto_replies(v)) << v;
  }
  for (const char* v : {"", "OOF", "DR, NDR, RN, NRN", "Allx", "NoAutoReply"}) {
    EXPECT_FALSE(suppresses_auto_replies(v)) << v;
  }
  auto f = person();
  f.auto_replies_suppressed = true;
  auto d = may_auto_reply(f);
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.find("X-Auto-Response-Suppress"), std::string::npos) << d.reason;
}

// Plus-addressing of one of ours is still ours (support+x@ reaches support@).
TEST(LoopGuard, OurSubAddressesAreOurs) {
  for (const char* from : {"support+x@corp.example", "Support+Test@Corp.Example"}) {
    auto f = person();
    f.from = from;
    auto d = may_auto_reply(f);
    EXPECT_FALSE(d.allowed) << from;
    EXPECT_NE(d.reason.find("our own addresses"), std::string::npos) << d.reason;
  }
  EXPECT_TRUE(is_our_address("<support+a@corp.example>", {"support@corp.example"}));
  EXPECT_TRUE(is_our_address("support@corp.example", {"support+cases@corp.example"}));
  EXPECT_FALSE(is_our_address("supporter@corp.example", {"support@corp.example"}));
  EXPECT_FALSE(is_our_address("support@corp.example.evil", {"support@corp.example"}));
  EXPECT_FALSE(is_our_address("", {""}));
}

}  // namespace
}  // namespace mailcase::outbound

// RFC 3834 rules for automatic replies, and the per-sender rate limit.
#include "outbound/loop_guard.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace mailcase::outbound

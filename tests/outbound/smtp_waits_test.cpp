// The SMTP sender's waits, as pure decisions: which line ends a reply, which wait a reply
// starts, and when a wait has passed its bound (RFC 5321 4.5.3.2's by default).
#include "outbound/smtp_waits.h"

#include <gtest/gtest.h>

namespace mailcase::outbound {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

TEST(SmtpWaitDecisions, OnlyALineWithACodeAndNoDashEndsAReply) {
  EXPECT_EQ(reply_end_code("250 2.0.0 Ok: queued as 12345\r\n"), 250);
  EXPECT_EQ(reply_end_code("354"), 354);
  EXPECT_EQ(reply_end_code("421 4.4.2 timeout"), 421);
  EXPECT_EQ(reply_end_code("250-PIPELINING\r\n"), std::nullopt);
  EXPECT_EQ(reply_end_code("25"), std::nullopt);
  EXPECT_EQ(reply_end_code("ok 250"), std::nullopt);
  EXPECT_EQ(reply_end_code(""), std::nullopt);
}

TEST(SmtpWaitDecisions, TheEndOfDatasReplyLeadsToQuitAndARepliesDuringTheDataStartNoWait) {
  EXPECT_EQ(wait_after_reply(SmtpPhase::kConnect), SmtpPhase::kReply) << "the greeting";
  EXPECT_EQ(wait_after_reply(SmtpPhase::kReply), SmtpPhase::kReply) << "the next command's";
  EXPECT_EQ(wait_after_reply(SmtpPhase::kDataEnd), SmtpPhase::kQuit);
  EXPECT_EQ(wait_after_reply(SmtpPhase::kData), std::nullopt);
  EXPECT_EQ(wait_after_reply(SmtpPhase::kQuit), std::nullopt);
}

TEST(SmtpWaitDecisions, EachPhaseHasTheRfcsBoundByDefault) {
  const SmtpTimeouts rfc;
  EXPECT_EQ(overdue(SmtpPhase::kReply, minutes(5), rfc), "");
  EXPECT_EQ(overdue(SmtpPhase::kReply, minutes(5) + milliseconds(1), rfc),
            "no reply from the SMTP server within 300 s");
  EXPECT_EQ(overdue(SmtpPhase::kData, minutes(3), rfc), "");
  EXPECT_NE(overdue(SmtpPhase::kData, minutes(4), rfc), "");
  // The end of data waits 10 minutes: a relay accepting after 2 is no failure (no retry,
  // no second copy for the customer).
  EXPECT_EQ(overdue(SmtpPhase::kDataEnd, minutes(9), rfc), "");
  EXPECT_EQ(overdue(SmtpPhase::kDataEnd, minutes(11), rfc),
            "no reply from the SMTP server to the end of the mail within 600 s");
  EXPECT_EQ(overdue(SmtpPhase::kQuit, milliseconds(5001), rfc),
            "no reply from the SMTP server to QUIT within 5 s");
  SmtpTimeouts short_ones;
  short_ones.connect = milliseconds(1500);
  EXPECT_EQ(overdue(SmtpPhase::kConnect, milliseconds(1501), short_ones),
            "no connection to the SMTP server within 1500 ms");
}

}  // namespace
}  // namespace mailcase::outbound

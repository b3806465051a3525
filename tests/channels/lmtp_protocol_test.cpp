// lmtp::Protocol, line by line, without a socket: the replies a client reads for the
// bytes it sends, in any split, and the mails handed over to be committed.
#include "channels/lmtp_protocol.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "channels/byte_budget.h"

namespace mailcase::channels::lmtp {
namespace {

Limits test_limits() {
  Limits l;
  l.hostname = "lmtp.example";
  l.max_size = 1000;
  l.max_recipients = 3;
  l.max_line_bytes = 200;
  return l;
}

ingest::Outcome created(std::string case_number) {
  ingest::Outcome o;
  o.kind = ingest::OutcomeKind::kCreated;
  o.case_number = std::move(case_number);
  return o;
}

// The owner's side: answers each question as configured, keeps the mails it was
// handed, and returns what the machine wrote.
class Session {
 public:
  explicit Session(Limits limits = test_limits(), Hold hold = {}, Hold wait_hold = {})
      : p(std::move(limits), std::move(hold), std::move(wait_hold)) {}

  std::string greeting() { return p.take_output(); }
  // Feeds the bytes, answers every question they raise, returns the replies.
  std::string send(std::string_view bytes) {
    p.feed(bytes);
    settle();
    return p.take_output();
  }
  // Feeds one byte at a time.
  std::string trickle(std::string_view bytes) {
    std::string out;
    for (char ch : bytes) out += send(std::string_view(&ch, 1));
    return out;
  }
  void settle() {
    while (true) {
      if (p.need() == Need::kRecipientCheck) {
        checked.push_back(p.recipient());
        p.recipient_checked(accepts(p.recipient()));
      } else if (p.need() == Need::kMailOutcome) {
        mails.push_back(p.mail());
        p.mail_done(outcome);
      } else {
        return;
      }
    }
  }

  Protocol p;
  std::function<bool(const std::string&)> accepts = [](const std::string& a) {
    return a.find("nobody") == std::string::npos;
  };
  Result<ingest::Outcome> outcome = created("C-7");
  std::vector<std::string> checked;
  std::vector<Mail> mails;
};

const std::string kLhloReply =
    "250-lmtp.example\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-SIZE 1000\r\n"
    "250 OK\r\n";

// A session after LHLO and MAIL FROM:<anna@example.org>.
Session in_transaction() {
  Session s;
  s.greeting();
  s.send("LHLO mta.example\r\n");
  s.send("MAIL FROM:<anna@example.org>\r\n");
  return s;
}

TEST(LmtpProtocol, GreetsAndAnswersLhloWithItsCapabilities) {
  Session s;
  EXPECT_EQ(s.greeting(), "220 lmtp.example LMTP mailcase ready\r\n");
  EXPECT_EQ(s.p.need(), Need::kInput);
  EXPECT_EQ(s.send("LHLO mta.example\r\n"), kLhloReply);
  EXPECT_EQ(s.send("lhlo mta.example\r\n"), kLhloReply) << "commands are case-insensitive";
  EXPECT_EQ(s.send("NOOP\r\n"), "250 2.0.0 OK\r\n");
  EXPECT_EQ(s.send("VRFY anna\r\n"), "252 2.5.0 cannot verify, send it\r\n");
}

TEST(LmtpProtocol, AWholeTransactionHandsOverOneMailAndAnswersEachRecipient) {
  Session s;
  s.greeting();
  EXPECT_EQ(s.send("LHLO mta.example\r\n"), kLhloReply);
  EXPECT_EQ(s.send("MAIL FROM:<anna@example.org> BODY=8BITMIME\r\n"), "250 2.1.0 OK\r\n");
  EXPECT_EQ(s.send("RCPT TO:<support@corp.example>\r\n"), "250 2.1.5 OK\r\n");
  EXPECT_EQ(s.send("RCPT TO:<sales@corp.example>\r\n"), "250 2.1.5 OK\r\n");
  EXPECT_EQ(s.send("DATA\r\n"), "354 2.0.0 end data with <CR><LF>.<CR><LF>\r\n");
  EXPECT_TRUE(s.p.in_data());
  EXPECT_EQ(s.send("Subject: printer\r\n"), "");
  EXPECT_EQ(s.send("\r\n"), "");
  EXPECT_EQ(s.send("It does not print.\r\n"), "");
  EXPECT_TRUE(s.mails.empty()) << "nothing is handed over before the final dot";
  EXPECT_EQ(s.send(".\r\n"),
            "250 2.0.0 <support@corp.example> created C-7\r\n"
            "250 2.0.0 <sales@corp.example> created C-7\r\n");
  EXPECT_FALSE(s.p.in_data());
  ASSERT_EQ(s.mails.size(), 1u);
  EXPECT_EQ(s.mails[0].sender, "anna@example.org");
  EXPECT_EQ(s.mails[0].recipients, (std::vector<std::string>{"support@corp.example", "sales@corp.example"}));
  EXPECT_EQ(s.mails[0].data, "Subject: printer\r\n\r\nIt does not print.\r\n");
  EXPECT_EQ(s.mails[0].size, s.mails[0].data.size());
  EXPECT_FALSE(s.mails[0].too_big);
  // The transaction is over: a new one needs MAIL first.
  EXPECT_EQ(s.send("RCPT TO:<support@corp.example>\r\n"), "503 5.5.1 MAIL first\r\n");
  EXPECT_EQ(s.send("QUIT\r\n"), "221 2.0.0 bye\r\n");
  EXPECT_TRUE(s.p.closed());
}

TEST(LmtpProtocol, TheNullSenderIsKeptEmpty) {
  Session s = in_transaction();
  EXPECT_EQ(s.send("RSET\r\nMAIL FROM:<>\r\nRCPT TO:<support@corp.example>\r\nDATA\r\nhi\r\n.\r\n"),
            "250 2.0.0 OK\r\n250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 2.0.0 end data with <CR><LF>.<CR><LF>\r\n"
            "250 2.0.0 <support@corp.example> created C-7\r\n");
  ASSERT_EQ(s.mails.size(), 1u);
  EXPECT_EQ(s.mails[0].sender, "");
}

const std::string kTwoMailsPipelined =
    "LHLO mta.example\r\nMAIL FROM:<anna@example.org>\r\nRCPT TO:<support@corp.example>\r\n"
    "RCPT TO:<nobody@corp.example>\r\nDATA\r\nSubject: one\r\n\r\nfirst\r\n.\r\n"
    "MAIL FROM:<bob@example.org>\r\nRCPT TO:<sales@corp.example>\r\nDATA\r\nSubject: "
    "two\r\n\r\nsecond\r\n.\r\n"
    "QUIT\r\n";
const std::string kTwoMailsReplies =
    kLhloReply +
    "250 2.1.0 OK\r\n250 2.1.5 OK\r\n550 5.1.1 <nobody@corp.example>: not a support address here\r\n"
    "354 2.0.0 end data with <CR><LF>.<CR><LF>\r\n250 2.0.0 <support@corp.example> created C-7\r\n"
    "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 2.0.0 end data with <CR><LF>.<CR><LF>\r\n"
    "250 2.0.0 <sales@corp.example> created C-7\r\n221 2.0.0 bye\r\n";

TEST(LmtpProtocol, PipelinedCommandsInOneFeedAreAnsweredInOrder) {
  Session s;
  s.greeting();
  EXPECT_EQ(s.send(kTwoMailsPipelined), kTwoMailsReplies);
  ASSERT_EQ(s.mails.size(), 2u);
  EXPECT_EQ(s.mails[0].recipients, std::vector<std::string>{"support@corp.example"});
  EXPECT_EQ(s.mails[0].data, "Subject: one\r\n\r\nfirst\r\n");
  EXPECT_EQ(s.mails[1].sender, "bob@example.org");
  EXPECT_EQ(s.mails[1].data, "Subject: two\r\n\r\nsecond\r\n");
  EXPECT_TRUE(s.p.closed());
}

TEST(LmtpProtocol, ThePipelinedRepliesAreDueTogetherOnceTheRecipientsAreChecked) {
  Session s = in_transaction();
  s.p.feed("RCPT TO:<support@corp.example>\r\nRCPT TO:<other@corp.example>\r\nDATA\r\n");
  EXPECT_FALSE(s.p.replies_due()) << "a recipient's check waits for nothing";
  s.p.recipient_checked(true);
  EXPECT_FALSE(s.p.replies_due());
  s.p.recipient_checked(false);
  ASSERT_EQ(s.p.need(), Need::kInput);
  EXPECT_TRUE(s.p.replies_due()) << "before the read of the data";
  EXPECT_EQ(s.p.take_output(),
            "250 2.1.5 OK\r\n550 5.1.1 <other@corp.example>: not a support address here\r\n"
            "354 2.0.0 end data with <CR><LF>.<CR><LF>\r\n");
  s.p.feed("hi\r\n.\r\n");
  EXPECT_TRUE(s.p.replies_due()) << "before the commit";
}

TEST(LmtpProtocol, APendingQuestionHoldsBackTheCommandsBehindIt) {
  Session s = in_transaction();
  s.p.feed("RCPT TO:<support@corp.example>\r\nNOOP\r\n");
  EXPECT_EQ(s.p.need(), Need::kRecipientCheck);
  EXPECT_EQ(s.p.recipient(), "support@corp.example");
  EXPECT_EQ(s.p.take_output(), "") << "the NOOP waits for the RCPT's answer";
  s.p.recipient_checked(true);
  EXPECT_EQ(s.p.take_output(), "250 2.1.5 OK\r\n250 2.0.0 OK\r\n");
  s.p.feed("DATA\r\nhi\r\n.\r\nNOOP\r\n");
  EXPECT_EQ(s.p.need(), Need::kMailOutcome);
  EXPECT_EQ(s.p.take_output(), "354 2.0.0 end data with <CR><LF>.<CR><LF>\r\n");
  s.p.mail_done(created("C-8"));
  EXPECT_EQ(s.p.take_output(), "250 2.0.0 <support@corp.example> created C-8\r\n250 2.0.0 OK\r\n");
}

TEST(LmtpProtocol, ACommandSplitAcrossManyFeedsIsAnsweredOnceWhole) {
  Session s;
  s.greeting();
  EXPECT_EQ(s.send("LH"), "");
  EXPECT_EQ(s.send("LO mta.exa"), "");
  EXPECT_EQ(s.send("mple\r"), "") << "no answer before the line's LF";
  EXPECT_EQ(s.send("\n"), kLhloReply);
  // A whole session byte by byte reads exactly as one feed.
  Session bytewise;
  bytewise.greeting();
  EXPECT_EQ(bytewise.trickle(kTwoMailsPipelined), kTwoMailsReplies);
  ASSERT_EQ(bytewise.mails.size(), 2u);
  EXPECT_EQ(bytewise.mails[1].data, "Subject: two\r\n\r\nsecond\r\n");
}

TEST(LmtpProtocol, ACommandLineOverTheLimitGets500AndEndsTheSession) {
  Session s;
  s.greeting();
  // Exactly at the limit (CR LF not counted) is still a line.
  EXPECT_EQ(s.send(std::string(200, 'x') + "\r\n"), "500 5.5.2 command not recognised\r\n");
  EXPECT_FALSE(s.p.closed());
  EXPECT_EQ(s.send(std::string(201, 'x') + "\r\n"), "500 5.5.2 line too long\r\n");
  EXPECT_TRUE(s.p.closed());
  EXPECT_EQ(s.send("NOOP\r\n"), "") << "nothing is read after the end";
}

TEST(LmtpProtocol, ALineOverTheLimitEndsTheSessionBeforeItsEndArrives) {
  Session s;
  s.greeting();
  // The client never sends LF: the machine does not wait for one to refuse.
  EXPECT_EQ(s.trickle(std::string(300, 'x')), "500 5.5.2 line too long\r\n");
  EXPECT_TRUE(s.p.closed());
}

// A line of a mail longer than max_line_bytes is the mail's content, not a reason to
// end the session: a 421 left the MTA sending a mail that was never recorded for ever.
// Whether it arrives in one feed or byte by byte, it is kept whole, dot-stuffing
// undone only at the start of the line, and its mail is answered.
TEST(LmtpProtocol, ADataLineOverTheLimitIsKeptWholeInAnySplit) {
  const std::string longline = std::string(450, 'y');
  const std::string stuffed = "..a" + std::string(300, 'z');  // dot-stuffed, over the limit
  const std::string data = "Subject: x\r\n" + longline + "\r\n" + stuffed + "\r\n" + "tail\r\n";
  for (int how = 0; how < 2; ++how) {
    Session s = in_transaction();
    s.send("RCPT TO:<support@corp.example>\r\nDATA\r\n");
    const std::string in = data + ".\r\n";
    EXPECT_EQ(how == 0 ? s.send(in) : s.trickle(in), "250 2.0.0 <support@corp.example> created C-7\r\n")
        << how;
    EXPECT_FALSE(s.p.closed()) << how;
    ASSERT_EQ(s.mails.size(), 1u) << how;
    EXPECT_EQ(s.mails[0].data, "Subject: x\r\n" + longline + "\r\n" + stuffed.substr(1) + "\r\ntail\r\n")
        << how;
    EXPECT_EQ(s.mails[0].size, s.mails[0].data.size()) << how;
    EXPECT_EQ(s.send("NOOP\r\n"), "250 2.0.0 OK\r\n") << how << ": the session goes on";
  }
}

// A long line counts toward the mail's size: past max_size the mail gets 552 and only
// its head is kept, as for any mail too big.
TEST(LmtpProtocol, ADataLineLongerThanTheMailsLimitMakesTheMailTooBig) {
  Session s = in_transaction();
  s.send("RCPT TO:<support@corp.example>\r\nDATA\r\n");
  std::string out = s.trickle("Subject: x\r\n" + std::string(5000, 'y') + "\r\n.\r\n");
  EXPECT_EQ(out.substr(0, 4), "552 ") << out;
  ASSERT_EQ(s.mails.size(), 1u);
  EXPECT_TRUE(s.mails[0].too_big);
  EXPECT_EQ(s.mails[0].size, 5014u);
  EXPECT_LE(s.mails[0].data.size(), 1000u);
}

TEST(LmtpProtocol, UnknownCommandsGet500) {
  Session s;
  s.greeting();
  EXPECT_EQ(s.send("HELO mta.example\r\n"), "500 5.5.1 this is LMTP: use LHLO\r\n");
  EXPECT_EQ(s.send("EHLO mta.example\r\n"), "500 5.5.1 this is LMTP: use LHLO\r\n");
  EXPECT_EQ(s.send("STARTTLS\r\n"), "500 5.5.2 command not recognised\r\n");
  EXPECT_EQ(s.send("\r\n"), "500 5.5.2 command not recognised\r\n");
  EXPECT_EQ(s.send("DATA now\r\n"), "500 5.5.2 command not recognised\r\n");
  EXPECT_FALSE(s.p.closed());
}

TEST(LmtpProtocol, CommandsOutOfSequenceGet503) {
  Session s;
  s.greeting();
  EXPECT_EQ(s.send("MAIL FROM:<anna@example.org>\r\n"), "503 5.5.1 LHLO first\r\n");
  s.send("LHLO mta.example\r\n");
  EXPECT_EQ(s.send("RCPT TO:<support@corp.example>\r\n"), "503 5.5.1 MAIL first\r\n");
  EXPECT_EQ(s.send("DATA\r\n"), "503 5.5.1 no valid recipients\r\n");
  EXPECT_EQ(s.send("MAIL FROM:<anna@example.org>\r\n"), "250 2.1.0 OK\r\n");
  EXPECT_EQ(s.send("DATA\r\n"), "503 5.5.1 no valid recipients\r\n");
  EXPECT_EQ(s.send("RCPT TO:<nobody@corp.example>\r\n"),
            "550 5.1.1 <nobody@corp.example>: not a support address here\r\n");
  EXPECT_EQ(s.send("DATA\r\n"), "503 5.5.1 no valid recipients\r\n") << "only refused recipients";
  EXPECT_FALSE(s.p.in_data());
  EXPECT_TRUE(s.mails.empty());
}

// A second MAIL inside a transaction is refused, and the transaction goes on as it was:
// the recipients already taken are not dropped without a word.
TEST(LmtpProtocol, ASecondMailInsideATransactionGets503AndKeepsTheFirst) {
  Session s;
  s.greeting();
  s.send("LHLO mta.example\r\n");
  EXPECT_EQ(s.send("MAIL FROM:<anna@example.org>\r\n"), "250 2.1.0 OK\r\n");
  EXPECT_EQ(s.send("RCPT TO:<support@corp.example>\r\n"), "250 2.1.5 OK\r\n");
  EXPECT_EQ(s.send("MAIL FROM:<eve@example.net>\r\n"), "503 5.5.1 nested MAIL command: RSET first\r\n");
  s.send("DATA\r\n");
  s.send("Subject: hi\r\n\r\nhello\r\n.\r\n");
  ASSERT_EQ(s.mails.size(), 1u);
  EXPECT_EQ(s.mails[0].sender, "anna@example.org");
  EXPECT_EQ(s.mails[0].recipients, std::vector<std::string>{"support@corp.example"});
  // After RSET, a new transaction starts.
  EXPECT_EQ(s.send("RSET\r\n"), "250 2.0.0 OK\r\n");
  EXPECT_EQ(s.send("MAIL FROM:<bob@example.org>\r\n"), "250 2.1.0 OK\r\n");
}

TEST(LmtpProtocol, ADeclaredSizeOverTheLimitGets552) {
  Session s;
  s.greeting();
  s.send("LHLO mta.example\r\n");
  EXPECT_EQ(s.send("MAIL FROM:<anna@example.org> SIZE=1001\r\n"),
            "552 5.3.4 message larger than 1000 bytes\r\n");
  EXPECT_EQ(s.send("RCPT TO:<support@corp.example>\r\n"), "503 5.5.1 MAIL first\r\n")
      << "no transaction began";
  EXPECT_EQ(s.send("MAIL FROM:<anna@example.org> size=1000\r\n"), "250 2.1.0 OK\r\n");
  s.send("RSET\r\n");
  EXPECT_EQ(s.send("MAIL FROM:<anna@example.org> BODY=8BITMIME SIZE=99999999999999999999\r\n"),
            "552 5.3.4 message larger than 1000 bytes\r\n");
}

TEST(LmtpProtocol, RecipientsPastTheMaximumGet452AndAreNotAsked) {
  Session s = in_transaction();
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(s.send("RCPT TO:<support" + std::to_string(i) + "@corp.example>\r\n"), "250 2.1.5 OK\r\n") << i;
  EXPECT_EQ(s.send("RCPT TO:<support3@corp.example>\r\n"),
            "452 4.5.3 too many recipients (at most 3 per mail), send the rest again\r\n");
  EXPECT_EQ(s.checked.size(), 3u) << "the fourth is refused before any lookup";
  EXPECT_EQ(s.send("DATA\r\nhi\r\n.\r\n"),
            "354 2.0.0 end data with <CR><LF>.<CR><LF>\r\n"
            "250 2.0.0 <support0@corp.example> created C-7\r\n"
            "250 2.0.0 <support1@corp.example> created C-7\r\n"
            "250 2.0.0 <support2@corp.example> created C-7\r\n");
}

TEST(LmtpProtocol, DataIsDotUnstuffedAndOnlyALoneDotEndsIt) {
  Session s = in_transaction();
  s.send("RCPT TO:<support@corp.example>\r\nDATA\r\n");
  EXPECT_EQ(s.send("..leading dot\r\n"
                   "...two\r\n"
                   "a line ending in a dot.\r\n"
                   " .\r\n"
                   ". \r\n"
                   ".x\r\n"
                   "..\r\n"),
            "");
  EXPECT_TRUE(s.p.in_data());
  EXPECT_NE(s.send(".\r\n"), "");
  ASSERT_EQ(s.mails.size(), 1u);
  EXPECT_EQ(s.mails[0].data,
            ".leading dot\r\n"
            "..two\r\n"
            "a line ending in a dot.\r\n"
            " .\r\n"
            " \r\n"
            "x\r\n"
            ".\r\n");
}

TEST(LmtpProtocol, RsetMidTransactionForgetsItsEnvelope) {
  Session s = in_transaction();
  EXPECT_EQ(s.send("RCPT TO:<support@corp.example>\r\n"), "250 2.1.5 OK\r\n");
  EXPECT_EQ(s.send("RSET\r\n"), "250 2.0.0 OK\r\n");
  EXPECT_EQ(s.send("DATA\r\n"), "503 5.5.1 no valid recipients\r\n");
  EXPECT_EQ(s.send("RCPT TO:<support@corp.example>\r\n"), "503 5.5.1 MAIL first\r\n");
  EXPECT_EQ(s.send("MAIL FROM:<bob@example.org>\r\nRCPT TO:<sales@corp.example>\r\nDATA\r\nhi\r\n.\r\n"),
            "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 2.0.0 end data with <CR><LF>.<CR><LF>\r\n"
            "250 2.0.0 <sales@corp.example> created C-7\r\n");
  ASSERT_EQ(s.mails.size(), 1u);
  EXPECT_EQ(s.mails[0].sender, "bob@example.org");
  EXPECT_EQ(s.mails[0].recipients, std::vector<std::string>{"sales@corp.example"});
}

TEST(LmtpProtocol, AMailOverTheLimitKeepsItsHeadAndEveryRecipientGets552) {
  Limits l = test_limits();
  l.max_size = 100;  // the head kept is the whole limit (under 64 KiB)
  Session s(l);
  s.greeting();
  s.send("LHLO mta.example\r\nMAIL FROM:<anna@example.org>\r\n");
  s.send("RCPT TO:<support@corp.example>\r\nRCPT TO:<sales@corp.example>\r\nDATA\r\n");
  std::string body;
  for (int i = 0; i < 10; ++i) body += "line " + std::to_string(i) + " 0123456789012345678901234\r\n";
  ASSERT_GT(body.size(), 300u);
  const std::string replies = s.send(body + ".\r\n");
  const std::string each =
      "message of " + std::to_string(body.size()) + " bytes is larger than 100 bytes\r\n";
  EXPECT_EQ(replies, "552 5.3.4 <support@corp.example> " + each + "552 5.3.4 <sales@corp.example> " + each)
      << "refused although the head was recorded";
  ASSERT_EQ(s.mails.size(), 1u);
  EXPECT_TRUE(s.mails[0].too_big);
  EXPECT_EQ(s.mails[0].size, body.size());
  EXPECT_LE(s.mails[0].data.size(), 100u);
  EXPECT_EQ(s.mails[0].data, body.substr(0, s.mails[0].data.size()));
  // The session goes on.
  EXPECT_EQ(s.send("NOOP\r\n"), "250 2.0.0 OK\r\n");
}

TEST(LmtpProtocol, AMailExactlyAtTheLimitIsTaken) {
  Limits l = test_limits();
  l.max_size = 10;
  Session s(l);
  s.greeting();
  s.send("LHLO mta.example\r\nMAIL FROM:<anna@example.org>\r\nRCPT TO:<support@corp.example>\r\nDATA\r\n");
  EXPECT_EQ(s.send("12345678\r\n.\r\n"), "250 2.0.0 <support@corp.example> created C-7\r\n");
  ASSERT_EQ(s.mails.size(), 1u);
  EXPECT_FALSE(s.mails[0].too_big);
}

TEST(LmtpProtocol, AFailedCommitGets451ForEachRecipient) {
  Session s = in_transaction();
  s.outcome = fail(ErrorCode::kTemporary, "database is locked");
  s.send("RCPT TO:<support@corp.example>\r\nRCPT TO:<sales@corp.example>\r\nDATA\r\n");
  EXPECT_EQ(s.send("hi\r\n.\r\n"),
            "451 4.3.0 <support@corp.example> not recorded, try again later\r\n"
            "451 4.3.0 <sales@corp.example> not recorded, try again later\r\n");
}

TEST(LmtpProtocol, BareLfEndsALineAndNulBytesPassThroughData) {
  Session s;
  s.greeting();
  EXPECT_EQ(s.send("LHLO mta.example\nMAIL FROM:<anna@example.org>\n"), kLhloReply + "250 2.1.0 OK\r\n");
  EXPECT_EQ(s.send(std::string("NOOP\0\r\n", 7)), "500 5.5.2 command not recognised\r\n");
  s.send("RCPT TO:<support@corp.example>\nDATA\n");
  const std::string with_nul("a\0b\r\n", 5);
  EXPECT_EQ(s.send("bare\nlf\r\n" + with_nul + "lone\rcr\r\n.\r\n"),
            "250 2.0.0 <support@corp.example> created C-7\r\n");
  ASSERT_EQ(s.mails.size(), 1u);
  EXPECT_EQ(s.mails[0].data, "bare\r\nlf\r\n" + with_nul + "lone\rcr\r\n");
}

// A relay that takes a bare LF for content passes "\n.\n" on as it came. Were that the
// end of the mail, its sender could write a second mail, envelope and all, into the
// first one's DATA (SMTP smuggling). Only CR LF "." CR LF ends a mail.
TEST(LmtpProtocol, OnlyCrLfDotCrLfEndsTheData) {
  for (const std::string end : {"\n.\n", "\n.\r\n", "\r\n.\n"}) {
    Session s = in_transaction();
    s.send("RCPT TO:<support@corp.example>\r\nDATA\r\n");
    const std::string smuggled =
        "MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<support@corp.example>\r\nDATA\r\n"
        "Authentication-Results: mx.corp.example; dmarc=pass\r\n\r\nPay now.\r\n";
    EXPECT_EQ(s.send("Subject: first\r\n\r\nhi" + end + smuggled + ".\r\n"),
              "250 2.0.0 <support@corp.example> created C-7\r\n");
    ASSERT_EQ(s.mails.size(), 1u);
    EXPECT_EQ(s.mails[0].sender, "anna@example.org");
    EXPECT_EQ(s.mails[0].data, "Subject: first\r\n\r\nhi\r\n.\r\n" + smuggled);
  }
}

TEST(LmtpProtocol, QuitEndsTheSessionAndWhatFollowsIsIgnored) {
  Session s;
  s.greeting();
  EXPECT_EQ(s.send("NOOP\r\nQUIT\r\nNOOP\r\n"), "250 2.0.0 OK\r\n221 2.0.0 bye\r\n");
  EXPECT_TRUE(s.p.closed());
  EXPECT_EQ(s.p.need(), Need::kNothing);
  EXPECT_EQ(s.send("NOOP\r\n"), "");
}

TEST(LmtpProtocol, ASessionEndedByTheServerSaysWhyAndHandsNothingOver) {
  {
    Session s = in_transaction();
    s.send("RCPT TO:<support@corp.example>\r\nDATA\r\nSubject: unfinished\r\n");
    s.p.end(LineEnd::kTimedOut);
    EXPECT_EQ(s.p.take_output(), "421 4.4.2 lmtp.example timeout, closing the connection\r\n");
    EXPECT_TRUE(s.p.closed());
    EXPECT_TRUE(s.mails.empty());
  }
  {
    Session s;
    s.greeting();
    s.p.end(LineEnd::kStopped);
    EXPECT_EQ(s.p.take_output(), "421 4.3.2 lmtp.example shutting down\r\n");
  }
  {
    Session s;
    s.greeting();
    s.p.end(LineEnd::kClosed);
    EXPECT_EQ(s.p.take_output(), "") << "nobody is left to read it";
    EXPECT_TRUE(s.p.closed());
  }
}

// A mail of `lines` lines of 100 bytes each (CR LF counted).
std::string body_of(int lines) {
  std::string body;
  for (int i = 0; i < lines; ++i) body += "line " + std::string(93, 'a' + i % 26) + "\r\n";
  return body;
}

Limits budget_limits() {
  Limits l = test_limits();
  l.max_size = 200000;
  return l;
}

// The server's budget for the mails all its sessions hold is spent: the DATA is read to
// its end, nothing of it is handed over, each recipient gets 452 (the MTA sends the mail
// again later), and the session goes on in step with its client.
TEST(LmtpProtocol, WhenTheBudgetIsSpentTheDataIsReadUnkeptAndEachRecipientGets452) {
  ByteBudget budget(64 * 1024);
  ByteBudget::Reservation other(budget);  // another session's mail
  ASSERT_TRUE(other.resize(60 * 1024));
  ByteBudget::Reservation mine(budget);
  Session s(budget_limits(), [&](uint64_t n) { return mine.resize(n); });
  s.greeting();
  s.send("LHLO mta.example\r\nMAIL FROM:<anna@example.org>\r\n");
  s.send("RCPT TO:<support@corp.example>\r\nRCPT TO:<sales@corp.example>\r\nDATA\r\n");
  const std::string body = body_of(30);
  EXPECT_EQ(s.send(body + ".\r\n"),
            "452 4.3.1 <support@corp.example> insufficient system storage, try again later\r\n"
            "452 4.3.1 <sales@corp.example> insufficient system storage, try again later\r\n");
  EXPECT_TRUE(s.mails.empty()) << "nothing to record";
  EXPECT_EQ(s.p.mails_refused_room(), 1u);
  EXPECT_EQ(budget.free(), 4u * 1024);
  EXPECT_FALSE(s.p.in_transaction());
  // Once the other mail is gone, the same mail sent again is taken whole.
  ASSERT_TRUE(other.resize(0));
  EXPECT_EQ(
      s.send("MAIL FROM:<anna@example.org>\r\nRCPT TO:<support@corp.example>\r\nDATA\r\n" + body + ".\r\n"),
      "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 2.0.0 end data with <CR><LF>.<CR><LF>\r\n"
      "250 2.0.0 <support@corp.example> created C-7\r\n");
  ASSERT_EQ(s.mails.size(), 1u);
  EXPECT_EQ(s.mails[0].data, body);
  EXPECT_EQ(s.p.mails_refused_room(), 1u);
  EXPECT_EQ(budget.free(), 64u * 1024) << "given back once answered";
}

// The last chance: when even the least the data needs is refused, the session asks once
// more, through the hold that may wait; granted, the mail is kept whole.
TEST(LmtpProtocol, ARefusedMailAsksOnceMoreThroughTheHoldThatMayWait) {
  ByteBudget budget(64 * 1024);
  ByteBudget::Reservation other(budget);
  ASSERT_TRUE(other.resize(60 * 1024));
  ByteBudget::Reservation mine(budget);
  std::vector<uint64_t> waited;
  Session s(
      budget_limits(), [&](uint64_t n) { return mine.resize(n); },
      [&](uint64_t n) {
        waited.push_back(n);
        other.resize(0);  // as another session's mail being committed meanwhile
        return mine.resize(n);
      });
  s.greeting();
  s.send("LHLO mta.example\r\nMAIL FROM:<anna@example.org>\r\nRCPT TO:<support@corp.example>\r\nDATA\r\n");
  const std::string body = body_of(30);
  EXPECT_EQ(s.send(body + ".\r\n"), "250 2.0.0 <support@corp.example> created C-7\r\n");
  ASSERT_EQ(s.mails.size(), 1u);
  EXPECT_EQ(s.mails[0].data, body);
  ASSERT_EQ(waited.size(), 1u) << "asked once, for the least it needed";
  EXPECT_EQ(s.p.mails_refused_room(), 0u);
}

TEST(ByteBudget, AWaitingReservationTakesWhatAnotherGivesBack) {
  ByteBudget budget(100);
  ByteBudget::Reservation other(budget), mine(budget);
  ASSERT_TRUE(other.resize(80));
  auto waiting =
      std::async(std::launch::async, [&] { return mine.resize_waiting(50, std::chrono::seconds(30)); });
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout) << "it waits";
  ASSERT_TRUE(other.resize(10));
  EXPECT_TRUE(waiting.get());
  EXPECT_EQ(mine.held(), 50u);
  EXPECT_EQ(budget.free(), 40u);
  // Nobody gives back: it waits its time, then fails holding what it held.
  EXPECT_FALSE(mine.resize_waiting(95, std::chrono::milliseconds(100)));
  EXPECT_EQ(mine.held(), 50u);
}

// Two mails growing at once, each waiting for the other's bytes, would both wait their
// time and both be refused: the one holding less gives way at once.
TEST(ByteBudget, OfTwoWaitingTheOneHoldingLessGivesWay) {
  ByteBudget budget(100);
  ByteBudget::Reservation big(budget), small(budget);
  ASSERT_TRUE(big.resize(60));
  ASSERT_TRUE(small.resize(40));
  auto waiting =
      std::async(std::launch::async, [&] { return big.resize_waiting(90, std::chrono::seconds(30)); });
  ASSERT_EQ(waiting.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(small.resize_waiting(70, std::chrono::seconds(30)));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20)) << "gave way, did not wait";
  ASSERT_TRUE(small.resize(0));  // its session gives its bytes back
  EXPECT_TRUE(waiting.get());
  EXPECT_EQ(big.held(), 90u);
  // And a larger one that comes to wait makes a smaller waiter give way.
  ByteBudget b2(100);
  ByteBudget::Reservation first(b2), second(b2);
  ASSERT_TRUE(first.resize(30));
  ASSERT_TRUE(second.resize(70));
  auto smaller =
      std::async(std::launch::async, [&] { return first.resize_waiting(50, std::chrono::seconds(30)); });
  ASSERT_EQ(smaller.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  auto larger =
      std::async(std::launch::async, [&] { return second.resize_waiting(90, std::chrono::seconds(30)); });
  EXPECT_FALSE(smaller.get());
  ASSERT_TRUE(first.resize(0));
  EXPECT_TRUE(larger.get());
}

// A mail grows its hold as its data grows, takes less when little is left, and is
// refused midway when even that is not to be had; one mail of max_size bytes always fits
// a budget of max_size.
TEST(LmtpProtocol, AMailHoldsNoMoreThanItsBudgetGrantsAndGivesItAllBack) {
  std::vector<uint64_t> asked;
  ByteBudget budget(50000);
  ByteBudget::Reservation mine(budget);
  Session s(budget_limits(), [&](uint64_t n) {
    asked.push_back(n);
    return mine.resize(n);
  });
  s.greeting();
  s.send("LHLO mta.example\r\nMAIL FROM:<anna@example.org>\r\nRCPT TO:<support@corp.example>\r\nDATA\r\n");
  s.send(body_of(480));  // 48,000 bytes: held in steps, the last one smaller
  EXPECT_LE(mine.held(), 50000u);
  EXPECT_GE(mine.held(), 48000u);
  EXPECT_EQ(s.send(body_of(100) + ".\r\n"),
            "452 4.3.1 <support@corp.example> insufficient system storage, try again later\r\n");
  EXPECT_EQ(mine.held(), 0u);
  EXPECT_EQ(asked.back(), 0u);
  for (uint64_t n : asked) EXPECT_LE(n, 200000u) << "never more than one mail of max_size";

  // A budget of max_size takes a mail of max_size.
  Limits l = budget_limits();
  l.max_size = 48000;
  ByteBudget exact(48000);
  ByteBudget::Reservation held(exact);
  Session t(l, [&](uint64_t n) { return held.resize(n); });
  t.greeting();
  t.send("LHLO mta.example\r\nMAIL FROM:<anna@example.org>\r\nRCPT TO:<support@corp.example>\r\nDATA\r\n");
  EXPECT_EQ(t.send(body_of(480) + ".\r\n"), "250 2.0.0 <support@corp.example> created C-7\r\n");
  ASSERT_EQ(t.mails.size(), 1u);
  EXPECT_EQ(t.mails[0].data.size(), 48000u);
  EXPECT_EQ(exact.free(), 48000u);
}

// However a DATA ends before its dot (the client gone, a deadline, the server's stop),
// what its mail held goes back to the budget.
TEST(LmtpProtocol, ADataEndedMidwayGivesBackWhatItHeld) {
  for (int how = 0; how < 3; ++how) {
    ByteBudget budget(100000);
    ByteBudget::Reservation mine(budget);
    Session s(budget_limits(), [&](uint64_t n) { return mine.resize(n); });
    s.greeting();
    s.send("LHLO mta.example\r\nMAIL FROM:<anna@example.org>\r\nRCPT TO:<support@corp.example>\r\n");
    s.send("DATA\r\n" + body_of(300));
    EXPECT_GT(mine.held(), 0u) << how;
    if (how == 0) {
      s.p.end(LineEnd::kClosed);
    } else if (how == 1) {
      s.p.end(LineEnd::kTimedOut);
    } else {
      s.send(std::string(300, 'x'));  // a line longer than the limit, under way
      s.p.end(LineEnd::kStopped);
    }
    EXPECT_TRUE(s.p.closed()) << how;
    EXPECT_EQ(mine.held(), 0u) << how;
    EXPECT_EQ(budget.free(), 100000u) << how;
    EXPECT_TRUE(s.mails.empty()) << how;
  }
}

// A mail over max_size is refused for good (552) even when the budget kept none of it:
// sending it again would not help.
TEST(LmtpProtocol, AMailOverTheLimitGets552EvenWhenTheBudgetKeptNoneOfIt) {
  Limits l = test_limits();  // max_size 1000
  Session s(l, [](uint64_t n) { return n == 0; });
  s.greeting();
  s.send("LHLO mta.example\r\nMAIL FROM:<anna@example.org>\r\nRCPT TO:<support@corp.example>\r\nDATA\r\n");
  const std::string body = body_of(15);
  EXPECT_EQ(s.send(body + ".\r\n"),
            "552 5.3.4 <support@corp.example> message of 1500 bytes is larger than 1000 bytes\r\n");
  ASSERT_EQ(s.mails.size(), 1u);
  EXPECT_TRUE(s.mails[0].too_big);
  EXPECT_EQ(s.mails[0].size, 1500u);
  EXPECT_EQ(s.mails[0].data, "");
}

}  // namespace
}  // namespace mailcase::channels::lmtp

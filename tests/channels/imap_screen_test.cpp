#include "channels/imap_screen.h"

#include <gtest/gtest.h>

#include <string>

namespace mailcase::channels {
namespace {

// Feeds `bytes` in pieces of `piece` bytes, taking whatever is ready after each; returns
// what passed. `screen` keeps its refusal, if any.
std::string pass(ImapReplyScreen& screen, const std::string& bytes, size_t piece = 1) {
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += piece) {
    screen.take(std::string_view(bytes).substr(i, piece));
    out += screen.ready();
    screen.consume(screen.ready().size());
  }
  return out;
}

const std::string kDovecotSelect =
    "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] Dovecot "
    "ready.\r\n"
    "1 OK [CAPABILITY IMAP4rev1 IDLE MOVE] Logged in\r\n"
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
    "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded Junk \\*)] Flags "
    "permitted.\r\n"
    "* 5 EXISTS\r\n* OK [UIDVALIDITY 1796157751] UIDs valid\r\n"
    "2 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n";

TEST(ImapReplyScreen, AServersUsualRepliesPassUnchangedInAnyPieces) {
  for (size_t piece : {1u, 7u, 4096u}) {
    ImapReplyScreen s(true);
    EXPECT_EQ(pass(s, kDovecotSelect, piece), kDovecotSelect) << piece;
    EXPECT_FALSE(s.refused()) << *s.refused();
  }
  ImapReplyScreen empty(false);
  const std::string read_only = "* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n3 OK [READ-ONLY] done\r\n";
  EXPECT_EQ(pass(empty, read_only), read_only);
  EXPECT_FALSE(empty.refused());
}

TEST(ImapReplyScreen, ALineIsHeldUntilItsEnd) {
  ImapReplyScreen s(false);
  s.take("* 3 EXISTS\r\n* OK [PERMANENTFLAGS (\\Seen");
  EXPECT_EQ(s.ready(), "* 3 EXISTS\r\n");
  s.consume(s.ready().size());
  s.take(")] ok\r\n");
  EXPECT_EQ(s.ready(), "* OK [PERMANENTFLAGS (\\Seen)] ok\r\n");
}

TEST(ImapReplyScreen, APermanentFlagsListHoldingNoFlagIsRefusedBeforeItPasses) {
  for (const std::string bad :
       {"* OK [PERMANENTFLAGS (%%)] x\r\n", "* OK [PERMANENTFLAGS (\x01\\Seen)] x\r\n",
        "2 OK [PERMANENTFLAGS (\\Seen caf\xc3\xa9)] x\r\n", "* OK [permanentflags (\\Seen \"x\")] x\r\n",
        "* OK [PERMANENTFLAGS (\r\n", "* NO [PERMANENTFLAGS \\Seen] x\r\n"}) {
    ImapReplyScreen s(false);
    const std::string passed = pass(s, "* 2 EXISTS\r\n" + bad + "* 3 EXISTS\r\n");
    EXPECT_EQ(passed, "* 2 EXISTS\r\n") << bad;
    ASSERT_TRUE(s.refused()) << bad;
    EXPECT_NE(s.refused()->find("PERMANENTFLAGS"), std::string::npos) << *s.refused();
  }
}

TEST(ImapReplyScreen, AGreetingWithAnotherCodeThanCapabilityOrALiteralIsRefused) {
  for (const std::string bad : {"* OK [PERMANENTFLAGS (\\Seen)] hello\r\n", "* OK [BADCHARSET (x)] hello\r\n",
                                "* PREAUTH [UIDVALIDITY 3] hi\r\n", "* OK {5}\r\nhello\r\n"}) {
    ImapReplyScreen s(true);
    EXPECT_EQ(pass(s, bad), "") << bad;
    EXPECT_TRUE(s.refused()) << bad;
  }
  for (const std::string good : {"* OK [ALERT] maintenance tonight\r\n", "* OK IMAP4rev1 ready\r\n",
                                 "* BYE too many connections\r\n"}) {
    ImapReplyScreen s(true);
    EXPECT_EQ(pass(s, good), good);
    EXPECT_FALSE(s.refused()) << good;
  }
  ImapReplyScreen later(false);  // after STARTTLS: no greeting
  EXPECT_EQ(pass(later, "* OK [UIDVALIDITY 3] ok\r\n"), "* OK [UIDVALIDITY 3] ok\r\n");
}

TEST(ImapReplyScreen, AnEmptyOrMalformedCapabilityListIsRefused) {
  for (const std::string bad :
       {"* OK [CAPABILITY] ready\r\n", "* OK [CAPABILITY IMAP4rev1 (x)] ready\r\n", "* CAPABILITY\r\n",
        "* CAPABILITY IMAP4rev1 caf\xc3\xa9\r\n", "* CAPABILITY IMAP4rev1 {3}\r\nabc\r\n"}) {
    ImapReplyScreen s(bad.find('[') != std::string::npos);
    EXPECT_EQ(pass(s, bad), "") << bad;
    ASSERT_TRUE(s.refused()) << bad;
    EXPECT_NE(s.refused()->find("CAPABILITY"), std::string::npos) << *s.refused();
  }
  for (const std::string good :
       {"* CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE\r\n", "* CAPABILITY IMAP4rev1  MOVE \r\n",
        "* capability IMAP4rev1\n", "2 OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] Logged in\r\n"}) {
    ImapReplyScreen s(false);
    EXPECT_EQ(pass(s, good), good);
    EXPECT_FALSE(s.refused()) << good << *s.refused();
  }
}

TEST(ImapReplyScreen, ALiteralPassesUnreadByItsSize) {
  // A mail whose lines look like refused replies is a literal's bytes: never judged.
  const std::string mail = "* OK [PERMANENTFLAGS (%%)] x\r\nSubject: hi\r\n";
  const std::string reply = "* 1 FETCH (UID 4 BODY[] {" + std::to_string(mail.size()) + "}\r\n" + mail +
                            " FLAGS (\\Seen))\r\n3 OK done\r\n";
  for (size_t piece : {1u, 5u, 8192u}) {
    ImapReplyScreen s(false);
    EXPECT_EQ(pass(s, reply, piece), reply) << piece;
    EXPECT_FALSE(s.refused());
  }
  ImapReplyScreen binary(false);
  const std::string b("* 1 FETCH (BINARY[] ~{3}\r\n\0\1\2)\r\n", 32);
  ASSERT_EQ(b.size(), 32u);
  EXPECT_EQ(pass(binary, b), b);
  EXPECT_FALSE(binary.refused());
}

TEST(ImapReplyScreen, AFetchNamingABodySectionNotAskedForIsRefused) {
  for (const std::string bad : {"* 1 FETCH (UID 4 BODY[HEADER.FI] {3}\r\nabc)\r\n",
                                "* 1 FETCH (UID 4 BODY[] {3}\r\nabc BODY[1] {3}\r\nxyz)\r\n"}) {
    ImapReplyScreen s(false);
    pass(s, bad);
    ASSERT_TRUE(s.refused()) << bad;
    EXPECT_NE(s.refused()->find("body section"), std::string::npos) << *s.refused();
  }
  // A mail's bytes (a literal) and other replies may say BODY[...] freely.
  const std::string ok = "* 1 FETCH (UID 4 BODY[]<0> {9}\r\nBODY[1.2]\r\n3 OK BODY[TEXT] done\r\n";
  ImapReplyScreen s(false);
  EXPECT_EQ(pass(s, ok), ok);
  EXPECT_FALSE(s.refused());
}

TEST(ImapReplyScreen, ALongLineFlowsOnOnceItsBeginningPassed) {
  std::string search = "* SEARCH";
  while (search.size() < 3 * ImapReplyScreen::kMaxHeldLine) search += " 123456";
  search += "\r\n";
  ImapReplyScreen s(false);
  s.take(search.substr(0, ImapReplyScreen::kMaxHeldLine + 10));
  EXPECT_EQ(s.ready().size(), ImapReplyScreen::kMaxHeldLine + 10) << "not held past the bound";
  s.consume(s.ready().size());
  s.take(search.substr(ImapReplyScreen::kMaxHeldLine + 10));
  EXPECT_EQ(s.ready(), search.substr(ImapReplyScreen::kMaxHeldLine + 10));
  // A PERMANENTFLAGS list not closed within the bound is refused.
  ImapReplyScreen p(false);
  std::string flags = "* OK [PERMANENTFLAGS (";
  while (flags.size() < ImapReplyScreen::kMaxHeldLine + 100) flags += "kw ";
  p.take(flags);
  EXPECT_EQ(p.ready(), "");
  EXPECT_TRUE(p.refused());
}

}  // namespace
}  // namespace mailcase::channels

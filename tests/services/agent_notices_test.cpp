// Who is told of an event by mail, and what the notice says: pure, no store.
#include "services/agent_notices.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mailcase::services {
namespace {

store::Agent agent(const std::string& email) {
  store::Agent a;
  a.name = "Agent " + email;
  a.email = email;
  return a;
}

std::vector<std::string> emails(const std::vector<store::Agent>& v) {
  std::vector<std::string> out;
  for (const auto& a : v) out.push_back(a.email);
  return out;
}

using Strings = std::vector<std::string>;

TEST(WhoIsTold, EveryActiveMemberOfTheQueueHearsOfANewCase) {
  NoticeFacts f;
  f.kind = NoticeKind::kNewCase;
  f.candidates = {agent("ann@corp.example"), agent("bob@corp.example")};
  EXPECT_EQ(emails(who_is_told(f)), (Strings{"ann@corp.example", "bob@corp.example"}));
}

TEST(WhoIsTold, InactiveAgentsGetNothing) {
  NoticeFacts f;
  f.candidates = {agent("ann@corp.example"), agent("bob@corp.example")};
  f.candidates[0].active = false;
  for (auto k : {NoticeKind::kNewCase, NoticeKind::kReply, NoticeKind::kAssigned}) {
    f.kind = k;
    EXPECT_EQ(emails(who_is_told(f)), (Strings{"bob@corp.example"})) << to_string(k);
  }
}

TEST(WhoIsTold, EachKindFollowsItsOwnSetting) {
  auto a = agent("ann@corp.example");
  a.notify_new_case = false;
  a.notify_reply = true;
  a.notify_assigned = false;
  NoticeFacts f;
  f.candidates = {a};
  f.kind = NoticeKind::kNewCase;
  EXPECT_TRUE(who_is_told(f).empty());
  f.kind = NoticeKind::kReply;
  EXPECT_EQ(emails(who_is_told(f)), (Strings{"ann@corp.example"}));
  f.kind = NoticeKind::kAssigned;
  EXPECT_TRUE(who_is_told(f).empty());
  a.notify_assigned = true;
  a.notify_reply = false;
  f.candidates = {a};
  EXPECT_EQ(emails(who_is_told(f)), (Strings{"ann@corp.example"}));
  f.kind = NoticeKind::kReply;
  EXPECT_TRUE(who_is_told(f).empty());
}

TEST(WhoIsTold, NobodyIsToldOfWhatTheyDidThemselvesWhateverTheLetterCase) {
  NoticeFacts f;
  f.kind = NoticeKind::kAssigned;
  f.candidates = {agent("ann@corp.example")};
  f.acting_agent = "Ann@Corp.Example";
  EXPECT_TRUE(who_is_told(f).empty()) << "a self-assignment is no news";
  f.acting_agent = "bob@corp.example";
  EXPECT_EQ(emails(who_is_told(f)), (Strings{"ann@corp.example"})) << "assigned by someone else";
  f.acting_agent.clear();
  EXPECT_EQ(emails(who_is_told(f)), (Strings{"ann@corp.example"})) << "assigned by the system or a rule";
}

TEST(WhoIsTold, NeverACustomersAddress) {
  NoticeFacts f;
  f.kind = NoticeKind::kReply;
  // An agent's address that is also the case's contact's, or a participant's.
  f.candidates = {agent("ann@corp.example"), agent("bob@corp.example")};
  f.customer_addresses = {"<ANN@corp.example>", "carol@example.org"};
  EXPECT_EQ(emails(who_is_told(f)), (Strings{"bob@corp.example"}));
}

TEST(WhoIsTold, EachAgentOnceAndNoEmptyAddress) {
  NoticeFacts f;
  f.kind = NoticeKind::kNewCase;
  f.candidates = {agent("ann@corp.example"), agent("Ann@corp.example"), agent("")};
  EXPECT_EQ(emails(who_is_told(f)), (Strings{"ann@corp.example"}));
}

store::Case a_case() {
  store::Case c;
  c.number = "CS0000042";
  c.subject = "Printer\r\nBcc: evil@example.net";
  c.queue = "Billing";
  return c;
}

TEST(NoticeText, SaysWhatHappenedWithNumberSubjectAndLink) {
  auto t = notice_text(NoticeKind::kNewCase, a_case(), "It does not print.",
                       console_case_link("https://help.example.com/", "CS0000042"));
  EXPECT_EQ(t.subject.find('\n'), std::string::npos) << "the subject is one line: " << t.subject;
  EXPECT_EQ(t.subject.find('\r'), std::string::npos);
  EXPECT_NE(t.subject.find("CS0000042"), std::string::npos) << t.subject;
  EXPECT_NE(t.subject.find("Billing"), std::string::npos) << t.subject;
  EXPECT_NE(t.body.find("It does not print."), std::string::npos) << t.body;
  EXPECT_NE(t.body.find("https://help.example.com/cases/CS0000042\n"), std::string::npos) << t.body;

  auto reply = notice_text(NoticeKind::kReply, a_case(), "Still broken.", "");
  EXPECT_NE(reply.subject.find("reply"), std::string::npos) << reply.subject;
  EXPECT_EQ(reply.body.find("http"), std::string::npos) << "no public_url, no link: " << reply.body;
  auto assigned = notice_text(NoticeKind::kAssigned, a_case(), "", "");
  EXPECT_NE(assigned.subject.find("assigned to you"), std::string::npos) << assigned.subject;
  EXPECT_EQ(assigned.body.find("The customer wrote"), std::string::npos) << assigned.body;
}

TEST(NoticeText, TheCustomersTextIsBoundedAndPlain) {
  std::string long_text = "\x1b[31mred\x07 ";
  while (long_text.size() < 3 * kMaxNoticeTextBytes) long_text += "zażółć ";
  auto t = notice_text(NoticeKind::kReply, a_case(), long_text, "");
  EXPECT_LT(t.body.size(), kMaxNoticeTextBytes + 1000) << "the quote is bounded";
  EXPECT_EQ(t.body.find('\x1b'), std::string::npos) << "no terminal escapes";
  EXPECT_EQ(t.body.find('\x07'), std::string::npos);
  EXPECT_NE(t.body.find("[…]"), std::string::npos) << "a cut quote says so";
  // Cut at a character: the text stays valid UTF-8 (no half of "ż").
  const auto start = t.body.find("red");
  const auto end = t.body.find("[…]");
  const std::string quote = t.body.substr(start, end - start);
  size_t i = 0;
  while (i < quote.size()) {
    const auto c = static_cast<unsigned char>(quote[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
    ASSERT_LE(i + len, quote.size()) << "a character cut in half at the end of the quote";
    for (size_t k = 1; k < len; ++k) ASSERT_EQ(static_cast<unsigned char>(quote[i + k]) >> 6, 2u);
    i += len;
  }
}

TEST(ConsoleCaseLink, UnderThePublicUrlOrNone) {
  EXPECT_EQ(console_case_link("", "CS0000001"), "");
  EXPECT_EQ(console_case_link("https://help.example.com", "CS0000001"),
            "https://help.example.com/cases/CS0000001");
  EXPECT_EQ(console_case_link("https://example.com/desk//", "CS0000001"),
            "https://example.com/desk/cases/CS0000001");
}

}  // namespace
}  // namespace mailcase::services

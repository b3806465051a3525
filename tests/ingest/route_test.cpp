#include "ingest/route.h"

#include <gtest/gtest.h>

namespace mailcase::ingest {
namespace {

mime::ParsedMessage mail(std::string from, std::string subject = "Help") {
  mime::ParsedMessage m;
  m.from = {"Ann", std::move(from)};
  m.subject = std::move(subject);
  return m;
}

store::RoutingAddress address(std::string email) {
  store::RoutingAddress a;
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

TEST(MatchAddress, CaseInsensitiveFirstMatch) {
  std::vector<store::RoutingAddress> cfg = {address("sales@corp.example"), address("support@corp.example")};
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

TEST(DecideRoute, OutOfOfficeOnACaseIsAPublicCommentNeverANewCase) {
  auto m = mail("ann@example.com", "Automatic reply: [CS0000001]");
  RouteFacts f;
  f.message = &m;
  f.sender_known = true;
  f.classification.kind = MailKind::kAutoReply;
  EXPECT_EQ(decide_route(f, config::Config{}).action, Action::kHold);
  f.threaded_case = 1;
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

}  // namespace
}  // namespace mailcase::ingest

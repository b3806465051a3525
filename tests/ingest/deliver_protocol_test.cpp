// The framing of a delivery handed to serve (ingest/deliver_protocol.h): a request counts
// only once it is whole, in any split of its bytes; a mail past the size limit keeps its
// head only; the answer reads back as it was written.
#include "ingest/deliver_protocol.h"

#include <gtest/gtest.h>

namespace mailcase::ingest::handoff {
namespace {

std::string request(const Envelope& env, const std::vector<std::string>& chunks) {
  std::string r = *encode_header(env);
  uint64_t total = 0;
  for (const auto& c : chunks) {
    r += chunk_frame_head(c.size()) + c;
    total += c.size();
  }
  return r + end_frame(total);
}

TEST(DeliverProtocol, WholeRequestInAnySplitGivesEnvelopeAndMail) {
  const Envelope env{std::string("anna@example.org"), {"support@corp.example", "sales@corp.example"}};
  const std::string req = request(env, {"Subject: a\r\n\r\n", "body\r\n"});
  for (size_t step : {size_t{1}, size_t{3}, size_t{7}, req.size()}) {
    RequestParser p(1000, 100);
    RequestParser::State s = RequestParser::State::kNeedMore;
    for (size_t i = 0; i < req.size(); i += step) s = p.feed(std::string_view(req).substr(i, step));
    ASSERT_EQ(s, RequestParser::State::kDone) << step << " " << p.error();
    EXPECT_EQ(p.envelope().sender, "anna@example.org");
    EXPECT_EQ(p.envelope().recipients, env.recipients);
    EXPECT_EQ(p.body(), "Subject: a\r\n\r\nbody\r\n");
    EXPECT_FALSE(p.too_large());
  }
}

TEST(DeliverProtocol, NoSenderAndEmptySenderStayApart) {
  RequestParser none(1000, 100);
  ASSERT_EQ(none.feed(request(Envelope{std::nullopt, {"a@b"}}, {"x"})), RequestParser::State::kDone);
  EXPECT_FALSE(none.envelope().sender.has_value());
  RequestParser empty(1000, 100);
  ASSERT_EQ(empty.feed(request(Envelope{std::string(), {}}, {"x"})), RequestParser::State::kDone);
  EXPECT_EQ(empty.envelope().sender, "");
}

TEST(DeliverProtocol, RequestCutAnywhereBeforeItsEndIsNeverDone) {
  const std::string req = request(Envelope{std::nullopt, {"a@b"}}, {"Subject: a\r\n\r\nbody\r\n"});
  for (size_t cut = 0; cut < req.size(); ++cut) {
    RequestParser p(1000, 100);
    EXPECT_NE(p.feed(req.substr(0, cut)), RequestParser::State::kDone) << cut;
  }
}

TEST(DeliverProtocol, BadFramesAreRefused) {
  const std::string header = *encode_header(Envelope{std::nullopt, {"a@b"}});
  for (const std::string& bad :
       {std::string("D 3\nabc"), std::string("H 0\n"), std::string("H 99999999\n"), std::string("H 3\n2\n\n"),
        header + "D 0\n", header + "D 2000000\n", header + "X 1\n", header + "D 3\nabcE 4\n",
        header + "D 03\nabc", header + "D -1\n", header + std::string(100, 'D'),
        std::string("H 5\n1\nQ\n\n")}) {
    RequestParser p(1000, 100);
    EXPECT_EQ(p.feed(bad), RequestParser::State::kBad) << bad;
    EXPECT_FALSE(p.error().empty());
  }
}

TEST(DeliverProtocol, MailPastTheLimitKeepsItsHeadAndFullSize) {
  const std::string mail(5000, 'm');
  RequestParser p(1000, 64);
  ASSERT_EQ(p.feed(request(Envelope{std::nullopt, {}}, {mail.substr(0, 900), mail.substr(900)})),
            RequestParser::State::kDone);
  EXPECT_TRUE(p.too_large());
  EXPECT_EQ(p.size(), 5000u);
  EXPECT_EQ(p.body(), mail.substr(0, 64));
  // At the limit exactly it is whole.
  RequestParser q(1000, 64);
  ASSERT_EQ(q.feed(request(Envelope{std::nullopt, {}}, {std::string(1000, 'q')})),
            RequestParser::State::kDone);
  EXPECT_FALSE(q.too_large());
  EXPECT_EQ(q.body().size(), 1000u);
}

TEST(DeliverProtocol, HeaderThatCannotBeFramedIsNotEncoded) {
  EXPECT_FALSE(encode_header(Envelope{std::string("a\nb"), {}}));
  EXPECT_FALSE(encode_header(Envelope{std::nullopt, {"x\r"}}));
  EXPECT_FALSE(encode_header(Envelope{std::nullopt, std::vector<std::string>(kMaxRecipients + 1, "a@b")}));
  EXPECT_TRUE(encode_header(Envelope{std::nullopt, std::vector<std::string>(kMaxRecipients, "a@b")}));
}

TEST(DeliverProtocol, AnswerReadsBackAsWritten) {
  const std::string a = encode_answer(65, R"({"outcome":"failed"})", "mailcase: mail refused: x\n");
  Answer out;
  for (size_t cut = 0; cut < a.size(); ++cut)
    EXPECT_EQ(parse_answer(a.substr(0, cut), out), AnswerState::kNeedMore);
  ASSERT_EQ(parse_answer(a, out), AnswerState::kDone);
  EXPECT_EQ(out.exit_code, 65);
  EXPECT_EQ(out.json, R"({"outcome":"failed"})");
  EXPECT_EQ(out.err, "mailcase: mail refused: x\n");
  EXPECT_EQ(parse_answer(a + "x", out), AnswerState::kBad);
  EXPECT_EQ(parse_answer("B 0 0 0\n", out), AnswerState::kBad);
  EXPECT_EQ(parse_answer("A 0 99999999 0\n", out), AnswerState::kBad);
  EXPECT_EQ(parse_answer("A 07 2 1\n{}x", out), AnswerState::kBad);  // found by the fuzz target
}

}  // namespace
}  // namespace mailcase::ingest::handoff

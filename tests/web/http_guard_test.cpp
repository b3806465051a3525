// The customer pages' HTTP rules as pure functions: request head and body limits,
// the refusal answers, the security headers and the checks of form text.
#include "web/http_guard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace mailcase::web {
namespace {

TEST(HeadScanner, FindsTheEndOfTheHeadAndLeavesTheBody) {
  HeadScanner s(1000);
  const std::string req = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
  const size_t head = s.feed(req);
  EXPECT_TRUE(s.done());
  EXPECT_EQ(head, req.size() - 3);
  EXPECT_EQ(s.feed("more"), 0u);  // nothing after the head is counted
}

TEST(HeadScanner, ByteByByteAsTheServerReadsIt) {
  HeadScanner s(1000);
  const std::string req = "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n";
  size_t used = 0;
  for (char c : req) used += s.feed(std::string_view(&c, 1));
  EXPECT_TRUE(s.done());
  EXPECT_EQ(used, req.size());
}

TEST(HeadScanner, ALongRequestLineIs414AndLongHeadersAre431) {
  HeadScanner line(100);
  line.feed("GET /" + std::string(200, 'a'));
  EXPECT_TRUE(line.overflowed());
  EXPECT_EQ(line.overflow_status(), 414);

  HeadScanner headers(100);
  headers.feed("GET / HTTP/1.1\r\n");
  for (int i = 0; i < 20 && !headers.overflowed(); ++i) headers.feed("X-A: bbbbbbbb\r\n");
  EXPECT_TRUE(headers.overflowed());
  EXPECT_EQ(headers.overflow_status(), 431);
  EXPECT_LE(headers.head_bytes(), 101u);  // stopped at the limit, not at the end
}

BodyPlan plan_of(std::string_view head, size_t max_body = 100) {
  return plan_body(read_head_fields(head), max_body);
}

TEST(PlanBody, ABodyTheHeadLetsThroughIsReadWholeFirst) {
  EXPECT_EQ(plan_of("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n").read_ahead, 12u);
  EXPECT_EQ(plan_of("POST /x HTTP/1.1\r\ncontent-LENGTH:\t7 \r\n\r\n").read_ahead, 7u);
  EXPECT_EQ(plan_of("POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n").read_ahead, 5u);
  // An upload as long as its limit, far past a form's.
  EXPECT_EQ(plan_of("PUT /x HTTP/1.1\r\nContent-Length: 10485760\r\n\r\n", 10485760).read_ahead, 10485760u);
  EXPECT_FALSE(plan_of("POST /x HTTP/1.1\r\nContent-Length: 12\r\n\r\n").continue_first);
  // Nothing is read ahead of a request a worker refuses from its head: one too long,
  // chunked, ambiguous, or a body where none may be; nor of one without a body.
  for (const char* head :
       {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", "POST /x HTTP/1.1\r\nContent-Length: 101\r\n\r\n",
        "POST /x HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
        "POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "POST /x HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", "POST /x HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        "POST /x HTTP/1.1\r\nContent-Length:\r\n\r\n", "GET /x HTTP/1.1\r\nContent-Length: 5\r\n\r\n",
        "POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 101\r\n\r\n"}) {
    EXPECT_EQ(plan_of(head).read_ahead, 0u) << head;
    EXPECT_FALSE(plan_of(head).continue_first) << head;
  }
  // The request line is no header, however it reads.
  EXPECT_EQ(plan_of("POST /Content-Length:9 HTTP/1.1\r\n\r\n").read_ahead, 0u);
}

TEST(PlanBody, AClientWaitingForContinueIsToldToGoOn) {
  const auto plan = plan_of("POST /x HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 50\r\n\r\n");
  EXPECT_TRUE(plan.continue_first);
  EXPECT_EQ(plan.read_ahead, 50u);
  EXPECT_FALSE(
      plan_of("POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n").continue_first);
}

TEST(ReadHeadFields, TheRequestLineAndTheFieldsThatFrameTheBody) {
  const auto f = read_head_fields(
      "PATCH /api/v1/cases/7?x=1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: "
      "100-continue\r\nContent-Length: 3\r\ncontent-length: 4\r\n\r\n");
  EXPECT_EQ(f.method, "PATCH");
  EXPECT_EQ(f.target, "/api/v1/cases/7?x=1");
  EXPECT_EQ(f.content_lengths, (std::vector<std::string_view>{"3", "4"}));
  EXPECT_EQ(f.transfer_encoding, "chunked");
  EXPECT_EQ(f.expect, "100-continue");
  const auto bare = read_head_fields("GET");
  EXPECT_EQ(bare.method, "GET");
  EXPECT_EQ(bare.target, "");
}

// A field line that is no "token: value", or a second Host, makes the head malformed
// (RFC 9112 §5.1, §5.2, §3.2); ordinary fields, any letter case, with or without a space
// after the colon, do not.
TEST(ReadHeadFields, AFieldLineThatIsNoNameColonValueIsMalformed) {
  EXPECT_FALSE(
      read_head_fields("GET / HTTP/1.1\r\nHost: a\r\nX-A:b\r\nx-b: \r\nAccept: */*\r\n\r\n").malformed);
  for (const std::string field :
       {"Content-Length : 5", "Content-Length\t: 5", " Transfer-Encoding: chunked", "\tX: y", "NoColon",
        ": empty name", "X Y: z", "Host: b", "X\x01: y", "Caf\xc3\xa9: y"}) {
    const std::string head = "POST / HTTP/1.1\r\nHost: a\r\n" + field + "\r\n\r\n";
    EXPECT_TRUE(read_head_fields(head).malformed) << field;
  }
}

TEST(RequestArrival, AMalformedFieldLineIsRefusedWith400) {
  const RequestArrival::BodyLimit limit_of = [](std::string_view) { return size_t{1000}; };
  RequestArrival a(1000);
  const std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length : 40\r\n\r\n";
  EXPECT_EQ(a.feed(head + "GET /api HTTP/1.1\r\n", 0, limit_of), RequestArrival::Step::kRefuse);
  EXPECT_EQ(a.refusal_status(), 400);
  // The head was read (no body after it): what the reader needed is the head, as for any
  // head it read (http_guard_fuzz found need() left at 0).
  EXPECT_EQ(a.need(), head.size());
  EXPECT_EQ(a.plan().read_ahead, 0u);
}

// Feeds `bytes` to a in pieces of `piece` bytes; the steps it answered, each once in a row.
std::vector<RequestArrival::Step> arrive(RequestArrival& a, const std::string& bytes, size_t piece,
                                         const RequestArrival::BodyLimit& limit_of) {
  std::vector<RequestArrival::Step> steps;
  for (size_t at = 0; at < bytes.size(); at += piece) {
    const auto step =
        a.feed(std::string_view(bytes).substr(0, std::min(bytes.size(), at + piece)), at, limit_of);
    if (steps.empty() || steps.back() != step) steps.push_back(step);
  }
  return steps;
}

TEST(RequestArrival, ARequestIsReadyOnceItsHeadAndBodyAreThere) {
  using Step = RequestArrival::Step;
  std::vector<std::string> targets;
  const RequestArrival::BodyLimit limit_of = [&](std::string_view target) {
    targets.emplace_back(target);
    return target.starts_with("/api/") ? size_t{1000} : size_t{10};
  };
  const std::string head = "POST /api/x?y HTTP/1.1\r\nHost: a\r\nContent-Length: 500\r\n\r\n";
  for (size_t piece : {size_t{1}, size_t{7}, size_t{4096}}) {
    RequestArrival a(1000);
    const auto steps = arrive(a, head + std::string(500, 'b'), piece, limit_of);
    EXPECT_EQ(steps.back(), Step::kReady) << piece;
    EXPECT_EQ(std::count(steps.begin(), steps.end(), Step::kReady), 1) << piece;
    EXPECT_EQ(a.need(), head.size() + 500);
  }
  EXPECT_EQ(targets, std::vector<std::string>(3, "/api/x?y")) << "the limit is asked once per request";
  // Past its path's limit: ready with its head alone, for a worker to refuse.
  RequestArrival form(1000);
  EXPECT_EQ(form.feed("POST /form HTTP/1.1\r\nContent-Length: 500\r\n\r\n", 0, limit_of), Step::kReady);
  EXPECT_EQ(form.plan().read_ahead, 0u);
}

TEST(RequestArrival, AClientWaitingForContinueIsToldOnceThenItsBodyIsRead) {
  using Step = RequestArrival::Step;
  const RequestArrival::BodyLimit limit_of = [](std::string_view) { return size_t{1000}; };
  const std::string head = "PUT /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 20\r\n\r\n";
  RequestArrival a(1000);
  EXPECT_EQ(a.feed(head.substr(0, 10), 0, limit_of), Step::kMore);
  EXPECT_EQ(a.feed(head, 10, limit_of), Step::kContinue);
  EXPECT_EQ(a.feed(head + "0123456789", head.size(), limit_of), Step::kMore);
  EXPECT_EQ(a.feed(head + std::string(20, 'x'), head.size() + 10, limit_of), Step::kReady);
  // A client that sent its body at once needs no "100 Continue".
  RequestArrival eager(1000);
  EXPECT_EQ(arrive(eager, head + std::string(20, 'x'), 4096, limit_of), std::vector<Step>{Step::kReady});
}

TEST(RequestArrival, ALongHeadIsRefusedAndABareLfRequestLineGoesOnAtOnce) {
  using Step = RequestArrival::Step;
  const RequestArrival::BodyLimit limit_of = [](std::string_view) { return size_t{1000}; };
  RequestArrival line(100);
  EXPECT_EQ(line.feed("GET /" + std::string(200, 'a'), 0, limit_of), Step::kRefuse);
  EXPECT_EQ(line.refusal_status(), 414);
  RequestArrival fields(100);
  EXPECT_EQ(arrive(fields, "GET / HTTP/1.1\r\n" + std::string(200, 'h'), 3, limit_of),
            (std::vector<Step>{Step::kMore, Step::kRefuse}));
  EXPECT_EQ(fields.refusal_status(), 431);
  RequestArrival bare(100);
  EXPECT_EQ(bare.feed("GET / HTTP/1.1\nHo", 0, limit_of), Step::kReady);
  EXPECT_FALSE(bare.head_read());
}

TEST(MayReadBody, PastTheBudgetOnlyTheLargestGoesOn) {
  EXPECT_TRUE(may_read_body(10, 50, 30, 100));
  EXPECT_FALSE(may_read_body(10, 100, 30, 100));
  EXPECT_TRUE(may_read_body(30, 100, 30, 100));
  // One body longer than the whole budget still comes whole.
  EXPECT_TRUE(may_read_body(500, 500, 500, 100));
}

TEST(HeadScanner, ABlankRequestLineDoesNotEndTheHead) {
  HeadScanner s(1000);
  s.feed("\r\n");
  EXPECT_FALSE(s.done());
}

TEST(CheckBody, FormsNeedAKnownSmallLength) {
  EXPECT_EQ(check_body("POST", {"100"}, std::nullopt, 16384).status, 0);
  EXPECT_EQ(check_body("POST", {"16384"}, std::nullopt, 16384).status, 0);
  EXPECT_EQ(check_body("POST", {"16385"}, std::nullopt, 16384).status, 413);
  EXPECT_EQ(check_body("POST", {"600000000"}, std::nullopt, 16384).status, 413);
  EXPECT_EQ(check_body("POST", {"99999999999999999999999"}, std::nullopt, 16384).status, 413);
  EXPECT_EQ(check_body("POST", {}, std::nullopt, 16384).status, 411);
  EXPECT_EQ(check_body("POST", {"10"}, "chunked", 16384).status, 411);
  EXPECT_EQ(check_body("POST", {"-1"}, std::nullopt, 16384).status, 400);
  EXPECT_EQ(check_body("POST", {"12abc"}, std::nullopt, 16384).status, 400);
  EXPECT_EQ(check_body("POST", {""}, std::nullopt, 16384).status, 400);
}

TEST(CheckBody, ALengthIsDeclaredOnceOrRepeatedUnchanged) {
  // Repeated with one value, it is that value (RFC 9110 §8.6).
  EXPECT_EQ(check_body("POST", {"100", "100"}, std::nullopt, 16384).status, 0);
  EXPECT_EQ(check_body("POST", {"16385", "16385"}, std::nullopt, 16384).status, 413);
  // Two values: which one frames the request is a guess (RFC 9112 §6.3), whatever the method.
  EXPECT_EQ(check_body("POST", {"0", "40"}, std::nullopt, 16384).status, 400);
  EXPECT_EQ(check_body("POST", {"40", "0"}, std::nullopt, 16384).status, 400);
  EXPECT_EQ(check_body("POST", {"5", "5", "6"}, std::nullopt, 16384).status, 400);
  EXPECT_EQ(check_body("GET", {"0", "40"}, std::nullopt, 16384).status, 400);
  EXPECT_EQ(check_body("GET", {"0", "0"}, std::nullopt, 16384).status, 0);
  // A list in one field is not a number.
  EXPECT_EQ(check_body("POST", {"5, 5"}, std::nullopt, 16384).status, 400);
  EXPECT_EQ(check_body("POST", {"5,5"}, std::nullopt, 16384).status, 400);
  EXPECT_EQ(check_body("GET", {"0, 0"}, std::nullopt, 16384).status, 400);
}

TEST(CheckBody, PagesAreFetchedWithoutABody) {
  EXPECT_EQ(check_body("GET", {}, std::nullopt, 16384).status, 0);
  EXPECT_EQ(check_body("GET", {"0"}, std::nullopt, 16384).status, 0);
  EXPECT_EQ(check_body("GET", {"5"}, std::nullopt, 16384).status, 400);
  EXPECT_EQ(check_body("GET", {}, "chunked", 16384).status, 400);
}

TEST(Refusal, IsACompleteAnswerWithTheSecurityHeaders) {
  for (int status : {408, 413, 414, 431}) {
    const auto r = refusal_response(status);
    EXPECT_EQ(r.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0), 0u) << r;
    EXPECT_NE(r.find("\r\nConnection: close\r\n"), std::string::npos);
    for (const auto& [k, v] : security_headers())
      EXPECT_NE(r.find("\r\n" + k + ": " + v + "\r\n"), std::string::npos);
    const auto body = r.substr(r.find("\r\n\r\n") + 4);
    EXPECT_NE(r.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
  }
}

TEST(SecurityHeaders, NameThePolicyOfTheIssue) {
  std::map<std::string, std::string> h(security_headers().begin(), security_headers().end());
  EXPECT_EQ(h["Content-Security-Policy"],
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
  EXPECT_EQ(h["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(h["Referrer-Policy"], "no-referrer");
}

TEST(FormText, AcceptsOrdinaryTextInAnyLanguage) {
  EXPECT_FALSE(check_form_text("The reason", "", 100, true));
  EXPECT_FALSE(
      check_form_text("The reason", "Still jams.\r\nPapier zerknüllt — łódź 🙂\ttab", 100, true));
}

TEST(FormText, RefusesBrokenUtf8ControlsAndLength) {
  EXPECT_TRUE(check_form_text("The reason", "bad \xff", 100, true));
  EXPECT_TRUE(check_form_text("The reason", "overlong \xc0\xaf", 100, true));
  EXPECT_TRUE(check_form_text("The reason", "surrogate \xed\xa0\x80", 100, true));
  EXPECT_TRUE(check_form_text("The reason", "cut \xe2\x82", 100, true));
  EXPECT_TRUE(check_form_text("The reason", "esc \x1b[2J", 100, true));
  EXPECT_TRUE(check_form_text("The reason", std::string("nul \0 byte", 10), 100, true));
  EXPECT_TRUE(check_form_text("The reason", "del \x7f", 100, true));
  EXPECT_TRUE(check_form_text("The reason", "c1 \xc2\x9b", 100, true));
  EXPECT_TRUE(check_form_text("The name", "two\nlines", 100, false));
  auto too_long = check_form_text("The reason", std::string(101, 'a'), 100, true);
  ASSERT_TRUE(too_long);
  EXPECT_NE(too_long->find("100"), std::string::npos);
  EXPECT_FALSE(check_form_text("The reason", std::string(100, 'a'), 100, true));
}

TEST(Utf8, WellFormedOnly) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x99\x82"));
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\x80"));
}

}  // namespace
}  // namespace mailcase::web

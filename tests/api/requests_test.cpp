// The API's request rules, without a server: query parameters, JSON bodies, ETags.
#include "api/requests.h"

#include <gtest/gtest.h>

namespace mailcase::api {
namespace {

TEST(UnknownFields, NamesEachKeyOutsideTheKnown) {
  auto body = nlohmann::json::parse(R"({"name": "a", "zeta": 1, "format": "x", "alpha": null})");
  EXPECT_EQ(unknown_fields(body, {"name", "format"}), (std::vector<std::string>{"alpha", "zeta"}));
  EXPECT_TRUE(unknown_fields(body, {"name", "format", "zeta", "alpha"}).empty());
  EXPECT_TRUE(unknown_fields(nlohmann::json::array({1, 2}), {}).empty());
}

TEST(CaseQueryTest, DefaultsAreTheNewestUpdatedFirstFiftyAtATime) {
  auto q = case_query_of({});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->limit, 50);
  EXPECT_EQ(q->sort, store::CaseQuery::Sort::kUpdatedDesc);
  EXPECT_FALSE(q->count);
  EXPECT_FALSE(q->text);
}

TEST(CaseQueryTest, ReadsEveryFilter) {
  auto q = case_query_of({{"status", "open"},
                          {"queue", "Billing"},
                          {"owner", " Marek@Corp.Example "},
                          {"contact", "ALICE@example.org"},
                          {"q", "printer"},
                          {"updated_since", "2026-01-01T00:00:00Z"},
                          {"sort", "created"},
                          {"limit", "200"},
                          {"count", "true"},
                          {"cursor", "abc"}});
  ASSERT_TRUE(q) << q.error().detail;
  EXPECT_EQ(q->status, domain::CaseStatus::kOpen);
  EXPECT_EQ(q->queue, "Billing");
  EXPECT_EQ(q->owner, "marek@corp.example");
  EXPECT_EQ(q->contact, "alice@example.org");
  EXPECT_EQ(q->text, "printer");
  EXPECT_EQ(q->updated_since, "2026-01-01T00:00:00Z");
  EXPECT_EQ(q->sort, store::CaseQuery::Sort::kCreatedAsc);
  EXPECT_EQ(q->limit, 200);
  EXPECT_TRUE(q->count);
  EXPECT_EQ(q->cursor, "abc");
}

// The status as the cases show it ("solution proposed"), or as the error said to write it.
TEST(CaseQueryTest, SolutionProposedIsTakenWithASpaceOrAnUnderscore) {
  for (const char* s : {"solution proposed", "solution_proposed"}) {
    auto q = case_query_of({{"status", s}});
    ASSERT_TRUE(q) << s;
    EXPECT_EQ(q->status, domain::CaseStatus::kSolutionProposed) << s;
  }
  auto bad = case_query_of({{"status", "bogus"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().errors.front().message.find("solution proposed"), std::string::npos);
}

// "unsolved" asks for new, open and solution proposed together.
TEST(CaseQueryTest, UnsolvedIsTheCasesStillBeingWorked) {
  for (const char* s : {"unsolved", "Unsolved"}) {
    auto q = case_query_of({{"status", s}});
    ASSERT_TRUE(q) << s;
    EXPECT_TRUE(q->unsolved) << s;
    EXPECT_FALSE(q->status) << s;
  }
  auto bad = case_query_of({{"status", "bogus"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().errors.front().message.find("unsolved"), std::string::npos);
}

TEST(CaseQueryTest, ASearchIsRankedByRelevanceUnlessASortIsGiven) {
  auto q = case_query_of({{"q", "invoice"}});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->sort, store::CaseQuery::Sort::kRelevance);
  auto bad = case_query_of({{"sort", "relevance"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().errors.at(0).field, "sort");
}

TEST(CaseQueryTest, EveryBadParameterIsNamedInOneAnswer) {
  auto q = case_query_of({{"status", "sleeping"}, {"limit", "0"}, {"count", "yes"}, {"sort", "name"}});
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().status, 422);
  std::vector<std::string> fields;
  for (const auto& e : q.error().errors) fields.push_back(e.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"status", "sort", "count", "limit"}));
}

TEST(CaseQueryTest, LimitMustBeAWholeNumberInRange) {
  for (const char* bad : {"201", "-1", "10x", "", " 5", "99999999999999999999"}) {
    auto q = case_query_of({{"limit", bad}});
    if (std::string(bad).empty()) {
      EXPECT_TRUE(q) << "an empty value means the default";
      continue;
    }
    EXPECT_FALSE(q) << bad;
  }
}

TEST(CaseQueryTest, AParameterGivenTwiceIsRefused) {
  auto q = case_query_of({{"queue", "a"}, {"queue", "b"}});
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().errors.at(0).field, "queue");
}

TEST(CaseQueryTest, UnknownParametersAreIgnored) {
  EXPECT_TRUE(case_query_of({{"_", "1700000000"}}));
}

TEST(JsonBodyTest, TakesAnObjectOfApplicationJson) {
  auto j = json_object_body(R"({"body": "hi"})", "application/json; charset=utf-8");
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)["body"], "hi");
}

TEST(JsonBodyTest, RefusesOtherMediaTypesBrokenJsonAndNonObjects) {
  EXPECT_EQ(json_object_body("{}", "text/plain").error().status, 415);
  EXPECT_EQ(json_object_body("{", "application/json").error().status, 400);
  EXPECT_EQ(json_object_body("[1]", "application/json").error().status, 422);
  EXPECT_EQ(json_object_body("", "application/json").error().status, 400);
}

TEST(JsonBodyTest, RefusesDeepNestingBeforeParsing) {
  std::string deep(100000, '[');
  EXPECT_EQ(json_object_body("{\"a\":" + deep, "application/json").error().status, 400);
  // Brackets inside strings are text, not nesting.
  auto ok = json_object_body("{\"a\": \"" + std::string(1000, '[') + "\"}", "application/json");
  EXPECT_TRUE(ok);
}

TEST(StringFieldTest, NamesTheFieldThatIsWrong) {
  const auto obj = nlohmann::json{{"n", 5}, {"s", "ok"}, {"long", std::string(20, 'x')}, {"bad", "\xff"}};
  EXPECT_EQ(string_field(obj, "n", 100).error().errors.at(0).field, "n");
  EXPECT_EQ(**string_field(obj, "s", 100), "ok");
  EXPECT_FALSE(*string_field(obj, "absent", 100));
  EXPECT_FALSE(string_field(obj, "long", 10));
  EXPECT_FALSE(string_field(obj, "bad", 10));
}

TEST(EtagTest, ChangesWithTheRepresentationAndMatchesStrongly) {
  const auto a = etag_of({{"status", "open"}});
  const auto b = etag_of({{"status", "closed"}});
  EXPECT_NE(a, b);
  EXPECT_EQ(a, etag_of({{"status", "open"}}));
  EXPECT_EQ(a.front(), '"');
  EXPECT_TRUE(if_match_allows(std::nullopt, a));
  EXPECT_TRUE(if_match_allows("*", a));
  EXPECT_TRUE(if_match_allows(b + ", " + a, a));
  EXPECT_FALSE(if_match_allows(b, a));
  EXPECT_FALSE(if_match_allows("W/" + a, a));
}

// If-None-Match compares weakly: the client's W/ tag of the same version matches.
TEST(EtagTest, IfNoneMatchHoldsForTheVersionTheClientHas) {
  const auto a = etag_of({{"status", "open"}});
  const auto b = etag_of({{"status", "closed"}});
  EXPECT_FALSE(if_none_match_holds(std::nullopt, a));
  EXPECT_TRUE(if_none_match_holds(a, a));
  EXPECT_TRUE(if_none_match_holds(" W/" + a + " ", a));
  EXPECT_TRUE(if_none_match_holds(b + ",W/" + a, a));
  EXPECT_TRUE(if_none_match_holds("*", a));
  EXPECT_FALSE(if_none_match_holds(b, a));
  EXPECT_FALSE(if_none_match_holds("", a));
  EXPECT_FALSE(if_none_match_holds(",", a));
}

TEST(ProblemTest, MapsErrorCodesAndHidesInternalDetail) {
  EXPECT_EQ(problem_of(Error{ErrorCode::kNotFound, "no case CS1"}).status, 404);
  EXPECT_EQ(problem_of(Error{ErrorCode::kNotFound, "no case CS1"}).detail, "no case CS1");
  EXPECT_EQ(problem_of(Error{ErrorCode::kConflict, "x"}).status, 409);
  EXPECT_EQ(problem_of(Error{ErrorCode::kTemporary, "x"}).status, 503);
  auto internal = problem_of(Error{ErrorCode::kInternal, "sqlite: no such column secret_col"});
  EXPECT_EQ(internal.status, 500);
  EXPECT_EQ(internal.detail.find("secret_col"), std::string::npos);
  auto j = problem_json(field_problem("limit", "too big"));
  EXPECT_EQ(j["status"], 422);
  EXPECT_EQ(j["title"], "Unprocessable Content");
  EXPECT_EQ(j["errors"][0]["field"], "limit");
}

}  // namespace
}  // namespace mailcase::api

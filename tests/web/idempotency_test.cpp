// The REST API's Idempotency-Key rules: which keys are fit, when a request runs, is
// answered again, is refused as in progress or as another request's key, which answers
// are kept; and the adapter that claims a key in the store before the request runs.
#include "web/idempotency.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "support/test_support.h"

namespace mailcase::web {
namespace {

constexpr int64_t kNow = 1'800'000'000;

TEST(IdempotencyKey, PrintableAsciiUpTo200CharactersIsFit) {
  EXPECT_FALSE(idempotency_key_problem("8e03978e-40d5-43e8-bc93-6894a57f9324"));
  EXPECT_FALSE(idempotency_key_problem(std::string(200, 'k')));
  EXPECT_FALSE(idempotency_key_problem("a b ~!"));
  EXPECT_TRUE(idempotency_key_problem(std::string(201, 'k')));
  EXPECT_TRUE(idempotency_key_problem(""));
  EXPECT_TRUE(idempotency_key_problem("tab\there"));
  EXPECT_TRUE(idempotency_key_problem("caf\xc3\xa9"));
  EXPECT_TRUE(idempotency_key_problem(std::string("nul\0x", 5)));
  EXPECT_TRUE(idempotency_key_problem("del\x7f"));
}

TEST(IdempotencyKey, TheDigestTellsRequestsApartByMethodTargetAndBody) {
  const auto d = request_digest("POST", "/api/v1/cases", "{}");
  EXPECT_EQ(d.size(), 64u);
  EXPECT_EQ(d, request_digest("POST", "/api/v1/cases", "{}"));
  EXPECT_NE(d, request_digest("POST", "/api/v1/cases", "{ }"));
  EXPECT_NE(d, request_digest("POST", "/api/v1/cases/CS1/comments", "{}"));
  EXPECT_NE(d, request_digest("PATCH", "/api/v1/cases", "{}"));
  // No two requests run together into one text.
  EXPECT_NE(request_digest("POST", "/a", "b"), request_digest("POST", "/ab", ""));
}

store::IdempotencyRecord row(std::string digest, bool in_progress, int64_t at) {
  store::IdempotencyRecord r;
  r.token_id = 1;
  r.key = "k";
  r.request_digest = std::move(digest);
  r.in_progress = in_progress;
  r.created_at = at;
  return r;
}

TEST(IdempotencyKey, TheVerdictFollowsTheKeysRow) {
  EXPECT_EQ(judge_key(std::nullopt, "d", kNow), KeyVerdict::kRun);
  EXPECT_EQ(judge_key(row("d", false, kNow - 10), "d", kNow), KeyVerdict::kReplay);
  EXPECT_EQ(judge_key(row("d", true, kNow - 10), "d", kNow), KeyVerdict::kInProgress);
  EXPECT_EQ(judge_key(row("other", false, kNow - 10), "d", kNow), KeyVerdict::kOtherRequest);
  EXPECT_EQ(judge_key(row("other", true, kNow - 10), "d", kNow), KeyVerdict::kOtherRequest);
  // A day old: gone, whether purged yet or not.
  EXPECT_EQ(judge_key(row("other", false, kNow - kIdempotencyKeepSeconds), "d", kNow), KeyVerdict::kRun);
  EXPECT_EQ(judge_key(row("d", false, kNow - kIdempotencyKeepSeconds + 1), "d", kNow), KeyVerdict::kReplay);
  // A claim whose request never answered (its server stopped) does not block the key for a day.
  EXPECT_EQ(judge_key(row("d", true, kNow - kAbandonedAfterSeconds), "d", kNow), KeyVerdict::kRun);
}

TEST(IdempotencyKey, Only2xxAnd4xxAnswersAreKept) {
  for (int s : {200, 201, 204, 400, 404, 409, 412, 422, 499}) EXPECT_TRUE(keeps_answer(s)) << s;
  for (int s : {0, 100, 302, 500, 503, 599}) EXPECT_FALSE(keeps_answer(s)) << s;
  EXPECT_TRUE(replayed_header("location"));
  EXPECT_TRUE(replayed_header("ETag"));
  EXPECT_TRUE(replayed_header("Content-Type"));
  EXPECT_FALSE(replayed_header("Set-Cookie"));
  EXPECT_FALSE(replayed_header("Content-Length"));
}

TEST(IdempotencyKey, ThePurgeIsDueAtMostOnceAMinute) {
  PurgeSchedule p;
  EXPECT_TRUE(p.due(kNow));
  EXPECT_FALSE(p.due(kNow));
  EXPECT_FALSE(p.due(kNow + 59));
  EXPECT_TRUE(p.due(kNow + 60));
  EXPECT_FALSE(p.due(kNow + 61));
}

class IdempotencyAdapterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_sqlite(dir_.path() / "t.db");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  mailcase::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  PurgeSchedule purge_;
};

TEST_F(IdempotencyAdapterTest, TheFirstRequestRunsAndARetryGetsItsAnswer) {
  const auto d = request_digest("POST", "/api/v1/cases", "{\"subject\":\"x\"}");
  auto first = begin_idempotent(*store_, 7, "key-1", d, kNow);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->verdict, KeyVerdict::kRun);

  // While it runs, the same request is told so.
  auto during = begin_idempotent(*store_, 7, "key-1", d, kNow + 1);
  ASSERT_TRUE(during);
  EXPECT_EQ(during->verdict, KeyVerdict::kInProgress);

  store::IdempotentAnswer a{
      .status = 201, .headers = {{"Location", "/api/v1/cases/CS0000001"}}, .body = "{}"};
  ASSERT_TRUE(finish_idempotent(*store_, 7, "key-1", a, kNow + 1, purge_));
  auto retry = begin_idempotent(*store_, 7, "key-1", d, kNow + 2);
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->verdict, KeyVerdict::kReplay);
  EXPECT_EQ(retry->replay.status, 201);
  EXPECT_EQ(retry->replay.headers, a.headers);
  EXPECT_EQ(retry->replay.body, "{}");

  auto other = begin_idempotent(*store_, 7, "key-1", request_digest("POST", "/api/v1/cases", "{}"), kNow + 3);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->verdict, KeyVerdict::kOtherRequest);
  // Another token's key of the same text is its own.
  auto mine = begin_idempotent(*store_, 8, "key-1", d, kNow + 3);
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->verdict, KeyVerdict::kRun);
}

// A key claimed inside a caller's unit (the console's comment forms) stands or falls with
// what that unit writes: a unit that does not commit leaves the key unclaimed.
TEST_F(IdempotencyAdapterTest, AKeyClaimedInAUnitThatDoesNotCommitIsNotClaimed) {
  const auto d = request_digest("POST", "/cases/CS0000001/reply", "text");
  {
    auto w = store_->open_unit(store::Access::kWrite);
    ASSERT_TRUE(w);
    auto start = judge_and_claim(*w, -3, "form-1", d, kNow);
    ASSERT_TRUE(start) << start.error().message;
    EXPECT_EQ(start->verdict, KeyVerdict::kRun);
  }  // rolled back
  {
    auto w = store_->open_unit(store::Access::kWrite);
    ASSERT_TRUE(w);
    auto again = judge_and_claim(*w, -3, "form-1", d, kNow + 1);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->verdict, KeyVerdict::kRun);
    ASSERT_TRUE(w->commit());
  }
  auto w = store_->open_unit(store::Access::kWrite);
  ASSERT_TRUE(w);
  auto third = judge_and_claim(*w, -3, "form-1", d, kNow + 2);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->verdict, KeyVerdict::kInProgress);
}

TEST_F(IdempotencyAdapterTest, AServerErrorIsNotKeptSoARetryRunsAgain) {
  const auto d = request_digest("POST", "/x", "");
  ASSERT_EQ(begin_idempotent(*store_, 1, "k", d, kNow)->verdict, KeyVerdict::kRun);
  ASSERT_TRUE(finish_idempotent(*store_, 1, "k", {.status = 503, .body = "busy"}, kNow, purge_));
  auto retry = begin_idempotent(*store_, 1, "k", d, kNow + 1);
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->verdict, KeyVerdict::kRun);
}

TEST_F(IdempotencyAdapterTest, KeysOlderThanADayArePurgedWhenAnAnswerIsKept) {
  const auto d = request_digest("POST", "/x", "");
  ASSERT_TRUE(begin_idempotent(*store_, 1, "old", d, kNow));
  ASSERT_TRUE(finish_idempotent(*store_, 1, "old", {.status = 200}, kNow, purge_));
  const int64_t later = kNow + kIdempotencyKeepSeconds + 120;
  ASSERT_TRUE(begin_idempotent(*store_, 1, "new", d, later));
  ASSERT_TRUE(finish_idempotent(*store_, 1, "new", {.status = 200}, later, purge_));
  auto w = store_->open_unit(store::Access::kRead);
  ASSERT_TRUE(w);
  auto old = w->idempotency().find_key(1, "old");
  ASSERT_TRUE(old);
  EXPECT_FALSE(*old);
  auto kept = w->idempotency().find_key(1, "new");
  ASSERT_TRUE(kept);
  EXPECT_TRUE(*kept);
}

TEST_F(IdempotencyAdapterTest, OfManyRequestsWithOneKeyAtOnceExactlyOneRuns) {
  const auto d = request_digest("POST", "/api/v1/cases", "{}");
  std::vector<KeyVerdict> verdicts(6, KeyVerdict::kReplay);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < verdicts.size(); ++i) {
    threads.emplace_back([&, i] {
      auto r = begin_idempotent(*store_, 3, "race", d, kNow);
      verdicts[i] = r ? r->verdict : KeyVerdict::kReplay;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::count(verdicts.begin(), verdicts.end(), KeyVerdict::kRun), 1);
  EXPECT_EQ(std::count(verdicts.begin(), verdicts.end(), KeyVerdict::kInProgress), 5);
}

}  // namespace
}  // namespace mailcase::web

// The REST API's idempotency keys in the store: a claim per (token, key), its answer
// kept and read back, a release, the purge of old rows, and that each statement finds
// its rows by an index (the purge runs beside every POST's key lookups).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::store {
namespace {

class IdempotencyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite(dir_.path() / "t.db");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  UnitOfWork unit() {
    auto w = store_->open_unit(Access::kWrite);
    EXPECT_TRUE(w) << w.error().message;
    return std::move(*w);
  }
  static IdempotencyRecord record(Id token, std::string key, int64_t at) {
    return {.token_id = token,
            .key = std::move(key),
            .request_digest = "d-" + std::to_string(at),
            .created_at = at};
  }

  mailcase::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(IdempotencyStoreTest, AClaimIsInProgressUntilItsAnswerIsStoredThenReadsBackWhole) {
  {
    auto w = unit();
    ASSERT_TRUE(w.idempotency().claim_key(record(1, "k-1", 1000)));
    ASSERT_TRUE(w.commit());
  }
  auto w = unit();
  auto found = w.idempotency().find_key(1, "k-1");
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_TRUE(*found);
  EXPECT_TRUE((*found)->in_progress);
  EXPECT_EQ((*found)->request_digest, "d-1000");
  EXPECT_EQ((*found)->created_at, 1000);

  IdempotentAnswer a{.status = 201,
                     .headers = {{"Location", "/api/v1/cases/CS0000001"}, {"ETag", "\"abc\""}},
                     .body = std::string("{\"number\":\"CS0000001\"}\n\0x", 26)};
  ASSERT_TRUE(w.idempotency().answer_key(1, "k-1", a));
  found = w.idempotency().find_key(1, "k-1");
  ASSERT_TRUE(found && *found);
  EXPECT_FALSE((*found)->in_progress);
  EXPECT_EQ((*found)->answer.status, 201);
  EXPECT_EQ((*found)->answer.headers, a.headers);
  EXPECT_EQ((*found)->answer.body, a.body);
}

TEST_F(IdempotencyStoreTest, AKeyIsPerTokenAndASecondClaimOfOneIsAConflict) {
  auto w = unit();
  ASSERT_TRUE(w.idempotency().claim_key(record(1, "same", 1000)));
  ASSERT_TRUE(w.idempotency().claim_key(record(2, "same", 1000)));
  auto again = w.idempotency().claim_key(record(1, "same", 1001));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  auto other = w.idempotency().find_key(3, "same");
  ASSERT_TRUE(other);
  EXPECT_FALSE(*other);
  auto missing = w.idempotency().answer_key(3, "same", {.status = 200});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(IdempotencyStoreTest, AReleasedKeyMayBeClaimedAgain) {
  auto w = unit();
  ASSERT_TRUE(w.idempotency().claim_key(record(1, "k", 1000)));
  ASSERT_TRUE(w.idempotency().release_key(1, "k"));
  auto gone = w.idempotency().find_key(1, "k");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  EXPECT_TRUE(w.idempotency().claim_key(record(1, "k", 1002)));
  EXPECT_TRUE(w.idempotency().release_key(9, "never claimed"));
}

TEST_F(IdempotencyStoreTest, ThePurgeDeletesOnlyRowsCreatedBeforeItsTime) {
  auto w = unit();
  ASSERT_TRUE(w.idempotency().claim_key(record(1, "old", 100)));
  ASSERT_TRUE(w.idempotency().claim_key(record(2, "older", 50)));
  ASSERT_TRUE(w.idempotency().claim_key(record(1, "new", 200)));
  auto n = w.idempotency().purge_keys(200);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 2);
  auto kept = w.idempotency().find_key(1, "new");
  ASSERT_TRUE(kept);
  EXPECT_TRUE(*kept);
  auto old = w.idempotency().find_key(1, "old");
  ASSERT_TRUE(old);
  EXPECT_FALSE(*old);
}

TEST_F(IdempotencyStoreTest, EveryStatementOfTheKeysSearchesByAnIndex) {
  {
    // Through the store's own connection, whose prepared statements can be listed.
    auto w = store_->begin_work();
    ASSERT_TRUE(w);
    auto& keys = store_->idempotency();
    ASSERT_TRUE(keys.claim_key(record(1, "k", 100)));
    ASSERT_TRUE(keys.find_key(1, "k"));
    ASSERT_TRUE(keys.answer_key(1, "k", {.status = 200}));
    ASSERT_TRUE(keys.purge_keys(50));
    ASSERT_TRUE(keys.release_key(1, "k"));
    ASSERT_TRUE(w->commit());
  }
  std::vector<std::string> statements;
  for (const auto& sql : sqlite_prepared_sql(*store_))
    if (sql.find("idempotency_keys") != std::string::npos && sql.rfind("INSERT", 0) != 0)
      statements.push_back(sql);
  ASSERT_EQ(statements.size(), 4u);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() / "t.db").c_str(), &db), SQLITE_OK);
  for (const auto& sql : statements) {
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &st, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    std::string plan;
    while (sqlite3_step(st) == SQLITE_ROW) plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
    EXPECT_NE(plan.find("SEARCH idempotency_keys USING"), std::string::npos) << sql << ": " << plan;
    EXPECT_EQ(plan.find("SCAN"), std::string::npos) << sql << ": " << plan;
  }
  sqlite3_close(db);
}

}  // namespace
}  // namespace mailcase::store

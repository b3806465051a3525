// OutboxRepository::count_by_state, read by /metrics on every scrape: right, and an index
// search (never a scan of the outbox, which grows with every mail sent).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "store/store.h"
#include "support/query_plan.h"
#include "support/test_support.h"

namespace mailcase::store {
namespace {

TEST(OutboxCountTest, CountsTheRowsInEachState) {
  mailcase::testing::TempDir dir;
  auto st = open_sqlite(dir.path() / "mailcase.db");
  ASSERT_TRUE(st) << st.error().message;
  for (int i = 0; i < 5; ++i) {
    OutboxMail m;
    m.kind = "comment";
    m.to = "alice@example.org";
    m.message_id = "<o" + std::to_string(i) + "@corp.example>";
    m.raw = "x";
    m.state = OutboxState::kQueued;
    auto id = (*st)->add_outbox(m);
    ASSERT_TRUE(id) << id.error().message;
    if (i < 2) {
      m.id = *id;
      m.state = i == 0 ? OutboxState::kSent : OutboxState::kFailed;
      ASSERT_TRUE((*st)->update_outbox(m));
    }
  }
  EXPECT_EQ(*(*st)->count_by_state(OutboxState::kQueued), 3);
  EXPECT_EQ(*(*st)->count_by_state(OutboxState::kSent), 1);
  EXPECT_EQ(*(*st)->count_by_state(OutboxState::kFailed), 1);
  // Through a pooled read unit, as a scrape reads it.
  auto u = (*st)->open_unit(Access::kRead);
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(*u->outbox().count_by_state(OutboxState::kQueued), 3);
}

TEST(OutboxCountTest, CountSearchesTheOutboxDueIndex) {
  mailcase::testing::TempDir dir;
  const auto file = dir.path() / "mailcase.db";
  ASSERT_TRUE(open_sqlite(file));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  const std::string eqp = std::string("EXPLAIN QUERY PLAN ") + kSqliteOutboxCountByStateSql;
  ASSERT_EQ(sqlite3_prepare_v2(db, eqp.c_str(), -1, &q, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::string plan;
  while (sqlite3_step(q) == SQLITE_ROW)
    plan += reinterpret_cast<const char*>(sqlite3_column_text(q, 3)) + std::string("\n");
  sqlite3_finalize(q);
  sqlite3_close(db);
  // outbox_due (state, next_attempt_at) or outbox_state (state, id): either holds the
  // state's rows as one range, read without the table.
  const bool by_state_index =
      plan.find("SEARCH outbox USING COVERING INDEX outbox_due (state=?)") != std::string::npos ||
      plan.find("SEARCH outbox USING COVERING INDEX outbox_state (state=?)") != std::string::npos;
  EXPECT_TRUE(by_state_index) << plan;
  EXPECT_EQ(plan.find("SCAN"), std::string::npos) << plan;
}

TEST(OutboxCountTest, TheQueuedRowsNotDueYetAreOneRangeOfOutboxDue) {
  mailcase::testing::TempDir dir;
  const auto file = dir.path() / "mailcase.db";
  ASSERT_TRUE(open_sqlite(file));
  const std::string plan = mailcase::testing::query_plan(file, kSqliteOutboxQueuedClaimsSql);
  EXPECT_NE(plan.find("SEARCH outbox USING INDEX outbox_due (state=? AND next_attempt_at>?)"),
            std::string::npos)
      << plan;
}

}  // namespace
}  // namespace mailcase::store

// The spam allow list (migration 26): a sender added once stays allowed, adding it again
// changes nothing, others are not; the lookup each spam verdict makes is a key search.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::store {
namespace {

TEST(SpamAllowList, AnAllowedSenderIsFoundAndOthersAreNot) {
  mailcase::testing::TempDir dir;
  auto s = open_sqlite(dir.path() / "t.db");
  ASSERT_TRUE(s) << s.error().message;
  auto& store = **s;
  {
    auto work = store.open_unit(Access::kWrite);
    ASSERT_TRUE(work) << work.error().message;
    ASSERT_TRUE(work->raw_messages().allow_spam_sender("anna@example.org", "bob@corp.example"));
    ASSERT_TRUE(work->raw_messages().allow_spam_sender("anna@example.org", "cli"));  // again: no error
    ASSERT_TRUE(work->commit());
  }
  auto yes = store.raw_messages().spam_sender_allowed("anna@example.org");
  ASSERT_TRUE(yes) << yes.error().message;
  EXPECT_TRUE(*yes);
  auto no = store.raw_messages().spam_sender_allowed("eve@example.org");
  ASSERT_TRUE(no);
  EXPECT_FALSE(*no);
  // Rolled back: not allowed.
  {
    auto work = store.open_unit(Access::kWrite);
    ASSERT_TRUE(work);
    ASSERT_TRUE(work->raw_messages().allow_spam_sender("eve@example.org", "cli"));
  }
  EXPECT_FALSE(*store.raw_messages().spam_sender_allowed("eve@example.org"));

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "t.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT 1 FROM spam_allowed_senders WHERE email = ?",
                               -1, &st, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  std::string plan;
  while (sqlite3_step(st) == SQLITE_ROW) plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(plan.rfind("SEARCH spam_allowed_senders USING", 0), 0u) << plan;
}

}  // namespace
}  // namespace mailcase::store

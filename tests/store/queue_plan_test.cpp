// The queue statements that run often: a new case reads its queue's members (for the
// notices), and the console's queue list counts open cases per queue. Neither may read a
// growing table whole: the members by the queue's name index and the key of
// queue_members, the counts by the status index's open ranges only.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <string>

#include "store/store.h"
#include "support/query_plan.h"
#include "support/test_support.h"

namespace mailcase::store {
namespace {

std::string plan_of(const std::filesystem::path& file, const char* sql) {
  return mailcase::testing::query_plan(file, sql);
}

TEST(QueuePlan, MembersOfAQueueAreFoundByIndex) {
  mailcase::testing::TempDir dir;
  const auto file = dir.path() / "q.db";
  auto store = open_sqlite(file);
  ASSERT_TRUE(store) << store.error().message;
  const auto plan = plan_of(file, kSqliteQueueAgentsSql);
  EXPECT_EQ(plan.find("SCAN"), std::string::npos) << plan;
  EXPECT_NE(plan.find("(name=?)"), std::string::npos) << plan;
  EXPECT_NE(plan.find("SEARCH m USING PRIMARY KEY (queue_id=?)"), std::string::npos) << plan;
  EXPECT_NE(plan.find("SEARCH a USING INTEGER PRIMARY KEY (rowid=?)"), std::string::npos) << plan;
  // And it is the statement the store runs.
  ASSERT_TRUE((*store)->queues().queue_agents("Support"));
  auto prepared = sqlite_prepared_sql(**store);
  EXPECT_NE(std::find(prepared.begin(), prepared.end(), std::string(kSqliteQueueAgentsSql)), prepared.end());
}

TEST(QueuePlan, OpenCasesAreReadFromTheKeptCountsNeverTheCases) {
  mailcase::testing::TempDir dir;
  const auto file = dir.path() / "q.db";
  auto store = open_sqlite(file);
  ASSERT_TRUE(store) << store.error().message;
  const auto plan = plan_of(file, kSqliteOpenCasesByQueueSql);
  EXPECT_EQ(plan.find(" cases"), std::string::npos) << plan;
  EXPECT_NE(plan.find("open_case_counts"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
  ASSERT_TRUE((*store)->queues().list_queues());
  auto prepared = sqlite_prepared_sql(**store);
  EXPECT_NE(std::find(prepared.begin(), prepared.end(), std::string(kSqliteOpenCasesByQueueSql)),
            prepared.end());
}

}  // namespace
}  // namespace mailcase::store

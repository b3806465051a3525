// Processes with stages (ProcessRepository), and the process and stage a case, a routing
// address and a mailbox keep.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <vector>

#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::store {
namespace {

class ProcessStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite(dir_.path() / "t.db");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  mailcase::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(ProcessStoreTest, AProcessKeepsItsStagesInOrderAndItsNameIsUnique) {
  auto work = store_->open_unit(Access::kWrite);
  ASSERT_TRUE(work) << work.error().message;
  ASSERT_TRUE(
      work->processes().add_process({.name = "Support", .stages = {"New", "Analysis", "Fix", "Done"}}));
  ASSERT_TRUE(work->processes().add_process({.name = "Billing", .stages = {"Open"}}));
  auto again = work->processes().add_process({.name = "Support", .stages = {"Other"}});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(work->commit());

  auto found = store_->processes().find_process("Support");
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->stages, (std::vector<std::string>{"New", "Analysis", "Fix", "Done"}));
  EXPECT_FALSE((*found)->created_at.empty());
  EXPECT_FALSE(*store_->processes().find_process("support"));  // names are exact
  auto all = store_->processes().list_processes();
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "Billing");  // by name
  EXPECT_EQ((*all)[1].name, "Support");
}

TEST_F(ProcessStoreTest, ACaseKeepsItsProcessAndStageThroughEveryRead) {
  auto work = store_->begin_work();
  ASSERT_TRUE(work);
  Case c;
  c.subject = "printer";
  c.process = "Support";
  c.stage = "New";
  auto made = store_->insert_case(c, "CS", 7);
  ASSERT_TRUE(made) << made.error().message;
  ASSERT_TRUE(work->commit());

  auto got = store_->get_case(made->id);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->process, "Support");
  EXPECT_EQ((*got)->stage, "New");
  auto changed = **got;
  changed.stage = "Fix";
  ASSERT_TRUE(store_->update_case(changed));
  auto by_number = store_->find_case_by_number(made->number);
  ASSERT_TRUE(by_number && *by_number);
  EXPECT_EQ((*by_number)->stage, "Fix");
  auto list = store_->list_cases(5);
  ASSERT_TRUE(list && list->size() == 1u);
  EXPECT_EQ((*list)[0].c.process, "Support");
  EXPECT_EQ((*list)[0].c.stage, "Fix");
  auto page = store_->find_cases(CaseQuery{});
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].summary.c.stage, "Fix");
}

TEST_F(ProcessStoreTest, RoutingAddressesAndMailboxesNameTheirProcess) {
  RoutingAddress a;
  a.email = "support@corp.example";
  a.process = "Support";
  ASSERT_TRUE(store_->put_address(a));
  auto addresses = store_->list_addresses();
  ASSERT_TRUE(addresses && addresses->size() == 1u);
  EXPECT_EQ((*addresses)[0].process, "Support");
  a.process = "";
  ASSERT_TRUE(store_->put_address(a));  // a change replaces it
  EXPECT_EQ((*store_->list_addresses())[0].process, "");

  Mailbox m;
  m.name = "inbox";
  m.host = "imap.example";
  m.port = 993;
  m.user = "u";
  m.process = "Billing";
  ASSERT_TRUE(store_->add_mailbox(m));
  auto boxes = store_->list_mailboxes();
  ASSERT_TRUE(boxes && boxes->size() == 1u);
  EXPECT_EQ((*boxes)[0].process, "Billing");
}

TEST(ProcessPlan, AProcessIsFoundByItsNamesIndex) {
  mailcase::testing::TempDir dir;
  const auto file = dir.path() / "p.db";
  auto store = open_sqlite(file);
  ASSERT_TRUE(store) << store.error().message;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  const std::string eqp = std::string("EXPLAIN QUERY PLAN ") + kSqliteFindProcessSql;
  ASSERT_EQ(sqlite3_prepare_v2(db, eqp.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::string plan;
  while (sqlite3_step(st) == SQLITE_ROW) plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(plan.find("SCAN"), std::string::npos) << plan;
  EXPECT_NE(plan.find("(name=?)"), std::string::npos) << plan;
  // And it is the statement the store runs.
  ASSERT_TRUE((*store)->processes().find_process("Support"));
  auto prepared = sqlite_prepared_sql(**store);
  EXPECT_NE(std::find(prepared.begin(), prepared.end(), std::string(kSqliteFindProcessSql)), prepared.end());
}

}  // namespace
}  // namespace mailcase::store

// The API by mail's store (ApiSenderRepository, migration 27) and the unit of work's
// savepoints: senders by email, each used proof once, and a part of a unit undone alone.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "store/store.h"
#include "support/query_plan.h"
#include "support/test_support.h"

namespace mailcase::store {
namespace {

std::string plan_of(const std::filesystem::path& file, const char* sql) {
  return mailcase::testing::query_plan(file, sql);
}

class ApiSenderStore : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = dir_.path() / "a.db";
    auto s = open_sqlite(file_);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  mailcase::testing::TempDir dir_;
  std::filesystem::path file_;
  std::unique_ptr<Store> store_;
};

TEST_F(ApiSenderStore, SendersAreAddedFoundListedAndRemoved) {
  {
    auto u = store_->begin_work();
    ASSERT_TRUE(u);
    ApiSender s;
    s.email = "CRM@Partner.Example";
    s.secret_file = "/etc/crm.secret";
    ASSERT_TRUE(u->api_senders().add_api_sender(s));
    ApiSender d;
    d.email = "ops@corp.example";
    d.dkim = true;
    ASSERT_TRUE(u->api_senders().add_api_sender(d));
    auto again = u->api_senders().add_api_sender(s);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::kConflict);
    ASSERT_TRUE(u->commit());
  }
  auto u = store_->open_unit(Access::kWrite);
  ASSERT_TRUE(u);
  auto found = u->api_senders().find_api_sender("crm@PARTNER.example");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->email, "crm@partner.example");
  EXPECT_EQ((*found)->secret_file, "/etc/crm.secret");
  EXPECT_FALSE((*found)->dkim);
  EXPECT_FALSE((*found)->created_at.empty());
  auto all = u->api_senders().list_api_senders();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_TRUE((*all)[1].dkim);
  EXPECT_TRUE(u->api_senders().remove_api_sender("CRM@partner.example"));
  auto gone = u->api_senders().remove_api_sender("crm@partner.example");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(u->commit());
}

TEST_F(ApiSenderStore, EachProofIsClaimedOnceUntilPurged) {
  auto u = store_->begin_work();
  ASSERT_TRUE(u);
  auto& r = u->api_senders();
  EXPECT_EQ(r.claim_api_proof("mid:a@b", 100), true);
  EXPECT_EQ(r.claim_api_proof("mid:a@b", 200), false);
  EXPECT_EQ(r.claim_api_proof("sig:00", 300), true);
  EXPECT_EQ(r.purge_api_proofs(250), 1);
  EXPECT_EQ(r.claim_api_proof("mid:a@b", 400), true) << "forgotten once purged";
  EXPECT_EQ(r.claim_api_proof("sig:00", 400), false);
  ASSERT_TRUE(u->commit());
}

// Each mail to an api address looks its sender up, claims its proofs and purges the old
// ones: each an index search, never a scan of a table that grows with the mail.
TEST_F(ApiSenderStore, LookupsUseIndexes) {
  for (const char* sql :
       {"SELECT id, email, secret_file, dkim, created_at FROM api_senders WHERE email = 'x'",
        "SELECT seen_at FROM api_proofs_seen WHERE key = 'mid:x'",
        "DELETE FROM api_proofs_seen WHERE seen_at < 5"}) {
    const std::string plan = plan_of(file_, sql);
    EXPECT_EQ(plan.rfind("SEARCH ", 0), 0u) << sql << "\n" << plan;
    EXPECT_EQ(plan.find("SCAN"), std::string::npos) << sql << "\n" << plan;
  }
}

// Savepoints, on the store's own unit (begin_work) and on a pooled one (open_unit).
void savepoint_undoes_only_what_follows(Store& st, UnitOfWork& u, const std::string& account) {
  Account before;
  before.name = account + "-kept";
  ASSERT_TRUE(u.accounts().add_account(before));
  ASSERT_TRUE(u.savepoint("part"));
  Account after;
  after.name = account + "-undone";
  ASSERT_TRUE(u.accounts().add_account(after));
  ASSERT_TRUE(u.rollback_to_savepoint("part"));
  ASSERT_TRUE(u.release_savepoint("part"));
  Account last;
  last.name = account + "-last";
  ASSERT_TRUE(u.accounts().add_account(last));
  ASSERT_TRUE(u.commit());
  EXPECT_TRUE(*st.find_account_by_name(account + "-kept"));
  EXPECT_FALSE(*st.find_account_by_name(account + "-undone"));
  EXPECT_TRUE(*st.find_account_by_name(account + "-last"));
}

TEST_F(ApiSenderStore, ASavepointUndoesOnlyTheWritesAfterIt) {
  {
    auto u = store_->begin_work();
    ASSERT_TRUE(u);
    savepoint_undoes_only_what_follows(*store_, *u, "own");
  }
  {
    auto u = store_->open_unit(Access::kWrite);
    ASSERT_TRUE(u);
    savepoint_undoes_only_what_follows(*store_, *u, "pooled");
  }
  auto u = store_->begin_work();
  ASSERT_TRUE(u);
  auto bad = u->savepoint("x; DROP TABLE cases");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidInput);
  u->rollback();
  EXPECT_FALSE(u->savepoint("closed")) << "no savepoint on a closed unit";
}

}  // namespace
}  // namespace mailcase::store

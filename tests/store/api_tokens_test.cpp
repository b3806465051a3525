// Agents' passwords and API tokens in the store (migration 12).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/agents.h"
#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::store {
namespace {

class AccessStore : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite(file());
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    auto work = store_->begin_work();
    ASSERT_TRUE(work) << work.error().message;
    Agent a;
    a.name = "Marek";
    a.email = "marek@corp.example";
    auto id = store_->add_agent(a);
    ASSERT_TRUE(id) << id.error().message;
    marek_ = *id;
    ASSERT_TRUE(work->commit());
  }
  std::filesystem::path file() const { return dir_.path() / "t.db"; }
  ApiToken token(const std::string& digest, const std::string& label = "") const {
    ApiToken t;
    t.agent_id = marek_;
    t.label = label;
    t.digest = digest;
    return t;
  }
  // Runs f in a unit of work and commits it.
  template <typename F>
  void write(F&& f) {
    auto done = in_transaction(*store_, [&]() -> Status {
      f();
      return {};
    });
    ASSERT_TRUE(done) << done.error().message;
  }

  mailcase::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  Id marek_ = 0;
};

TEST_F(AccessStore, APasswordHashIsSetReadAndClearedPerAgent) {
  auto none = store_->agent_password_hash("marek@corp.example");
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_FALSE(*none);

  write([&] { ASSERT_TRUE(store_->set_agent_password("MAREK@corp.example", "$argon2id$v=19$x")); });
  auto set = store_->agent_password_hash("marek@CORP.example");
  ASSERT_TRUE(set && *set);
  EXPECT_EQ(**set, "$argon2id$v=19$x");

  write([&] { ASSERT_TRUE(store_->set_agent_password("marek@corp.example", "")); });
  auto cleared = store_->agent_password_hash("marek@corp.example");
  ASSERT_TRUE(cleared);
  EXPECT_FALSE(*cleared);

  write([&] {
    auto s = store_->set_agent_password("nobody@corp.example", "$argon2id$v=19$x");
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  });
  auto unknown = store_->agent_password_hash("nobody@corp.example");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST_F(AccessStore, ATokenIsFoundByItsDigestWithItsAgent) {
  const std::string digest(64, 'a');
  Id id = 0;
  write([&] {
    auto added = store_->add_api_token(token(digest, "ci"));
    ASSERT_TRUE(added) << added.error().message;
    id = *added;
  });
  auto found = store_->find_api_token(digest);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, id);
  EXPECT_EQ((*found)->agent_id, marek_);
  EXPECT_EQ((*found)->agent_email, "marek@corp.example");
  EXPECT_EQ((*found)->label, "ci");
  EXPECT_EQ((*found)->digest, digest);
  EXPECT_FALSE((*found)->created_at.empty());
  EXPECT_FALSE((*found)->last_used_at);
  EXPECT_FALSE((*found)->revoked_at);
  auto missing = store_->find_api_token(std::string(64, 'b'));
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);

  // Through a pooled read unit, as each API request looks it up.
  auto unit = store_->open_unit(Access::kRead);
  ASSERT_TRUE(unit) << unit.error().message;
  auto pooled = unit->agents().find_api_token(digest);
  ASSERT_TRUE(pooled && *pooled);
  EXPECT_EQ((*pooled)->id, id);
}

TEST_F(AccessStore, ADuplicateDigestOrAnUnknownAgentIsRefused) {
  write([&] { ASSERT_TRUE(store_->add_api_token(token(std::string(64, 'a')))); });
  write([&] {
    auto dup = store_->add_api_token(token(std::string(64, 'a')));
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
    auto orphan = token(std::string(64, 'c'));
    orphan.agent_id = marek_ + 100;
    auto no_agent = store_->add_api_token(orphan);
    ASSERT_FALSE(no_agent);
    EXPECT_EQ(no_agent.error().code, ErrorCode::kNotFound);
  });
  auto all = store_->list_api_tokens();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(AccessStore, TheListNeverCarriesDigests) {
  write([&] {
    ASSERT_TRUE(store_->add_api_token(token(std::string(64, 'a'), "first")));
    ASSERT_TRUE(store_->add_api_token(token(std::string(64, 'b'), "second")));
  });
  auto all = store_->list_api_tokens();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].label, "first");
  EXPECT_EQ((*all)[1].label, "second");
  for (const auto& t : *all) {
    EXPECT_EQ(t.digest, "");
    EXPECT_EQ(t.agent_email, "marek@corp.example");
  }
}

TEST_F(AccessStore, RevokingKeepsTheFirstTimeAndAnUnknownIdIsNotFound) {
  Id id = 0;
  write([&] { id = *store_->add_api_token(token(std::string(64, 'a'))); });
  write([&] { ASSERT_TRUE(store_->revoke_api_token(id)); });
  auto first = store_->find_api_token(std::string(64, 'a'));
  ASSERT_TRUE(first && *first && (*first)->revoked_at);
  {
    // Back-date the revocation, so that a second one overwriting it would show.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE api_tokens SET revoked_at = '2020-01-01T00:00:00Z'", nullptr, nullptr,
                           nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  write([&] { ASSERT_TRUE(store_->revoke_api_token(id)); });
  auto again = store_->find_api_token(std::string(64, 'a'));
  ASSERT_TRUE(again && *again);
  EXPECT_EQ((*again)->revoked_at, "2020-01-01T00:00:00Z");
  write([&] {
    auto none = store_->revoke_api_token(id + 1);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
  });
}

TEST_F(AccessStore, TouchingRecordsTheLastUseAndNeverMovesItBack) {
  Id id = 0;
  write([&] { id = *store_->add_api_token(token(std::string(64, 'a'))); });
  auto last_used = [&] {
    auto t = store_->find_api_token(std::string(64, 'a'));
    EXPECT_TRUE(t && *t);
    return (*t)->last_used_at;
  };
  write([&] { ASSERT_TRUE(store_->touch_api_token(id, "2026-12-01T20:00:00Z")); });
  EXPECT_EQ(last_used(), "2026-12-01T20:00:00Z");
  write([&] { ASSERT_TRUE(store_->touch_api_token(id, "2026-12-01T19:59:00Z")); });
  EXPECT_EQ(last_used(), "2026-12-01T20:00:00Z");
  write([&] { ASSERT_TRUE(store_->touch_api_token(id, "2026-12-01T20:05:00Z")); });
  EXPECT_EQ(last_used(), "2026-12-01T20:05:00Z");
  write([&] {
    auto none = store_->touch_api_token(id + 1, "2026-12-01T20:05:00Z");
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
  });
}

// Each API request looks its token up by digest: that must stay an index search however
// many tokens there are.
TEST_F(AccessStore, FindingATokenIsAnIndexLookup) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(file().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  std::string eqp = std::string("EXPLAIN QUERY PLAN ") + kSqliteFindApiTokenSql;
  ASSERT_EQ(sqlite3_prepare_v2(db, eqp.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::string plan;
  while (sqlite3_step(st) == SQLITE_ROW)
    plan += std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 3))) + "\n";
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(plan.find("SCAN"), std::string::npos) << plan;
  EXPECT_NE(plan.find("SEARCH t USING INDEX"), std::string::npos) << plan;
  EXPECT_NE(plan.find("(digest=?)"), std::string::npos) << plan;

  // And it is the statement the store runs.
  ASSERT_TRUE(store_->find_api_token(std::string(64, 'a')));
  auto prepared = sqlite_prepared_sql(*store_);
  EXPECT_NE(std::find(prepared.begin(), prepared.end(), std::string(kSqliteFindApiTokenSql)), prepared.end());
}

// A store as the release before migration 12 left it: its agents have no password and
// no tokens, and keep everything else.
TEST(AccessMigration, AgentsOfAnOlderStoreHaveNoPassword) {
  mailcase::testing::TempDir dir;
  const auto file = dir.path() / "t.db";
  {
    SqliteOptions old;
    old.max_schema_version = 11;
    auto st = open_sqlite(file, old);
    ASSERT_TRUE(st) << st.error().message;
    auto work = (*st)->begin_work();
    ASSERT_TRUE(work);
    Agent a;
    a.name = "Ada";
    a.email = "ada@corp.example";
    a.role = AgentRole::kAdmin;
    ASSERT_TRUE((*st)->add_agent(a));
    ASSERT_TRUE(work->commit());
  }
  auto st = open_sqlite(file);
  ASSERT_TRUE(st) << st.error().message;
  auto a = (*st)->find_agent_by_email("ada@corp.example");
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->role, AgentRole::kAdmin);
  auto hash = (*st)->agent_password_hash("ada@corp.example");
  ASSERT_TRUE(hash);
  EXPECT_FALSE(*hash);
  auto tokens = (*st)->list_api_tokens();
  ASSERT_TRUE(tokens);
  EXPECT_TRUE(tokens->empty());
}

}  // namespace
}  // namespace mailcase::store

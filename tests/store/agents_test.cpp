// Agents in the store, the pure rules behind them (role text, address shape), and
// migration 9, which turns today's free-text case owners into agents or notes.
#include "store/agents.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::store {
namespace {

TEST(AgentRoles, EveryRoleRoundTripsAndUnknownTextIsAnError) {
  for (auto r : {AgentRole::kAgent, AgentRole::kAdmin}) {
    auto back = parse_agent_role(to_string(r));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, r);
  }
  EXPECT_STREQ(to_string(AgentRole::kAdmin), "admin");
  for (const char* bad : {"", "Admin", "boss", "agent "}) {
    auto r = parse_agent_role(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  }
}

TEST(AgentEmails, OnlyASingleAddressIsAnEmail) {
  for (const char* ok : {"bob@corp.example", "Bob.Smith+it@Corp.Example", "a@localhost", "x@b-c.example"})
    EXPECT_TRUE(is_email_address(ok)) << ok;
  for (const char* bad :
       {"", "Bob", "bob@", "@corp.example", "bob@@corp.example", "a@b@corp.example", "bob smith@corp.example",
        "bob@corp.example, eve@evil.example", "<bob@corp.example>", "bob@corp..example", "bob@-corp.example",
        ".bob@corp.example", "bob@corp.example.", "bob@corp_x.example", "\"bob\"@corp.example"})
    EXPECT_FALSE(is_email_address(bad)) << bad;
  EXPECT_FALSE(is_email_address(std::string(250, 'a') + "@x.example"));
  EXPECT_EQ(agent_email_problem("bob@corp.example"), "");
  EXPECT_NE(agent_email_problem("Bob").find("not an email address"), std::string::npos);
}

TEST(OwnerMigration, AnAddressBecomesAnAgentNamedAfterItsLocalPart) {
  auto p = plan_owner_migration(" Bob.Smith@Corp.Example ");
  ASSERT_TRUE(p.agent);
  EXPECT_EQ(p.agent->email, "bob.smith@corp.example");
  EXPECT_EQ(p.agent->name, "Bob.Smith");
  EXPECT_EQ(p.agent->role, AgentRole::kAgent);
  EXPECT_TRUE(p.agent->active);
  EXPECT_EQ(p.note, "");
}

TEST(OwnerMigration, AnythingElseBecomesANote) {
  auto p = plan_owner_migration("Bob (2nd line)");
  EXPECT_FALSE(p.agent);
  EXPECT_EQ(p.note, "owner was: Bob (2nd line)");
  auto none = plan_owner_migration("  ");
  EXPECT_FALSE(none.agent);
  EXPECT_EQ(none.note, "");
}

class AgentStore : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite(file());
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  std::filesystem::path file() const { return dir_.path() / "t.db"; }
  Agent agent(const std::string& name, const std::string& email, AgentRole role = AgentRole::kAgent) {
    Agent a;
    a.name = name;
    a.email = email;
    a.role = role;
    return a;
  }
  mailcase::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(AgentStore, AddFindListAndDisable) {
  auto work = store_->begin_work();
  ASSERT_TRUE(work) << work.error().message;
  ASSERT_TRUE(store_->add_agent(agent("Marek", "Marek@Corp.example")));
  ASSERT_TRUE(store_->add_agent(agent("Ada", "ada@corp.example", AgentRole::kAdmin)));
  ASSERT_TRUE(work->commit());

  auto m = store_->find_agent_by_email("MAREK@corp.EXAMPLE");
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->email, "marek@corp.example");
  EXPECT_EQ((*m)->name, "Marek");
  EXPECT_TRUE((*m)->active);
  EXPECT_FALSE((*m)->created_at.empty());
  auto none = store_->find_agent_by_email("nobody@corp.example");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);

  auto all = store_->list_agents();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].email, "ada@corp.example");
  EXPECT_EQ((*all)[0].role, AgentRole::kAdmin);

  auto disabling = store_->begin_work();
  ASSERT_TRUE(disabling) << disabling.error().message;
  ASSERT_TRUE(store_->set_agent_active("marek@CORP.example", false));
  auto missing = store_->set_agent_active("nobody@corp.example", false);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(disabling->commit());
  m = store_->find_agent_by_email("marek@corp.example");
  ASSERT_TRUE(m && *m);
  EXPECT_FALSE((*m)->active);
}

TEST_F(AgentStore, TheEmailIsUniqueWhateverItsLetterCase) {
  auto work = store_->begin_work();
  ASSERT_TRUE(work) << work.error().message;
  ASSERT_TRUE(store_->add_agent(agent("Marek", "marek@corp.example")));
  auto again = store_->add_agent(agent("Other", "MAREK@corp.example"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  work->rollback();
}

// A role the program does not know (written by a newer release, or by hand) is reported,
// never read as some default role.
TEST_F(AgentStore, AnUnknownRoleInTheStoreIsAnError) {
  auto work = store_->begin_work();
  ASSERT_TRUE(work) << work.error().message;
  ASSERT_TRUE(store_->add_agent(agent("Marek", "marek@corp.example")));
  ASSERT_TRUE(work->commit());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA ignore_check_constraints = ON; UPDATE agents SET role = 'owner'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto found = store_->find_agent_by_email("marek@corp.example");
  ASSERT_FALSE(found);
  EXPECT_NE(found.error().message.find("owner"), std::string::npos) << found.error().message;
  EXPECT_FALSE(store_->list_agents());
}

// A store as the release before agents left it: cases whose owner is free text.
TEST(AgentMigration, FreeTextOwnersBecomeAgentsOrNotes) {
  mailcase::testing::TempDir dir;
  const auto file = dir.path() / "t.db";
  std::vector<Id> ids;
  {
    SqliteOptions old;
    old.max_schema_version = 8;
    ASSERT_TRUE(open_sqlite(file, old));
    // The rows as that release wrote them: today's store writes columns it did not have.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    for (const char* owner : {"Bob", "bob@corp.example", "Bob@Corp.Example", "", "Anna Kowalska"}) {
      sqlite3_stmt* st = nullptr;
      ASSERT_EQ(
          sqlite3_prepare_v2(db,
                             "INSERT INTO cases (number, subject, description, status, priority, queue, "
                             "owner, created_at, updated_at) VALUES ('CS' || (SELECT count(*) + 1 FROM "
                             "cases), 's', 'd', 'new', 'normal', 'support', ?, '2026-11-01T00:00:00Z', "
                             "'2026-11-01T00:00:00Z')",
                             -1, &st, nullptr),
          SQLITE_OK)
          << sqlite3_errmsg(db);
      sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
      EXPECT_EQ(sqlite3_step(st), SQLITE_DONE) << sqlite3_errmsg(db);
      sqlite3_finalize(st);
      ids.push_back(sqlite3_last_insert_rowid(db));
    }
    sqlite3_close(db);
  }
  auto st = open_sqlite(file);
  ASSERT_TRUE(st) << st.error().message;
  auto& s = **st;

  auto all = s.list_agents();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].email, "bob@corp.example");
  EXPECT_EQ((*all)[0].name, "bob");
  EXPECT_EQ((*all)[0].role, AgentRole::kAgent);
  EXPECT_TRUE((*all)[0].active);

  auto owner_of = [&](Id id) {
    auto c = s.get_case(id);
    return c && *c ? (*c)->owner : std::string("?");
  };
  auto notes_of = [&](Id id) {
    std::vector<std::string> out;
    auto cs = s.comments_of(id);
    if (cs)
      for (const auto& c : *cs)
        if (c.direction == store::Direction::kNote && c.visibility == store::Visibility::kInternal)
          out.push_back(c.body);
    return out;
  };
  EXPECT_EQ(owner_of(ids[0]), "");
  EXPECT_EQ(notes_of(ids[0]), std::vector<std::string>{"owner was: Bob"});
  EXPECT_EQ(owner_of(ids[1]), "bob@corp.example");
  EXPECT_EQ(owner_of(ids[2]), "bob@corp.example");
  EXPECT_TRUE(notes_of(ids[1]).empty());
  EXPECT_TRUE(notes_of(ids[2]).empty());
  EXPECT_EQ(owner_of(ids[3]), "");
  EXPECT_TRUE(notes_of(ids[3]).empty());
  EXPECT_EQ(owner_of(ids[4]), "");
  EXPECT_EQ(notes_of(ids[4]), std::vector<std::string>{"owner was: Anna Kowalska"});

  // Opening again applies nothing twice.
  st->reset();
  auto again = open_sqlite(file);
  ASSERT_TRUE(again) << again.error().message;
  auto notes = (*again)->comments_of(ids[0]);
  ASSERT_TRUE(notes);
  EXPECT_EQ(notes->size(), 1u);
}

}  // namespace
}  // namespace mailcase::store

// The assignment rules' repository (migrations 21 and 22): dense positions as rules are
// added, moved and removed; the version every change bumps; hit counts; round-robin's
// candidates with the per-agent open-case counts the store keeps; and the query plans of
// the statements ingest runs for each mail.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <vector>

#include "store/store.h"
#include "support/query_plan.h"
#include "support/test_support.h"

namespace mailcase::store {
namespace {

std::string plan_of(const std::filesystem::path& file, const char* sql) {
  return mailcase::testing::query_plan(file, sql);
}

rules::Rule rule(const std::string& name, int position = 0) {
  rules::Rule r;
  r.name = name;
  r.position = position;
  r.set.queue = "q-" + name;
  return r;
}

class RuleStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite(file_);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }

  template <typename F>
  void committed(F&& f) {
    auto r = in_transaction(*store_, [&]() -> Status {
      auto done = f();  // a Status, or a Result whose value is not needed
      if (!done) return tl::unexpected(done.error());
      return {};
    });
    ASSERT_TRUE(r) << r.error().message;
  }

  // The rules' names in the order the store lists them, each with its position.
  std::vector<std::string> order() {
    auto all = store_->rules().list_rules();
    EXPECT_TRUE(all) << all.error().message;
    std::vector<std::string> out;
    if (!all) return out;
    for (const auto& r : *all) out.push_back(std::to_string(r.position) + ":" + r.name);
    return out;
  }

  int64_t version() {
    auto v = store_->rules().rules_version();
    EXPECT_TRUE(v) << v.error().message;
    return v ? *v : -1;
  }

  Case new_case(const std::string& owner, const std::string& queue = "support") {
    Case c;
    c.subject = "s";
    c.description = "d";
    c.queue = queue;
    c.owner = owner;
    Case out;
    committed([&]() -> Status {
      MC_ASSIGN_OR_RETURN(out, store_->insert_case(c, "CS", 5));
      return {};
    });
    return out;
  }

  std::vector<std::string> candidates(const std::string& queue) {
    auto c = store_->rules().round_robin_candidates(queue);
    EXPECT_TRUE(c) << c.error().message;
    std::vector<std::string> out;
    if (!c) return out;
    for (const auto& x : *c)
      out.push_back(x.email + "=" + std::to_string(x.open_cases) + "@" + std::to_string(x.last_assigned_seq));
    return out;
  }

  mailcase::testing::TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "rules.db";
  std::unique_ptr<Store> store_;
};

using V = std::vector<std::string>;

TEST_F(RuleStoreTest, PositionsStayDenseAsRulesAreAddedMovedAndRemoved) {
  committed([&]() -> Status {
    MC_RETURN_IF_ERROR(store_->rules().add_rule(rule("a")));
    MC_RETURN_IF_ERROR(store_->rules().add_rule(rule("b", 0)));           // 0: last
    MC_RETURN_IF_ERROR(store_->rules().add_rule(rule("c", 99)));          // past the end: last
    MC_ASSIGN_OR_RETURN(auto d, store_->rules().add_rule(rule("d", 1)));  // first, the rest move down
    EXPECT_EQ(d.position, 1);
    EXPECT_GT(d.id, 0);
    EXPECT_FALSE(d.created_at.empty());
    return {};
  });
  EXPECT_EQ(order(), (V{"1:d", "2:a", "3:b", "4:c"}));

  committed([&] { return store_->rules().move_rule("d", 3); });
  EXPECT_EQ(order(), (V{"1:a", "2:b", "3:d", "4:c"}));
  committed([&] { return store_->rules().move_rule("c", 1); });
  EXPECT_EQ(order(), (V{"1:c", "2:a", "3:b", "4:d"}));
  committed([&] { return store_->rules().move_rule("c", 0); });  // 0: last
  EXPECT_EQ(order(), (V{"1:a", "2:b", "3:d", "4:c"}));

  committed([&] { return store_->rules().remove_rule("b"); });
  EXPECT_EQ(order(), (V{"1:a", "2:d", "3:c"}));
  committed([&] { return store_->rules().remove_rule("a"); });
  EXPECT_EQ(order(), (V{"1:d", "2:c"}));
}

TEST_F(RuleStoreTest, ARuleKeepsEveryConditionAndActionItWasGiven) {
  rules::Rule r;
  r.name = "VIP billing";
  r.enabled = false;
  r.when = {"billing@example.com",
            "ann@acme.example",
            "acme.example",
            "ann@acme.example",
            "Acme",
            "gold",
            "invoice|refund",
            "urgent",
            true,
            "high",
            "fr",
            false};
  r.set = {"billing", "round-robin", "urgent", "widget", "refunds"};
  r.continue_after = true;
  committed([&] { return store_->rules().add_rule(r); });
  auto found = store_->rules().find_rule("VIP billing");
  ASSERT_TRUE(found && *found);
  const auto& f = **found;
  EXPECT_FALSE(f.enabled);
  EXPECT_EQ(f.when.address, "billing@example.com");
  EXPECT_EQ(f.when.sender_domain, "acme.example");
  EXPECT_EQ(f.when.account_level, "gold");
  EXPECT_EQ(f.when.subject, "invoice|refund");
  EXPECT_EQ(f.when.body, "urgent");
  EXPECT_EQ(f.when.attachments, std::optional<bool>(true));
  EXPECT_EQ(f.when.language, "fr");
  EXPECT_EQ(f.when.business_hours, std::optional<bool>(false));
  EXPECT_EQ(f.set.owner, "round-robin");
  EXPECT_EQ(f.set.process, "refunds");
  EXPECT_TRUE(f.continue_after);
  // Unset conditions stay unset.
  committed([&] { return store_->rules().add_rule(rule("plain")); });
  auto plain = store_->rules().find_rule("plain");
  ASSERT_TRUE(plain && *plain);
  EXPECT_FALSE((*plain)->when.attachments.has_value());
  EXPECT_FALSE((*plain)->when.business_hours.has_value());
  EXPECT_TRUE((*plain)->enabled);
  // Names are exact.
  auto other = store_->rules().find_rule("vip billing");
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->has_value());
}

TEST_F(RuleStoreTest, EveryChangeBumpsTheVersionAndHitsDoNot) {
  int64_t v = version();
  EXPECT_EQ(v, 0);
  auto bumped = [&] {
    int64_t now = version();
    EXPECT_GT(now, v);
    v = now;
  };
  committed([&] { return store_->rules().add_rule(rule("a")); });
  bumped();
  committed([&] { return store_->rules().add_rule(rule("b")); });
  bumped();
  committed([&] { return store_->rules().set_rule_enabled("a", false); });
  bumped();
  committed([&] { return store_->rules().move_rule("a", 2); });
  bumped();
  committed([&] { return store_->rules().count_rule_hits({"a", "b", "b"}); });
  EXPECT_EQ(version(), v);
  committed([&] { return store_->rules().remove_rule("b"); });
  bumped();
  // Seen by another store on the same file, as `mailcase rule …` is by a running server.
  auto other = open_sqlite(file_);
  ASSERT_TRUE(other);
  auto seen = (*other)->rules().rules_version();
  ASSERT_TRUE(seen);
  EXPECT_EQ(*seen, v);
}

TEST_F(RuleStoreTest, HitsCountEachMatch) {
  committed([&]() -> Status {
    MC_RETURN_IF_ERROR(store_->rules().add_rule(rule("a")));
    MC_RETURN_IF_ERROR(store_->rules().add_rule(rule("b")));
    return {};
  });
  committed([&] { return store_->rules().count_rule_hits({"a", "b"}); });
  committed([&] { return store_->rules().count_rule_hits({"b"}); });
  auto all = store_->rules().list_rules();
  ASSERT_TRUE(all);
  EXPECT_EQ((*all)[0].hits, 1);
  EXPECT_EQ((*all)[1].hits, 2);
}

TEST_F(RuleStoreTest, UnknownNamesAndTakenNamesAreRefused) {
  committed([&] { return store_->rules().add_rule(rule("a")); });
  auto work = store_->begin_work();
  ASSERT_TRUE(work);
  auto again = store_->rules().add_rule(rule("a", 1));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  for (auto s : {store_->rules().set_rule_enabled("zz", true), store_->rules().move_rule("zz", 1),
                 store_->rules().remove_rule("zz")}) {
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::kNotFound) << s.error().message;
    EXPECT_NE(s.error().message.find("zz"), std::string::npos);
  }
  work->rollback();
  EXPECT_EQ(order(), (V{"1:a"}));
}

TEST_F(RuleStoreTest, CandidatesAreTheActiveMembersWithTheirKeptOpenCounts) {
  committed([&]() -> Status {
    for (const auto& [name, email] :
         {std::pair{"Ann", "ann@example.com"}, std::pair{"Bob", "bob@example.com"},
          std::pair{"Cy", "cy@example.com"}}) {
      Agent a;
      a.name = name;
      a.email = email;
      MC_RETURN_IF_ERROR(store_->add_agent(a));
    }
    MC_RETURN_IF_ERROR(store_->queues().add_queue("support"));
    for (auto e : {"ann@example.com", "bob@example.com", "cy@example.com"})
      MC_RETURN_IF_ERROR(store_->queues().add_queue_member("support", e));
    return store_->set_agent_active("cy@example.com", false);
  });
  EXPECT_EQ(candidates("support"), (V{"ann@example.com=0@0", "bob@example.com=0@0"}));
  EXPECT_EQ(candidates("nobody's"), V{});

  // Assigned on opening, then given to another (reassigned), then closed.
  Case one = new_case("ann@example.com");
  Case two = new_case("ann@example.com", "elsewhere");  // any queue's case counts
  new_case("");
  EXPECT_EQ(candidates("support"), (V{"ann@example.com=2@0", "bob@example.com=0@0"}));
  one.owner = "bob@example.com";
  committed([&] { return store_->update_case(one); });
  EXPECT_EQ(candidates("support"), (V{"ann@example.com=1@0", "bob@example.com=1@0"}));
  two.status = CaseStatus::kClosed;
  committed([&] { return store_->update_case(two); });
  EXPECT_EQ(candidates("support"), (V{"ann@example.com=0@0", "bob@example.com=1@0"}));
  one.status = CaseStatus::kResolved;
  committed([&] { return store_->update_case(one); });
  EXPECT_EQ(candidates("support"), (V{"ann@example.com=0@0", "bob@example.com=0@0"}));
  one.status = CaseStatus::kOpen;  // reopened
  committed([&] { return store_->update_case(one); });
  EXPECT_EQ(candidates("support"), (V{"ann@example.com=0@0", "bob@example.com=1@0"}));

  // Each round-robin pick is later than the queue's earlier ones.
  committed([&] { return store_->rules().note_round_robin("support", "BOB@example.com"); });
  committed([&] { return store_->rules().note_round_robin("support", "ann@example.com"); });
  EXPECT_EQ(candidates("support"), (V{"ann@example.com=0@2", "bob@example.com=1@1"}));
  committed([&] { return store_->rules().note_round_robin("support", "bob@example.com"); });
  EXPECT_EQ(candidates("support"), (V{"ann@example.com=0@2", "bob@example.com=1@3"}));
  auto work = store_->begin_work();
  ASSERT_TRUE(work);
  auto stranger = store_->rules().note_round_robin("support", "zed@example.com");
  ASSERT_FALSE(stranger);
  EXPECT_EQ(stranger.error().code, ErrorCode::kNotFound);
}

TEST_F(RuleStoreTest, TheVersionIsOneRowByItsKey) {
  const auto plan = plan_of(file_, kSqliteRulesVersionSql);
  EXPECT_EQ(plan.find("SCAN"), std::string::npos) << plan;
  EXPECT_NE(plan.find("SEARCH rules_version USING INTEGER PRIMARY KEY (rowid=?)"), std::string::npos) << plan;
  ASSERT_TRUE(store_->rules().rules_version());
  auto prepared = sqlite_prepared_sql(*store_);
  EXPECT_NE(std::find(prepared.begin(), prepared.end(), std::string(kSqliteRulesVersionSql)), prepared.end());
}

TEST_F(RuleStoreTest, CandidatesAreFoundByIndexNeverByTheCases) {
  const auto plan = plan_of(file_, kSqliteRoundRobinCandidatesSql);
  EXPECT_EQ(plan.find("SCAN"), std::string::npos) << plan;
  EXPECT_EQ(plan.find(" cases"), std::string::npos) << plan;
  EXPECT_NE(plan.find("(name=?)"), std::string::npos) << plan;
  EXPECT_NE(plan.find("SEARCH m USING PRIMARY KEY (queue_id=?)"), std::string::npos) << plan;
  EXPECT_NE(plan.find("SEARCH a USING INTEGER PRIMARY KEY (rowid=?)"), std::string::npos) << plan;
  EXPECT_NE(plan.find("SEARCH c USING PRIMARY KEY (owner=?)"), std::string::npos) << plan;
  ASSERT_TRUE(store_->rules().round_robin_candidates("support"));
  auto prepared = sqlite_prepared_sql(*store_);
  EXPECT_NE(std::find(prepared.begin(), prepared.end(), std::string(kSqliteRoundRobinCandidatesSql)),
            prepared.end());
}

}  // namespace
}  // namespace mailcase::store

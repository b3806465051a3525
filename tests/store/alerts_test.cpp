// The alert rules and alert cases of the SQLite store (AlertRepository, migration 24): a
// key has at most one open alert case, whoever writes it, and a key's latest case is
// found by index.
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

class AlertStore : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = dir_.path() / "a.db";
    auto s = open_sqlite(file_);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  template <typename F>
  auto in_unit(F&& f) {
    auto u = store_->begin_work();
    EXPECT_TRUE(u) << u.error().message;
    auto out = f(*u);
    if (out) {
      EXPECT_TRUE(u->commit());
    }
    return out;
  }

  mailcase::testing::TempDir dir_;
  std::filesystem::path file_;
  std::unique_ptr<Store> store_;
};

TEST_F(AlertStore, RulesAreAddedInOrderListedWithTheirAccountAndRemoved) {
  Account acme;
  acme.name = "Acme";
  auto acme_id = in_unit([&](UnitOfWork& u) { return u.accounts().add_account(acme); });
  ASSERT_TRUE(acme_id);
  auto sig0 = store_->alerts().alert_rules_signature();
  ASSERT_TRUE(sig0);

  alerts::AlertRule a;
  a.name = "nagios";
  a.format = alerts::Format::kNagios;
  a.sender_re = "@nagios\\.";
  a.account_id = *acme_id;
  a.reopen_within_hours = 6;
  auto first = in_unit([&](UnitOfWork& u) { return u.alerts().add_alert_rule(a); });
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->position, 1);
  EXPECT_GT(first->id, 0);
  alerts::AlertRule b;
  b.name = "uptime";
  b.format = alerts::Format::kGeneric;
  b.body_re = "(?P<host>\\S+) (?P<state>\\w+)";
  auto second = in_unit([&](UnitOfWork& u) { return u.alerts().add_alert_rule(b); });
  ASSERT_TRUE(second);
  EXPECT_EQ(second->position, 2);

  auto again = in_unit([&](UnitOfWork& u) { return u.alerts().add_alert_rule(a); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);

  auto all = store_->alerts().list_alert_rules();
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "nagios");
  EXPECT_EQ((*all)[0].account, "Acme");
  EXPECT_EQ((*all)[0].account_id, *acme_id);
  EXPECT_EQ((*all)[0].sender_re, "@nagios\\.");
  EXPECT_EQ((*all)[0].reopen_within_hours, 6);
  EXPECT_EQ((*all)[1].format, alerts::Format::kGeneric);
  EXPECT_EQ((*all)[1].account, "");
  EXPECT_FALSE((*all)[1].account_id);

  auto sig1 = store_->alerts().alert_rules_signature();
  ASSERT_TRUE(sig1);
  EXPECT_NE(*sig0, *sig1);
  // Removing the last rule and adding one of the same name is another set of rules.
  ASSERT_TRUE(in_unit([&](UnitOfWork& u) { return u.alerts().remove_alert_rule("uptime"); }));
  ASSERT_TRUE(in_unit([&](UnitOfWork& u) { return u.alerts().add_alert_rule(b); }));
  auto sig2 = store_->alerts().alert_rules_signature();
  ASSERT_TRUE(sig2);
  EXPECT_NE(*sig1, *sig2);
  auto gone = in_unit([&](UnitOfWork& u) { return u.alerts().remove_alert_rule("nothing"); });
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

// A rule replaced in place keeps its place and creation time, under a new id: the rules'
// signature changes, so a running ingest compiles them again.
TEST_F(AlertStore, ARuleReplacedKeepsItsPlaceAndChangesTheSignature) {
  alerts::AlertRule a;
  a.name = "nagios";
  a.subject_re = "PROBLEM";
  alerts::AlertRule b;
  b.name = "zabbix";
  b.format = alerts::Format::kZabbix;
  auto first = in_unit([&](UnitOfWork& u) { return u.alerts().add_alert_rule(a); });
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(in_unit([&](UnitOfWork& u) { return u.alerts().add_alert_rule(b); }));
  auto before = store_->alerts().alert_rules_signature();
  ASSERT_TRUE(before);

  alerts::AlertRule changed = *first;
  changed.subject_re = "CRITICAL";
  changed.format = alerts::Format::kIcinga;
  auto stored = in_unit([&](UnitOfWork& u) { return u.alerts().replace_alert_rule(changed); });
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_GT(stored->id, first->id);
  auto all = store_->alerts().list_alert_rules();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "nagios");
  EXPECT_EQ((*all)[0].position, 1);
  EXPECT_EQ((*all)[0].created_at, first->created_at);
  EXPECT_EQ((*all)[0].subject_re, "CRITICAL");
  EXPECT_EQ((*all)[0].format, alerts::Format::kIcinga);
  auto after = store_->alerts().alert_rules_signature();
  ASSERT_TRUE(after);
  EXPECT_NE(*before, *after);

  alerts::AlertRule nobody;
  nobody.name = "nobody";
  auto missing = in_unit([&](UnitOfWork& u) { return u.alerts().replace_alert_rule(nobody); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(AlertStore, ASecondOpenAlertCaseOfOneKeyIsAConflict) {
  auto& al = store_->alerts();
  auto first = in_unit([&](UnitOfWork& u) { return u.alerts().claim_alert_case(0, "web01", "HTTP"); });
  ASSERT_TRUE(first) << first.error().message;
  auto second = in_unit([&](UnitOfWork& u) { return u.alerts().claim_alert_case(0, "web01", "HTTP"); });
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kConflict);
  // Another service, host or account is another key.
  EXPECT_TRUE(in_unit([&](UnitOfWork& u) { return u.alerts().claim_alert_case(0, "web01", "SSH"); }));
  EXPECT_TRUE(in_unit([&](UnitOfWork& u) { return u.alerts().claim_alert_case(0, "web01", ""); }));
  EXPECT_TRUE(in_unit([&](UnitOfWork& u) { return u.alerts().claim_alert_case(3, "web01", "HTTP"); }));

  // Resolved, the key may open another; the first cannot be reopened beside it.
  ASSERT_TRUE(in_unit([&](UnitOfWork& u) { return u.alerts().resolve_alert_case(*first, 1000); }));
  auto latest = al.latest_alert_case(0, "web01", "HTTP");
  ASSERT_TRUE(latest && *latest);
  EXPECT_EQ((*latest)->id, *first);
  EXPECT_FALSE((*latest)->open);
  EXPECT_EQ((*latest)->resolved_at, 1000);
  auto next = in_unit([&](UnitOfWork& u) { return u.alerts().claim_alert_case(0, "web01", "HTTP"); });
  ASSERT_TRUE(next) << next.error().message;
  auto reopen = in_unit([&](UnitOfWork& u) { return u.alerts().reopen_alert_case(*first); });
  ASSERT_FALSE(reopen);
  EXPECT_EQ(reopen.error().code, ErrorCode::kConflict);
  latest = al.latest_alert_case(0, "web01", "HTTP");
  ASSERT_TRUE(latest && *latest);
  EXPECT_EQ((*latest)->id, *next);
  EXPECT_TRUE((*latest)->open);
  EXPECT_FALSE((*latest)->resolved_at);

  auto none = al.latest_alert_case(0, "web02", "HTTP");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  auto missing = in_unit([&](UnitOfWork& u) { return u.alerts().resolve_alert_case(999, 1); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(AlertStore, AKeysLatestCaseIsFoundByIndexWithoutASort) {
  const auto plan = plan_of(file_, kSqliteLatestAlertCaseSql);
  EXPECT_NE(plan.find("USING INDEX alert_cases_key (account_key=? AND host=? AND service=?)"),
            std::string::npos)
      << plan;
  EXPECT_EQ(plan.find("SCAN"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
  ASSERT_TRUE(store_->alerts().latest_alert_case(0, "web01", "HTTP"));
  auto prepared = sqlite_prepared_sql(*store_);
  EXPECT_NE(std::find(prepared.begin(), prepared.end(), std::string(kSqliteLatestAlertCaseSql)),
            prepared.end());
}

}  // namespace
}  // namespace mailcase::store

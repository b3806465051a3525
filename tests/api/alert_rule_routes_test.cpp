// Monitoring alert rules through the REST API, on a real server in this process: only an
// admin reads or changes them; a rule added here is what `mailcase alert list --json`
// shows and turns the next monitoring mail into an alert case; a bad rule gets a 422
// naming its field and stores nothing; a rule removed is gone, its cases stay.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api_server_test.h"
#include "support/test_support.h"

namespace mailcase::api {
namespace {

using nlohmann::json;

const json kNagios = {{"name", "nagios"},
                      {"format", "nagios"},
                      {"sender", "@monitor\\.example\\.net$"},
                      {"account", "Acme"},
                      {"reopen_within_hours", 6}};

class AlertRuleRoutesTest : public testing::ApiServerTest {
 protected:
  void SetUp() override {
    prepare();
    if (HasFatalFailure()) return;
    ASSERT_EQ(cli({"address", "add", "support@corp.example"}).exit_code, 0);
    ASSERT_EQ(cli({"account", "add", "--name", "Acme"}).exit_code, 0);
    start();
  }
  // The events of no case about alert rules: action|actor|rule, oldest first.
  std::vector<std::string> audit() {
    std::vector<std::string> out;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((data_ / "mailcase.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT action || '|' || actor || '|' || json_extract(details, '$.rule') FROM events "
                       "WHERE case_id IS NULL AND action LIKE 'alert_rule%' ORDER BY id",
                       -1, &st, nullptr);
    while (st && sqlite3_step(st) == SQLITE_ROW) out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }
  json cli_alert_rules() {
    auto r = cli({"alert", "list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
};

TEST_F(AlertRuleRoutesTest, OnlyAnAdminReadsOrChangesAlertRules) {
  ASSERT_EQ(call("POST", "/api/v1/alert-rules", admin_, kNagios).status, 201);
  EXPECT_EQ(call("GET", "/api/v1/alert-rules", "").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/alert-rules", agent_).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/alert-rules/nagios", agent_).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/alert-rules", agent_, json{{"name", "x"}, {"format", "nagios"}}).status, 403);
  EXPECT_EQ(call("DELETE", "/api/v1/alert-rules/nagios", agent_).status, 403);
  EXPECT_EQ(cli_alert_rules().size(), 1u);
}

TEST_F(AlertRuleRoutesTest, IfMatchHoldsAnAlertRuleToTheVersionRead) {
  ASSERT_EQ(call("POST", "/api/v1/alert-rules", admin_, kNagios).status, 201);
  const std::string read = call("GET", "/api/v1/alert-rules/nagios", admin_).header("ETag");
  ASSERT_FALSE(read.empty());
  auto mine = call("PATCH", "/api/v1/alert-rules/nagios", admin_, json{{"reopen_within_hours", 12}},
                   {{"If-Match", read}});
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(call("GET", "/api/v1/alert-rules/nagios", admin_).header("ETag"), mine.header("ETag"));
  auto theirs = call("PATCH", "/api/v1/alert-rules/nagios", admin_, json{{"reopen_within_hours", 2}},
                     {{"If-Match", read}});
  EXPECT_EQ(theirs.status, 412) << theirs.body;
  EXPECT_EQ(call("GET", "/api/v1/alert-rules/nagios", admin_).j()["reopen_within_hours"], 12);
  EXPECT_EQ(call("DELETE", "/api/v1/alert-rules/nagios", admin_, std::nullopt, {{"If-Match", read}}).status,
            412);
  EXPECT_EQ(call("GET", "/api/v1/alert-rules/nagios", admin_).status, 200) << "not removed";
  EXPECT_EQ(
      call("DELETE", "/api/v1/alert-rules/nagios", admin_, std::nullopt, {{"If-Match", mine.header("ETag")}})
          .status,
      204);
  EXPECT_EQ(call("GET", "/api/v1/alert-rules/nagios", admin_).status, 404);
}

TEST_F(AlertRuleRoutesTest, AnAlertRuleAddedHereTakesTheNextMonitoringMailAndIsRemovedAgain) {
  auto made = call("POST", "/api/v1/alert-rules", admin_, kNagios);
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.header("Location"), "/api/v1/alert-rules/nagios");
  auto j = made.j();
  EXPECT_EQ(j["format"], "nagios");
  EXPECT_EQ(j["account"], "Acme");
  EXPECT_EQ(j["reopen_within_hours"], 6);
  EXPECT_EQ(j["position"], 1);
  auto uptime = call("POST", "/api/v1/alert-rules", admin_,
                     json{{"name", "uptime watch"},
                          {"format", "generic"},
                          {"body", "(?P<host>\\S+) is (?P<state>up|down)"}});
  ASSERT_EQ(uptime.status, 201) << uptime.body;
  EXPECT_EQ(uptime.j()["account"], nullptr);
  EXPECT_EQ(uptime.j()["reopen_within_hours"], 24) << "the default";

  // As the command line lists them, in their order; one by one; a page at a time.
  auto listed = cli_alert_rules();
  ASSERT_EQ(listed.size(), 2u) << listed;
  EXPECT_EQ(listed[0], j);
  auto all = call("GET", "/api/v1/alert-rules?count=true", admin_);
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.j()["items"], listed);
  EXPECT_EQ(all.j()["total"], 2);
  auto first = call("GET", "/api/v1/alert-rules?limit=1", admin_);
  ASSERT_EQ(first.j()["items"].size(), 1u);
  auto second =
      call("GET", "/api/v1/alert-rules?limit=1&cursor=" + first.j()["next_cursor"].get<std::string>(), admin_);
  ASSERT_EQ(second.j()["items"].size(), 1u);
  EXPECT_EQ(second.j()["items"][0]["name"], "uptime watch");
  EXPECT_EQ(call("GET", "/api/v1/alert-rules/uptime%20watch", admin_).j(), uptime.j());
  // Who added it, in the audit: an event of no case by the admin.
  EXPECT_EQ(audit(), (std::vector<std::string>{"alert_rule_added|ada@corp.example|nagios",
                                               "alert_rule_added|ada@corp.example|uptime watch"}));

  // The next mail from the monitoring system is an alert, on Acme's case.
  auto d = cli({"deliver"}, mailcase::testing::read_file(std::filesystem::path(MAILCASE_SOURCE_DIR) /
                                                          "tests/fixtures/alerts/nagios-problem.eml"));
  ASSERT_EQ(d.exit_code, 0) << d.err;
  auto c = json::parse(cli({"case", "show", "CS0000001", "--json"}).out, nullptr, false);
  EXPECT_EQ(c["origin"], "alert") << c;
  EXPECT_EQ(c["account"]["name"], "Acme") << c;

  EXPECT_EQ(call("DELETE", "/api/v1/alert-rules/nagios", admin_).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/alert-rules/nagios", admin_).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/alert-rules/nagios", admin_).status, 404);
  ASSERT_EQ(cli_alert_rules().size(), 1u);
  EXPECT_EQ(json::parse(cli({"case", "show", "CS0000001", "--json"}).out, nullptr, false)["origin"], "alert")
      << "its case stays";
  EXPECT_EQ(audit().back(), "alert_rule_removed|ada@corp.example|nagios");
}

// PATCH changes a rule in place: the fields given replace the rule's (null clears), its
// name and place stay, the audit names the change; a refused change changes nothing.
TEST_F(AlertRuleRoutesTest, AnAlertRuleIsChangedInPlace) {
  ASSERT_EQ(call("POST", "/api/v1/alert-rules", admin_, kNagios).status, 201);
  ASSERT_EQ(call("POST", "/api/v1/alert-rules", admin_, json{{"name", "later"}, {"format", "zabbix"}}).status, 201);
  auto p = call("PATCH", "/api/v1/alert-rules/nagios", admin_,
                json{{"subject", "PROBLEM"}, {"account", nullptr}, {"reopen_within_hours", 2}});
  ASSERT_EQ(p.status, 200) << p.body;
  auto j = p.j();
  EXPECT_EQ(j["name"], "nagios");
  EXPECT_EQ(j["position"], 1);
  EXPECT_EQ(j["format"], "nagios");
  EXPECT_EQ(j["sender"], "@monitor\\.example\\.net$") << "unchanged";
  EXPECT_EQ(j["subject"], "PROBLEM");
  EXPECT_EQ(j["account"], nullptr);
  EXPECT_EQ(j["reopen_within_hours"], 2);
  EXPECT_EQ(j["proven_sender"], false) << "unchanged";
  EXPECT_EQ(call("GET", "/api/v1/alert-rules/nagios", admin_).j(), j);
  EXPECT_EQ(cli_alert_rules()[0], j);
  EXPECT_EQ(audit().back(), "alert_rule_changed|ada@corp.example|nagios");

  const std::pair<json, const char*> bad[] = {
      {json{{"name", "other"}}, "name"},
      {json{{"position", 2}}, "position"},
      {json{{"format", "prometheus"}}, "format"},
      {json{{"format", "generic"}}, "body"},
      {json{{"subject", "(unclosed"}}, "subject"},
      {json{{"account", "Nobody Inc"}}, "account"},
      {json{{"reopen_within_hours", "soon"}}, "reopen_within_hours"},
      {json{{"proven_sender", "yes"}}, "proven_sender"},
  };
  for (const auto& [body, field] : bad) {
    auto a = call("PATCH", "/api/v1/alert-rules/nagios", admin_, body);
    EXPECT_EQ(a.status, 422) << body << " " << a.body;
    EXPECT_NE(a.body.find(std::string("\"field\":\"") + field + "\""), std::string::npos) << body << " " << a.body;
  }
  EXPECT_EQ(cli_alert_rules()[0], j);
  // The rule comes to want its mails' sender proven, and is read so by the command line.
  auto proven = call("PATCH", "/api/v1/alert-rules/nagios", admin_, json{{"proven_sender", true}});
  ASSERT_EQ(proven.status, 200) << proven.body;
  EXPECT_EQ(proven.j()["proven_sender"], true);
  EXPECT_EQ(cli_alert_rules()[0]["proven_sender"], true);
  EXPECT_EQ(call("PATCH", "/api/v1/alert-rules/nobody", admin_, json{{"subject", "x"}}).status, 404);
  EXPECT_EQ(call("PATCH", "/api/v1/alert-rules/nagios", agent_, json{{"subject", "x"}}).status, 403);
}

TEST_F(AlertRuleRoutesTest, ABadAlertRuleIsRefusedNamingItsFieldAndNothingIsStored) {
  ASSERT_EQ(call("POST", "/api/v1/alert-rules", admin_, kNagios).status, 201);
  EXPECT_EQ(call("POST", "/api/v1/alert-rules", admin_, kNagios).status, 409);
  const std::pair<json, const char*> bad[] = {
      {json{{"name", "x"}, {"format", "prometheus"}}, "format"},
      {json{{"name", "x"}}, "format"},
      {json{{"format", "nagios"}}, "name"},
      {json{{"name", "x"}, {"format", "nagios"}, {"subject", "(unclosed"}}, "subject"},
      {json{{"name", "x"}, {"format", "generic"}, {"body", "no groups"}}, "body"},
      {json{{"name", "x"}, {"format", "nagios"}, {"account", "Nobody Inc"}}, "account"},
      {json{{"name", "x"}, {"format", "nagios"}, {"reopen_within_hours", -1}}, "reopen_within_hours"},
      {json{{"name", "x"}, {"format", "nagios"}, {"sender", 5}}, "sender"},
      {json{{"name", "x"}, {"format", "nagios"}, {"colour", "red"}}, "colour"},
      {json{{"name", " x"}, {"format", "nagios"}}, "name"},
  };
  for (const auto& [body, field] : bad) {
    auto a = call("POST", "/api/v1/alert-rules", admin_, body);
    EXPECT_EQ(a.status, 422) << body << " " << a.body;
    EXPECT_NE(a.body.find(std::string("\"field\":\"") + field + "\""), std::string::npos) << body << " " << a.body;
  }
  EXPECT_EQ(raw_call("POST", "/api/v1/alert-rules", admin_, "{", "application/json").status, 400);
  EXPECT_EQ(cli_alert_rules().size(), 1u);
}

}  // namespace
}  // namespace mailcase::api

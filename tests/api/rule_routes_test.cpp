// Assignment rules through the REST API, on a real server in this process: only an admin
// reads or changes them (403 for an agent, 401 without a token); a rule added, moved,
// disabled and removed is what `mailcase rule list --json` then shows; a bad rule gets a
// 422 naming its field and stores nothing; POST /api/v1/rules/test answers what the rules
// would do for a mail and changes nothing; a rule added here takes the next mail.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <nlohmann/json.hpp>

#include "api_server_test.h"
#include "support/test_support.h"

namespace mailcase::api {
namespace {

using nlohmann::json;

using testing::Answer;

const char* const kMail =
    "From: Alice <alice@example.org>\r\nTo: support@corp.example\r\nSubject: Invoice 12 is wrong\r\n"
    "Message-ID: <r1@example.org>\r\n\r\nPlease refund.\r\n";

class RuleRoutesTest : public testing::ApiServerTest {
 protected:
  void SetUp() override {
    prepare();
    if (HasFatalFailure()) return;
    ASSERT_EQ(cli({"address", "add", "support@corp.example"}).exit_code, 0);
    start();
  }
  // The rules as the command line lists them.
  json cli_rules() {
    auto r = cli({"rule", "list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  std::vector<std::string> names(const json& rules) {
    std::vector<std::string> out;
    for (const auto& r : rules) out.push_back(r.value("name", ""));
    return out;
  }
};

const json kBilling = {{"name", "billing"},
                       {"if", {{"sender_domain", "example.org"}, {"subject", "invoice|refund"}}},
                       {"set", {{"queue", "Billing"}, {"priority", "high"}}}};

TEST_F(RuleRoutesTest, OnlyAnAdminReadsOrChangesRules) {
  ASSERT_EQ(call("POST", "/api/v1/rules", admin_, kBilling).status, 201);
  EXPECT_EQ(call("GET", "/api/v1/rules", "").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/rules", agent_).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/rules/billing", agent_).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/rules", agent_, json{{"name", "x"}, {"set", {{"queue", "Q"}}}}).status,
            403);
  EXPECT_EQ(call("PATCH", "/api/v1/rules/billing", agent_, json{{"enabled", false}}).status, 403);
  EXPECT_EQ(call("DELETE", "/api/v1/rules/billing", agent_).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/rules/test", agent_, json{{"mail", kMail}}).status, 403);
  auto rules = cli_rules();
  ASSERT_EQ(rules.size(), 1u) << rules;
  EXPECT_EQ(rules[0].value("enabled", false), true);
}

TEST_F(RuleRoutesTest, AddedMovedDisabledAndRemovedAsTheCommandLineShows) {
  // A "/" would split the rule's path: such a rule could never be read or removed here.
  json slashed = kBilling;
  slashed["name"] = "billing/eu";
  auto refused = call("POST", "/api/v1/rules", admin_, slashed);
  EXPECT_EQ(refused.status, 422) << refused.body;
  auto made = call("POST", "/api/v1/rules", admin_, kBilling);
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.header("Location"), "/api/v1/rules/billing");
  auto j = made.j();
  EXPECT_EQ(j["name"], "billing");
  EXPECT_EQ(j["position"], 1);
  EXPECT_EQ(j["enabled"], true);
  EXPECT_EQ(j["continue"], false);
  EXPECT_EQ(j["hits"], 0);
  EXPECT_EQ(j["if"], json({{"sender_domain", "example.org"}, {"subject", "invoice|refund"}}));
  EXPECT_EQ(j["set"], json({{"queue", "Billing"}, {"priority", "high"}}));

  // A second rule first, owned round-robin, going on to the next rules.
  auto vip = call("POST", "/api/v1/rules", admin_,
                  json{{"name", "vip desk"},
                       {"position", 1},
                       {"continue", true},
                       {"if", {{"attachments", true}, {"business_hours", false}}},
                       {"set", {{"owner", "round-robin"}}}});
  ASSERT_EQ(vip.status, 201) << vip.body;
  // Sent as /api/v1/rules/vip%20desk; cpp-httplib's client decodes header values.
  EXPECT_EQ(vip.header("Location"), "/api/v1/rules/vip desk");
  auto list = call("GET", "/api/v1/rules", admin_);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(names(list.j()["items"]), (std::vector<std::string>{"vip desk", "billing"}));
  EXPECT_EQ(list.j()["next_cursor"], nullptr);
  EXPECT_EQ(list.j()["items"][0]["if"], json({{"attachments", true}, {"business_hours", false}}));
  EXPECT_EQ(list.j()["items"][0]["continue"], true);

  // Paged in order: one a page.
  auto first = call("GET", "/api/v1/rules?limit=1&count=true", admin_);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.j()["total"], 2);
  ASSERT_TRUE(first.j()["next_cursor"].is_string()) << first.body;
  auto second =
      call("GET", "/api/v1/rules?limit=1&cursor=" + first.j()["next_cursor"].get<std::string>(), admin_);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(names(second.j()["items"]), std::vector<std::string>{"billing"});

  auto one = call("GET", "/api/v1/rules/vip%20desk", admin_);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.j(), list.j()["items"][0]);

  auto patched = call("PATCH", "/api/v1/rules/billing", admin_, json{{"enabled", false}, {"position", 1}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.j()["enabled"], false);
  EXPECT_EQ(patched.j()["position"], 1);
  auto rules = cli_rules();
  EXPECT_EQ(names(rules), (std::vector<std::string>{"billing", "vip desk"}));
  EXPECT_EQ(rules[0]["enabled"], false);

  EXPECT_EQ(call("PATCH", "/api/v1/rules/billing", admin_, json{{"name", "other"}}).status, 422);
  EXPECT_EQ(call("PATCH", "/api/v1/rules/billing", admin_, json{{"position", 0}}).status, 422);
  EXPECT_EQ(call("PATCH", "/api/v1/rules/nosuch", admin_, json{{"enabled", true}}).status, 404);

  EXPECT_EQ(call("DELETE", "/api/v1/rules/billing", admin_).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/rules/billing", admin_).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/rules/billing", admin_).status, 404);
  rules = cli_rules();
  ASSERT_EQ(names(rules), std::vector<std::string>{"vip desk"});
  EXPECT_EQ(rules[0]["position"], 1);
}

TEST_F(RuleRoutesTest, ABadRuleIsRefusedNamingItsFieldAndNothingIsStored) {
  ASSERT_EQ(call("POST", "/api/v1/rules", admin_, kBilling).status, 201);
  auto field_of = [](const Answer& a) {
    auto j = a.j();
    return j.contains("errors") && !j["errors"].empty() ? j["errors"][0].value("field", "") : std::string();
  };
  auto dup = call("POST", "/api/v1/rules", admin_, kBilling);
  EXPECT_EQ(dup.status, 409) << dup.body;
  EXPECT_EQ(dup.header("Content-Type"), "application/problem+json");

  const std::vector<std::pair<json, std::string>> bad = {
      {{{"name", "re"}, {"if", {{"subject", "(unclosed"}}}, {"set", {{"queue", "Q"}}}}, "if.subject"},
      {{{"name", "re2"}, {"if", {{"body", "[unclosed"}}}, {"set", {{"queue", "Q"}}}}, "if.body"},
      {{{"name", "nothing"}, {"if", {{"sender", "alice@example.org"}}}}, ""},
      {{{"name", "owner"}, {"set", {{"owner", "nobody@corp.example"}}}}, "set.owner"},
      {{{"name", "colour"}, {"if", {{"colour", "red"}}}, {"set", {{"queue", "Q"}}}}, "if.colour"},
      {{{"name", "att"}, {"if", {{"attachments", "yes"}}}, {"set", {{"queue", "Q"}}}}, "if.attachments"},
      {{{"if", {{"sender", "alice@example.org"}}}, {"set", {{"queue", "Q"}}}}, "name"},
      {{{"name", "pos"}, {"position", -1}, {"set", {{"queue", "Q"}}}}, "position"},
      {{{"name", "x"}, {"set", "Q"}}, "set"},
  };
  for (const auto& [body, field] : bad) {
    auto a = call("POST", "/api/v1/rules", admin_, body);
    EXPECT_EQ(a.status, 422) << body << "\n" << a.body;
    EXPECT_EQ(a.header("Content-Type"), "application/problem+json") << body;
    if (!field.empty()) {
      EXPECT_EQ(field_of(a), field) << body << "\n" << a.body;
    }
    EXPECT_FALSE(a.j().value("errors", json::array()).empty()) << body << "\n" << a.body;
  }
  EXPECT_EQ(raw_call("POST", "/api/v1/rules", admin_, "{", "application/json").status, 400);
  EXPECT_EQ(raw_call("POST", "/api/v1/rules", admin_, "name=x", "text/plain").status, 415);
  EXPECT_EQ(names(cli_rules()), std::vector<std::string>{"billing"});
}

TEST_F(RuleRoutesTest, AnIdempotencyKeyAddsTheRuleOnce) {
  const httplib::Headers key{{"Idempotency-Key", "rule-add-1"}};
  auto a = call("POST", "/api/v1/rules", admin_, kBilling, key);
  ASSERT_EQ(a.status, 201) << a.body;
  auto b = call("POST", "/api/v1/rules", admin_, kBilling, key);
  EXPECT_EQ(b.status, 201) << b.body;
  EXPECT_EQ(b.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(b.header("Location"), "/api/v1/rules/billing");
  EXPECT_EQ(b.body, a.body);
  EXPECT_EQ(cli_rules().size(), 1u);
}

TEST_F(RuleRoutesTest, TestingAMailSaysWhatTheRulesWouldSetAndChangesNothing) {
  ASSERT_EQ(
      call("POST", "/api/v1/rules", admin_,
           json{{"name", "other"}, {"if", {{"sender_domain", "example.net"}}}, {"set", {{"queue", "Other"}}}})
          .status,
      201);
  ASSERT_EQ(call("POST", "/api/v1/rules", admin_, kBilling).status, 201);
  const auto cases_before = cli({"case", "list", "--json"}).out;

  auto as_json = call("POST", "/api/v1/rules/test", admin_, json{{"mail", kMail}});
  ASSERT_EQ(as_json.status, 200) << as_json.body;
  auto e = as_json.j();
  ASSERT_EQ(e["rules"].size(), 2u) << e;
  EXPECT_EQ(e["rules"][0]["matched"], false) << e;
  EXPECT_EQ(e["rules"][0]["failed"], "sender-domain") << e;
  EXPECT_EQ(e["rules"][1]["matched"], true) << e;
  EXPECT_EQ(e["matched"], json({"billing"}));
  EXPECT_EQ(e["result"], json({{"queue", "Billing"}, {"priority", "high"}}));

  auto as_mail = raw_call("POST", "/api/v1/rules/test", admin_, kMail, "message/rfc822");
  ASSERT_EQ(as_mail.status, 200) << as_mail.body;
  EXPECT_EQ(as_mail.j(), e);

  // Nothing changed: no hits, no case, no mail kept.
  for (const auto& r : cli_rules()) EXPECT_EQ(r["hits"], 0) << r;
  EXPECT_EQ(cli({"case", "list", "--json"}).out, cases_before);

  EXPECT_EQ(raw_call("POST", "/api/v1/rules/test", admin_, kMail, "text/plain").status, 415);
  EXPECT_EQ(call("POST", "/api/v1/rules/test", admin_, json{{"mail", ""}}).status, 422);
  EXPECT_EQ(call("POST", "/api/v1/rules/test", admin_, json{{"text", kMail}}).status, 422);
}

// PATCH changes what a rule does as a JSON merge patch of the rule GET shows: a condition
// or action given is set, one given as null dropped, the rest kept; the rule keeps its
// place, its state and its hits, and the next mail meets the rule as it now is. A bad
// change is refused naming its field and changes nothing.
TEST_F(RuleRoutesTest, ARuleChangedHereKeepsItsPlaceAndHitsAndTakesTheNextMail) {
  ASSERT_EQ(call("POST", "/api/v1/rules", admin_, kBilling).status, 201);
  ASSERT_EQ(call("POST", "/api/v1/rules", admin_, json{{"name", "rest"}, {"set", {{"priority", "low"}}}}).status,
            201);
  auto d = cli({"deliver"}, kMail);
  ASSERT_EQ(d.exit_code, 0) << d.err;

  auto changed = call("PATCH", "/api/v1/rules/billing", admin_,
                      json{{"if", {{"subject", "refund"}}}, {"set", {{"queue", "Refunds"}, {"priority", nullptr}}},
                           {"continue", true}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  auto j = changed.j();
  EXPECT_EQ(j["if"], json({{"sender_domain", "example.org"}, {"subject", "refund"}}));
  EXPECT_EQ(j["set"], json({{"queue", "Refunds"}}));
  EXPECT_EQ(j["continue"], true);
  EXPECT_EQ(j["position"], 1);
  EXPECT_EQ(j["enabled"], true);
  EXPECT_EQ(j["hits"], 1);
  EXPECT_EQ(call("GET", "/api/v1/rules/billing", admin_).j(), j);
  auto rules = cli_rules();
  ASSERT_EQ(names(rules), (std::vector<std::string>{"billing", "rest"}));

  // Refused, naming the field; the rule stays as it was.
  auto bad = call("PATCH", "/api/v1/rules/billing", admin_, json{{"if", {{"subject", "(unclosed"}}}});
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_NE(bad.body.find("if.subject"), std::string::npos) << bad.body;
  auto no_agent = call("PATCH", "/api/v1/rules/billing", admin_, json{{"set", {{"owner", "nobody@corp.example"}}}});
  EXPECT_EQ(no_agent.status, 422) << no_agent.body;
  EXPECT_NE(no_agent.body.find("set.owner"), std::string::npos) << no_agent.body;
  EXPECT_EQ(call("PATCH", "/api/v1/rules/billing", admin_, json{{"if", "refund"}}).status, 422);
  EXPECT_EQ(call("PATCH", "/api/v1/rules/billing", admin_, json{{"if", {{"colour", "red"}}}}).status, 422);
  EXPECT_EQ(call("PATCH", "/api/v1/rules/nosuch", admin_, json{{"set", {{"queue", "Q"}}}}).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/rules/billing", admin_).j(), j);

  // The next mail meets the rule as changed (its subject does not say invoice), which
  // goes on to the next rule now.
  auto d2 = cli({"deliver"}, "From: Alice <alice@example.org>\r\nTo: support@corp.example\r\n"
                             "Subject: A refund, please\r\nMessage-ID: <r2@example.org>\r\n\r\nThanks.\r\n");
  ASSERT_EQ(d2.exit_code, 0) << d2.err;
  auto cases = json::parse(cli({"case", "list", "--json"}).out, nullptr, false);
  ASSERT_EQ(cases.size(), 2u) << cases;
  std::map<std::string, json> by_subject;
  for (const auto& c : cases) by_subject[c.value("subject", "")] = c;
  EXPECT_EQ(by_subject["Invoice 12 is wrong"].value("queue", ""), "Billing") << cases;
  EXPECT_EQ(by_subject["Invoice 12 is wrong"].value("priority", ""), "high") << cases;
  EXPECT_EQ(by_subject["A refund, please"].value("queue", ""), "Refunds") << cases;
  EXPECT_EQ(by_subject["A refund, please"].value("priority", ""), "low") << cases;
}

// If-Match holds a change of a rule to the version read; the whole PATCH (what the rule
// does, enabled, position) is one change: refused, none of it is written.
TEST_F(RuleRoutesTest, IfMatchHoldsARuleToTheVersionRead) {
  ASSERT_EQ(call("POST", "/api/v1/rules", admin_, kBilling).status, 201);
  ASSERT_EQ(
      call("POST", "/api/v1/rules", admin_, json{{"name", "rest"}, {"set", {{"priority", "low"}}}}).status,
      201);
  const std::string read = call("GET", "/api/v1/rules/billing", admin_).header("ETag");
  ASSERT_FALSE(read.empty());
  auto mine = call("PATCH", "/api/v1/rules/billing", admin_, json{{"set", {{"queue", "Refunds"}}}},
                   {{"If-Match", read}});
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(call("GET", "/api/v1/rules/billing", admin_).header("ETag"), mine.header("ETag"));
  auto theirs =
      call("PATCH", "/api/v1/rules/billing", admin_,
           json{{"set", {{"queue", "Sales"}}}, {"enabled", false}, {"position", 2}}, {{"If-Match", read}});
  EXPECT_EQ(theirs.status, 412) << theirs.body;
  auto now = call("GET", "/api/v1/rules/billing", admin_).j();
  EXPECT_EQ(now["set"]["queue"], "Refunds");
  EXPECT_EQ(now["enabled"], true);
  EXPECT_EQ(now["position"], 1);
  auto all = call("PATCH", "/api/v1/rules/billing", admin_, json{{"enabled", false}, {"position", 2}},
                  {{"If-Match", mine.header("ETag")}});
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.j()["enabled"], false);
  EXPECT_EQ(all.j()["position"], 2);
  EXPECT_EQ(names(cli_rules()), (std::vector<std::string>{"rest", "billing"}));
  EXPECT_EQ(call("DELETE", "/api/v1/rules/billing", admin_, std::nullopt, {{"If-Match", read}}).status, 412);
  EXPECT_EQ(names(cli_rules()), (std::vector<std::string>{"rest", "billing"})) << "not removed";
  EXPECT_EQ(call("DELETE", "/api/v1/rules/billing", admin_, std::nullopt, {{"If-Match", all.header("ETag")}})
                .status,
            204);
  EXPECT_EQ(names(cli_rules()), (std::vector<std::string>{"rest"}));
}

TEST_F(RuleRoutesTest, ARuleAddedHereTakesTheNextMail) {
  ASSERT_EQ(call("POST", "/api/v1/rules", admin_, kBilling).status, 201);
  auto d = cli({"deliver"}, kMail);
  ASSERT_EQ(d.exit_code, 0) << d.err;
  auto cases = json::parse(cli({"case", "list", "--json"}).out, nullptr, false);
  ASSERT_EQ(cases.size(), 1u) << cases;
  EXPECT_EQ(cases[0].value("queue", ""), "Billing") << cases;
  auto list = call("GET", "/api/v1/rules", admin_);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.j()["items"][0]["hits"], 1) << list.body;
}

// A rule whose pattern RE2 refuses, written into the store by hand: the listing and the
// rule itself say it is broken and why, a test of a mail names it as skipped, and the
// next mail still opens a case that the other rules set.
TEST_F(RuleRoutesTest, ARuleThatNoLongerCompilesIsListedAsBrokenAndTheOthersStillApply) {
  ASSERT_EQ(call("POST", "/api/v1/rules", admin_,
                 json{{"name", "first"}, {"if", {{"subject", "invoice"}}}, {"set", {{"queue", "First"}}}})
                .status,
            201);
  ASSERT_EQ(call("POST", "/api/v1/rules", admin_, kBilling).status, 201);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((data_ / "mailcase.db").c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "UPDATE assignment_rules SET if_subject = '[invoice' WHERE name = 'first'",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto list = call("GET", "/api/v1/rules", admin_);
  ASSERT_EQ(list.status, 200) << list.body;
  const auto items = list.j()["items"];
  ASSERT_EQ(items.size(), 2u) << list.body;
  EXPECT_EQ(items[0].value("broken", ""), "--if-subject: missing ]: [invoice") << list.body;
  EXPECT_FALSE(items[1].contains("broken")) << list.body;
  auto one = call("GET", "/api/v1/rules/first", admin_);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.j().value("broken", ""), "--if-subject: missing ]: [invoice") << one.body;

  auto t = call("POST", "/api/v1/rules/test", admin_, json{{"mail", kMail}});
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(t.j()["skipped"],
            json::parse(R"([{"rule": "first", "broken": "--if-subject: missing ]: [invoice"}])"))
      << t.body;
  EXPECT_EQ(t.j()["matched"], json({"billing"})) << t.body;

  auto d = cli({"deliver"}, kMail);
  ASSERT_EQ(d.exit_code, 0) << d.err;
  auto cases = json::parse(cli({"case", "list", "--json"}).out, nullptr, false);
  ASSERT_EQ(cases.size(), 1u) << cases;
  EXPECT_EQ(cases[0].value("queue", ""), "Billing") << cases;
}

}  // namespace
}  // namespace mailcase::api

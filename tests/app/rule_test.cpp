// Assignment rules through the command line: `rule add`, `rule list`, `rule enable`,
// `rule disable`, `rule move`, `rule remove` and `rule test`, their errors, and the
// events each change leaves.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;
using nlohmann::json;

class RuleCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run({"init"}).exit_code, 0);
    std::ofstream(std::filesystem::path(data_) / "mailcase.toml")
        << "[outbound]\nfrom_address = \"support@corp.example\"\n";
    ASSERT_EQ(run({"address", "add", "support@corp.example", "--queue", "Support"}).exit_code, 0);
    auto r = run({"agent", "add", "--name", "Ann", "--email", "ann@corp.example"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  mailcase::testing::CommandResult run(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data_});
    return run_mailcase(args, in);
  }
  json rules() {
    auto r = run({"rule", "list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  std::vector<std::string> names() {
    std::vector<std::string> out;
    for (const auto& r : rules())
      out.push_back(std::to_string(r["position"].get<int>()) + ":" + r["name"].get<std::string>());
    return out;
  }
  // Rows of a query on the database, each row's columns joined by "|".
  std::vector<std::string> sql(const std::string& query) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((std::filesystem::path(data_) / "mailcase.db").c_str(), &db,
                              SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, query.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::vector<std::string> out;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        const auto* t = sqlite3_column_text(st, i);
        row += (i ? "|" : "") + std::string(t ? reinterpret_cast<const char*>(t) : "NULL");
      }
      out.push_back(row);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }

  mailcase::testing::TempDir dir_;
  std::string data_;
};

using V = std::vector<std::string>;

TEST_F(RuleCommands, RulesAreAddedListedMovedEnabledAndRemoved) {
  auto r = run({"rule", "add", "billing", "--if-subject", "invoice", "--if-attachments", "yes", "--set-queue",
                "Billing", "--set-owner", "ANN@corp.example"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "rule 1. billing  hits 0  --if-subject invoice --if-attachments yes --set-queue Billing "
            "--set-owner ann@corp.example\n");
  ASSERT_EQ(run({"rule", "add", "vip", "--if-account-level", "gold", "--set-priority", "high", "--continue"})
                .exit_code,
            0);
  ASSERT_EQ(run({"rule", "add", "first", "--position", "1", "--if-sender-domain", "acme.example",
                 "--if-business-hours", "no", "--set-owner", "round-robin"})
                .exit_code,
            0);
  EXPECT_EQ(names(), (V{"1:first", "2:billing", "3:vip"}));
  auto all = rules();
  EXPECT_EQ(all[1], json::parse(R"({"name": "billing", "position": 2, "enabled": true,
      "if": {"subject": "invoice", "attachments": true},
      "set": {"queue": "Billing", "owner": "ann@corp.example"},
      "continue": false, "hits": 0, "created_at": )" +
                                all[1]["created_at"].dump() + "}"));
  EXPECT_EQ(all[0]["if"], json::parse(R"({"sender_domain": "acme.example", "business_hours": false})"));
  EXPECT_EQ(all[2]["continue"], true);

  r = run({"rule", "move", "vip", "--position", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "rule vip at position 1\n");
  EXPECT_EQ(names(), (V{"1:vip", "2:first", "3:billing"}));
  r = run({"rule", "disable", "first"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "rule first disabled\n");
  EXPECT_EQ(rules()[1]["enabled"], false);
  r = run({"rule", "list"});
  EXPECT_NE(r.out.find("2. first (disabled)  hits 0"), std::string::npos) << r.out;
  ASSERT_EQ(run({"rule", "enable", "first"}).exit_code, 0);
  EXPECT_EQ(rules()[1]["enabled"], true);
  r = run({"rule", "remove", "vip"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "rule vip removed\n");
  EXPECT_EQ(names(), (V{"1:first", "2:billing"}));

  // Each change is an event of no case, by the command line's admin.
  EXPECT_EQ(sql("SELECT action, actor, json_extract(details, '$.rule') FROM events WHERE case_id IS NULL "
                "AND action LIKE 'rule%' ORDER BY id"),
            (V{"rule_added|admin|billing", "rule_added|admin|vip", "rule_added|admin|first",
               "rule_changed|admin|vip", "rule_changed|admin|first", "rule_changed|admin|first",
               "rule_removed|admin|vip"}));
  EXPECT_EQ(sql("SELECT json_extract(details, '$.\"if-subject\"'), json_extract(details, '$.\"set-owner\"') "
                "FROM events WHERE action = 'rule_added' ORDER BY id LIMIT 1"),
            (V{"invoice|ann@corp.example"}));
}

// `rule change`: each condition or action given replaces the rule's, an empty value drops
// it, the rest stays, and so do the rule's position, state and hits; an event says what
// it does now. A bad change is refused and changes nothing.
TEST_F(RuleCommands, ARuleChangedKeepsItsPlaceStateAndHitsAndSaysSo) {
  ASSERT_EQ(run({"rule", "add", "first", "--set-priority", "low"}).exit_code, 0);
  ASSERT_EQ(run({"rule", "add", "billing", "--if-subject", "invoice", "--if-attachments", "yes", "--set-queue",
                 "Billing", "--set-priority", "high"})
                .exit_code,
            0);
  ASSERT_EQ(run({"rule", "disable", "billing"}).exit_code, 0);
  auto r = run({"rule", "change", "billing", "--if-subject", "refund", "--if-attachments", "", "--set-priority",
                "", "--set-owner", "ann@corp.example", "--continue"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "rule 2. billing (disabled)  hits 0  --if-subject refund --set-queue Billing --set-owner "
                   "ann@corp.example --continue\n");
  auto all = rules();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1]["if"], json({{"subject", "refund"}}));
  EXPECT_EQ(all[1]["set"], json({{"queue", "Billing"}, {"owner", "ann@corp.example"}}));
  EXPECT_EQ(all[1]["continue"], true);
  EXPECT_EQ(all[1]["enabled"], false);
  EXPECT_EQ(all[1]["position"], 2);
  ASSERT_EQ(run({"rule", "change", "billing", "--no-continue"}).exit_code, 0);
  EXPECT_EQ(rules()[1]["continue"], false);

  r = run({"rule", "change", "billing", "--if-subject", "refund("});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("--if-subject"), std::string::npos) << r.err;
  r = run({"rule", "change", "billing", "--set-owner", "zed@corp.example"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no agent zed@corp.example"), std::string::npos) << r.err;
  EXPECT_EQ(run({"rule", "change", "billing", "--set-queue", "", "--set-owner", ""}).exit_code, 65);  // no action
  EXPECT_NE(run({"rule", "change", "billing"}).exit_code, 0);  // nothing said
  EXPECT_EQ(run({"rule", "change", "nosuch", "--set-queue", "Q"}).exit_code, 66);
  EXPECT_EQ(rules()[1]["if"], json({{"subject", "refund"}}));
  EXPECT_EQ(rules()[1]["set"], json({{"queue", "Billing"}, {"owner", "ann@corp.example"}}));

  EXPECT_EQ(sql("SELECT json_extract(details, '$.change'), json_extract(details, '$.\"if-subject\"'), "
                "json_extract(details, '$.\"set-owner\"') FROM events WHERE action = 'rule_changed' AND "
                "json_extract(details, '$.rule') = 'billing' ORDER BY id"),
            (V{"disabled|NULL|NULL", "changed|refund|ann@corp.example", "changed|refund|ann@corp.example"}));
}

TEST_F(RuleCommands, BadRulesAreRefusedWithAClearMessageAndNothingStored) {
  auto r = run({"rule", "add", "bad", "--if-subject", "invoice(", "--set-queue", "Billing"});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("--if-subject"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("missing )"), std::string::npos) << r.err;
  r = run({"rule", "add", "bad", "--if-body", "[z-a]", "--set-queue", "Billing"});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("--if-body"), std::string::npos) << r.err;
  r = run({"rule", "add", "nothing", "--if-subject", "x"});  // no action
  EXPECT_EQ(r.exit_code, 65) << r.err;
  r = run({"rule", "add", "stranger", "--set-owner", "zed@corp.example"});
  EXPECT_EQ(r.exit_code, 66);
  EXPECT_NE(r.err.find("zed@corp.example"), std::string::npos) << r.err;
  r = run({"rule", "add", "maybe", "--if-attachments", "maybe", "--set-queue", "Q"});
  EXPECT_EQ(r.exit_code, 64) << r.err;
  r = run({"rule", "add", "zero", "--position", "0", "--set-queue", "Q"});
  EXPECT_EQ(r.exit_code, 64) << r.err;
  EXPECT_EQ(rules(), json::array());

  ASSERT_EQ(run({"rule", "add", "one", "--set-queue", "Q"}).exit_code, 0);
  r = run({"rule", "add", "one", "--set-queue", "Other"});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("exists"), std::string::npos) << r.err;
  for (const auto& cmd : std::vector<std::vector<std::string>>{{"rule", "enable", "two"},
                                                               {"rule", "disable", "two"},
                                                               {"rule", "remove", "two"},
                                                               {"rule", "move", "two", "--position", "1"}}) {
    r = run(cmd);
    EXPECT_EQ(r.exit_code, 66) << cmd[1];
    EXPECT_NE(r.err.find("no rule two"), std::string::npos) << r.err;
  }
  EXPECT_EQ(run({"rule", "move", "one", "--position", "0"}).exit_code, 65);
  EXPECT_EQ(names(), (V{"1:one"}));
  EXPECT_EQ(sql("SELECT count(*) FROM events WHERE action LIKE 'rule%'"), V{"1"});
}

// An account upgraded to gold gets the gold rule from its next mail on; its name and
// addresses change with it, and a name or address of another account is refused.
TEST_F(RuleCommands, AnAccountChangedMeetsTheRulesOnItsNewSupportLevel) {
  ASSERT_EQ(run({"account", "add", "--name", "Acme", "--support-level", "silver"}).exit_code, 0);
  ASSERT_EQ(run({"account", "add", "--name", "Globex", "--email", "it@globex.example"}).exit_code, 0);
  ASSERT_EQ(run({"contact", "add", "--name", "Olga", "--email", "olga@acme.example", "--account", "Acme"})
                .exit_code,
            0);
  ASSERT_EQ(run({"rule", "add", "gold", "--if-account-level", "gold", "--set-priority", "high"}).exit_code,
            0);
  auto mail = [](const std::string& id) {
    return "From: Olga <olga@acme.example>\r\nTo: support@corp.example\r\nSubject: Help " + id +
           "\r\nMessage-ID: <" + id + "@acme.example>\r\n\r\nPlease help.\r\n";
  };
  ASSERT_EQ(run({"deliver", "--recipient", "support@corp.example"}, mail("a1")).exit_code, 0);
  auto r = run({"account", "change", "acme", "--support-level", "gold", "--name", "Acme Corp", "--email",
                "Billing@Acme.example"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Acme Corp (gold)"), std::string::npos) << r.out;
  ASSERT_EQ(run({"deliver", "--recipient", "support@corp.example"}, mail("a2")).exit_code, 0);
  EXPECT_EQ(sql("SELECT subject, priority FROM cases ORDER BY id"), (V{"Help a1|normal", "Help a2|high"}));
  EXPECT_EQ(sql("SELECT name, support_level FROM accounts WHERE name LIKE 'Acme%'"), V{"Acme Corp|gold"});
  EXPECT_EQ(
      sql("SELECT email FROM account_emails a JOIN accounts c ON c.id = a.account_id WHERE c.name = 'Acme "
          "Corp'"),
      V{"billing@acme.example"});

  // Refused, nothing changed: another account's name or address, no such account.
  auto taken = run({"account", "change", "Acme Corp", "--name", "globex"});
  EXPECT_EQ(taken.exit_code, 65) << taken.err;
  EXPECT_NE(taken.err.find("exists already"), std::string::npos) << taken.err;
  EXPECT_EQ(run({"account", "change", "Acme Corp", "--email", "IT@globex.example"}).exit_code, 65);
  EXPECT_EQ(run({"account", "change", "Nobody Inc", "--support-level", "gold"}).exit_code, 66);
  EXPECT_EQ(run({"account", "change", "Acme Corp", "--email", "x@y.example", "--no-email"}).exit_code, 65);
  EXPECT_EQ(sql("SELECT email FROM account_emails ORDER BY email"),
            (V{"billing@acme.example", "it@globex.example"}));
  ASSERT_EQ(run({"account", "change", "Acme Corp", "--no-email"}).exit_code, 0);
  EXPECT_EQ(sql("SELECT email FROM account_emails ORDER BY email"), V{"it@globex.example"});
}

TEST_F(RuleCommands, RuleTestPrintsTheEvaluationAndChangesNothing) {
  ASSERT_EQ(run({"account", "add", "--name", "Acme", "--support-level", "gold"}).exit_code, 0);
  ASSERT_EQ(run({"contact", "add", "--name", "Olga", "--email", "olga@acme.example", "--account", "Acme",
                 "--language", "pl"})
                .exit_code,
            0);
  ASSERT_EQ(run({"rule", "add", "french", "--if-language", "fr", "--set-queue", "French"}).exit_code, 0);
  ASSERT_EQ(run({"rule", "add", "gold", "--if-account-level", "GOLD", "--if-address", "support@corp.example",
                 "--set-priority", "high", "--continue"})
                .exit_code,
            0);
  ASSERT_EQ(
      run({"rule", "add", "outages", "--if-body", "is down", "--set-owner", "ann@corp.example"}).exit_code,
      0);
  ASSERT_EQ(run({"rule", "add", "late", "--set-product", "Never"}).exit_code, 0);
  const std::string mail =
      "From: Olga <olga@acme.example>\r\nTo: support@corp.example\r\nSubject: Help\r\n"
      "Message-ID: <t1@acme.example>\r\n\r\nThe portal IS DOWN again.\r\n";
  auto r = run({"rule", "test"}, mail);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["matched"], json({"gold", "outages"}));
  EXPECT_EQ(j["result"], json::parse(R"({"priority": "high", "owner": "ann@corp.example"})"));
  EXPECT_EQ(j["set_by"], json::parse(R"({"priority": "gold", "owner": "outages"})"));
  ASSERT_EQ(j["rules"].size(), 3u) << j.dump();  // "late" is not checked: "outages" stopped it
  EXPECT_EQ(j["rules"][0], json::parse(R"({"rule": "french", "matched": false, "failed": "language",
                                           "set": {"queue": "French"}})"));
  EXPECT_EQ(j["rules"][1]["matched"], true);
  EXPECT_EQ(j["rules"][2]["rule"], "outages");

  // Nothing changed: no mail recorded, no case, no hits.
  EXPECT_EQ(sql("SELECT count(*) FROM raw_messages"), V{"0"});
  EXPECT_EQ(sql("SELECT count(*) FROM cases"), V{"0"});
  EXPECT_EQ(sql("SELECT sum(hits) FROM assignment_rules"), V{"0"});

  // A mail no rule matches: every enabled rule checked, none matched.
  ASSERT_EQ(run({"rule", "disable", "late"}).exit_code, 0);
  r = run({"rule", "test"},
          "From: x@else.example\r\nTo: support@corp.example\r\nSubject: hi\r\n\r\nhello\r\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = json::parse(r.out, nullptr, false);
  EXPECT_EQ(j["matched"], json::array());
  EXPECT_EQ(j["result"], json::object());
  EXPECT_EQ(j["rules"].size(), 3u);
}

// A rule whose pattern RE2 refuses, written straight into the store (as another version
// might have stored it): mail still opens cases, the other rules still apply in their
// order, the log names the broken rule, and every listing shows it as never checked.
TEST_F(RuleCommands, ARuleWhosePatternNoLongerCompilesIsLeftOutAndShownAsBroken) {
  ASSERT_EQ(
      run({"rule", "add", "gold", "--if-subject", "help", "--set-priority", "high", "--continue"}).exit_code,
      0);
  ASSERT_EQ(run({"rule", "add", "broken", "--if-subject", "help", "--set-queue", "Broken"}).exit_code, 0);
  ASSERT_EQ(run({"rule", "add", "outages", "--if-body", "is down", "--set-queue", "Outages"}).exit_code, 0);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((std::filesystem::path(data_) / "mailcase.db").c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "UPDATE assignment_rules SET if_subject = 'help (me' WHERE name = 'broken'",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  const std::string mail =
      "From: x@else.example\r\nTo: support@corp.example\r\nSubject: help please\r\n"
      "Message-ID: <b1@else.example>\r\n\r\nThe portal is down.\r\n";
  auto r = run({"deliver"}, mail);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = json::parse(r.out, nullptr, false);
  EXPECT_EQ(out["outcome"], "created") << r.out;
  EXPECT_NE(r.err.find("assignment rule broken does not compile"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--if-subject: missing ): help (me"), std::string::npos) << r.err;
  // "gold" and "outages" applied; "broken" (which would have stopped at its match) did not.
  EXPECT_EQ(sql("SELECT queue, priority FROM cases"), V{"Outages|high"});
  EXPECT_EQ(sql("SELECT name, hits FROM assignment_rules ORDER BY position"),
            (V{"gold|1", "broken|0", "outages|1"}));

  auto list = run({"rule", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(
      list.out.find("2. broken  hits 0  --if-subject help (me --set-queue Broken  [broken, never checked: "
                    "--if-subject: missing ): help (me]\n"),
      std::string::npos)
      << list.out;
  EXPECT_NE(list.out.find("gold  hits 1  --if-subject help --set-priority high --continue\n"),
            std::string::npos)
      << list.out;
  const auto all = rules();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_FALSE(all[0].contains("broken"));
  EXPECT_EQ(all[1]["broken"], "--if-subject: missing ): help (me");
  EXPECT_FALSE(all[2].contains("broken"));

  // rule test says which rules it left out; fixing the pattern brings the rule back.
  auto t = run({"rule", "test"}, mail);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  auto j = json::parse(t.out, nullptr, false);
  EXPECT_EQ(j["skipped"],
            json::parse(R"([{"rule": "broken", "broken": "--if-subject: missing ): help (me"}])"));
  EXPECT_EQ(j["matched"], json({"gold", "outages"}));
  ASSERT_EQ(run({"rule", "change", "broken", "--if-subject", "help \\(me"}).exit_code, 0);
  EXPECT_FALSE(rules()[1].contains("broken"));
  j = json::parse(run({"rule", "test"}, mail).out, nullptr, false);
  EXPECT_FALSE(j.contains("skipped"));
}

}  // namespace
}  // namespace mailcase

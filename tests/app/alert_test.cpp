// Monitoring alerts through the command line: `alert add/list/remove`, and alert mails
// delivered by the binary (`mailcase deliver`, as the MTA runs it) from the fixtures in
// tests/fixtures/alerts: problem → repeat → recovery → problem again within the
// rule's reopen-within → after it. The monitoring sender is never a contact, never a
// participant, and is never mailed.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "store/store.h"
#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::read_file;
using mailcase::testing::run_mailcase;
using nlohmann::json;

std::string fixture(const std::string& name) {
  return read_file(std::filesystem::path(MAILCASE_SOURCE_DIR) / "tests/fixtures/alerts" / name);
}

// The fixture with another Message-ID, so that the same alert may come again.
std::string again(const std::string& name, const std::string& id) {
  std::string raw = fixture(name);
  const auto at = raw.find("Message-ID: <");
  const auto end = raw.find('>', at);
  return raw.replace(at, end - at + 1, "Message-ID: <" + id + ">");
}

class AlertCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run({"init"}).exit_code, 0);
    std::ofstream(std::filesystem::path(data_) / "mailcase.toml")
        << "[outbound]\nfrom_address = \"support@corp.example\"\n";
    // Unknown senders are held: alert rules come before that policy.
    ASSERT_EQ(run({"address", "add", "support@corp.example", "--unknown-sender", "hold"}).exit_code, 0);
    ASSERT_EQ(run({"account", "add", "--name", "Acme"}).exit_code, 0);
  }
  mailcase::testing::CommandResult run(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data_});
    return run_mailcase(args, in);
  }
  json run_json(std::vector<std::string> args) {
    auto r = run(std::move(args));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  json deliver(const std::string& mail) {
    auto r = run({"deliver"}, mail);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  std::unique_ptr<store::Store> open_store() {
    auto st = store::open_sqlite(std::filesystem::path(data_) / "mailcase.db");
    EXPECT_TRUE(st) << st.error().message;
    return st ? std::move(*st) : nullptr;
  }
  // Moves every alert case's resolution `hours` into the past, as if that long had gone by.
  void age_resolutions(int hours) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((std::filesystem::path(data_) / "mailcase.db").c_str(), &db), SQLITE_OK);
    const std::string sql = "UPDATE alert_cases SET resolved_at = resolved_at - " +
                            std::to_string(hours * 3600) + " WHERE resolved_at IS NOT NULL";
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  mailcase::testing::TempDir dir_;
  std::string data_;
};

TEST_F(AlertCommands, RulesAreAddedListedAndRemoved) {
  auto r = run({"alert", "add", "nagios", "--format", "nagios", "--sender", "@monitor\\.example\\.net$",
                "--subject", "Alert:", "--account", "acme", "--reopen-within", "6"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "alert rule nagios (nagios) at position 1\n");
  r = run({"alert", "add", "uptime", "--format", "generic", "--body",
           "Check:\\s*(?P<host>[^/\\s]+)/(?P<service>\\S+)\\s+Status:\\s*(?P<state>\\w+)"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  auto all = run_json({"alert", "list", "--json"});
  ASSERT_TRUE(all.is_array()) << all.dump();
  ASSERT_EQ(all.size(), 2u) << all.dump();
  EXPECT_EQ(all[0]["name"], "nagios");
  EXPECT_EQ(all[0]["format"], "nagios");
  EXPECT_EQ(all[0]["sender"], "@monitor\\.example\\.net$");
  EXPECT_EQ(all[0]["subject"], "Alert:");
  EXPECT_EQ(all[0]["account"], "Acme");
  EXPECT_EQ(all[0]["reopen_within_hours"], 6);
  EXPECT_EQ(all[0]["position"], 1);
  EXPECT_EQ(all[1]["name"], "uptime");
  EXPECT_EQ(all[1]["account"], nullptr);
  EXPECT_EQ(all[1]["reopen_within_hours"], 24) << "the default";

  auto text = run({"alert", "list"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("nagios"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("account Acme"), std::string::npos) << text.out;

  r = run({"alert", "remove", "nagios"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "alert rule nagios removed\n");
  EXPECT_EQ(run_json({"alert", "list", "--json"}).size(), 1u);
  r = run({"alert", "remove", "nagios"});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_NE(r.err.find("no alert rule nagios"), std::string::npos) << r.err;
}

TEST_F(AlertCommands, BadRulesSayWhyAndAddNothing) {
  auto r = run({"alert", "add", "x", "--format", "prometheus"});
  EXPECT_EQ(r.exit_code, 64) << r.err;
  EXPECT_NE(r.err.find("--format"), std::string::npos) << r.err;
  EXPECT_EQ(run({"alert", "add", "x"}).exit_code, 64) << "--format is required";
  r = run({"alert", "add", "x", "--format", "nagios", "--subject", "(unclosed"});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("--subject: not an RE2 pattern"), std::string::npos) << r.err;
  r = run({"alert", "add", "x", "--format", "generic"});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("--body"), std::string::npos) << r.err;
  r = run({"alert", "add", "x", "--format", "generic", "--body", "(?P<host>\\S+) down"});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("host and state"), std::string::npos) << r.err;
  r = run({"alert", "add", "x", "--format", "nagios", "--account", "Nobody Inc"});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_NE(r.err.find("no account Nobody Inc"), std::string::npos) << r.err;
  EXPECT_EQ(run({"alert", "add", "x", "--format", "nagios", "--reopen-within", "-1"}).exit_code, 65);
  EXPECT_EQ(run({"alert", "add", "x", "--format", "nagios", "--reopen-within", "soon"}).exit_code, 64);
  ASSERT_EQ(run({"alert", "add", "x", "--format", "nagios"}).exit_code, 0);
  r = run({"alert", "add", "x", "--format", "zabbix"});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("exists already"), std::string::npos) << r.err;
  auto all = run_json({"alert", "list", "--json"});
  ASSERT_EQ(all.size(), 1u) << all.dump();
  EXPECT_EQ(all[0]["format"], "nagios");
}

// A rule changed in place keeps its name and place; each option given replaces one field
// ("" clears it); a change the checks refuse changes nothing; the next mail is matched by
// the rule as it now is.
TEST_F(AlertCommands, ARuleIsChangedInPlace) {
  ASSERT_EQ(run({"alert", "add", "nagios", "--format", "nagios", "--sender", "@elsewhere\\.example$", "--subject",
                 "Alert"})
                .exit_code,
            0);
  ASSERT_EQ(run({"alert", "add", "later", "--format", "zabbix", "--sender", "@zabbix\\.example$"}).exit_code, 0);
  // No rule takes it: a mail from a sender this desk does not know, held as such.
  auto o = deliver(fixture("nagios-problem.eml"));
  EXPECT_EQ(o["outcome"], "held") << o.dump();
  EXPECT_EQ(o["reason"], "unknown sender") << o.dump();

  auto r = run({"alert", "change", "nagios", "--sender", "@monitor\\.example\\.net$", "--subject", "",
                "--account", "acme", "--reopen-within", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "alert rule nagios (nagios) changed\n");
  auto all = run_json({"alert", "list", "--json"});
  ASSERT_EQ(all.size(), 2u) << all.dump();
  EXPECT_EQ(all[0]["name"], "nagios");
  EXPECT_EQ(all[0]["position"], 1);
  EXPECT_EQ(all[0]["format"], "nagios");
  EXPECT_EQ(all[0]["sender"], "@monitor\\.example\\.net$");
  EXPECT_EQ(all[0].value("subject", ""), "");
  EXPECT_EQ(all[0]["account"], "Acme");
  EXPECT_EQ(all[0]["reopen_within_hours"], 3);
  EXPECT_EQ(all[1]["name"], "later");

  o = deliver(again("nagios-problem.eml", "nagios-changed@monitor.example.net"));
  EXPECT_EQ(o["outcome"], "created") << o.dump();
  auto c = run_json({"case", "show", o["case"].get<std::string>(), "--json"});
  EXPECT_EQ(c["origin"], "alert") << c.dump();
  EXPECT_EQ(c["account"]["name"], "Acme") << c.dump();

  // Refused: nothing changes.
  r = run({"alert", "change", "nagios", "--subject", "(unclosed"});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("--subject: not an RE2 pattern"), std::string::npos) << r.err;
  r = run({"alert", "change", "nagios", "--format", "generic"});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("--body"), std::string::npos) << r.err;
  r = run({"alert", "change", "nagios", "--format", "prometheus"});
  EXPECT_EQ(r.exit_code, 64) << r.err;
  r = run({"alert", "change", "nagios", "--account", "Nobody Inc"});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  r = run({"alert", "change", "nobody", "--subject", "x"});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_NE(r.err.find("no alert rule nobody"), std::string::npos) << r.err;
  EXPECT_EQ(run_json({"alert", "list", "--json"}), all);
}

TEST_F(AlertCommands, ProblemRepeatRecoveryReopenAndLaterANewCase) {
  ASSERT_EQ(run({"alert", "add", "nagios", "--format", "nagios", "--sender", "@monitor\\.example\\.net$",
                 "--account", "Acme", "--reopen-within", "2"})
                .exit_code,
            0);

  // The problem: a case for web01/HTTP, for Acme, with no contact, by the rule.
  auto o = deliver(fixture("nagios-problem.eml"));
  EXPECT_EQ(o["outcome"], "created") << o.dump();
  ASSERT_EQ(o["case"], "CS0000001") << o.dump();
  auto c = run_json({"case", "show", "CS0000001", "--json"});
  EXPECT_EQ(c["subject"], "web01/HTTP CRITICAL");
  EXPECT_EQ(c["origin"], "alert");
  EXPECT_EQ(c["status"], "new");
  EXPECT_EQ(c["contact"], nullptr);
  EXPECT_EQ(c["account"]["name"], "Acme") << c.dump();
  EXPECT_EQ(c["participants"], json::array());
  ASSERT_EQ(c["comments"].size(), 1u) << c.dump();
  EXPECT_EQ(c["comments"][0]["visibility"], "internal");

  // A repeat: a comment on the same case, no new case.
  o = deliver(again("nagios-problem.eml", "nagios-1b@monitor.example.net"));
  EXPECT_EQ(o["outcome"], "updated") << o.dump();
  EXPECT_EQ(o["case"], "CS0000001");
  c = run_json({"case", "show", "CS0000001", "--json"});
  EXPECT_EQ(c["comments"].size(), 2u);
  EXPECT_EQ(c["status"], "new");

  // The recovery resolves it, by the rule.
  o = deliver(fixture("nagios-recovery.eml"));
  EXPECT_EQ(o["outcome"], "updated") << o.dump();
  EXPECT_EQ(o["case"], "CS0000001");
  EXPECT_EQ(run_json({"case", "show", "CS0000001", "--json"})["status"], "resolved");
  auto history = run_json({"case", "history", "CS0000001", "--json"});
  bool resolved_by_rule = false;
  for (const auto& e : history)
    resolved_by_rule = resolved_by_rule ||
                       (e["action"] == "resolved" && e["actor_kind"] == "rule" && e["actor"] == "nagios");
  EXPECT_TRUE(resolved_by_rule) << history.dump();

  // A problem again within two hours: the same case, reopened.
  o = deliver(again("nagios-problem.eml", "nagios-1c@monitor.example.net"));
  EXPECT_EQ(o["outcome"], "updated") << o.dump();
  EXPECT_EQ(o["case"], "CS0000001");
  EXPECT_EQ(run_json({"case", "show", "CS0000001", "--json"})["status"], "open");

  // Recovered again; three hours later a problem is a new case.
  o = deliver(again("nagios-recovery.eml", "nagios-2b@monitor.example.net"));
  EXPECT_EQ(o["case"], "CS0000001") << o.dump();
  EXPECT_EQ(run_json({"case", "show", "CS0000001", "--json"})["status"], "resolved");
  age_resolutions(3);
  o = deliver(again("nagios-problem.eml", "nagios-1d@monitor.example.net"));
  EXPECT_EQ(o["outcome"], "created") << o.dump();
  EXPECT_EQ(o["case"], "CS0000002");
  EXPECT_EQ(run_json({"case", "show", "CS0000001", "--json"})["status"], "resolved");

  // A host alert is a key of its own.
  o = deliver(fixture("nagios-host-problem.eml"));
  EXPECT_EQ(o["case"], "CS0000003") << o.dump();

  // Nothing was ever mailed to the monitoring system, nor made of its address.
  auto st = open_store();
  ASSERT_TRUE(st);
  auto outbox = st->list_outbox(std::nullopt, 1000);
  ASSERT_TRUE(outbox);
  for (const auto& m : *outbox) EXPECT_NE(m.to, "nagios@monitor.example.net") << m.kind;
  auto contact = st->find_contact_by_email("nagios@monitor.example.net");
  ASSERT_TRUE(contact);
  EXPECT_FALSE(*contact);
  for (const char* n : {"CS0000001", "CS0000002", "CS0000003"}) {
    auto shown = run_json({"case", "show", n, "--json"});
    EXPECT_EQ(shown["participants"], json::array()) << n;
    EXPECT_EQ(shown["contact"], nullptr) << n;
  }
}

TEST_F(AlertCommands, AnAlertCaseClosedByAnAgentSendsNoClosedOrSurveyMail) {
  ASSERT_EQ(run({"alert", "add", "zabbix", "--format", "zabbix", "--sender", "^zabbix@"}).exit_code, 0);
  auto o = deliver(fixture("zabbix-problem.eml"));
  ASSERT_EQ(o["case"], "CS0000001") << o.dump();
  EXPECT_EQ(run_json({"case", "show", "CS0000001", "--json"})["subject"],
            "app01/High CPU utilization (over 90% for 5m) High");
  auto r = run({"case", "close", "CS0000001"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto st = open_store();
  ASSERT_TRUE(st);
  auto outbox = st->list_outbox(std::nullopt, 1000);
  ASSERT_TRUE(outbox);
  EXPECT_TRUE(outbox->empty()) << outbox->front().kind << " to " << outbox->front().to;
  // A recovery after the agent closed it is a comment; nothing reopens it.
  o = deliver(fixture("zabbix-recovery.eml"));
  EXPECT_EQ(o["outcome"], "updated") << o.dump();
  EXPECT_EQ(o["case"], "CS0000001");
  EXPECT_EQ(run_json({"case", "show", "CS0000001", "--json"})["status"], "closed");
}

TEST_F(AlertCommands, AMatchedMailThatIsNoReadableAlertIsHeldAndOtherMailIsRoutedAsBefore) {
  ASSERT_EQ(run({"alert", "add", "monit", "--format", "monit", "--sender", "^monit@"}).exit_code, 0);
  auto o = deliver(
      "From: monit@web01.example.net\nTo: support@corp.example\nSubject: monit weekly summary\n"
      "Message-ID: <m-summary@web01.example.net>\n\nAll services fine.\n");
  EXPECT_EQ(o["outcome"], "held") << o.dump();
  EXPECT_EQ(o["case"], nullptr);
  const std::string reason = o["reason"];
  EXPECT_NE(reason.find("alert rule monit"), std::string::npos) << reason;
  EXPECT_NE(reason.find("no host"), std::string::npos) << reason;

  // A recovery with no case before it: recorded, nothing opened.
  o = deliver(fixture("monit-recovery.eml"));
  EXPECT_EQ(o["outcome"], "ignored") << o.dump();
  EXPECT_NE(o["reason"].get<std::string>().find("no alert case"), std::string::npos) << o.dump();

  // A person's mail is routed as before (unknown senders are held by this config).
  ASSERT_EQ(run({"contact", "add", "--name", "Alice", "--email", "alice@example.org"}).exit_code, 0);
  o = deliver(
      "From: Alice <alice@example.org>\nTo: support@corp.example\nSubject: Printer\n"
      "Message-ID: <alice-1@example.org>\n\nIt jams.\n");
  EXPECT_EQ(o["outcome"], "created") << o.dump();
  EXPECT_EQ(run_json({"case", "show", o["case"].get<std::string>(), "--json"})["origin"], "email");
}

TEST_F(AlertCommands, AForgedRecoveryIsHeldAndLeavesTheCaseOpen) {
  // A rule matches by the From, which proves nothing: when the trusted server says the
  // From failed DMARC, the mail must not resolve the outage's case (nor open or reopen one).
  std::ofstream(std::filesystem::path(data_) / "mailcase.toml")
      << "[outbound]\nfrom_address = \"support@corp.example\"\n[trust]\nauthserv_ids = "
         "[\"mx.corp.example\"]\n";
  ASSERT_EQ(run({"alert", "add", "nagios", "--format", "nagios", "--sender", "@monitor\\.example\\.net$"})
                .exit_code,
            0);
  auto o = deliver(fixture("nagios-problem.eml"));
  ASSERT_EQ(o["case"], "CS0000001") << o.dump();
  o = deliver("Authentication-Results: mx.corp.example; dmarc=fail header.from=monitor.example.net\n" +
              fixture("nagios-recovery.eml"));
  EXPECT_EQ(o["outcome"], "held") << o.dump();
  EXPECT_NE(o["reason"].get<std::string>().find("DMARC"), std::string::npos) << o.dump();
  EXPECT_EQ(run_json({"case", "show", "CS0000001", "--json"})["status"], "new");
  // The same recovery with a DMARC pass resolves it.
  o = deliver("Authentication-Results: mx.corp.example; dmarc=pass header.from=monitor.example.net\n" +
              again("nagios-recovery.eml", "nagios-2b@monitor.example.net"));
  EXPECT_EQ(o["outcome"], "updated") << o.dump();
  EXPECT_EQ(run_json({"case", "show", "CS0000001", "--json"})["status"], "resolved");
}

TEST_F(AlertCommands, ARuleWantingAProvenSenderHoldsAMailNoTrustedServerVouchedFor) {
  // A forged monitoring From with no Authentication-Results at all: nothing speaks against
  // it, so only a rule that wants the sender proven keeps it from opening or resolving a case.
  std::ofstream(std::filesystem::path(data_) / "mailcase.toml")
      << "[outbound]\nfrom_address = \"support@corp.example\"\n[trust]\nauthserv_ids = "
         "[\"mx.corp.example\"]\n";
  ASSERT_EQ(run({"alert", "add", "nagios", "--format", "nagios", "--sender", "@monitor\\.example\\.net$",
                 "--proven-sender"})
                .exit_code,
            0);
  auto rules = run_json({"alert", "list", "--json"});
  ASSERT_EQ(rules.size(), 1u) << rules.dump();
  EXPECT_EQ(rules[0]["proven_sender"], true) << rules.dump();

  auto o = deliver(fixture("nagios-problem.eml"));
  EXPECT_EQ(o["outcome"], "held") << o.dump();
  EXPECT_NE(o["reason"].get<std::string>().find("proven sender"), std::string::npos) << o.dump();
  EXPECT_FALSE(o.contains("case") && o["case"].is_string()) << o.dump();
  // A DKIM pass for another domain proves nothing of this From.
  o = deliver("Authentication-Results: mx.corp.example; dkim=pass header.d=attacker.example\n" +
              again("nagios-problem.eml", "nagios-1b@monitor.example.net"));
  EXPECT_EQ(o["outcome"], "held") << o.dump();
  // Nor does a pass written by a server mailcase does not trust.
  o = deliver("Authentication-Results: mx.other.example; dkim=pass header.d=monitor.example.net\n" +
              again("nagios-problem.eml", "nagios-1c@monitor.example.net"));
  EXPECT_EQ(o["outcome"], "held") << o.dump();
  // The trusted server's aligned DKIM pass: the problem opens its case, the signed recovery
  // resolves it.
  o = deliver("Authentication-Results: mx.corp.example; dkim=pass header.d=monitor.example.net\n" +
              again("nagios-problem.eml", "nagios-1d@monitor.example.net"));
  ASSERT_EQ(o["case"], "CS0000001") << o.dump();
  o = deliver("Authentication-Results: mx.corp.example; dmarc=pass header.from=monitor.example.net\n" +
              fixture("nagios-recovery.eml"));
  EXPECT_EQ(o["outcome"], "updated") << o.dump();
  EXPECT_EQ(run_json({"case", "show", "CS0000001", "--json"})["status"], "resolved");

  // Turned off, an unsigned mail acts again, as nothing speaks against its From.
  ASSERT_EQ(run({"alert", "change", "nagios", "--proven-sender", "false"}).exit_code, 0);
  EXPECT_EQ(run_json({"alert", "list", "--json"})[0]["proven_sender"], false);
  o = deliver(again("nagios-problem.eml", "nagios-1e@monitor.example.net"));
  EXPECT_NE(o["outcome"], "held") << o.dump();
}

}  // namespace
}  // namespace mailcase

// Queues with members and agents told by mail, through the command line: `queue add`,
// `queue list`, `queue members`, `agent set`, and the notices a delivered mail, a reply
// and an assignment put in the outbox (read back as the outbox worker would send them).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "store/store.h"
#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;
using nlohmann::json;

std::string mail(const std::string& from, const std::string& subject, const std::string& id,
                 const std::string& body) {
  return "From: " + from + "\r\nTo: support@corp.example\r\nSubject: " + subject + "\r\nMessage-ID: <" + id +
         ">\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\n" + body + "\r\n";
}

class QueueCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run({"init"}).exit_code, 0);
    std::ofstream(std::filesystem::path(data_) / "mailcase.toml")
        << "[outbound]\nfrom_address = \"support@corp.example\"\n"
        << "[http]\npublic_url = \"https://help.corp.example/\"\n";
    ASSERT_EQ(run({"address", "add", "support@corp.example", "--queue", "Billing"}).exit_code, 0);
    for (const char* who : {"ann", "bob", "carl"}) {
      auto r = run({"agent", "add", "--name", std::string(who) + " Agent", "--email",
                    std::string(who) + "@corp.example"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }
  mailcase::testing::CommandResult run(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data_});
    return run_mailcase(args, in);
  }
  json queues() {
    auto r = run({"queue", "list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  std::string deliver(const std::string& m) {
    auto r = run({"deliver"}, m);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto j = json::parse(r.out, nullptr, false);
    return j.is_object() && j["case"].is_string() ? j["case"].get<std::string>() : "";
  }
  // The agents' notices in the outbox, oldest first: {kind, to, raw}.
  std::vector<store::OutboxMail> notices() {
    auto st = store::open_sqlite(std::filesystem::path(data_) / "mailcase.db");
    EXPECT_TRUE(st) << st.error().message;
    if (!st) return {};
    auto all = (*st)->list_outbox(std::nullopt, 1000);
    EXPECT_TRUE(all) << all.error().message;
    std::vector<store::OutboxMail> out;
    if (!all) return out;
    for (auto it = all->rbegin(); it != all->rend(); ++it)
      if (it->kind.rfind("notice_", 0) == 0) out.push_back(*it);
    return out;
  }

  mailcase::testing::TempDir dir_;
  std::string data_;
};

TEST_F(QueueCommands, AQueueIsAddedWithMembersListedAndItsMembersChanged) {
  auto r = run({"queue", "add", "Billing", "--agents", "ann@corp.example, BOB@corp.example"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "queue Billing: ann@corp.example, bob@corp.example\n");
  auto q = queues();
  ASSERT_EQ(q.size(), 1u) << q.dump();
  EXPECT_EQ(q[0]["name"], "Billing");
  EXPECT_EQ(q[0]["members"], json({"ann@corp.example", "bob@corp.example"}));
  EXPECT_EQ(q[0]["open_cases"], 0);

  r = run({"queue", "members", "Billing", "--remove", "bob@corp.example"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "queue Billing: ann@corp.example\n");
  r = run({"queue", "members", "Billing", "--add", "Carl@Corp.Example"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(queues()[0]["members"], json({"ann@corp.example", "carl@corp.example"}));

  auto text = run({"queue", "list"});
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("Billing"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("ann@corp.example, carl@corp.example"), std::string::npos) << text.out;
}

TEST_F(QueueCommands, BadQueueCommandsSayWhyAndChangeNothing) {
  ASSERT_EQ(run({"queue", "add", "Billing", "--agents", "ann@corp.example"}).exit_code, 0);
  auto again = run({"queue", "add", "Billing"});
  EXPECT_EQ(again.exit_code, 65) << again.err;
  EXPECT_NE(again.err.find("exists already"), std::string::npos) << again.err;
  auto stranger = run({"queue", "add", "Sales", "--agents", "ann@corp.example,nobody@corp.example"});
  EXPECT_EQ(stranger.exit_code, 66) << stranger.err;
  EXPECT_NE(stranger.err.find("nobody@corp.example"), std::string::npos) << stranger.err;
  EXPECT_EQ(run({"queue", "add", " "}).exit_code, 65);
  EXPECT_EQ(run({"queue", "members", "Billing", "--add", "nobody@corp.example"}).exit_code, 66);
  EXPECT_EQ(run({"queue", "members", "Billing", "--remove", "bob@corp.example"}).exit_code, 66);
  EXPECT_EQ(run({"queue", "members", "Billing"}).exit_code, 64) << "--add or --remove is needed";
  EXPECT_EQ(run({"queue", "members", "Billing", "--add", "bob@corp.example", "--remove", "ann@corp.example"})
                .exit_code,
            64);
  auto q = queues();
  ASSERT_EQ(q.size(), 1u) << "Sales was not made: " << q.dump();
  EXPECT_EQ(q[0]["members"], json({"ann@corp.example"}));
}

TEST_F(QueueCommands, AQueueNamedOnlyOnCasesIsListedWithItsOpenCasesAndGetsMembers) {
  ASSERT_EQ(deliver(mail("Alice <alice@example.org>", "Invoice wrong", "a1@example.org", "Twice.")),
            "CS0000001");
  auto q = queues();
  ASSERT_EQ(q.size(), 1u) << q.dump();
  EXPECT_EQ(q[0]["name"], "Billing");
  EXPECT_EQ(q[0]["members"], json::array());
  EXPECT_EQ(q[0]["open_cases"], 1);
  auto r = run({"queue", "members", "Billing", "--add", "ann@corp.example"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  q = queues();
  EXPECT_EQ(q[0]["members"], json({"ann@corp.example"}));
  EXPECT_EQ(q[0]["open_cases"], 1);
  ASSERT_EQ(run({"case", "close", "CS0000001"}).exit_code, 0);
  EXPECT_EQ(queues()[0]["open_cases"], 0);
}

TEST_F(QueueCommands, AgentSetChangesWhichMailsAnAgentGetsShownInAgentList) {
  auto r = run({"agent", "set", "ann@corp.example", "--notify-reply", "no"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ann@corp.example: notify-new-case yes, notify-reply no, notify-assigned yes\n");
  auto list = json::parse(run({"agent", "list", "--json"}).out, nullptr, false);
  ASSERT_TRUE(list.is_array() && list.size() == 3u) << list.dump();
  EXPECT_EQ(list[0]["email"], "ann@corp.example");
  EXPECT_EQ(list[0]["notify"], json({{"new_case", true}, {"reply", false}, {"assigned", true}}));
  EXPECT_EQ(list[1]["notify"], json({{"new_case", true}, {"reply", true}, {"assigned", true}}));
  r = run({"agent", "set", "ANN@corp.example", "--notify-new-case", "no", "--notify-assigned", "no",
           "--notify-reply", "yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ann@corp.example: notify-new-case no, notify-reply yes, notify-assigned no\n");
  EXPECT_EQ(run({"agent", "set", "ann@corp.example", "--notify-reply", "maybe"}).exit_code, 64);
  EXPECT_EQ(run({"agent", "set", "nobody@corp.example", "--notify-reply", "no"}).exit_code, 66);
}

// `agent set --role` makes an agent an admin or takes it back, `--name` renames; the last
// active admin is not made an agent or disabled (exit 65), and nothing changes then.
TEST_F(QueueCommands, AgentSetChangesANameAndARoleButNeverTakesTheLastAdmin) {
  auto r = run({"agent", "set", "ann@corp.example", "--role", "admin", "--name", "Ann B."});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ann@corp.example: name Ann B., role admin\n"), std::string::npos) << r.out;
  auto list = json::parse(run({"agent", "list", "--json"}).out, nullptr, false);
  ASSERT_TRUE(list.is_array() && !list.empty()) << list.dump();
  EXPECT_EQ(list[0]["name"], "Ann B.");
  EXPECT_EQ(list[0]["role"], "admin");
  r = run({"agent", "set", "ann@corp.example", "--role", "agent", "--name", "Ann C."});
  EXPECT_EQ(r.exit_code, 65) << r.out;
  EXPECT_NE(r.err.find("last active administrator"), std::string::npos) << r.err;
  EXPECT_EQ(run({"agent", "disable", "ann@corp.example"}).exit_code, 65);
  list = json::parse(run({"agent", "list", "--json"}).out, nullptr, false);
  EXPECT_EQ(list[0]["name"], "Ann B.");
  EXPECT_EQ(list[0]["role"], "admin");
  EXPECT_EQ(list[0]["active"], true);
  // With Bob an admin too, Ann steps down.
  ASSERT_EQ(run({"agent", "set", "bob@corp.example", "--role", "admin"}).exit_code, 0);
  ASSERT_EQ(run({"agent", "set", "ann@corp.example", "--role", "agent"}).exit_code, 0);
  EXPECT_EQ(run({"agent", "set", "ann@corp.example", "--role", "boss"}).exit_code, 64);
  EXPECT_EQ(run({"agent", "set", "ann@corp.example", "--name", " "}).exit_code, 65);
}

// The end to end of issue 14's notices: a mail to a queue with members, a customer's
// reply on an owned case, an assignment by another agent, and none for a self-assignment.
TEST_F(QueueCommands, MembersOwnersAndAssigneesAreToldByMailInTheOutbox) {
  ASSERT_EQ(
      run({"queue", "add", "Billing", "--agents", "ann@corp.example,bob@corp.example,carl@corp.example"})
          .exit_code,
      0);
  ASSERT_EQ(run({"agent", "set", "bob@corp.example", "--notify-new-case", "no"}).exit_code, 0);
  ASSERT_EQ(run({"agent", "disable", "carl@corp.example"}).exit_code, 0);

  const auto number = deliver(mail("Alice <alice@example.org>", "Invoice wrong", "a1@example.org",
                                   "We were billed twice in November."));
  ASSERT_EQ(number, "CS0000001");
  auto n = notices();
  ASSERT_EQ(n.size(), 1u) << "ann only: bob turned new cases off, carl is disabled";
  EXPECT_EQ(n[0].kind, "notice_new_case");
  EXPECT_EQ(n[0].to, "ann@corp.example");
  EXPECT_FALSE(n[0].automatic) << "not counted as an automatic reply to a customer";
  const std::string raw = n[0].raw;
  EXPECT_NE(raw.find("Auto-Submitted: auto-generated"), std::string::npos) << raw;
  EXPECT_NE(raw.find("To: "), std::string::npos);
  EXPECT_NE(raw.find("ann@corp.example"), std::string::npos);
  EXPECT_EQ(raw.find("alice@example.org"), std::string::npos) << "nothing to or about the customer's address";
  EXPECT_NE(raw.find("CS0000001"), std::string::npos);
  EXPECT_NE(raw.find("Invoice wrong"), std::string::npos);
  EXPECT_NE(raw.find("billed twice"), std::string::npos) << raw;
  EXPECT_NE(raw.find("https://help.corp.example/cases/CS0000001"), std::string::npos) << raw;

  // Ann gives the case to Bob: Bob is told (assigned by someone else).
  auto r = run({"--as", "ann@corp.example", "case", "assign", number, "--owner", "bob@corp.example"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  n = notices();
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[1].kind, "notice_assigned");
  EXPECT_EQ(n[1].to, "bob@corp.example");

  // Alice replies: Bob, the owner, is told, with her text.
  ASSERT_EQ(deliver(mail("Alice <alice@example.org>", "Re: [" + number + "] Invoice wrong", "a2@example.org",
                         "Any news on the refund?")),
            number);
  n = notices();
  ASSERT_EQ(n.size(), 3u);
  EXPECT_EQ(n[2].kind, "notice_reply");
  EXPECT_EQ(n[2].to, "bob@corp.example");
  EXPECT_NE(n[2].raw.find("Any news on the refund?"), std::string::npos) << n[2].raw;
  EXPECT_NE(n[2].raw.find("Auto-Submitted: auto-generated"), std::string::npos);

  // A stranger writes on the case (its number is easy to guess): the mail is an internal
  // note on it, and Bob gets no "customer reply" quoting the stranger's text as Alice's.
  ASSERT_EQ(deliver(mail("Alice Billing <alice.billing@evil.example>", "Re: [" + number + "] Invoice wrong",
                         "x1@evil.example", "Our bank details changed: send refunds to IBAN XX00 EVIL.")),
            number);
  n = notices();
  ASSERT_EQ(n.size(), 3u) << "no notice of a stranger's mail: " << n.back().raw;

  // Ann takes the case herself: nobody is told of it.
  r = run({"--as", "ann@corp.example", "case", "assign", number, "--owner", "ann@corp.example"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(notices().size(), 3u) << "a self-assignment tells nobody";

  // With her reply notices turned off, Alice's next mail tells Ann nothing.
  ASSERT_EQ(run({"agent", "set", "ann@corp.example", "--notify-reply", "no"}).exit_code, 0);
  ASSERT_EQ(deliver(mail("Alice <alice@example.org>", "Re: [" + number + "] Invoice wrong", "a3@example.org",
                         "Hello?")),
            number);
  EXPECT_EQ(notices().size(), 3u);
}

TEST_F(QueueCommands, MachineMailOnAnOwnedCaseTellsNobody) {
  ASSERT_EQ(run({"agent", "set", "ann@corp.example", "--notify-assigned", "no"}).exit_code, 0);
  const auto number = deliver(mail("Alice <alice@example.org>", "Invoice wrong", "a1@example.org", "Twice."));
  ASSERT_EQ(run({"case", "assign", number, "--owner", "ann@corp.example"}).exit_code, 0);
  ASSERT_TRUE(notices().empty());
  // An out-of-office answer (RFC 3834) on the case: no notice, so no notice loop either.
  deliver("From: Alice <alice@example.org>\r\nTo: support@corp.example\r\nSubject: Re: [" + number +
          "] Invoice wrong\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <ooo@example.org>\r\n\r\nI am "
          "away.\r\n");
  EXPECT_TRUE(notices().empty());
}

}  // namespace
}  // namespace mailcase

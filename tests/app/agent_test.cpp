// Agents as records, through the command line: an agent's email is their identity, and
// `case assign --owner` must name an active agent.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;
using nlohmann::json;

class Agents : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run({"init"}).exit_code, 0);
    ASSERT_EQ(run({"address", "add", "support@corp.example"}).exit_code, 0);
    auto r = run({"deliver"},
                 "From: Ann <ann@acme.example>\r\nTo: support@corp.example\r\nSubject: Printer "
                 "jams\r\nMessage-ID: <first@acme.example>\r\nDate: Mon, 23 Nov 2026 10:00:00 "
                 "+0000\r\n\r\nIt jams.\r\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    number_ = json::parse(r.out).value("case", "");
    ASSERT_FALSE(number_.empty()) << r.out;
  }
  mailcase::testing::CommandResult run(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data_});
    return run_mailcase(args, in);
  }
  json agents() {
    auto r = run({"agent", "list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  json show() {
    auto r = run({"case", "show", number_, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  mailcase::testing::TempDir dir_;
  std::string data_;
  std::string number_;
};

TEST_F(Agents, AddedAgentsAreListedWithRoleAndState) {
  auto r = run({"agent", "add", "--name", "Marek Nowak", "--email", "Marek@Corp.example"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(
      run({"agent", "add", "--name", "Ada", "--email", "ada@corp.example", "--role", "admin"}).exit_code, 0);
  auto all = agents();
  ASSERT_EQ(all.size(), 2u) << all.dump(1);
  EXPECT_EQ(all[0].value("email", ""), "ada@corp.example");
  EXPECT_EQ(all[0].value("role", ""), "admin");
  EXPECT_EQ(all[1].value("email", ""), "marek@corp.example");
  EXPECT_EQ(all[1].value("name", ""), "Marek Nowak");
  EXPECT_EQ(all[1].value("role", ""), "agent");
  EXPECT_TRUE(all[1].value("active", false));
  auto text = run({"agent", "list"});
  EXPECT_NE(text.out.find("marek@corp.example"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Marek Nowak"), std::string::npos) << text.out;
}

TEST_F(Agents, ADuplicateEmailIsRefusedWhateverItsLetterCase) {
  ASSERT_EQ(run({"agent", "add", "--name", "Marek", "--email", "marek@corp.example"}).exit_code, 0);
  auto r = run({"agent", "add", "--name", "Other Marek", "--email", "MAREK@corp.example"});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("exists already"), std::string::npos) << r.err;
  auto all = agents();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].value("name", ""), "Marek");
}

TEST_F(Agents, BadEmailsRolesAndNamesAreRefusedAndNothingIsAdded) {
  for (const char* email : {"marek", "marek@", "@corp.example", "a b@corp.example", "a@corp..example",
                            "a@corp.example,b@corp.example", "<a@corp.example>"}) {
    auto r = run({"agent", "add", "--name", "X", "--email", email});
    EXPECT_EQ(r.exit_code, 65) << email;
    EXPECT_NE(r.err.find("not an email address"), std::string::npos) << email << ": " << r.err;
  }
  auto role = run({"agent", "add", "--name", "X", "--email", "x@corp.example", "--role", "boss"});
  EXPECT_EQ(role.exit_code, 65);
  EXPECT_NE(role.err.find("unknown agent role"), std::string::npos) << role.err;
  auto blank = run({"agent", "add", "--name", "  ", "--email", "x@corp.example"});
  EXPECT_EQ(blank.exit_code, 65);
  EXPECT_EQ(agents().size(), 0u);
}

TEST_F(Agents, AssignNamesAnActiveAgentAndShowsTheirName) {
  ASSERT_EQ(run({"agent", "add", "--name", "Marek Nowak", "--email", "marek@corp.example"}).exit_code, 0);
  auto r = run({"case", "assign", number_, "--owner", "MAREK@Corp.Example"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("assigned to marek@corp.example"), std::string::npos) << r.out;
  auto j = show();
  EXPECT_EQ(j.value("owner", ""), "marek@corp.example");
  EXPECT_EQ(j.value("owner_name", ""), "Marek Nowak");
  auto text = run({"case", "show", number_});
  EXPECT_NE(text.out.find("owner: Marek Nowak <marek@corp.example>"), std::string::npos) << text.out;

  ASSERT_EQ(run({"case", "assign", number_, "--owner", ""}).exit_code, 0);
  EXPECT_EQ(show().value("owner", "x"), "");
  EXPECT_NE(run({"case", "show", number_}).out.find("owner: -"), std::string::npos);
}

TEST_F(Agents, AssigningToAnUnknownOrDisabledAgentIsRefusedAndKeepsTheOwner) {
  ASSERT_EQ(run({"agent", "add", "--name", "Marek", "--email", "marek@corp.example"}).exit_code, 0);
  ASSERT_EQ(run({"agent", "add", "--name", "Olga", "--email", "olga@corp.example"}).exit_code, 0);
  ASSERT_EQ(run({"case", "assign", number_, "--owner", "marek@corp.example"}).exit_code, 0);

  auto unknown = run({"case", "assign", number_, "--owner", "Marek"});
  EXPECT_EQ(unknown.exit_code, 65);
  EXPECT_NE(unknown.err.find("no active agent Marek (add one with `mailcase agent add`)"), std::string::npos)
      << unknown.err;
  EXPECT_EQ(show().value("owner", ""), "marek@corp.example");

  auto d = run({"agent", "disable", "olga@corp.example"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_FALSE(agents()[1].value("active", true));
  auto disabled = run({"case", "assign", number_, "--owner", "olga@corp.example"});
  EXPECT_EQ(disabled.exit_code, 65);
  EXPECT_NE(disabled.err.find("no active agent olga@corp.example"), std::string::npos) << disabled.err;
  EXPECT_EQ(show().value("owner", ""), "marek@corp.example");

  ASSERT_EQ(run({"agent", "enable", "OLGA@corp.example"}).exit_code, 0);
  EXPECT_TRUE(agents()[1].value("active", false));
  EXPECT_EQ(run({"case", "assign", number_, "--owner", "olga@corp.example"}).exit_code, 0);
  EXPECT_EQ(show().value("owner", ""), "olga@corp.example");
}

TEST_F(Agents, DisablingAnUnknownAgentSaysSo) {
  auto r = run({"agent", "disable", "nobody@corp.example"});
  EXPECT_EQ(r.exit_code, 66);
  EXPECT_NE(r.err.find("no agent nobody@corp.example"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mailcase

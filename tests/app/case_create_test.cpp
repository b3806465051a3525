// An agent opens a case for a contact and changes its queue, priority and product from
// the command line (`case create`, `case set`): the same case services as the REST API,
// seen through `case show --json` and `case history --json`.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;
using nlohmann::json;

class CaseCreate : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run({"init"}).exit_code, 0);
    std::ofstream(std::filesystem::path(data_) / "mailcase.toml")
        << "[outbound]\nfrom_address = \"help@corp.example\"\n";
    ASSERT_EQ(run({"agent", "add", "--name", "Marek", "--email", "marek@corp.example"}).exit_code, 0);
  }
  mailcase::testing::CommandResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_});
    return run_mailcase(args);
  }
  json show(const std::string& number) {
    auto r = run({"case", "show", number, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  json history(const std::string& number) {
    auto r = run({"case", "history", number, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  mailcase::testing::TempDir dir_;
  std::string data_;
};

TEST_F(CaseCreate, AnAgentOpensACaseForANewContactAndMovesItToAnotherQueue) {
  auto made = run({"--as", "marek@corp.example", "case", "create", "--contact", "Bob@Example.org",
                   "--contact-name", "Bob", "--subject", "VPN down", "--description", "Called at 9:00",
                   "--owner", "marek@corp.example", "--confirm"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_EQ(made.out, "CS0000001\n");
  auto c = show("CS0000001");
  EXPECT_EQ(c["subject"], "VPN down");
  EXPECT_EQ(c["origin"], "agent");
  EXPECT_EQ(c["owner"], "marek@corp.example");
  EXPECT_EQ(c["queue"], "Support");
  auto outbox = run({"outbox", "list", "--case", "CS0000001", "--json"});
  ASSERT_EQ(outbox.exit_code, 0) << outbox.err;
  EXPECT_NE(outbox.out.find("\"confirmation\""), std::string::npos) << outbox.out;
  EXPECT_NE(outbox.out.find("bob@example.org"), std::string::npos) << outbox.out;

  auto set = run({"--as", "marek@corp.example", "case", "set", "CS0000001", "--queue", "Network",
                  "--priority", "high", "--product", "VPN"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  c = show("CS0000001");
  EXPECT_EQ(c["queue"], "Network");
  EXPECT_EQ(c["priority"], "high");
  EXPECT_EQ(c["product"], "VPN");
  ASSERT_EQ(run({"case", "set", "CS0000001", "--product", ""}).exit_code, 0);
  EXPECT_EQ(show("CS0000001")["product"], "");

  auto h = history("CS0000001");
  ASSERT_TRUE(h.is_array());
  std::vector<std::string> actions;
  for (const auto& e : h) actions.push_back(e["action"]);
  EXPECT_EQ(actions,
            (std::vector<std::string>{"created", "assigned", "changed", "changed", "changed", "changed"}));
  EXPECT_EQ(h[2]["actor"], "marek@corp.example");
  EXPECT_EQ(h[2]["details"]["field"], "queue");
  EXPECT_EQ(h[2]["details"]["to"], "Network");
}

TEST_F(CaseCreate, BadInputIsRefusedWithItsReasonAndNoCase) {
  auto bad = run({"case", "create", "--contact", "not-an-address", "--subject", "x"});
  EXPECT_EQ(bad.exit_code, 65);
  EXPECT_NE(bad.err.find("not an email address"), std::string::npos) << bad.err;
  auto owner = run(
      {"case", "create", "--contact", "a@example.org", "--subject", "x", "--owner", "nobody@corp.example"});
  EXPECT_EQ(owner.exit_code, 65);
  auto list = run({"case", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_EQ(json::parse(list.out, nullptr, false), json::array());
  EXPECT_EQ(run({"case", "set", "CS0000009", "--queue", "x"}).exit_code, 66);  // EX_NOINPUT
}

}  // namespace
}  // namespace mailcase

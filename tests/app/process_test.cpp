// Processes through the command line: `process add`, `process list`, `address add
// --process`, `mailbox add --process`, `case stage`, and `case show` with the case's
// process and stage.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;
using nlohmann::json;

class ProcessCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run({"init"}).exit_code, 0);
  }
  mailcase::testing::CommandResult run(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data_});
    return run_mailcase(args, in);
  }
  std::string deliver(const std::string& to, const std::string& id) {
    auto r =
        run({"deliver"}, "From: Alice <alice@example.org>\r\nTo: " + to +
                             "\r\nSubject: Printer\r\nMessage-ID: <" + id + "@example.org>\r\n\r\nHelp.\r\n");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto j = json::parse(r.out, nullptr, false);
    return j.is_object() && j["case"].is_string() ? j["case"].get<std::string>() : "";
  }
  json show(const std::string& number) {
    auto r = run({"case", "show", number, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  mailcase::testing::TempDir dir_;
  std::string data_;
};

TEST_F(ProcessCommands, AddAndListProcessesWithTheirStagesInOrder) {
  auto r = run({"process", "add", "Support", "--stages", "New, Analysis,Fix,Done"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("New > Analysis > Fix > Done"), std::string::npos) << r.out;
  ASSERT_EQ(run({"process", "add", "Billing", "--stages", "Open"}).exit_code, 0);
  auto list = run({"process", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto j = json::parse(list.out, nullptr, false);
  ASSERT_TRUE(j.is_array() && j.size() == 2u) << list.out;
  EXPECT_EQ(j[0]["name"], "Billing");
  EXPECT_EQ(j[1]["name"], "Support");
  EXPECT_EQ(j[1]["stages"], json({"New", "Analysis", "Fix", "Done"}));
  auto text = run({"process", "list"});
  EXPECT_NE(text.out.find("Support"), std::string::npos) << text.out;
}

TEST_F(ProcessCommands, AnUnfitProcessIsRefusedWithAClearErrorAndNothingAdded) {
  auto twice = run({"process", "add", "Support", "--stages", "New,Fix,New"});
  EXPECT_NE(twice.exit_code, 0);
  EXPECT_NE(twice.err.find("named twice"), std::string::npos) << twice.err;
  auto empty = run({"process", "add", "Support", "--stages", ""});
  EXPECT_NE(empty.exit_code, 0);
  EXPECT_NE(empty.err.find("stages"), std::string::npos) << empty.err;
  std::string many;
  for (int i = 0; i < 51; ++i) many += (i ? "," : "") + std::string("S") + std::to_string(i);
  auto over = run({"process", "add", "Support", "--stages", many});
  EXPECT_NE(over.exit_code, 0);
  EXPECT_NE(over.err.find("at most 50"), std::string::npos) << over.err;
  EXPECT_EQ(run({"process", "list", "--json"}).out, "[]\n");

  ASSERT_EQ(run({"process", "add", "Support", "--stages", "New"}).exit_code, 0);
  auto again = run({"process", "add", "Support", "--stages", "Other"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("exists already"), std::string::npos) << again.err;
}

TEST_F(ProcessCommands, AnAddressOfAProcessStartsItsCasesThereAndCaseStageMovesThem) {
  ASSERT_EQ(run({"process", "add", "Support", "--stages", "New,Analysis,Fix,Done"}).exit_code, 0);
  auto refused = run({"address", "add", "support@corp.example", "--process", "Nope"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("no process Nope"), std::string::npos) << refused.err;
  auto r = run({"address", "add", "support@corp.example", "--process", "Support"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto addresses = json::parse(run({"address", "list", "--json"}).out, nullptr, false);
  ASSERT_TRUE(addresses.is_array() && addresses.size() == 1u);
  EXPECT_EQ(addresses[0]["process"], "Support");

  const auto number = deliver("support@corp.example", "p1");
  ASSERT_FALSE(number.empty());
  auto c = show(number);
  EXPECT_EQ(c["process"], "Support");
  EXPECT_EQ(c["stage"], "New");
  auto text = run({"case", "show", number});
  EXPECT_NE(text.out.find("process: Support  stage: New"), std::string::npos) << text.out;

  auto moved = run({"case", "stage", number, "Fix"});
  ASSERT_EQ(moved.exit_code, 0) << moved.err;
  EXPECT_EQ(moved.out, number + ": process Support, stage Fix\n");
  EXPECT_EQ(show(number)["stage"], "Fix");
  auto history = run({"case", "history", number});
  EXPECT_NE(history.out.find("stage_changed"), std::string::npos) << history.out;

  auto bad = run({"case", "stage", number, "Shipped"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("not a stage of process Support"), std::string::npos) << bad.err;
  EXPECT_EQ(show(number)["stage"], "Fix");
}

TEST_F(ProcessCommands, ACaseOfNoProcessHasNoStageToMoveTo) {
  ASSERT_EQ(run({"address", "add", "support@corp.example"}).exit_code, 0);
  const auto number = deliver("support@corp.example", "n1");
  ASSERT_FALSE(number.empty());
  auto c = show(number);
  EXPECT_EQ(c["process"], "");
  EXPECT_EQ(c["stage"], "");
  auto r = run({"case", "stage", number, "New"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("follows no process"), std::string::npos) << r.err;
}

TEST_F(ProcessCommands, AMailboxNamesOnlyAProcessThatExists) {
  const auto password = dir_.path() / "password";
  std::ofstream(password) << "secret\n";
  ::chmod(password.c_str(), 0600);
  std::vector<std::string> add = {
      "mailbox",         "add",      "inbox1", "--protocol", "imap",   "--host",  "127.0.0.1",
      "--port",          "993",      "--tls",  "implicit",   "--user", "support", "--password-file",
      password.string(), "--process"};
  auto refused = add;
  refused.push_back("Nope");
  auto r = run(refused);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no process Nope"), std::string::npos) << r.err;
  EXPECT_EQ(json::parse(run({"mailbox", "list", "--json"}).out, nullptr, false).size(), 0u);

  ASSERT_EQ(run({"process", "add", "Billing", "--stages", "Received,Paid"}).exit_code, 0);
  add.push_back("Billing");
  auto ok = run(add);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  auto boxes = json::parse(run({"mailbox", "list", "--json"}).out, nullptr, false);
  ASSERT_TRUE(boxes.is_array() && boxes.size() == 1u);
  EXPECT_EQ(boxes[0]["process"], "Billing");
}

}  // namespace
}  // namespace mailcase

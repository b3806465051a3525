// `mailcase case history`: what happened to a case, as an agent reads it on the command
// line after the customer, the agents and mailcase itself acted on it.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;
using nlohmann::json;

std::string mail(const std::string& from, const std::string& subject, const std::string& body,
                 const std::string& message_id) {
  return "From: " + from + "\r\nTo: support@corp.example\r\nSubject: " + subject + "\r\nMessage-ID: <" +
         message_id + ">\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n" +
         "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body;
}

class History : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run({"init"}).exit_code, 0);
    std::ofstream(std::filesystem::path(data_) / "mailcase.toml")
        << "[outbound]\nfrom_address = \"help@corp.example\"\n";
    ASSERT_EQ(run({"address", "add", "support@corp.example"}).exit_code, 0);
    ASSERT_EQ(run({"contact", "add", "--name", "Ann", "--email", "ann@acme.example"}).exit_code, 0);
  }
  mailcase::testing::CommandResult run(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data_});
    return run_mailcase(args, in);
  }
  json deliver(const std::string& raw) {
    // As the MTA runs it, with the envelope sender, so that the confirmation goes out.
    auto r = run({"deliver", "--sender", "ann@acme.example"}, raw);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  mailcase::testing::TempDir dir_;
  std::string data_;
};

TEST_F(History, ListsWhatHappenedInOrderWithWhoDidIt) {
  auto o = deliver(mail("Ann <ann@acme.example>", "Printer jams", "It jams.\n", "first@acme.example"));
  ASSERT_EQ(o["outcome"], "created");
  const std::string number = o["case"];
  ASSERT_EQ(run({"case", "comment", number, "--public", "--body", "Which model?"}).exit_code, 0);
  ASSERT_EQ(run({"case", "propose-solution", number, "--body", "Clean the roller."}).exit_code, 0);
  o = deliver(
      mail("ann@acme.example", "Re: [" + number + "] Printer jams", "Accept\n", "second@acme.example"));
  ASSERT_EQ(o["outcome"], "updated");
  auto r = run({"case", "close", number});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  r = run({"case", "history", number, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json h = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(h.is_array()) << r.out;
  std::vector<std::string> seen;
  for (const auto& e : h)
    seen.push_back(e.value("action", "?") + " by " + e.value("actor_kind", "?") + " " +
                   e.value("actor", "?"));
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "created by mail ann@acme.example",
                      "commented by agent agent",
                      "solution_proposed by agent agent",
                      "accepted by customer customer",
                      "closed by agent agent",
                  }))
      << r.out;
  ASSERT_EQ(h.size(), 5u);
  for (const auto& e : h) {
    EXPECT_FALSE(e.value("at", "").empty()) << e.dump();
    EXPECT_TRUE(e["details"].is_object()) << e.dump();
  }
  EXPECT_EQ(h[3]["details"].value("via", ""), "mail");
  EXPECT_FALSE(h[0]["details"].value("reason", "").empty()) << h[0].dump();

  // The text form: one line per event, time first.
  r = run({"case", "history", number});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  for (size_t start = 0, nl; (nl = r.out.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(r.out.substr(start, nl - start));
  ASSERT_EQ(lines.size(), 5u) << r.out;
  EXPECT_EQ(lines[0].rfind(h[0].value("at", "?"), 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("ann@acme.example  created"), std::string::npos) << lines[0];
  EXPECT_NE(lines[3].find("customer  accepted  {\"via\":\"mail\"}"), std::string::npos) << lines[3];
  EXPECT_NE(lines[4].find("agent  closed"), std::string::npos) << lines[4];
}

TEST_F(History, AnUnknownCaseIsAClearError) {
  auto r = run({"case", "history", "CS9999999"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no case CS9999999"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// `--as` names the agent in the case's history and comments; an unknown or disabled agent
// changes nothing.
TEST_F(History, TheAgentNamedByAsIsWhoActed) {
  ASSERT_EQ(run({"agent", "add", "--name", "Bea", "--email", "Bea@Corp.Example"}).exit_code, 0);
  auto o = deliver(mail("Ann <ann@acme.example>", "Printer jams", "It jams.\n", "first@acme.example"));
  ASSERT_EQ(o["outcome"], "created");
  const std::string number = o["case"];
  auto r = run({"--as", "bea@corp.example", "case", "comment", number, "--internal", "--body", "Looking."});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run({"--as", "nobody@corp.example", "case", "close", number});
  EXPECT_EQ(r.exit_code, 65) << r.out;
  EXPECT_NE(r.err.find("no active agent nobody@corp.example"), std::string::npos) << r.err;
  ASSERT_EQ(run({"agent", "disable", "bea@corp.example"}).exit_code, 0);
  r = run({"--as", "bea@corp.example", "case", "close", number});
  EXPECT_EQ(r.exit_code, 65) << r.out;

  r = run({"case", "history", number, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json h = json::parse(r.out, nullptr, false);
  std::vector<std::string> seen;
  for (const auto& e : h) seen.push_back(e.value("action", "?") + " by " + e.value("actor", "?"));
  EXPECT_EQ(seen, (std::vector<std::string>{"created by ann@acme.example", "note by bea@corp.example"})) << r.out;
  r = run({"case", "show", number, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"author\": \"bea@corp.example\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"status\": \"new\""), std::string::npos) << r.out;
}

}  // namespace
}  // namespace mailcase

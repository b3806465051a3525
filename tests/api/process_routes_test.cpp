// Processes through the REST API, on a real server in this process: any agent lists
// processes, only an admin adds one (403 for an agent), a case shows its process and stage,
// and PATCH /api/v1/cases/{number} moves it to another stage of its process (422 naming
// "stage" for any other).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api_server_test.h"
#include "support/test_support.h"

namespace mailcase::api {
namespace {

using nlohmann::json;

using testing::Answer;

class ProcessRoutesTest : public testing::ApiServerTest {
 protected:
  void SetUp() override {
    prepare();
    if (HasFatalFailure()) return;
    ASSERT_EQ(cli({"process", "add", "Support", "--stages", "New,Analysis,Fix,Done"}).exit_code, 0);
    ASSERT_EQ(cli({"address", "add", "support@corp.example", "--process", "Support"}).exit_code, 0);
    auto d = cli({"deliver"},
                 "From: Alice <alice@example.org>\r\nTo: support@corp.example\r\nSubject: Help\r\n"
                 "Message-ID: <q1@example.org>\r\n\r\nPlease.\r\n");
    ASSERT_EQ(d.exit_code, 0) << d.err;
    start();
  }
};

TEST_F(ProcessRoutesTest, AnyAgentListsProcessesOnlyAnAdminAddsOne) {
  auto a = call("GET", "/api/v1/processes", agent_);
  ASSERT_EQ(a.status, 200) << a.body;
  auto items = a.j()["items"];
  ASSERT_EQ(items.size(), 1u) << a.body;
  EXPECT_EQ(items[0]["name"], "Support");
  EXPECT_EQ(items[0]["stages"], json({"New", "Analysis", "Fix", "Done"}));
  EXPECT_EQ(call("GET", "/api/v1/processes", "").status, 401);

  const json billing = {{"name", "Billing"}, {"stages", {"Received", "Paid"}}};
  EXPECT_EQ(call("POST", "/api/v1/processes", agent_, billing).status, 403);
  auto added = call("POST", "/api/v1/processes", admin_, billing);
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(added.j()["stages"], json({"Received", "Paid"}));
  // Where it is: any agent reads it there.
  EXPECT_EQ(added.header("Location"), "/api/v1/processes/Billing");
  auto one = call("GET", added.header("Location"), agent_);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.j(), added.j());
  EXPECT_EQ(call("GET", "/api/v1/processes/Nosuch", agent_).status, 404);
  auto spaced = call("POST", "/api/v1/processes", admin_, json{{"name", "Field work"}, {"stages", {"Go"}}});
  ASSERT_EQ(spaced.status, 201) << spaced.body;
  // (The test's client decodes the header: it was sent as /api/v1/processes/Field%20work.)
  EXPECT_EQ(spaced.header("Location"), "/api/v1/processes/Field work");
  EXPECT_EQ(call("GET", "/api/v1/processes/Field%20work", agent_).status, 200);
  EXPECT_EQ(call("POST", "/api/v1/processes", admin_, billing).status, 409);
  auto page = call("GET", "/api/v1/processes?limit=2", agent_).j();
  ASSERT_EQ(page["items"].size(), 2u);
  EXPECT_EQ(page["items"][0]["name"], "Billing");
  ASSERT_TRUE(page["next_cursor"].is_string());
  auto next =
      call("GET", "/api/v1/processes?limit=2&cursor=" + page["next_cursor"].get<std::string>(), agent_).j();
  ASSERT_EQ(next["items"].size(), 1u);
  EXPECT_EQ(next["items"][0]["name"], "Support");
}

TEST_F(ProcessRoutesTest, AnUnfitProcessIsA422NamingTheField) {
  auto twice = call("POST", "/api/v1/processes", admin_, json{{"name", "X"}, {"stages", {"A", "A"}}});
  ASSERT_EQ(twice.status, 422) << twice.body;
  EXPECT_EQ(twice.j()["errors"][0]["field"], "stages") << twice.body;
  auto none = call("POST", "/api/v1/processes", admin_, json{{"name", "X"}, {"stages", json::array()}});
  EXPECT_EQ(none.status, 422) << none.body;
  auto nameless = call("POST", "/api/v1/processes", admin_, json{{"stages", {"A"}}});
  ASSERT_EQ(nameless.status, 422) << nameless.body;
  EXPECT_EQ(nameless.j()["errors"][0]["field"], "name") << nameless.body;
  auto other = call("POST", "/api/v1/processes", admin_, json{{"name", "X"}, {"stages", {"A"}}, {"x", 1}});
  EXPECT_EQ(other.status, 422) << other.body;
  EXPECT_EQ(call("GET", "/api/v1/processes", agent_).j()["items"].size(), 1u);
}

TEST_F(ProcessRoutesTest, ACaseShowsItsStageAndPatchMovesItWithinItsProcess) {
  auto c = call("GET", "/api/v1/cases/CS0000001", agent_);
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.j()["process"], "Support");
  EXPECT_EQ(c.j()["stage"], "New");
  auto list = call("GET", "/api/v1/cases", agent_).j();
  EXPECT_EQ(list["items"][0]["stage"], "New");

  auto moved = call("PATCH", "/api/v1/cases/CS0000001", agent_, json{{"stage", "Analysis"}});
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(moved.j()["stage"], "Analysis");
  auto events = call("GET", "/api/v1/cases/CS0000001/events", agent_).j();
  ASSERT_TRUE(events["items"].is_array()) << events.dump();
  const auto& last = events["items"].back();
  EXPECT_EQ(last["action"], "stage_changed") << events.dump();
  EXPECT_EQ(last["details"]["from"], "New");
  EXPECT_EQ(last["details"]["to"], "Analysis");

  auto bad = call("PATCH", "/api/v1/cases/CS0000001", agent_, json{{"stage", "Shipped"}});
  ASSERT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(bad.j()["errors"][0]["field"], "stage") << bad.body;
  EXPECT_EQ(call("GET", "/api/v1/cases/CS0000001", agent_).j()["stage"], "Analysis");
}

TEST_F(ProcessRoutesTest, ARoutingAddressNamesOnlyAProcessThatExists) {
  auto bad = call("POST", "/api/v1/routing-addresses", admin_,
                  json{{"email", "billing@corp.example"}, {"process", "Nope"}});
  EXPECT_EQ(bad.status, 422) << bad.body;
  auto ok = call("POST", "/api/v1/routing-addresses", admin_,
                 json{{"email", "billing@corp.example"}, {"process", "Support"}});
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ok.j()["process"], "Support");
}

}  // namespace
}  // namespace mailcase::api

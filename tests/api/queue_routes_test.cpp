// Queues and notification settings through the REST API, on a real server in this
// process: any agent lists queues (with members and open cases), only an admin changes
// them (403 for an agent), and each agent changes their own notification settings
// (PATCH /api/v1/me) while an admin changes anyone's (PATCH /api/v1/agents/{email}).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api_server_test.h"
#include "support/test_support.h"

namespace mailcase::api {
namespace {

using nlohmann::json;

using testing::Answer;

class QueueRoutesTest : public testing::ApiServerTest {
 protected:
  void SetUp() override {
    prepare();
    if (HasFatalFailure()) return;
    ASSERT_EQ(cli({"address", "add", "support@corp.example"}).exit_code, 0);
    auto d = cli({"deliver"},
                 "From: Alice <alice@example.org>\r\nTo: support@corp.example\r\nSubject: Help\r\n"
                 "Message-ID: <q1@example.org>\r\n\r\nPlease.\r\n");
    ASSERT_EQ(d.exit_code, 0) << d.err;
    start();
  }
};

TEST_F(QueueRoutesTest, AnyAgentListsQueuesWithMembersAndOpenCases) {
  auto a = call("GET", "/api/v1/queues", agent_);
  ASSERT_EQ(a.status, 200) << a.body;
  auto items = a.j()["items"];
  ASSERT_EQ(items.size(), 1u) << a.body;
  EXPECT_EQ(items[0], json({{"name", "Support"}, {"members", json::array()}, {"open_cases", 1}}));
  EXPECT_EQ(call("GET", "/api/v1/queues", "").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/queues?limit=0", agent_).status, 422);
}

TEST_F(QueueRoutesTest, OnlyAnAdminAddsQueuesAndChangesMembers) {
  const json billing{{"name", "Billing"}, {"agents", {"bob@corp.example"}}};
  EXPECT_EQ(call("POST", "/api/v1/queues", agent_, billing).status, 403);
  EXPECT_EQ(
      call("POST", "/api/v1/queues/Support/members", agent_, json{{"email", "bob@corp.example"}}).status,
      403);
  auto made = call("POST", "/api/v1/queues", admin_, billing);
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.j(), json({{"name", "Billing"}, {"members", {"bob@corp.example"}}, {"open_cases", 0}}));
  // Where it is: any agent reads it there.
  EXPECT_EQ(made.header("Location"), "/api/v1/queues/Billing");
  auto one = call("GET", made.header("Location"), agent_);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.j(), made.j());
  EXPECT_EQ(call("GET", "/api/v1/queues/Nosuch", agent_).status, 404);
  auto spaced = call("POST", "/api/v1/queues", admin_, json{{"name", "Second line"}});
  ASSERT_EQ(spaced.status, 201) << spaced.body;
  // (The test's client decodes the header: it was sent as /api/v1/queues/Second%20line.)
  EXPECT_EQ(spaced.header("Location"), "/api/v1/queues/Second line");
  EXPECT_EQ(call("GET", "/api/v1/queues/Second%20line", agent_).status, 200);
  EXPECT_EQ(call("POST", "/api/v1/queues", admin_, billing).status, 409);
  auto stranger =
      call("POST", "/api/v1/queues", admin_, json{{"name", "Sales"}, {"agents", {"x@corp.example"}}});
  EXPECT_EQ(stranger.status, 422) << stranger.body;
  EXPECT_EQ(call("POST", "/api/v1/queues", admin_, json{{"name", ""}}).status, 422);
  // A "/" would split the queue's path: such a queue could never be reached here.
  auto slash = call("POST", "/api/v1/queues", admin_, json{{"name", "a/b"}});
  EXPECT_EQ(slash.status, 422) << slash.body;

  // A queue named only on cases gets members.
  auto added = call("POST", "/api/v1/queues/Support/members", admin_, json{{"email", "Ada@Corp.example"}});
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(added.j()["members"], json({"ada@corp.example"}));
  EXPECT_EQ(added.j()["open_cases"], 1);
  EXPECT_EQ(call("POST", "/api/v1/queues/Support/members", admin_, json{{"email", "x@corp.example"}}).status,
            422);

  EXPECT_EQ(call("DELETE", "/api/v1/queues/Support/members/ada@corp.example", agent_).status, 403);
  auto removed = call("DELETE", "/api/v1/queues/Support/members/Ada@Corp.example", admin_);
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(removed.j()["members"], json::array());
  EXPECT_EQ(call("DELETE", "/api/v1/queues/Support/members/ada@corp.example", admin_).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/queues/Nosuch/members/ada@corp.example", admin_).status, 404);
}

TEST_F(QueueRoutesTest, AnAgentChangesTheirOwnNotificationsAndAnAdminAnyonesRoleStaysTheAdmins) {
  auto me = call("GET", "/api/v1/me", agent_);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.j()["email"], "bob@corp.example");
  EXPECT_EQ(me.j()["notify"], json({{"new_case", true}, {"reply", true}, {"assigned", true}}));

  auto changed = call("PATCH", "/api/v1/me", agent_, json{{"notify", {{"reply", false}}}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(changed.j()["notify"], json({{"new_case", true}, {"reply", false}, {"assigned", true}}));
  // An agent cannot make themselves an admin through /me.
  EXPECT_EQ(call("PATCH", "/api/v1/me", agent_, json{{"role", "admin"}}).status, 422);
  EXPECT_EQ(call("PATCH", "/api/v1/me", agent_, json{{"notify", {{"reply", "no"}}}}).status, 422);
  EXPECT_EQ(call("PATCH", "/api/v1/me", agent_, json{{"notify", {{"everything", false}}}}).status, 422);
  EXPECT_EQ(call("GET", "/api/v1/me", agent_).j()["role"], "agent");

  EXPECT_EQ(call("PATCH", "/api/v1/agents/bob@corp.example", agent_, json{{"notify", {{"assigned", false}}}})
                .status,
            403);
  auto by_admin =
      call("PATCH", "/api/v1/agents/bob@corp.example", admin_, json{{"notify", {{"assigned", false}}}});
  ASSERT_EQ(by_admin.status, 200) << by_admin.body;
  EXPECT_EQ(by_admin.j()["notify"], json({{"new_case", true}, {"reply", false}, {"assigned", false}}));
  auto listed = call("GET", "/api/v1/agents/bob@corp.example", admin_);
  EXPECT_EQ(listed.j()["notify"]["assigned"], false);
}

}  // namespace
}  // namespace mailcase::api

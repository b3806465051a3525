// Queues and notification settings through the REST API, on a real server in this
// process: any agent lists queues (with members and open cases), only an admin changes
// them (403 for an agent), and each agent changes their own notification settings
// (PATCH /api/v1/me) while an admin changes anyone's (PATCH /api/v1/agents/{email}).
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/api.h"
#include "config/config.h"
#include "runtime/runtime.h"
#include "support/test_support.h"
#include "web/http_server.h"

namespace mailcase::api {
namespace {

using nlohmann::json;

struct Answer {
  int status = 0;
  std::string body;
  json j() const { return json::parse(body, nullptr, false); }
};

class QueueRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    ASSERT_EQ(cli({"init"}).exit_code, 0);
    std::ofstream(data_ / "mailcase.toml") << "[outbound]\nfrom_address = \"support@corp.example\"\n";
    ASSERT_EQ(cli({"address", "add", "support@corp.example"}).exit_code, 0);
    ASSERT_EQ(
        cli({"agent", "add", "--name", "Ada", "--email", "ada@corp.example", "--role", "admin"}).exit_code,
        0);
    ASSERT_EQ(cli({"agent", "add", "--name", "Bob", "--email", "bob@corp.example"}).exit_code, 0);
    auto d = cli({"deliver"},
                 "From: Alice <alice@example.org>\r\nTo: support@corp.example\r\nSubject: Help\r\n"
                 "Message-ID: <q1@example.org>\r\n\r\nPlease.\r\n");
    ASSERT_EQ(d.exit_code, 0) << d.err;
    admin_ = token_for("ada@corp.example");
    agent_ = token_for("bob@corp.example");
    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    cfg_ = *cfg;
    auto rt = runtime::Runtime::open(data_, cfg_);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = std::move(*rt);
    api_ = std::make_unique<Api>(rt_->store(), rt_->cases(), rt_->config(), rt_->clock(), data_);
    http_ = std::make_unique<web::HttpServer>(web::HttpLimits{});
    api_->mount(*http_);
    ASSERT_TRUE(http_->listen("127.0.0.1", 0));
    thread_ = std::thread([this] { http_->serve(); });
  }
  void TearDown() override {
    if (http_) http_->stop();
    if (thread_.joinable()) thread_.join();
  }
  mailcase::testing::CommandResult cli(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data_.string()});
    return mailcase::testing::run_mailcase(args, in);
  }
  std::string token_for(const std::string& email) {
    auto r = cli({"token", "create", "--agent", email});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto end = r.out.find_last_not_of("\n");
    auto start = r.out.find_last_of('\n', end);
    return r.out.substr(start + 1, end - start);
  }
  Answer call(const std::string& method, const std::string& path, const std::string& token,
              const std::optional<json>& body = std::nullopt) {
    httplib::Client c("127.0.0.1", http_->bound_port());
    c.set_read_timeout(60, 0);
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    const std::string text = body ? body->dump() : "";
    auto r = [&]() {
      if (method == "POST") return c.Post(path.c_str(), h, text, "application/json");
      if (method == "PATCH") return c.Patch(path.c_str(), h, text, "application/json");
      if (method == "DELETE") return c.Delete(path.c_str(), h);
      return c.Get(path.c_str(), h);
    }();
    EXPECT_TRUE(r) << method << " " << path;
    if (!r) return {};
    return {r->status, r->body};
  }

  mailcase::testing::TempDir dir_;
  std::filesystem::path data_;
  config::Config cfg_;
  std::unique_ptr<runtime::Runtime> rt_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<web::HttpServer> http_;
  std::thread thread_;
  std::string admin_, agent_;
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
  EXPECT_EQ(call("POST", "/api/v1/queues", admin_, billing).status, 409);
  auto stranger =
      call("POST", "/api/v1/queues", admin_, json{{"name", "Sales"}, {"agents", {"x@corp.example"}}});
  EXPECT_EQ(stranger.status, 422) << stranger.body;
  EXPECT_EQ(call("POST", "/api/v1/queues", admin_, json{{"name", ""}}).status, 422);

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

// Processes through the REST API, on a real server in this process: any agent lists
// processes, only an admin adds one (403 for an agent), a case shows its process and stage,
// and PATCH /api/v1/cases/{number} moves it to another stage of its process (422 naming
// "stage" for any other).
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

class ProcessRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    ASSERT_EQ(cli({"init"}).exit_code, 0);
    std::ofstream(data_ / "mailcase.toml") << "[outbound]\nfrom_address = \"support@corp.example\"\n";
    ASSERT_EQ(cli({"process", "add", "Support", "--stages", "New,Analysis,Fix,Done"}).exit_code, 0);
    ASSERT_EQ(cli({"address", "add", "support@corp.example", "--process", "Support"}).exit_code, 0);
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
  EXPECT_EQ(call("POST", "/api/v1/processes", admin_, billing).status, 409);
  auto page = call("GET", "/api/v1/processes?limit=1", agent_).j();
  ASSERT_EQ(page["items"].size(), 1u);
  EXPECT_EQ(page["items"][0]["name"], "Billing");
  ASSERT_TRUE(page["next_cursor"].is_string());
  auto next =
      call("GET", "/api/v1/processes?limit=1&cursor=" + page["next_cursor"].get<std::string>(), agent_).j();
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

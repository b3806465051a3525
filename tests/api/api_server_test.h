// The set-up the REST API's route tests share: a data directory made by the binary
// (`mailcase init`, an outgoing address, the routing address support@corp.example, an
// admin Ada and an agent Bob with a token each), then the API on a real HTTP server in
// the test's process, answering on a loopback port.
//
// A test's SetUp() calls prepare(), adds what it needs through cli(), then start().
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/api.h"
#include "config/config.h"
#include "runtime/runtime.h"
#include "support/test_support.h"
#include "web/http_server.h"

namespace mailcase::api::testing {

struct Answer {
  int status = 0;
  std::string body;
  httplib::Headers headers;
  nlohmann::json j() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string header(const char* name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class ApiServerTest : public ::testing::Test {
 protected:
  // The data directory with its routing address, admin and agent; their tokens are
  // admin_ and agent_.
  void prepare() {
    data_ = dir_.path() / "data";
    ASSERT_EQ(cli({"init"}).exit_code, 0);
    std::ofstream(data_ / "mailcase.toml") << "[outbound]\nfrom_address = \"support@corp.example\"\n";
    ASSERT_EQ(
        cli({"agent", "add", "--name", "Ada", "--email", "ada@corp.example", "--role", "admin"}).exit_code,
        0);
    ASSERT_EQ(cli({"agent", "add", "--name", "Bob", "--email", "bob@corp.example"}).exit_code, 0);
    admin_ = token_for("ada@corp.example");
    agent_ = token_for("bob@corp.example");
  }

  // Opens the runtime on the data directory and serves the API (with ingest: the routes
  // that take a mail).
  void start() {
    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    cfg_ = *cfg;
    auto rt = runtime::Runtime::open(data_, cfg_);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = std::move(*rt);
    api_ = std::make_unique<Api>(rt_->store(), rt_->cases(), rt_->config(), rt_->clock(), data_);
    api_->set_ingest(rt_->ingest());
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

  // A new API token of the agent with this email (the last line `token create` prints).
  std::string token_for(const std::string& email) {
    auto r = cli({"token", "create", "--agent", email});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto end = r.out.find_last_not_of("\n");
    auto start = r.out.find_last_of('\n', end);
    return r.out.substr(start + 1, end - start);
  }

  Answer call(const std::string& method, const std::string& path, const std::string& token,
              const std::optional<nlohmann::json>& body = std::nullopt, httplib::Headers h = {}) {
    return raw_call(method, path, token, body ? body->dump() : "", "application/json", std::move(h));
  }

  Answer raw_call(const std::string& method, const std::string& path, const std::string& token,
                  const std::string& text, const std::string& type, httplib::Headers h = {}) {
    httplib::Client c("127.0.0.1", http_->bound_port());
    c.set_read_timeout(60, 0);
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    auto r = [&]() {
      if (method == "POST") return c.Post(path.c_str(), h, text, type.c_str());
      if (method == "PATCH") return c.Patch(path.c_str(), h, text, type.c_str());
      if (method == "DELETE") return c.Delete(path.c_str(), h);
      return c.Get(path.c_str(), h);
    }();
    EXPECT_TRUE(r) << method << " " << path;
    if (!r) return {};
    return {r->status, r->body, r->headers};
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

}  // namespace mailcase::api::testing

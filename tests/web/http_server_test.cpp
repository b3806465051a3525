// The shared HTTP listener: each area's body limit and error answers, route names for
// the metrics, a failing handler answered without taking the server down.
#include "web/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace mailcase::web {
namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.area("/api/", 64 * 1024, [](int status, const std::string& reason, httplib::Response& res) {
      res.status = status;
      res.set_content("{\"status\":" + std::to_string(status) + ",\"detail\":\"" + reason + "\"}",
                      "application/problem+json");
    });
    server_.post("/api/echo", "/api/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::to_string(req.body.size()), "text/plain");
    });
    server_.post("/case/{token}", R"(/case/([a-z]+))",
                 [](const httplib::Request& req, httplib::Response& res) {
                   res.set_content(std::to_string(req.body.size()), "text/plain");
                 });
    server_.get("/api/items/{id}", R"(/api/items/(\d+))",
                [](const httplib::Request& req, httplib::Response& res) {
                  res.set_content(req.matches[1], "text/plain");
                });
    server_.get("/api/boom", "/api/boom",
                [](const httplib::Request&, httplib::Response&) { throw std::runtime_error("boom"); });
    server_.set_observer([this](std::string_view route, int status, double seconds) {
      std::lock_guard lock(mu_);
      seen_.emplace_back(std::string(route) + " " + std::to_string(status));
      EXPECT_GE(seconds, 0.0);
    });
    ASSERT_TRUE(server_.listen("127.0.0.1", 0));
    thread_ = std::thread([this] { server_.serve(); });
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  httplib::Client client() {
    httplib::Client cli("127.0.0.1", server_.bound_port());
    cli.set_read_timeout(30, 0);
    return cli;
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

  HttpServer server_{HttpLimits{}};  // default area: 16 KiB bodies
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> seen_;
};

TEST_F(HttpServerTest, EachAreaHasItsOwnBodyLimit) {
  auto cli = client();
  const std::string body(40 * 1024, 'x');  // over the pages' 16 KiB, under the API's 64 KiB
  auto api = cli.Post("/api/echo", body, "application/json");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 200);
  EXPECT_EQ(api->body, std::to_string(body.size()));

  auto pages = client().Post("/case/abc", body, "application/x-www-form-urlencoded");
  ASSERT_TRUE(pages);
  EXPECT_EQ(pages->status, 413);
  EXPECT_NE(pages->get_header_value("Content-Type").find("text/html"), std::string::npos);

  auto too_big = client().Post("/api/echo", std::string(100 * 1024, 'x'), "application/json");
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->status, 413);
  EXPECT_EQ(too_big->get_header_value("Content-Type"), "application/problem+json");
}

TEST_F(HttpServerTest, ErrorsAreAnsweredInTheAreasForm) {
  auto cli = client();
  auto api = cli.Get("/api/nothing-here");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 404);
  EXPECT_EQ(api->get_header_value("Content-Type"), "application/problem+json");
  auto page = cli.Get("/nothing-here");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 404);
  EXPECT_NE(page->body.find("<h1>Not Found</h1>"), std::string::npos);
  EXPECT_FALSE(page->get_header_value("Content-Security-Policy").empty());
}

TEST_F(HttpServerTest, AFailingHandlerGetsA500AndTheServerGoesOn) {
  auto cli = client();
  auto boom = cli.Get("/api/boom");
  ASSERT_TRUE(boom);
  EXPECT_EQ(boom->status, 500);
  EXPECT_EQ(boom->get_header_value("Content-Type"), "application/problem+json");
  EXPECT_EQ(boom->body.find("boom"), std::string::npos) << "the exception's text is not shown";
  auto next = client().Get("/api/items/7");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, TheObserverHearsRouteNamesNotPaths) {
  auto cli = client();
  ASSERT_TRUE(cli.Get("/api/items/1"));
  ASSERT_TRUE(cli.Get("/api/items/2"));
  ASSERT_TRUE(cli.Get("/unknown/path/123"));
  // The observer runs after the answer is written: wait a little for the last one.
  for (int i = 0; i < 100 && seen().size() < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Each on the thread that answered it: in no particular order.
  auto names = seen();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"/api/items/{id} 200", "/api/items/{id} 200", "other 404"}));
}

// The server's end of every connection to `port` open in this process (the server runs in
// it): sockets whose local port is `port` and that have a peer (not the listening one).
std::vector<int> accepted_sockets(int port) {
  std::vector<int> fds;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::stoi(e.path().filename().string());
    sockaddr_in local{}, peer{};
    socklen_t len = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0 || local.sin_family != AF_INET)
      continue;
    len = sizeof peer;
    if (ntohs(local.sin_port) == port && ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0)
      fds.push_back(fd);
  }
  return fds;
}

TEST_F(HttpServerTest, AnswersAreNotHeldBackByNagle) {
  // cpp-httplib writes an answer's head and body in two sends; with Nagle's algorithm the
  // body waited for the client's delayed ACK, 40 ms on each request of a keep-alive
  // connection (an agent's script paging through the API saw 44 ms for a 1 ms page).
  auto cli = client();
  cli.set_keep_alive(true);
  ASSERT_TRUE(cli.Get("/api/items/1"));
  auto fds = accepted_sockets(server_.bound_port());
  ASSERT_EQ(fds.size(), 1u) << "the client's connection stays open between requests";
  int nodelay = 0;
  socklen_t len = sizeof nodelay;
  ASSERT_EQ(::getsockopt(fds[0], IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
  EXPECT_NE(nodelay, 0);
  auto next = cli.Get("/api/items/2");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "2");
}

}  // namespace
}  // namespace mailcase::web

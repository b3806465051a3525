// The shared HTTP listener: each area's body limit and error answers, route names for
// the metrics, a failing handler answered without taking the server down.
#include "web/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "util/text.h"

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

// A path that has routes, asked with another method: 405 naming the methods it has
// (RFC 9110 §15.5.6), not "no such page"; the connection goes on.
TEST_F(HttpServerTest, AWrongMethodGets405WithTheMethodsThereAre) {
  auto cli = client();
  auto del = cli.Delete("/api/items/7");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 405);
  EXPECT_EQ(del->get_header_value("Allow"), "GET, HEAD");
  EXPECT_EQ(del->get_header_value("Content-Type"), "application/problem+json");
  EXPECT_NE(del->body.find("DELETE is not answered here"), std::string::npos) << del->body;
  auto get = cli.Get("/api/echo");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405);
  EXPECT_EQ(get->get_header_value("Allow"), "POST");
  auto page = cli.Put("/case/abc", "x", "text/plain");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 405);
  EXPECT_NE(page->body.find("<h1>Method Not Allowed</h1>"), std::string::npos);
  EXPECT_EQ(cli.Delete("/api/items/x")->status, 404) << "no route matches that path at all";
  EXPECT_EQ(cli.Get("/api/items/8")->body, "8") << "the connection goes on";
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

// A connection to 127.0.0.1:port that has sent `bytes` (-1 when it could not).
int connect_and_send(int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size())) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends bytes on one new connection and reads what comes back until the server closes it
// (or 20 s pass): every answer the server gave on that connection.
std::string raw_exchange(int port, const std::string& bytes) {
  const int fd = connect_and_send(port, bytes);
  if (fd < 0) return "";
  timeval tv{20, 0};
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

// The status of each answer in what raw_exchange read, in order: answers follow one
// another, each its head and Content-Length bytes of body.
std::vector<int> statuses(const std::string& answers) {
  std::vector<int> out;
  size_t at = 0;
  while (answers.compare(at, 9, "HTTP/1.1 ") == 0) {
    out.push_back(std::atoi(answers.c_str() + at + 9));
    const size_t head_end = answers.find("\r\n\r\n", at);
    if (head_end == std::string::npos) break;
    const std::string head = text::ascii_lower(answers.substr(at, head_end - at));
    const size_t length = head.find("\r\ncontent-length: ");
    at = head_end + 4 + (length == std::string::npos ? 0 : std::stoul(head.substr(length + 18)));
  }
  if (at < answers.size()) out.push_back(-1);  // bytes that are no answer
  return out;
}

TEST_F(HttpServerTest, PipelinedRequestsAreEachAnswered) {
  // The control for the two tests below: on a connection that stays open, every request
  // sent on it is answered, and raw_exchange sees each answer.
  const auto answers = raw_exchange(server_.bound_port(),
                                    "GET /api/items/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                                    "GET /api/items/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(statuses(answers), (std::vector<int>{200, 200})) << answers;
}

TEST_F(HttpServerTest, ARequestWithTwoDifferentLengthsIsRefusedAndEndsTheConnection) {
  // A proxy in front that framed the request by the second length passed on one request;
  // reading the first would take its would-be body for a request of its own.
  const std::string smuggled = "GET /api/items/7 HTTP/1.1\r\nHost: x\r\n\r\n";
  for (const std::string& method : {std::string("POST"), std::string("GET")}) {
    const auto answers =
        raw_exchange(server_.bound_port(),
                     method + " /case/abc HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n" +
                         "Content-Length: " + std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled);
    EXPECT_EQ(statuses(answers), std::vector<int>{400}) << method << ":\n" << answers;
    EXPECT_NE(answers.find("\r\nConnection: close\r\n"), std::string::npos) << answers;
  }
  // Nor a list in one field, or a length that is not a number.
  for (const std::string& length : {std::string("5, 5"), std::string("5,6"), std::string("0x5")}) {
    const auto answers =
        raw_exchange(server_.bound_port(), "POST /case/abc HTTP/1.1\r\nHost: x\r\nContent-Length: " + length +
                                               "\r\n\r\nhello" + smuggled);
    EXPECT_EQ(statuses(answers), std::vector<int>{400}) << length << ":\n" << answers;
  }
  // The same length twice is that length (RFC 9110 §8.6): the form is read, and the
  // request after it answered.
  const auto same = raw_exchange(server_.bound_port(),
                                 "POST /case/abc HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: "
                                 "5\r\n\r\nhello"
                                 "GET /api/items/7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(statuses(same), (std::vector<int>{200, 200})) << same;
}

TEST_F(HttpServerTest, AFieldWithASpaceBeforeItsColonIsRefusedAndEndsTheConnection) {
  // "Content-Length : N" is no Content-Length to us, but may be one to a proxy in front: the
  // body it framed would be answered as a request of its own (RFC 9112 §5.1: 400). The
  // same for a folded line or a second Host, on the first request of a connection or a
  // later one.
  const std::string smuggled = "GET /api/items/7 HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string length = std::to_string(smuggled.size());
  for (const std::string& field : {"Content-Length : " + length, "Content-Length\t: " + length,
                                   std::string("Transfer-Encoding : chunked"), std::string("Host: y"),
                                   std::string("X-A: 1\r\n Content-Length: ") + length}) {
    const auto first = raw_exchange(
        server_.bound_port(), "GET /api/items/1 HTTP/1.1\r\nHost: x\r\n" + field + "\r\n\r\n" + smuggled);
    EXPECT_EQ(statuses(first), std::vector<int>{400}) << field << ":\n" << first;
    EXPECT_NE(first.find("\r\nConnection: close\r\n"), std::string::npos) << first;
    const auto later = raw_exchange(server_.bound_port(),
                                    "GET /api/items/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                                    "GET /api/items/2 HTTP/1.1\r\nHost: x\r\n" +
                                        field + "\r\n\r\n" + smuggled);
    EXPECT_EQ(statuses(later), (std::vector<int>{200, 400})) << field << ":\n" << later;
  }
}

TEST_F(HttpServerTest, AMalformedRequestEndsTheConnection) {
  // What follows a request cpp-httplib could not parse is not read as requests.
  const std::string next = "GET /api/items/2 HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::vector<std::pair<std::string, std::string>> malformed{
      {"bare LF", "GET /api/items/1 HTTP/1.1\nHost: x\n\n"},
      {"NUL in the path", std::string("GET /api/items/1") + '\0' + "/x HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"unknown version", "GET /api/items/1 HTTP/7.0\r\nHost: x\r\n\r\n"},
      {"no version", "GET /api/items/1\r\nHost: x\r\n\r\n"},
  };
  for (const auto& [what, request] : malformed) {
    const auto answers = raw_exchange(server_.bound_port(), request + next + next);
    EXPECT_EQ(statuses(answers), std::vector<int>{400}) << what << ":\n" << answers;
    EXPECT_NE(answers.find("\r\nConnection: close\r\n"), std::string::npos) << what << ":\n" << answers;
  }
  // A well-formed request the server answers 400 itself (no such method here) ends it too;
  // a page that is not there does not.
  EXPECT_EQ(
      statuses(raw_exchange(server_.bound_port(), "TRACE /api/items/1 HTTP/1.1\r\nHost: x\r\n\r\n" + next)),
      std::vector<int>{400});
  EXPECT_EQ(statuses(raw_exchange(server_.bound_port(),
                                  "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"
                                  "GET /api/items/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")),
            (std::vector<int>{404, 200}));
}

// A server of its own limits, serving /items/{id}, /form (16 KiB bodies) and /upload
// (4 MiB) until destroyed.
class SmallServer {
 public:
  explicit SmallServer(const HttpLimits& limits) : server_(limits) {
    server_.area("/upload", 4 * 1024 * 1024, html_error_page);
    server_.post("/upload", "/upload", [](const httplib::Request& req, httplib::Response& res) {
      // The body's length and the count of its bytes that are not 'u': "N 0" when it came whole.
      res.set_content(std::to_string(req.body.size()) + " " +
                          std::to_string(req.body.size() - std::count(req.body.begin(), req.body.end(), 'u')),
                      "text/plain");
    });
    server_.get("/items/{id}", R"(/items/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.matches[1], "text/plain");
    });
    server_.post("/form", "/form", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::to_string(req.body.size()), "text/plain");
    });
    ok_ = static_cast<bool>(server_.listen("127.0.0.1", 0));
    if (ok_) thread_ = std::thread([this] { server_.serve(); });
  }
  ~SmallServer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  bool ok() const { return ok_; }
  int port() const { return server_.bound_port(); }
  // GET /items/{id} on a new connection, waiting at most `wait` for the answer: its
  // status, or -1 when none came.
  int get(int id, std::chrono::seconds wait) const {
    httplib::Client cli("127.0.0.1", port());
    cli.set_read_timeout(wait.count(), 0);
    auto r = cli.Get(("/items/" + std::to_string(id)).c_str());
    return r && r->body == std::to_string(id) ? r->status : -1;
  }

 private:
  HttpServer server_;
  std::thread thread_;
  bool ok_ = false;
};

// Whether the server closed fd (it reads the end of the stream within `wait`; what it
// answered before is dropped).
bool closed_by_server(int fd, std::chrono::milliseconds wait) {
  const auto end = std::chrono::steady_clock::now() + wait;
  char buf[4096];
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return true;
  }
  return false;
}

// Reads fd until `until` is in what came, the server closes it, or 20 s pass.
std::string read_until(int fd, std::string_view until) {
  std::string got;
  char buf[4096];
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (got.find(until) == std::string::npos && std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

// Two workers and a 60 s request deadline: were a client to hold a worker until its
// deadline, the requests a test makes beside it would wait far longer than the test does.
HttpLimits two_workers_long_deadline() {
  HttpLimits limits;
  limits.workers = 2;
  limits.request_timeout_seconds = 60;
  return limits;
}

TEST(HttpServerWorkers, ClientsThatTrickleOrIdleHoldNoWorker) {
  // Two workers and a long request deadline: were each of these clients to hold a
  // worker until its deadline, nothing else would be answered for 60 s.
  SmallServer server(two_workers_long_deadline());
  ASSERT_TRUE(server.ok());
  std::vector<int> fds;
  for (int i = 0; i < 20; ++i)  // a head that never ends
    fds.push_back(connect_and_send(server.port(), "GET /items/1 HTTP/1.1\r\nHost: x\r\nX-Slow: a"));
  for (int i = 0; i < 10; ++i)  // a form whose body never comes whole
    fds.push_back(
        connect_and_send(server.port(), "POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab"));
  for (int i = 0; i < 10; ++i) {  // answered, then kept open and idle
    const int fd = connect_and_send(server.port(), "GET /items/3 HTTP/1.1\r\nHost: x\r\n\r\n");
    fds.push_back(fd);
    char buf[1024];
    pollfd p{fd, POLLIN, 0};
    ASSERT_GT(::poll(&p, 1, 10000), 0);
    ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0) << "the kept-alive request is answered";
  }
  for (int fd : fds) ASSERT_GE(fd, 0);
  // Every one of them still open, and still the server answers others.
  for (int id = 10; id < 14; ++id) EXPECT_EQ(server.get(id, std::chrono::seconds(10)), 200) << id;
  // A form that comes whole at last is answered too.
  ASSERT_EQ(::send(fds[20], std::string(98, 'c').data(), 98, MSG_NOSIGNAL), 98);
  const auto answer = read_until(fds[20], "\r\n\r\n100");
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  EXPECT_EQ(answer.substr(answer.size() - 3), "100") << answer;
  for (int fd : fds) ::close(fd);
}

TEST(HttpServerWorkers, PastMaxConnectionsTheOneWaitingLongestIsClosed) {
  HttpLimits limits = two_workers_long_deadline();
  limits.max_connections = 16;
  SmallServer server(limits);
  ASSERT_TRUE(server.ok());
  std::vector<int> fds;
  for (int i = 0; i < 16; ++i) {
    fds.push_back(connect_and_send(server.port(), "GET /items/1 HTTP/1.1\r\nHost: x"));
    ASSERT_GE(fds.back(), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // so that they queue in this order
  }
  EXPECT_FALSE(closed_by_server(fds[0], std::chrono::milliseconds(300))) << "16 are held";
  // Four more: the four that waited longest make room.
  for (int i = 0; i < 4; ++i) {
    fds.push_back(connect_and_send(server.port(), "GET /items/1 HTTP/1.1\r\nHost: x"));
    ASSERT_GE(fds.back(), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(closed_by_server(fds[i], std::chrono::seconds(5))) << i;
  for (int i = 4; i < 20; ++i) EXPECT_FALSE(closed_by_server(fds[i], std::chrono::milliseconds(50))) << i;
  // A client that sends its request whole is answered all the same (it pushes out one
  // more of the trickling ones while its head is read).
  EXPECT_EQ(server.get(7, std::chrono::seconds(10)), 200);
  for (int fd : fds) ::close(fd);
}

TEST(HttpServerWorkers, AHeadThatNeverEndsGets408AtItsDeadline) {
  HttpLimits limits;
  limits.workers = 1;
  limits.request_timeout_seconds = 1;
  SmallServer server(limits);
  ASSERT_TRUE(server.ok());
  const auto answer = raw_exchange(server.port(), "GET /items/1 HTTP/1.1\r\nHost: x\r\n");
  EXPECT_EQ(statuses(answer), std::vector<int>{408}) << answer;
  // An idle kept-alive connection is closed without an answer once idle too long.
  const int fd = connect_and_send(server.port(), "GET /items/2 HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_GE(fd, 0);
  timeval tv{20, 0};
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) got.append(buf, static_cast<size_t>(n));
  ::close(fd);
  EXPECT_EQ(statuses(got), std::vector<int>{200}) << got;
}

TEST(HttpServerWorkers, SlowUploadsHoldNoWorker) {
  // Two workers and a long deadline: uploads (bodies far past a form's 64 KiB) sent
  // slowly, and clients waiting for "100 Continue" that then send nothing, held a worker
  // each until their deadline; with six of them nothing else was answered for 60 s.
  SmallServer server(two_workers_long_deadline());
  ASSERT_TRUE(server.ok());
  const std::string head = "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n";
  std::vector<int> fds;
  for (int i = 0; i < 4; ++i)
    fds.push_back(connect_and_send(server.port(), head + "\r\n" + std::string(70000, 'u')));
  for (int i = 0; i < 2; ++i)
    fds.push_back(connect_and_send(server.port(), head + "Expect: 100-continue\r\n\r\n"));
  for (int fd : fds) ASSERT_GE(fd, 0);
  // The waiting clients are told to go on, by the server that holds no worker for them.
  for (int i = 4; i < 6; ++i) EXPECT_EQ(read_until(fds[i], "\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
  for (int id = 20; id < 24; ++id) EXPECT_EQ(server.get(id, std::chrono::seconds(10)), 200) << id;
  // An upload that comes whole at last is answered, with its whole body, and with no
  // second "100 Continue" before the answer.
  const std::string body(1000000, 'u');
  ASSERT_EQ(::send(fds[4], body.data(), body.size(), MSG_NOSIGNAL), static_cast<ssize_t>(body.size()));
  const auto answer = read_until(fds[4], "\r\n\r\n1000000 0");
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer.substr(0, 200);
  EXPECT_TRUE(answer.ends_with("\r\n\r\n1000000 0")) << answer.substr(0, 200);
  ASSERT_EQ(::send(fds[0], body.data(), 1000000 - 70000, MSG_NOSIGNAL), 1000000 - 70000);
  EXPECT_TRUE(read_until(fds[0], "1000000 0").ends_with("\r\n\r\n1000000 0"));
  for (int fd : fds) ::close(fd);
}

TEST(HttpServerWorkers, UploadsPastTheBufferBudgetEachComeWhole) {
  // Three uploads of 800 KB at once, read ahead within 1 MiB: past it the one holding the
  // most is read on, and so each comes whole in turn.
  HttpLimits limits;
  limits.workers = 2;
  limits.max_buffered_bytes = 1024 * 1024;
  SmallServer server(limits);
  ASSERT_TRUE(server.ok());
  std::vector<std::string> answers(3);
  std::vector<std::thread> clients;
  for (size_t i = 0; i < answers.size(); ++i)
    clients.emplace_back([&, i] {
      httplib::Client cli("127.0.0.1", server.port());
      cli.set_read_timeout(20, 0);
      auto r = cli.Post("/upload", std::string(800000, 'u'), "application/octet-stream");
      answers[i] = r ? std::to_string(r->status) + " " + r->body : "no answer";
    });
  for (auto& t : clients) t.join();
  for (const auto& a : answers) EXPECT_EQ(a, "200 800000 0");
  // An upload past its path's limit is still refused from its head, unread.
  httplib::Client cli("127.0.0.1", server.port());
  auto r = cli.Post("/upload", std::string(5 * 1024 * 1024, 'u'), "application/octet-stream");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

}  // namespace
}  // namespace mailcase::web

// The customer pages against hostile clients, through `mailcase serve --public-http`
// (the pages' own listener, where "/" is theirs) over raw sockets: oversized bodies,
// headers and URLs are refused before they are buffered, slow clients cannot starve
// the pages, a link does only what it was sent for (old
// links included), a survey is answered once, form input is checked, and every answer
// carries the security headers.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "outbound/compose.h"
#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::testing {
namespace {

using Clock = std::chrono::steady_clock;

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads until the server closes or timeout passes.
std::string read_all(int fd, std::chrono::seconds timeout) {
  std::string out;
  const auto end = Clock::now() + timeout;
  std::array<char, 65536> buf;
  while (Clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    out.append(buf.data(), static_cast<size_t>(n));
  }
  return out;
}

// Sends a whole request on a new connection (Connection: close) and returns the answer.
std::string http_exchange(int port, const std::string& request,
                          std::chrono::seconds timeout = std::chrono::seconds(20)) {
  int fd = connect_to(port);
  if (fd < 0) return "";
  size_t off = 0;
  while (off < request.size()) {
    ssize_t n = ::send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  auto out = read_all(fd, timeout);
  ::close(fd);
  return out;
}

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return 0;
  return std::atoi(response.substr(9, 3).c_str());
}

std::string header_of(const std::string& response, const std::string& name) {
  std::smatch m;
  std::regex re("\r\n" + name + ": *([^\r\n]*)", std::regex::icase);
  auto head = response.substr(0, response.find("\r\n\r\n"));
  return std::regex_search(head, m, re) ? m[1].str() : std::string();
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += k + '=';
    for (unsigned char c : v) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
        out += static_cast<char>(c);
      } else {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", c);
        out += hex;
      }
    }
  }
  return out;
}

std::string get_request(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: pages\r\nConnection: close\r\n\r\n";
}

std::string post_request(const std::string& target, const std::string& body) {
  return "POST " + target +
         " HTTP/1.1\r\nHost: pages\r\nConnection: close\r\nContent-Type: "
         "application/x-www-form-urlencoded\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Undoes quoted-printable soft line breaks and =3D, enough to read links in a mail.
std::string unqp(std::string s) {
  s = std::regex_replace(s, std::regex("=\r?\n"), "");
  return std::regex_replace(s, std::regex("=3D"), "=");
}

long status_kib(int pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) return std::atol(line.c_str() + key.size() + 1);
  return -1;
}

class HardeningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data = dir.path() / "data";
    port = free_port();
    ASSERT_EQ(run_mailcase({"--data", data.string(), "init"}).exit_code, 0);
    // Outbound mail is queued (links are made) but nothing listens on the SMTP port.
    std::ofstream(data / "mailcase.toml")
        << "[outbound]\nfrom_address = \"support@corp.example\"\nsmtp_host = \"127.0.0.1\"\nsmtp_port = "
        << free_port() << "\nbase_url = \"http://127.0.0.1:" << port << "\"\n"
        << "[http]\nrequest_timeout_seconds = 5\n";
    ASSERT_EQ(mc({"address", "add", "support@corp.example"}).exit_code, 0);
    ASSERT_EQ(mc({"deliver"},
                 "From: Alice <alice@example.org>\r\nTo: support@corp.example\r\nSubject: "
                 "Printer on floor 3\r\nMessage-ID: <p1@example.org>\r\n\r\nIt does not print.\r\n")
                  .exit_code,
              0);
    serve = std::make_unique<Background>(std::vector<std::string>{
        "--data", data.string(), "serve", "--public-http", "127.0.0.1:" + std::to_string(port)});
    ASSERT_TRUE(wait_until([&] { return serve->err().find("http: listening") != std::string::npos; }))
        << serve->err();
  }
  void TearDown() override {
    if (serve) serve->stop(SIGTERM);
  }

  CommandResult mc(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data.string()});
    return run_mailcase(args, in);
  }

  std::unique_ptr<store::Store> open_store() {
    auto st = store::open_sqlite(data / "mailcase.db", {});
    EXPECT_TRUE(st) << (st ? "" : st.error().message);
    return st ? std::move(*st) : nullptr;
  }

  // The token of the first link in the newest outbox mail of this kind ("" for none),
  // with its "&do=" suffix when given.
  std::string token_in_mail(const std::string& kind, const std::string& suffix = "") {
    auto st = open_store();
    auto rows = st->list_outbox(std::nullopt, 100);
    if (!rows) return "";
    for (const auto& m : *rows) {
      if (m.kind != kind) continue;
      std::smatch match;
      auto text = unqp(m.raw);
      std::regex re("/case/CS0000001\\?t=([A-Za-z0-9_-]+)" + suffix);
      if (std::regex_search(text, match, re)) return match[1].str();
    }
    return "";
  }

  std::string case_status() {
    auto out = mc({"case", "show", "CS0000001", "--json"}).out;
    std::smatch m;
    std::regex re("\"status\": *\"([^\"]*)\"");
    return std::regex_search(out, m, re) ? m[1].str() : "";
  }

  std::string page(const std::string& token) {
    return http_exchange(port, get_request("/case/CS0000001?t=" + token));
  }
  std::string post(const std::string& action,
                   const std::vector<std::pair<std::string, std::string>>& fields) {
    return http_exchange(port, post_request("/case/CS0000001/" + action, form_encode(fields)));
  }

  // The token the answer's form for action carries.
  static std::string form_token(const std::string& html, const std::string& action) {
    std::smatch m;
    std::regex re("action=\"/case/CS0000001/" + action +
                  "\"><input type=\"hidden\" name=\"t\" value=\"([^\"]+)\"");
    return std::regex_search(html, m, re) ? m[1].str() : std::string();
  }

  TempDir dir;
  std::filesystem::path data;
  int port = 0;
  std::unique_ptr<Background> serve;
};

TEST_F(HardeningTest, A600MegabytePostIsRefusedUnreadAndMemoryStaysFlat) {
  ASSERT_EQ(status_of(http_exchange(port, get_request("/"))), 200);
  const long before = status_kib(serve->pid(), "VmHWM");
  ASSERT_GT(before, 0);

  int fd = connect_to(port);
  ASSERT_GE(fd, 0);
  const std::string head =
      "POST /case/CS0000001/survey HTTP/1.1\r\nHost: pages\r\nContent-Type: "
      "application/x-www-form-urlencoded\r\n"
      "Content-Length: 600000000\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  // Up to 32 MiB of the body, stopping as soon as an answer is there to read.
  const std::string chunk(65536, 'a');
  size_t sent = 0;
  while (sent < 32u * 1024 * 1024) {
    pollfd p{fd, POLLIN | POLLOUT, 0};
    if (::poll(&p, 1, 5000) <= 0 || (p.revents & (POLLIN | POLLERR | POLLHUP))) break;
    ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN) break;
    if (n > 0) sent += static_cast<size_t>(n);
  }
  auto answer = read_all(fd, std::chrono::seconds(20));
  ::close(fd);
  EXPECT_EQ(status_of(answer), 413) << answer.substr(0, 200);
  EXPECT_NE(header_of(answer, "Content-Security-Policy"), "");
  const long after = status_kib(serve->pid(), "VmHWM");
  // Buffering what a client sends before the answer would show (up to 32 MiB); the
  // server reads the head only.
  EXPECT_LT(after - before, 16 * 1024) << "VmHWM grew from " << before << " to " << after << " KiB";
  // Still serving.
  EXPECT_EQ(status_of(http_exchange(port, get_request("/"))), 200);
}

TEST_F(HardeningTest, HugeHeadersAndUrlsAreRefused) {
  const std::string big_header =
      "GET / HTTP/1.1\r\nHost: pages\r\nX-Big: " + std::string(100 * 1024, 'h') + "\r\n\r\n";
  auto r = http_exchange(port, big_header);
  EXPECT_TRUE(status_of(r) == 431 || status_of(r) == 400) << r.substr(0, 200);
  EXPECT_EQ(header_of(r, "X-Content-Type-Options"), "nosniff");

  std::string many = "GET / HTTP/1.1\r\nHost: pages\r\n";
  for (int i = 0; i < 5000; ++i) many += "X-H" + std::to_string(i) + ": value\r\n";
  r = http_exchange(port, many + "\r\n");
  EXPECT_TRUE(status_of(r) == 431 || status_of(r) == 400) << r.substr(0, 200);

  r = http_exchange(port, get_request("/case/" + std::string(100 * 1024, 'A')));
  EXPECT_TRUE(status_of(r) == 414 || status_of(r) == 431) << r.substr(0, 200);

  // A form without a length, and a chunked one, are not read.
  r = http_exchange(
      port, "POST /case/CS0000001/survey HTTP/1.1\r\nHost: pages\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(status_of(r), 411) << r.substr(0, 200);
  EXPECT_EQ(status_of(http_exchange(port, get_request("/"))), 200);
}

TEST_F(HardeningTest, TricklingClientsDoNotStarveThePagesAndAreCutOff) {
  const auto view = token_in_mail("confirmation");
  ASSERT_FALSE(view.empty());
  // Twenty clients each sending a request one byte a second, and never finishing it.
  std::atomic<int> cut_off{0};
  std::vector<std::thread> slow;
  for (int i = 0; i < 20; ++i) {
    slow.emplace_back([&, i] {
      int fd = connect_to(port);
      if (fd < 0) return;
      const std::string req = "GET /case/CS0000001?t=" + view + "&n=" + std::to_string(i) +
                              " HTTP/1.1\r\nHost: pages\r\nX-Slow: " + std::string(200, 's');
      // Bounded: 40 bytes, 40 s at most.
      for (size_t k = 0; k < req.size() && k < 40; ++k) {
        if (::send(fd, &req[k], 1, MSG_NOSIGNAL) != 1) break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 1000) > 0) {
          auto rest = read_all(fd, std::chrono::seconds(2));
          if (status_of(rest) == 408 || rest.empty()) ++cut_off;
          break;
        }
      }
      ::close(fd);
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  // A normal request gets its page while they trickle.
  const auto t0 = Clock::now();
  auto r = http_exchange(port, get_request("/case/CS0000001?t=" + view), std::chrono::seconds(15));
  const auto took = Clock::now() - t0;
  EXPECT_EQ(status_of(r), 200) << r.substr(0, 200);
  EXPECT_NE(r.find("Printer on floor 3"), std::string::npos);
  EXPECT_LT(took, std::chrono::seconds(15));
  for (auto& t : slow) t.join();
  // The request deadline (5 s here) ended every trickling request long before its 40 bytes.
  EXPECT_EQ(cut_off.load(), 20);
}

TEST_F(HardeningTest, StoppingDoesNotWaitForSlowClients) {
  // A long request deadline: only stopping can end the slow request soon.
  serve->stop(SIGTERM);
  std::ofstream(data / "mailcase.toml", std::ios::trunc)
      << "[outbound]\nenabled = false\n[http]\nrequest_timeout_seconds = 120\n";
  serve = std::make_unique<Background>(std::vector<std::string>{
      "--data", data.string(), "serve", "--public-http", "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(wait_until([&] { return serve->err().find("http: listening") != std::string::npos; }))
      << serve->err();
  int fd = connect_to(port);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::send(fd, "GET / HT", 8, MSG_NOSIGNAL), 8);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto t0 = Clock::now();
  EXPECT_EQ(serve->stop(SIGTERM), 0) << serve->err();
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(20));
  serve.reset();
  ::close(fd);
}

TEST_F(HardeningTest, AViewLinkCannotAcceptRejectOrAnswerTheSurvey) {
  ASSERT_EQ(mc({"case", "propose-solution", "CS0000001", "--body", "Replace the toner."}).exit_code, 0);
  const auto view = token_in_mail("confirmation");
  ASSERT_FALSE(view.empty());
  auto p = page(view);
  EXPECT_EQ(status_of(p), 200);
  EXPECT_NE(p.find("Replace the toner."), std::string::npos);
  EXPECT_EQ(p.find("Accept the solution"), std::string::npos);
  EXPECT_EQ(p.find("Reject the solution"), std::string::npos);
  for (const char* action : {"accept", "reject", "survey"}) {
    auto r = post(action, {{"t", view}, {"rating", "5"}, {"why", "no"}});
    EXPECT_EQ(status_of(r), 403) << action << ": " << r.substr(0, 300);
  }
  EXPECT_EQ(case_status(), "solution proposed");

  // The solution mail's reject link rejects but cannot accept; its accept link accepts.
  const auto reject = token_in_mail("solution", "&do=reject");
  const auto accept = token_in_mail("solution", "&do=accept");
  ASSERT_FALSE(reject.empty());
  ASSERT_FALSE(accept.empty());
  EXPECT_EQ(status_of(post("accept", {{"t", reject}})), 403);
  EXPECT_EQ(case_status(), "solution proposed");
  auto a = page(accept);
  EXPECT_NE(a.find("Accept the solution"), std::string::npos);
  auto done = post("accept", {{"t", form_token(a, "accept")}});
  EXPECT_EQ(status_of(done), 200) << done.substr(0, 300);
  EXPECT_EQ(case_status(), "resolved");
  // The view link still does not answer the survey that is now open.
  EXPECT_EQ(status_of(post("survey", {{"t", view}, {"rating", "1"}})), 403);
  auto st = open_store();
  auto sv = st->get_survey(1);
  ASSERT_TRUE(sv);
  EXPECT_TRUE(!*sv || (*sv)->rating == 0);
}

TEST_F(HardeningTest, ASurveyIsAnsweredOnce) {
  ASSERT_EQ(mc({"case", "propose-solution", "CS0000001", "--body", "Replace the toner."}).exit_code, 0);
  ASSERT_EQ(mc({"case", "accept", "CS0000001"}).exit_code, 0);
  ASSERT_EQ(mc({"case", "close", "CS0000001"}).exit_code, 0);
  const auto survey = token_in_mail("survey", "&do=survey");
  ASSERT_FALSE(survey.empty());
  auto first = post("survey", {{"t", survey}, {"rating", "4"}, {"comment", "Quick and friendly"}});
  EXPECT_EQ(status_of(first), 200) << first.substr(0, 300);
  EXPECT_NE(first.find("Your rating: 4 of 5"), std::string::npos);
  auto second = post("survey", {{"t", survey}, {"rating", "1"}, {"comment", "changed my mind"}});
  EXPECT_EQ(status_of(second), 409) << second.substr(0, 300);
  EXPECT_NE(second.find("already answered"), std::string::npos);
  auto st = open_store();
  auto sv = st->get_survey(1);
  ASSERT_TRUE(sv && *sv);
  EXPECT_EQ((*sv)->rating, 4);
  EXPECT_EQ((*sv)->comment, "Quick and friendly");
  EXPECT_NE(page(survey).find("Thank you for your rating: 4"), std::string::npos);
}

TEST_F(HardeningTest, InvalidTextInFormsIsRefusedAndNothingIsStored) {
  ASSERT_EQ(mc({"case", "propose-solution", "CS0000001", "--body", "Replace the toner."}).exit_code, 0);
  const auto reject = token_in_mail("solution", "&do=reject");
  ASSERT_FALSE(reject.empty());
  const auto comments_before = mc({"case", "show", "CS0000001", "--json"}).out;
  for (const std::string& why : {std::string("bad \xff\xfe bytes"), std::string("overlong \xc0\xaf"),
                                 std::string("escape \x1b[2J"), std::string(5000, 'w')}) {
    auto r = post("reject", {{"t", reject}, {"why", why}});
    EXPECT_EQ(status_of(r), 400) << r.substr(0, 300);
    EXPECT_NE(r.find("Nothing was saved"), std::string::npos);
  }
  EXPECT_EQ(case_status(), "solution proposed");
  EXPECT_EQ(mc({"case", "show", "CS0000001", "--json"}).out, comments_before);
  // Well-formed text with line breaks and accents is taken.
  auto ok = post("reject", {{"t", reject}, {"why", "Still jams.\r\nPapier zerknüllt."}});
  EXPECT_EQ(status_of(ok), 200) << ok.substr(0, 300);
  EXPECT_EQ(case_status(), "open");

  // The survey comment likewise.
  ASSERT_EQ(mc({"case", "propose-solution", "CS0000001", "--body", "New drum."}).exit_code, 0);
  ASSERT_EQ(mc({"case", "accept", "CS0000001"}).exit_code, 0);
  ASSERT_EQ(mc({"case", "close", "CS0000001"}).exit_code, 0);
  const auto survey = token_in_mail("survey", "&do=survey");
  ASSERT_FALSE(survey.empty());
  auto bad = post("survey", {{"t", survey}, {"rating", "5"}, {"comment", "nice \xc3\x28"}});
  EXPECT_EQ(status_of(bad), 400) << bad.substr(0, 300);
  EXPECT_EQ(status_of(post("survey", {{"t", survey}, {"rating", "5x"}})), 400);
  auto st = open_store();
  auto sv = st->get_survey(1);
  ASSERT_TRUE(sv);
  EXPECT_FALSE(sv->has_value());
  EXPECT_EQ(mc({"case", "show", "CS0000001", "--json"}).exit_code, 0);
}

TEST_F(HardeningTest, EveryAnswerCarriesTheSecurityHeaders) {
  const auto view = token_in_mail("confirmation");
  ASSERT_FALSE(view.empty());
  std::vector<std::pair<std::string, std::string>> answers{
      {"front page", http_exchange(port, get_request("/"))},
      {"case page", page(view)},
      {"refused link", page(view + "x")},
      {"unknown page", http_exchange(port, get_request("/nothing/here"))},
      {"view link posting", post("accept", {{"t", view}})},
      {"too large", http_exchange(port,
                                  "POST /case/CS0000001/accept HTTP/1.1\r\nHost: pages\r\nContent-Length: "
                                  "99999999\r\n\r\n")},
      {"headers too large", http_exchange(port, "GET / HTTP/1.1\r\nHost: pages\r\nX-Big: " +
                                                    std::string(40000, 'h') + "\r\n\r\n")},
      {"malformed", http_exchange(port, "NONSENSE\r\n\r\n")},
  };
  // The pages themselves load the console's stylesheet and script (from us, never
  // inline); the server's own answers allow neither.
  const std::set<std::string> pages{"front page", "case page", "refused link", "view link posting"};
  for (const auto& [what, r] : answers) {
    ASSERT_NE(status_of(r), 0) << what << ": " << r.substr(0, 200);
    EXPECT_EQ(header_of(r, "Content-Security-Policy"),
              pages.contains(what)
                  ? "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
                  : "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
        << what;
    EXPECT_EQ(header_of(r, "X-Content-Type-Options"), "nosniff") << what;
    EXPECT_EQ(header_of(r, "Referrer-Policy"), "no-referrer") << what;
  }
}

// A token as the previous release made it (no action inside): HMAC-SHA-256 over case
// id and expiry, 8 bytes each, big-endian; URL-safe base64.
std::string old_format_token(const std::string& key, int64_t case_id, int64_t expires_at) {
  std::array<unsigned char, 16 + crypto_auth_hmacsha256_BYTES> buf{};
  auto put = [&](unsigned char* p, int64_t v) {
    auto u = static_cast<uint64_t>(v);
    for (int i = 7; i >= 0; --i, u >>= 8) p[i] = static_cast<unsigned char>(u & 0xff);
  };
  put(buf.data(), case_id);
  put(buf.data() + 8, expires_at);
  crypto_auth_hmacsha256(buf.data() + 16, buf.data(), 16, reinterpret_cast<const unsigned char*>(key.data()));
  std::string out(sodium_base64_encoded_len(buf.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), buf.data(), buf.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

TEST_F(HardeningTest, LinksAlreadyMailedKeepWorkingForWhatTheyWereSentFor) {
  ASSERT_EQ(mc({"case", "propose-solution", "CS0000001", "--body", "Replace the toner."}).exit_code, 0);
  const std::string key = read_file(data / "secret.key").substr(0, 32);
  const int64_t expiry = std::time(nullptr) + 86400;
  const auto old_view = old_format_token(key, 1, expiry);
  const auto old_solution = old_format_token(key, 1, expiry + 1);
  // The mails that carried them, as the previous release queued them (encoded: the
  // long lines and accents make them quoted-printable).
  auto st = open_store();
  auto queue = [&](const std::string& kind, const std::string& text) {
    outbound::OutgoingMail m;
    m.from_address = "support@corp.example";
    m.to_address = "alice@example.org";
    m.subject = "[CS0000001] Printer on floor 3";
    m.text = text;
    m.message_id = outbound::new_message_id(m.from_address);
    store::OutboxMail row;
    row.case_id = 1;
    row.kind = kind;
    row.to = "alice@example.org";
    row.message_id = m.message_id;
    row.raw = outbound::compose(m);
    row.state = store::OutboxState::kSent;
    ASSERT_TRUE(st->add_outbox(row));
  };
  const std::string base = "http://127.0.0.1:" + std::to_string(port) + "/case/CS0000001?t=";
  queue("confirmation",
        "Bonjour, dossier ouvert. Vous pouvez suivre le dossier ici :\n" + base + old_view + "\n");
  queue("solution", "Votre problème est-il résolu ? Accepter : " + base + old_solution +
                        "&do=accept\nRejeter : " + base + old_solution + "&do=reject\n");

  // The old confirmation link shows the case and nothing more.
  auto p = page(old_view);
  EXPECT_EQ(status_of(p), 200) << p.substr(0, 300);
  EXPECT_EQ(p.find("Accept the solution"), std::string::npos);
  EXPECT_EQ(status_of(post("accept", {{"t", old_view}})), 403);
  EXPECT_EQ(case_status(), "solution proposed");
  // The old solution link accepts, as it did.
  auto s = page(old_solution);
  EXPECT_NE(s.find("Accept the solution"), std::string::npos) << s.substr(0, 600);
  EXPECT_NE(s.find("Reject the solution"), std::string::npos);
  auto done = post("accept", {{"t", old_solution}});
  EXPECT_EQ(status_of(done), 200) << done.substr(0, 300);
  EXPECT_EQ(case_status(), "resolved");
  // An old token found in no mail only shows the case.
  const auto stray = old_format_token(key, 1, expiry + 2);
  EXPECT_EQ(status_of(page(stray)), 200);
  EXPECT_EQ(status_of(post("survey", {{"t", stray}, {"rating", "2"}})), 403);
}

TEST_F(HardeningTest, AnEarlierProposalsLinksCannotAnswerALaterOne) {
  ASSERT_EQ(mc({"case", "propose-solution", "CS0000001", "--body", "Replace the toner."}).exit_code, 0);
  const auto accept1 = token_in_mail("solution", "&do=accept");
  const auto reject1 = token_in_mail("solution", "&do=reject");
  ASSERT_FALSE(accept1.empty());
  auto rejected = post("reject", {{"t", reject1}, {"why", "Still jams."}});
  ASSERT_EQ(status_of(rejected), 200) << rejected.substr(0, 300);
  ASSERT_EQ(case_status(), "open");
  ASSERT_EQ(mc({"case", "propose-solution", "CS0000001", "--body", "Replace the drum."}).exit_code, 0);
  const auto accept2 = token_in_mail("solution", "&do=accept");
  const auto reject2 = token_in_mail("solution", "&do=reject");
  ASSERT_FALSE(accept2.empty());
  ASSERT_NE(accept2, accept1);

  // The first mail's links answer that their proposal was replaced, and change nothing.
  for (const auto& [action, token] : {std::pair{"accept", accept1}, std::pair{"reject", reject1}}) {
    auto r = post(action, {{"t", token}, {"why", "no"}});
    EXPECT_EQ(status_of(r), 409) << action << ": " << r.substr(0, 300);
    EXPECT_NE(r.find("replaced since"), std::string::npos) << r;
    EXPECT_NE(r.find("Nothing was saved"), std::string::npos) << r;
    EXPECT_EQ(r.find("You accepted"), std::string::npos) << r;
  }
  EXPECT_EQ(case_status(), "solution proposed");
  // Its page shows the case, says so, and offers no decision on the later solution.
  auto old_page = page(accept1 + "&do=accept");
  EXPECT_EQ(status_of(old_page), 200);
  EXPECT_NE(old_page.find("Replace the drum."), std::string::npos);
  EXPECT_NE(old_page.find("id=\"replaced\""), std::string::npos) << old_page;
  EXPECT_EQ(old_page.find("Accept the solution"), std::string::npos);
  EXPECT_EQ(form_token(old_page, "accept"), "");

  // The current proposal's links keep working: its reject link's page, then its accept link.
  auto current = page(reject2);
  EXPECT_NE(current.find("Reject the solution"), std::string::npos) << current.substr(0, 600);
  EXPECT_EQ(current.find("id=\"replaced\""), std::string::npos);
  auto a = page(accept2);
  const auto form = form_token(a, "accept");
  ASSERT_FALSE(form.empty()) << a;
  auto done = post("accept", {{"t", form}});
  EXPECT_EQ(status_of(done), 200) << done.substr(0, 300);
  EXPECT_NE(done.find("You accepted the solution"), std::string::npos);
  EXPECT_EQ(case_status(), "resolved");
  // Once the later one is accepted, the first mail's accept link still answers that its
  // proposal was replaced.
  EXPECT_EQ(status_of(post("accept", {{"t", accept1}})), 409);
}

// An accept or reject token as the release before made it (version 2: action, case and
// expiry, no proposal).
std::string unbound_token(const std::string& key, int64_t case_id, int64_t expires_at, unsigned char action) {
  std::array<unsigned char, 18 + crypto_auth_hmacsha256_BYTES> buf{};
  buf[0] = 2;
  buf[1] = action;
  auto put = [&](unsigned char* p, int64_t v) {
    auto u = static_cast<uint64_t>(v);
    for (int i = 7; i >= 0; --i, u >>= 8) p[i] = static_cast<unsigned char>(u & 0xff);
  };
  put(buf.data() + 2, case_id);
  put(buf.data() + 10, expires_at);
  crypto_auth_hmacsha256(buf.data() + 18, buf.data(), 18, reinterpret_cast<const unsigned char*>(key.data()));
  std::string out(sodium_base64_encoded_len(buf.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), buf.data(), buf.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

TEST_F(HardeningTest, LinksMailedBeforeTheyNamedTheirProposalAnswerTheOnlyOne) {
  const std::string key = read_file(data / "secret.key").substr(0, 32);
  const int64_t expiry = std::time(nullptr) + 86400;
  constexpr unsigned char kAccept = 2, kReject = 3;
  ASSERT_EQ(mc({"case", "propose-solution", "CS0000001", "--body", "Replace the toner."}).exit_code, 0);
  // One proposal on the case: the link can only have been mailed with it. Its page offers
  // the decision, and the form it gives names that proposal.
  auto p = page(unbound_token(key, 1, expiry, kReject));
  EXPECT_NE(p.find("Reject the solution"), std::string::npos) << p.substr(0, 600);
  auto r = post("reject", {{"t", form_token(p, "reject")}, {"why", "Still jams."}});
  EXPECT_EQ(status_of(r), 200) << r.substr(0, 300);
  EXPECT_EQ(case_status(), "open");

  // Two proposals: which one such a link was mailed with cannot be told, so it answers
  // neither; the links mailed with the second do.
  ASSERT_EQ(mc({"case", "propose-solution", "CS0000001", "--body", "Replace the drum."}).exit_code, 0);
  const auto accept2 = token_in_mail("solution", "&do=accept");
  ASSERT_FALSE(accept2.empty());
  for (unsigned char action : {kAccept, kReject}) {
    const auto token = unbound_token(key, 1, expiry + action, action);
    auto refused = post(action == kAccept ? "accept" : "reject", {{"t", token}});
    EXPECT_EQ(status_of(refused), 409) << refused.substr(0, 300);
    EXPECT_NE(refused.find("replaced since"), std::string::npos);
    EXPECT_EQ(page(token).find("Accept the solution"), std::string::npos);
  }
  // Nor the oldest format's link, though a solution mail carried it.
  const auto oldest = old_format_token(key, 1, expiry + 10);
  auto st = open_store();
  outbound::OutgoingMail m;
  m.from_address = "support@corp.example";
  m.to_address = "alice@example.org";
  m.subject = "[CS0000001] Printer on floor 3";
  m.text =
      "Accept: http://127.0.0.1:" + std::to_string(port) + "/case/CS0000001?t=" + oldest + "&do=accept\n";
  m.message_id = outbound::new_message_id(m.from_address);
  store::OutboxMail row;
  row.case_id = 1;
  row.kind = "solution";
  row.to = "alice@example.org";
  row.message_id = m.message_id;
  row.raw = outbound::compose(m);
  row.state = store::OutboxState::kSent;
  ASSERT_TRUE(st->add_outbox(row));
  EXPECT_EQ(status_of(post("accept", {{"t", oldest}})), 409);
  EXPECT_EQ(case_status(), "solution proposed");
  auto ok = post("accept", {{"t", accept2}});
  EXPECT_EQ(status_of(ok), 200) << ok.substr(0, 300);
  EXPECT_EQ(case_status(), "resolved");
}

}  // namespace
}  // namespace mailcase::testing

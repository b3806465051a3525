// Mailbox fetches against a scripted server on loopback that answers badly (defects
// fuzz/mailbox_reply_fuzz found in libetpan, replies without end): `mailbox fetch` must
// end, with an error or a result, never crash, spin or read without bound.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "channels/imap_source.h"
#include "channels/pop3_source.h"
#include "config/config.h"
#include "ingest/pipeline.h"
#include "runtime/runtime.h"
#include "support/test_support.h"

namespace mailcase::testing {
namespace {

// A socket listening on a free loopback port: fd and port set; false when it could not.
bool listen_on_loopback(int& fd, int& port) {
  fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0 && ::listen(fd, 1) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  port = ntohs(a.sin_port);
  return ok;
}

// Accepts one connection, sends `script` (every reply of the session at once), ends its
// side of the stream, and reads what the client sends until it closes.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::string script) : script_(std::move(script)) {
    ok_ = listen_on_loopback(fd_, port_);
    if (ok_) thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    ::shutdown(fd_, SHUT_RDWR);  // ends a pending accept
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  bool ok() const { return ok_; }
  int port() const { return port_; }
  // What the client sent (once it has closed the connection: the thread has ended).
  const std::string& received() {
    if (thread_.joinable()) thread_.join();
    return received_;
  }

 private:
  void serve() {
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    (void)::send(c, script_.data(), script_.size(), MSG_NOSIGNAL);
    ::shutdown(c, SHUT_WR);
    char buf[4096];
    for (ssize_t n; (n = ::recv(c, buf, sizeof buf, 0)) > 0;) received_.append(buf, static_cast<size_t>(n));
    ::close(c);
  }
  std::string script_;
  std::string received_;
  int fd_ = -1;
  int port_ = 0;
  bool ok_ = false;
  std::thread thread_;
};

// Accepts one connection, sends `script`, then `drip` again and again, `pause` apart,
// until the client hangs up or `cap` bytes were sent in all: a server that never ends
// its reply. Counts what the client took.
class EndlessServer {
 public:
  // `end`: sent after `cap` bytes, when the client is still there.
  EndlessServer(std::string script, std::string drip, std::chrono::milliseconds pause, size_t cap,
                std::string end = "")
      : script_(std::move(script)), drip_(std::move(drip)), end_(std::move(end)), pause_(pause), cap_(cap) {
    ok_ = listen_on_loopback(fd_, port_);
    if (ok_) thread_ = std::thread([this] { serve(); });
  }
  ~EndlessServer() {
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  bool ok() const { return ok_; }
  int port() const { return port_; }
  // Bytes sent (after the fetch has ended: the thread has ended too).
  size_t sent() {
    if (thread_.joinable()) thread_.join();
    return sent_;
  }

 private:
  void serve() {
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    std::thread drain([c] {
      char buf[4096];
      while (::recv(c, buf, sizeof buf, 0) > 0) {
      }
    });
    bool open = ::send(c, script_.data(), script_.size(), MSG_NOSIGNAL) > 0;
    while (open && sent_ < cap_) {
      ssize_t n = ::send(c, drip_.data(), drip_.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      sent_ += static_cast<size_t>(n);
      if (pause_.count() > 0) std::this_thread::sleep_for(pause_);
    }
    if (open && sent_ >= cap_) (void)::send(c, end_.data(), end_.size(), MSG_NOSIGNAL);
    ::shutdown(c, SHUT_WR);
    drain.join();
    ::close(c);
  }
  std::string script_, drip_, end_;
  std::chrono::milliseconds pause_;
  size_t cap_;
  size_t sent_ = 0;
  int fd_ = -1;
  int port_ = 0;
  bool ok_ = false;
  std::thread thread_;
};

class HostileServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data = (dir.path() / "data").string();
    ASSERT_EQ(run_mailcase({"--data", data, "init"}).exit_code, 0);
    std::ofstream(dir.path() / "data" / "mailcase.toml") << "[outbound]\nenabled = false\n";
    std::ofstream(dir.path() / "pw") << "secret\n";
    std::filesystem::permissions(dir.path() / "pw", std::filesystem::perms::owner_read);
  }

  // `mailbox fetch` against the server, ended after `timeout_s` if it has not ended itself.
  // Returns its exit code (124: it had to be ended) and its output.
  std::pair<int, std::string> fetch(const std::string& protocol, int port, const std::string& after,
                                    int timeout_s = 30) {
    EXPECT_EQ(run_mailcase({"--data",
                            data,
                            "mailbox",
                            "add",
                            "in",
                            "--protocol",
                            protocol,
                            "--host",
                            "127.0.0.1",
                            "--port",
                            std::to_string(port),
                            "--tls",
                            "none",
                            "--allow-plaintext-auth",
                            "yes",
                            "--user",
                            "alice",
                            "--password-file",
                            (dir.path() / "pw").string(),
                            "--after",
                            after})
                  .exit_code,
              0);
    const std::string out = (dir.path() / "out").string();
    int rc = std::system(("timeout " + std::to_string(timeout_s) + " '" + std::string(MAILCASE_BINARY) +
                          "' --data '" + data + "' mailbox fetch in >'" + out + "' 2>&1")
                             .c_str());
    std::ifstream in(out);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, text};
  }

  // `mailbox fetch` (IMAP) against a server answering `script` ends with an error naming
  // `reason`, not with a crash.
  void expect_imap_refused(const std::string& script, const std::string& reason) {
    ScriptedServer server(script);
    ASSERT_TRUE(server.ok());
    auto [rc, out] = fetch("imap", server.port(), "seen");
    ASSERT_NE(rc, -1) << "the fetch crashed: " << out;
    EXPECT_NE(rc, 0) << out;
    EXPECT_NE(out.find(reason), std::string::npos) << out;
  }

  // The runtime over the test's data directory; its size limit `limit` when not 0.
  std::unique_ptr<runtime::Runtime> open_runtime(uint64_t limit = 0) {
    auto cfg = config::load(dir.path() / "data" / "mailcase.toml");
    EXPECT_TRUE(cfg) << cfg.error().message;
    if (!cfg) return nullptr;
    if (limit) cfg->limits.max_message_bytes = limit;
    auto rt = runtime::Runtime::open(dir.path() / "data", *cfg);
    EXPECT_TRUE(rt) << rt.error().message;
    return rt ? std::move(*rt) : nullptr;
  }

  // Mailbox "in" of alice on the server at `port`, without TLS.
  store::Mailbox mailbox(domain::Protocol protocol, int port, domain::AfterAction after) const {
    store::Mailbox m;
    m.name = "in";
    m.protocol = protocol;
    m.host = "127.0.0.1";
    m.port = port;
    m.tls = domain::TlsMode::kNone;
    m.allow_plaintext_auth = true;
    m.user = "alice";
    m.password_file = (dir.path() / "pw").string();
    m.after.action = after;
    return m;
  }

  int cases() {
    auto j =
        nlohmann::json::parse(run_mailcase({"--data", data, "case", "list", "--json"}).out, nullptr, false);
    return j.is_array() ? static_cast<int>(j.size()) : -1;
  }

  TempDir dir;
  std::string data;
};

TEST_F(HostileServerTest, APop3ReplyCutShortEndsTheFetchWithAnError) {
  // The connection ends inside the CAPA list: libetpan read its end again forever.
  ScriptedServer server("+OK ready\r\n+OK\r\nTOP\r\n");
  ASSERT_TRUE(server.ok());
  auto [rc, out] = fetch("pop3", server.port(), "delete");
  EXPECT_NE(rc, 124) << "the fetch did not end: " << out;
  EXPECT_NE(rc, 0) << out;
}

TEST_F(HostileServerTest, AMalformedUidlListingIsIgnoredNotACrash) {
  const std::string mail =
      "From: anna@example.org\r\nSubject: Printer\r\nMessage-ID: <p@example.org>\r\n\r\nIt does not "
      "print.\r\n";
  // Its UIDL listing has lines that name no listed mail (0, 7, not a number), which
  // crashed libetpan; the one good line counts.
  ScriptedServer server(
      "+OK ready\r\n+OK\r\nUIDL\r\nTOP\r\n.\r\n+OK\r\n+OK\r\n+OK 1 messages\r\n1 " +
      std::to_string(mail.size()) +
      "\r\n.\r\n+OK\r\nReturn-Path: <x@example.org>\r\n0 zero\r\n7 seven\r\n1 one\r\n.\r\n+OK\r\n" + mail +
      ".\r\n+OK bye\r\n");
  ASSERT_TRUE(server.ok());
  auto [rc, out] = fetch("pop3", server.port(), "keep");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("fetched 1 mails"), std::string::npos) << out;
  EXPECT_EQ(cases(), 1);
}

TEST_F(HostileServerTest, AnImapServerListingNoCapabilitiesIsNotACrash) {
  // No capabilities in the greeting, the login or the CAPABILITY reply: libetpan copied
  // a list that was never made. Then an empty folder.
  ScriptedServer server(
      "* OK ready\r\n1 OK logged in\r\n2 OK done\r\n* 0 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n3 OK "
      "[READ-WRITE] "
      "selected\r\n* SEARCH\r\n4 OK done\r\n* BYE bye\r\n5 OK done\r\n");
  ASSERT_TRUE(server.ok());
  auto [rc, out] = fetch("imap", server.port(), "seen");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("fetched 0 mails"), std::string::npos) << out;
}

// libetpan crashed on these replies (a NULL list freed, a NULL parser context read): the
// screen (channels/imap_screen.h) refuses each before libetpan reads it.
TEST_F(HostileServerTest, AnImapGreetingCarryingFlagsEndsTheFetchWithAnErrorNotACrash) {
  expect_imap_refused("* OK [PERMANENTFLAGS (\\Seen)] ready\r\n1 OK logged in\r\n",
                      "greeting carries the response code [PERMANENTFLAGS]");
}

TEST_F(HostileServerTest, AnImapSelectWithAMalformedFlagListEndsTheFetchWithAnErrorNotACrash) {
  expect_imap_refused(
      "* OK ready\r\n1 OK logged in\r\n2 OK done\r\n* 0 EXISTS\r\n"
      "* OK [PERMANENTFLAGS (\x01\\Answered %%)] Flags permitted.\r\n* OK [UIDVALIDITY 7] ok\r\n"
      "3 OK [READ-WRITE] selected\r\n* SEARCH\r\n4 OK done\r\n",
      "PERMANENTFLAGS list holds something that is no flag");
}

// An IMAP session up to its first UID SEARCH, whose reply follows.
const std::string kImapUpToSearch =
    "* OK ready\r\n1 OK logged in\r\n2 OK done\r\n* 0 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n3 OK "
    "[READ-WRITE] selected\r\n* SEARCH";

TEST_F(HostileServerTest, AnImapReplyThatNeverEndsIsCutAtItsBound) {
  // An answer to SELECT of one line without end: libetpan reads a reply whole into
  // memory before it parses it, so the client must hang up once a reply passes its bound
  // (64 MiB here), not read on until its memory is gone. The server stops at 192 MiB.
  EndlessServer server("* OK ready\r\n1 OK logged in\r\n2 OK done\r\n* OK [ALERT] ", std::string(16384, 'x'),
                       std::chrono::milliseconds(0), size_t{192} << 20);
  ASSERT_TRUE(server.ok());
  auto [rc, out] = fetch("imap", server.port(), "keep");
  EXPECT_NE(rc, 124) << "the fetch did not end: " << out;
  EXPECT_NE(rc, 0) << out;
  EXPECT_LT(server.sent(), size_t{100} << 20) << "the client read on past the bound: " << out;
  EXPECT_EQ(cases(), 0);
}

TEST_F(HostileServerTest, AnImapSearchAnswerIsBoundedByWhatItCostsInMemory) {
  // A SEARCH answer of 48 MiB, " 1" over and over, under the bound of a reply: libetpan
  // made a list cell of each UID, 1.2 GB for it. The answer has a bound of its own.
  std::string drip;
  for (int i = 0; i < 8192; ++i) drip += " 1";
  EndlessServer server(kImapUpToSearch, drip, std::chrono::milliseconds(0), size_t{48} << 20,
                       "\r\n4 OK done\r\n* BYE bye\r\n5 OK done\r\n");
  ASSERT_TRUE(server.ok());
  auto [rc, out] = fetch("imap", server.port(), "keep");
  EXPECT_NE(rc, 124) << "the fetch did not end: " << out;
  rusage usage{};
  ASSERT_EQ(::getrusage(RUSAGE_CHILDREN, &usage), 0);
  EXPECT_LT(usage.ru_maxrss, 400 * 1024) << "KiB at most in the fetch: " << out;  // ru_maxrss is in KiB
}

TEST_F(HostileServerTest, AnImapReplyDrippedSlowlyEndsTheFetch) {
  // A byte pair every 200 ms: never silent for the connection's 30 s timeout, so without
  // a floor on the reply's speed the fetch would wait as long as the server likes.
  EndlessServer server(kImapUpToSearch, " 1", std::chrono::milliseconds(200), size_t{1} << 20);
  ASSERT_TRUE(server.ok());
  const auto start = std::chrono::steady_clock::now();
  auto [rc, out] = fetch("imap", server.port(), "keep", 70);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_NE(rc, 124) << "the fetch did not end: " << out;
  EXPECT_NE(rc, 0) << out;
  EXPECT_LT(took, std::chrono::seconds(50)) << out;
}

// Records each mail but those holding "FAIL", which it cannot record (a full disk, say),
// and the largest mail it was given in a batch.
class FailingSink final : public ingest::MailSink {
 public:
  Result<ingest::Outcome> deliver(std::string_view raw, const ingest::Envelope&) override { return one(raw); }
  Result<ingest::Outcome> deliver_stream(std::istream&, const ingest::Envelope&) override {
    return fail(ErrorCode::kInternal, "not used here");
  }
  std::vector<Result<ingest::Outcome>> deliver_batch(const std::vector<ingest::RawMail>& mails) override {
    std::vector<Result<ingest::Outcome>> out;
    for (const auto& m : mails) {
      largest_batched = std::max(largest_batched, m.bytes.size());
      out.push_back(one(m.bytes));
    }
    return out;
  }
  bool accepts_recipient(std::string_view) override { return true; }
  Result<std::unique_ptr<ingest::PreparedMail>> prepare(std::string_view, const ingest::Envelope&,
                                                        uint64_t) override {
    return fail(ErrorCode::kInternal, "not used here");
  }
  size_t largest_batched = 0;  // the largest mail deliver_batch was given
  std::vector<Result<ingest::Outcome>> deliver_prepared(
      std::vector<std::unique_ptr<ingest::PreparedMail>>) override {
    return {};
  }

 private:
  static Result<ingest::Outcome> one(std::string_view raw) {
    if (raw.find("FAIL") != std::string_view::npos) return fail(ErrorCode::kTemporary, "disk full");
    ingest::Outcome o;
    o.kind = ingest::OutcomeKind::kCreated;
    return o;
  }
};

// An IMAP server's answer to UID FETCH (UID RFC822.SIZE BODY.PEEK[]<0.N>) for mail m, whole,
// as message number seq.
std::string imap_fetched(int seq, int uid, const std::string& m) {
  const std::string n = std::to_string(m.size());
  return "* " + std::to_string(seq) + " FETCH (UID " + std::to_string(uid) + " RFC822.SIZE " + n +
         " BODY[]<0> {" + n + "}\r\n" + m + ")\r\n";
}

TEST_F(HostileServerTest, AnImapMailNotRecordedIsFetchedAgainUnderKeep) {
  // UIDs 5 and 6 in one batch; 5 cannot be recorded, 6 is. Under --after keep the next
  // pass searches above the last UID alone: had it moved to 6, mail 5 was never fetched
  // again.
  const std::string five = "Subject: FAIL\r\n\r\nfive\r\n", six = "Subject: ok\r\n\r\nsix\r\n";
  ScriptedServer server(
      "* OK ready\r\n1 OK logged in\r\n2 OK done\r\n* 2 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n3 OK "
      "[READ-WRITE] selected\r\n* SEARCH 5 6\r\n4 OK done\r\n" +
      imap_fetched(1, 5, five) + imap_fetched(2, 6, six) +
      "5 OK done\r\n* SEARCH\r\n6 OK done\r\n* BYE bye\r\n7 OK done\r\n");
  ASSERT_TRUE(server.ok());
  auto rt = open_runtime();
  ASSERT_TRUE(rt);
  const auto m = mailbox(domain::Protocol::kImap, server.port(), domain::AfterAction::kKeep);
  FailingSink sink;
  channels::AgentBook book(rt->store());
  std::atomic<bool> stop{false};
  channels::AgentContext ctx{sink, book, stop};
  store::MailboxState state;
  state.name = "in";
  {
    channels::ImapSource source(m, ctx, state);
    auto r = source.run(stop);
    EXPECT_FALSE(r) << "a mail that was not recorded ended the pass well";
  }
  EXPECT_EQ(state.uidvalidity, 7);
  EXPECT_LT(state.last_uid, 5) << "mail 5 would never be fetched again";
}

TEST_F(HostileServerTest, AnImapAnswerForAMailNotAskedForIsDropped) {
  // Asked for UID 5 alone, the server answers for 9 too (and for 5 twice): only what was
  // asked for is taken, once; a server cannot slip in mail by answering more.
  const std::string five =
      "From: ann@customer.example\r\nSubject: asked for\r\nMessage-ID: <a5@x>\r\n\r\nfive\r\n";
  const std::string nine =
      "From: eve@evil.example\r\nSubject: slipped in\r\nMessage-ID: <a9@x>\r\n\r\nnine\r\n";
  ScriptedServer server(
      "* OK ready\r\n1 OK logged in\r\n2 OK done\r\n* 2 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n3 OK "
      "[READ-WRITE] selected\r\n* SEARCH 5\r\n4 OK done\r\n" +
      imap_fetched(1, 5, five) + imap_fetched(2, 9, nine) + imap_fetched(1, 5, five) +
      "5 OK done\r\n* SEARCH\r\n6 OK done\r\n* BYE bye\r\n7 OK done\r\n");
  ASSERT_TRUE(server.ok());
  auto rt = open_runtime();
  ASSERT_TRUE(rt);
  const auto m = mailbox(domain::Protocol::kImap, server.port(), domain::AfterAction::kKeep);
  channels::AgentBook book(rt->store());
  std::atomic<bool> stop{false};
  channels::AgentContext ctx{rt->ingest(), book, stop};
  store::MailboxState state;
  state.name = "in";
  {
    channels::ImapSource source(m, ctx, state);
    auto r = source.run(stop);
    ASSERT_TRUE(r) << r.error().message;
  }
  EXPECT_EQ(state.last_uid, 5);
  rt.reset();
  auto list =
      nlohmann::json::parse(run_mailcase({"--data", data, "case", "list", "--json"}).out, nullptr, false);
  ASSERT_TRUE(list.is_array()) << list;
  ASSERT_EQ(list.size(), 1u) << list;
  EXPECT_EQ(list[0]["subject"], "asked for");
}

TEST_F(HostileServerTest, APop3MailLargerThanListedIsNeverHeldInABatch) {
  // LIST says 100 bytes, RETR gives 2 MiB: such mails must not be gathered a batch at a
  // time (fifty mails of up to the size limit each), but held alone as a large mail is.
  std::string big = "Subject: big\r\n\r\n";
  while (big.size() < (size_t{2} << 20)) big += std::string(998, 'x') + "\r\n";
  const std::string small = "Subject: small\r\n\r\nsmall\r\n";
  ScriptedServer server(
      "+OK ready\r\n+OK\r\nUIDL\r\nTOP\r\n.\r\n+OK\r\n+OK\r\n+OK 2 messages\r\n1 100\r\n2 " +
      std::to_string(small.size()) + "\r\n.\r\n+OK\r\n1 a\r\n2 b\r\n.\r\n+OK\r\n" + big + ".\r\n+OK\r\n" +
      small + ".\r\n+OK bye\r\n");
  ASSERT_TRUE(server.ok());
  auto rt = open_runtime();
  ASSERT_TRUE(rt);
  const auto m = mailbox(domain::Protocol::kPop3, server.port(), domain::AfterAction::kKeep);
  FailingSink sink;
  channels::AgentBook book(rt->store());
  std::atomic<bool> stop{false};
  channels::AgentContext ctx{sink, book, stop};
  store::MailboxState state;
  state.name = "in";
  auto r = channels::Pop3Source(m, ctx, state).run(stop);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->total, 2u);
  EXPECT_LE(sink.largest_batched, channels::kFetchChunkBytes);
}

TEST_F(HostileServerTest, AnImapMailLargerThanItsSizeSaidIsLeftOnTheServer) {
  // RFC822.SIZE says 1,100,000 bytes, under the limit of 1,200,000; the mail is larger.
  // Streamed, it is found over the limit and recorded by its head: under --after delete
  // it was then deleted from the server, the rest of it lost.
  const uint64_t limit = 1200000;
  std::string mail = "Subject: big\r\n\r\n";
  while (mail.size() < 1300000) mail += std::string(998, 'x') + "\r\n";
  auto part = [&](int tag, uint64_t from, uint64_t n, bool size) {
    return std::string("* 1 FETCH (UID 5 ") + (size ? "RFC822.SIZE 1100000 " : "") + "BODY[]<" +
           std::to_string(from) + "> {" + std::to_string(n) + "}\r\n" + mail.substr(from, n) + ")\r\n" +
           std::to_string(tag) + " OK done\r\n";
  };
  ScriptedServer server(
      "* OK ready\r\n1 OK logged in\r\n2 OK done\r\n* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n3 OK "
      "[READ-WRITE] selected\r\n* SEARCH 5\r\n4 OK done\r\n" +
      part(5, 0, 1048577, true) + part(6, 0, 1048576, false) + part(7, 1048576, limit + 1 - 1048576, false) +
      "* SEARCH 5\r\n8 OK done\r\n* BYE bye\r\n9 OK done\r\n");
  ASSERT_TRUE(server.ok());
  auto rt = open_runtime(limit);
  ASSERT_TRUE(rt);
  const auto m = mailbox(domain::Protocol::kImap, server.port(), domain::AfterAction::kDelete);
  channels::AgentBook book(rt->store());
  std::atomic<bool> stop{false};
  channels::AgentContext ctx{rt->ingest(), book, stop};
  ctx.max_message_bytes = limit;
  store::MailboxState state;
  state.name = "in";
  std::optional<Result<channels::SourceReport>> r;
  {
    channels::ImapSource source(m, ctx, state);
    r = source.run(stop);
  }
  EXPECT_EQ(server.received().find("STORE"), std::string::npos) << "the mail was deleted from the server";
  ASSERT_TRUE(*r) << r->error().message;
  EXPECT_EQ((*r)->left_at_source, 1u);
  EXPECT_TRUE(book.left_keys("in").contains("7:5"));
}

TEST_F(HostileServerTest, APop3MailOverTheLimitThoughListedUnderIsLeftAndTheNextFetched) {
  // LIST says 100 bytes, RETR gives 300,000, over the limit of 200,000: that was an error
  // at the same mail on every pass, and the mail after it never came. It is left on the
  // server, recorded by its first bytes, and the next mail is fetched.
  const uint64_t limit = 200000;
  std::string big = "Subject: big\r\n\r\n";
  while (big.size() < 300000) big += std::string(998, 'x') + "\r\n";
  const std::string small = "Subject: small\r\nMessage-ID: <small@example.org>\r\n\r\nsmall\r\n";
  ScriptedServer server(
      "+OK ready\r\n+OK\r\nUIDL\r\nTOP\r\n.\r\n+OK\r\n+OK\r\n+OK 2 messages\r\n1 100\r\n2 " +
      std::to_string(small.size()) + "\r\n.\r\n+OK\r\n1 a\r\n2 b\r\n.\r\n+OK\r\n" + big + ".\r\n+OK\r\n" +
      small + ".\r\n+OK\r\n+OK bye\r\n");
  ASSERT_TRUE(server.ok());
  auto rt = open_runtime(limit);
  ASSERT_TRUE(rt);
  const auto m = mailbox(domain::Protocol::kPop3, server.port(), domain::AfterAction::kDelete);
  channels::AgentBook book(rt->store());
  std::atomic<bool> stop{false};
  channels::AgentContext ctx{rt->ingest(), book, stop};
  ctx.max_message_bytes = limit;
  store::MailboxState state;
  state.name = "in";
  auto r = channels::Pop3Source(m, ctx, state).run(stop);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->left_at_source, 1u);
  EXPECT_EQ(r->total, 1u);  // the small mail, recorded
  const std::string& sent = server.received();
  EXPECT_EQ(sent.find("DELE 1"), std::string::npos) << "the mail over the limit was deleted";
  EXPECT_NE(sent.find("DELE 2"), std::string::npos) << sent;
  EXPECT_TRUE(book.left_keys("in").contains("uidl:a"));
}

}  // namespace
}  // namespace mailcase::testing

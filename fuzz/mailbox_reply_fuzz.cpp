// Fuzz target for the IMAP and POP3 server replies as our mailbox clients read them
// (channels/imap_source.h, pop3_source.h; libetpan parses the replies): a server on
// loopback answers one whole pass of `mailbox fetch` (greeting, capabilities, login,
// select, search, sizes, fetches, flags, expunge / CAPA, LIST, UIDL, TOP, RETR, DELE,
// QUIT) with the fuzz input, then closes. Contract under test: whatever the server
// says, the pass ends (an error or a report) without a crash, a leak, a sanitizer
// report or a hang, and no mail larger than the size limit reaches the sink.
//
// libetpan's own IMAP response parser crashes or leaks on some malformed replies; the
// stream's screen (channels/imap_screen.h) refuses those before libetpan reads them, so
// both protocols are fuzzed. (mailimap_capability's crash on a server that never lists
// capabilities and the end-of-stream spin are guarded in the clients themselves.)
//
// Input layout: the first byte picks the protocol (bit 0: POP3), the --after mode
// (bits 1-2) and the size limit (bit 3: 2 MiB, else 4096 bytes); the rest is every byte
// the server sends, in one go.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include "channels/mailbox_agent.h"

using namespace mailcase;

namespace {

// Small, so that short inputs reach the size check; the large one lets a claimed size
// between 1 MiB and it take the streamed path (partial fetches).
constexpr uint64_t kSmallLimit = 4096;
constexpr uint64_t kLargeLimit = 2u << 20;
uint64_t g_limit = kSmallLimit;

// Takes every mail and forgets it: the clients, not the pipeline, are under test.
class DiscardSink final : public ingest::MailSink {
 public:
  Result<ingest::Outcome> deliver(std::string_view raw, const ingest::Envelope&) override {
    return take(raw.size());
  }
  Result<ingest::Outcome> deliver_stream(std::istream& raw, const ingest::Envelope&) override {
    char buf[4096];
    uint64_t n = 0;
    while (raw.read(buf, sizeof buf) || raw.gcount() > 0) {
      n += static_cast<uint64_t>(raw.gcount());
      if (n > g_limit + 1) __builtin_trap();  // the stream reads past limit + 1
    }
    if (raw.bad()) return fail(ErrorCode::kTemporary, "cannot read the mail");
    return take(0);
  }
  std::vector<Result<ingest::Outcome>> deliver_batch(const std::vector<ingest::RawMail>& mails) override {
    std::vector<Result<ingest::Outcome>> out;
    for (const auto& m : mails) out.push_back(take(m.bytes.size()));
    return out;
  }
  bool accepts_recipient(std::string_view) override { return true; }
  Result<std::unique_ptr<ingest::PreparedMail>> prepare(std::string_view raw, const ingest::Envelope&,
                                                        uint64_t) override {
    if (raw.size() > ingest::oversize_head_bytes(g_limit)) __builtin_trap();  // a head past its bound
    return std::unique_ptr<ingest::PreparedMail>(std::make_unique<ingest::PreparedMail>());
  }
  std::vector<Result<ingest::Outcome>> deliver_prepared(
      std::vector<std::unique_ptr<ingest::PreparedMail>> mails) override {
    std::vector<Result<ingest::Outcome>> out;
    for (size_t i = 0; i < mails.size(); ++i) out.push_back(take(0));
    return out;
  }

 private:
  Result<ingest::Outcome> take(size_t size) {
    (void)size;  // a POP3 server may send more than LIST said: the pipeline records it failed
    ingest::Outcome o;
    o.kind = ingest::OutcomeKind::kCreated;
    o.message_id = ++next_;
    return o;
  }
  int64_t next_ = 0;
};

// The loopback server: each connection gets the next queued reply, then end of stream;
// what the client sends is read and dropped.
class Server {
 public:
  Server() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      std::abort();
    port_ = ntohs(a.sin_port);
    std::thread([this] { serve(); }).detach();  // lives as long as the process
  }
  int port() const { return port_; }
  void queue(std::string reply) {
    std::lock_guard lock(mu_);
    replies_.push_back(std::move(reply));
  }

 private:
  void serve() {
    while (true) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string reply;
      {
        std::lock_guard lock(mu_);
        if (!replies_.empty()) {
          reply = std::move(replies_.front());
          replies_.pop_front();
        }
      }
      size_t off = 0;
      while (off < reply.size()) {
        ssize_t n = ::send(c, reply.data() + off, reply.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      ::shutdown(c, SHUT_WR);
      char buf[4096];
      while (::recv(c, buf, sizeof buf, 0) > 0) {
      }
      ::close(c);
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::mutex mu_;
  std::deque<std::string> replies_;
};

struct World {
  World() {
    dir = std::filesystem::temp_directory_path() / ("mailbox_reply_fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "pw") << "secret\n";
    store::SqliteOptions o;
    o.synchronous_full = false;
    auto s = store::open_sqlite(dir / "fuzz.db", o);
    if (!s) std::abort();
    db = std::move(*s);
    book = std::make_unique<channels::AgentBook>(*db);
  }
  std::filesystem::path dir;
  std::unique_ptr<store::Store> db;
  std::unique_ptr<channels::AgentBook> book;
  DiscardSink sink;
  Server server;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* w = new World();  // kept for the process's life: no leak reported
  if (size == 0) return 0;
  const bool pop3 = (data[0] & 1) != 0;
  store::Mailbox m;
  m.name = pop3 ? "p" : "i";
  m.protocol = pop3 ? domain::Protocol::kPop3 : domain::Protocol::kImap;
  m.host = "127.0.0.1";
  m.port = w->server.port();
  m.tls = domain::TlsMode::kNone;
  m.allow_plaintext_auth = true;
  m.user = "alice";
  m.password_file = (w->dir / "pw").string();
  using domain::AfterAction;
  static const AfterAction kImapAfter[] = {AfterAction::kSeen, AfterAction::kDelete, AfterAction::kMove,
                                           AfterAction::kKeep};
  m.after.action = pop3 ? ((data[0] >> 1) & 1 ? AfterAction::kKeep : AfterAction::kDelete)
                        : kImapAfter[(data[0] >> 1) & 3];
  if (m.after.action == AfterAction::kMove) m.after.move_folder = "Done";
  // Every input starts from a mailbox with no memory (state, UIDLs seen, mails left):
  // removing a mailbox forgets all of it.
  {
    auto work = w->db->open_unit(store::Access::kWrite);
    if (!work || !work->mailboxes().add_mailbox(m) || !work->mailboxes().remove_mailbox(m.name) ||
        !work->commit())
      std::abort();
  }
  w->server.queue(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  std::atomic<bool> stop{false};
  g_limit = (data[0] & 8) ? kLargeLimit : kSmallLimit;
  channels::AgentContext ctx{w->sink, *w->book, stop, 3, g_limit};
  (void)channels::fetch_once(m, ctx);
  return 0;
}

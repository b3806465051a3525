// LMTP listener (RFC 2033): the MTA hands mail over straight away, no mailbox between.
//
// Contract: a recipient gets 250 only after the mail is committed; 4xx when it could
// not be recorded now (the MTA retries); 550 at RCPT for an address that is no routing
// address; 552 when the mail is larger than the announced SIZE (its head is recorded
// as failed for the administrator, the rest never stored); 452 past max_recipients.
// A session, and a DATA, have deadlines; a stop ends a DATA left unfinished within a
// few seconds, unacknowledged. One mail with several accepted recipients is delivered
// once, and each recipient gets the same answer.
// Mails finished by several connections at once share one commit (group commit), so
// throughput grows with the number of connections while each 250 still follows its
// own commit.
// The protocol itself is lmtp::Protocol (lmtp_protocol.h); this is its socket: reading,
// writing, deadlines, and the commits.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "channels/lmtp_protocol.h"
#include "ingest/ingest.h"
#include "util/result.h"

namespace mailcase::channels {

struct LmtpOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (see bound_port)
  uint64_t max_size = 50ull * 1024 * 1024;
  std::string hostname = "mailcase";
  int max_connections = 64;
  int max_recipients = 100;                // RCPT past this many: 452 (the MTA sends them again)
  int64_t session_timeout_seconds = 1800;  // a whole connection, from its greeting
  int64_t data_timeout_seconds = 600;      // one DATA, from 354 to the final "."
};

class LmtpServer {
 public:
  LmtpServer(ingest::MailSink& sink, LmtpOptions options);
  ~LmtpServer();
  LmtpServer(const LmtpServer&) = delete;
  LmtpServer& operator=(const LmtpServer&) = delete;

  // Binds and listens; a port in use or a bad address is an error here.
  [[nodiscard]] Status listen();
  int bound_port() const { return port_; }
  // Accepts connections until stop is set; returns after every connection has ended
  // (the mail in hand is finished first).
  void serve(const std::atomic<bool>& stop);

 private:
  class GroupCommit;
  void session(int fd, const std::atomic<bool>& stop, GroupCommit& commit);

  ingest::MailSink& sink_;
  LmtpOptions opt_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> active_{0};
};

}  // namespace mailcase::channels

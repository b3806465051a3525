// LMTP listener (RFC 2033): the MTA hands mail over straight away, no mailbox between.
//
// Contract: a recipient gets 250 only after the mail is committed; 4xx when it could
// not be recorded now (the MTA retries); 550 at RCPT for an address that is no routing
// address; 552 when the mail is larger than the announced SIZE (its head is recorded
// as failed for the administrator, the rest never stored); 452 past max_recipients.
// A session, and a DATA, have deadlines; a stop ends a DATA left unfinished within a
// few seconds, unacknowledged. One mail with several accepted recipients is delivered
// once, and each recipient gets the same answer.
// The mails all sessions hold in memory at once are bounded by max_buffered_bytes: a
// DATA that finds it spent is read to its end without being kept and each recipient
// gets 452 4.3.1 (the MTA sends it again later).
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
#include "config/config.h"
#include "ingest/ingest.h"
#include "util/result.h"

namespace mailcase::channels {

class ByteBudget;   // byte_budget.h
class GroupCommit;  // group_commit.h

struct LmtpOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (see bound_port)
  // The defaults are the settings' (config.h: limits.max_message_bytes and [lmtp]).
  uint64_t max_size = config::Limits{}.max_message_bytes;
  std::string hostname = "mailcase";
  int max_connections = config::Lmtp{}.max_connections;  // more get 421 at once
  int max_recipients = config::Lmtp{}.max_recipients;  // RCPT past this many: 452 (the MTA sends them again)
  int64_t session_timeout_seconds = config::Lmtp{}.session_timeout_seconds;  // a whole connection
  int64_t data_timeout_seconds = config::Lmtp{}.data_timeout_seconds;        // one DATA, 354 to "."
  int64_t idle_timeout_seconds = config::Lmtp{}.idle_timeout_seconds;        // silence between bytes
  size_t max_line_bytes = config::Lmtp{}.max_line_bytes;                     // a command or DATA line
  size_t commit_batch = config::Lmtp{}.commit_batch;  // finished mails per transaction, at most
  // The mails' data all sessions hold at once, at most; never less than max_size.
  uint64_t max_buffered_bytes = config::Lmtp{}.max_buffered_bytes;
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
  void session(int fd, const std::atomic<bool>& stop, GroupCommit& commit, ByteBudget& budget);

  ingest::MailSink& sink_;
  LmtpOptions opt_;
  int listen_fd_ = -1;
  int port_ = 0;
};

}  // namespace mailcase::channels

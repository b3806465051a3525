// The delivery socket: `serve` takes pipe deliveries handed over by `mailcase deliver` and
// `mailcase-deliver` on DATA_DIR/deliver.sock (a Unix socket, mode 0600), so that a
// delivery does not open the store itself and deliveries arriving together share one
// commit (group_commit.h). The framing is ingest::handoff (ingest/deliver_protocol.h).
//
// Contract: the answer (exit code, JSON outcome, stderr text, as `deliver` prints them)
// goes out only after the mail's commit is on disk; a request cut before its end frame
// (EOF, a bad frame, a deadline, a stop) records nothing. Bounds: connections at once
// (more are told BUSY and commit by themselves), the header, each chunk, the mail's size
// (past limits.max_message_bytes only its head is kept, recorded failed as too large),
// a deadline for the whole request and one for each silence.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>

#include "config/config.h"
#include "ingest/deliver_protocol.h"
#include "ingest/ingest.h"
#include "util/result.h"

namespace mailcase::channels {

class GroupCommit;  // group_commit.h

struct DeliverSocketOptions {
  std::filesystem::path path;  // DATA_DIR/deliver.sock
  uint64_t max_size = config::Limits{}.max_message_bytes;
  int max_connections = config::Deliver{}.max_connections;
  int64_t request_timeout_seconds = config::Deliver{}.request_timeout_seconds;  // first byte to answer
  int64_t idle_timeout_seconds = config::Deliver{}.idle_timeout_seconds;        // silence within it
  size_t commit_batch = config::Lmtp{}.commit_batch;
};

// What a delivery's result is told as: the same exit code, JSON and stderr text the
// command prints when it commits by itself (app/deliver_command.cpp).
using DeliverAnswer = std::function<ingest::handoff::Answer(const Result<ingest::Outcome>&)>;

class DeliverSocket {
 public:
  DeliverSocket(ingest::MailSink& sink, DeliverAnswer answer, DeliverSocketOptions options);
  ~DeliverSocket();  // closes the socket and removes its file
  DeliverSocket(const DeliverSocket&) = delete;
  DeliverSocket& operator=(const DeliverSocket&) = delete;

  // Binds the socket. A file left at the path by a serve that was killed is removed
  // only if it is a socket nobody answers on; a live one (another serve on this data
  // directory) or any other kind of file is an error, and left as it is.
  [[nodiscard]] Status listen();
  // Accepts deliveries until stop is set; returns after every connection has ended.
  void serve(const std::atomic<bool>& stop);

 private:
  void session(int fd, const std::atomic<bool>& stop, GroupCommit& commit);

  ingest::MailSink& sink_;
  DeliverAnswer answer_;
  DeliverSocketOptions opt_;
  int listen_fd_ = -1;
};

}  // namespace mailcase::channels

// The door every channel uses: raw bytes in, a committed outcome out.
//
// Threading: one Ingest may be shared by several threads; calls are serialised
// around the store's write transaction, parsing runs in the caller's thread.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace mailcase::ingest {

// Where a mail came from and to whom the transport says it was addressed.
struct Envelope {
  std::string source;                   // "pipe", "import:/path", "imap:NAME", "pop3:NAME", "lmtp"
  std::vector<std::string> recipients;  // envelope recipients (RCPT TO, --recipient, mailbox address)
  // Envelope sender (LMTP MAIL FROM, `deliver --sender`, Return-Path of fetched mail):
  // nullopt when the source does not tell, "" for the null sender <> (bounces).
  std::optional<std::string> sender;
};

enum class OutcomeKind { kCreated, kUpdated, kDuplicate, kHeld, kFailed, kIgnored };
const char* to_string(OutcomeKind kind);

struct Outcome {
  OutcomeKind kind = OutcomeKind::kFailed;
  std::optional<std::string> case_number;  // the case created or updated, if any
  std::string reason;                      // why held / failed / ignored / duplicate
  int64_t message_id = 0;                  // the raw message row
  // The mail was larger than limits.max_message_bytes: only its head was kept, it is
  // recorded as failed, and the source must refuse it (LMTP 552, `deliver` exit 65).
  bool too_large = false;
};

// The key a mail is known by whatever way it comes again: "mid:<Message-ID>", else
// "sha:<SHA-256 of its bytes>" (a mail without a Message-ID, or one that did not parse or
// was too large: message_id empty). Two mails of one key are one mail: the second is a
// duplicate of the first.
inline std::string dedupe_key(std::string_view message_id, std::string_view sha256) {
  return message_id.empty() ? "sha:" + std::string(sha256) : "mid:" + std::string(message_id);
}

// Where another mail's record holds a mail's dedupe key: the key the mail is known by
// instead, when the holder is another sender's mail of the same Message-ID (a mailer that
// gives every mail the same id, "<@localhost>", or a stranger who copied it): the key and
// the mail's sender. nullopt when the holder is a copy of the same mail (another route,
// another Received line: the same From), when its From is unknown, or when the key is of
// the bytes alone. holder_from, from: the two mails' From addresses.
std::optional<std::string> sender_qualified_key(std::string_view key, std::string_view sha256,
                                                std::string_view holder_from, std::string_view from);

// Why a mail is a duplicate of the recorded mail `first`: the same bytes again, or another
// mail of its key (its Message-ID).
inline std::string duplicate_reason(bool same_bytes, int64_t first) {
  return (same_bytes ? "already recorded as message " : "same Message-ID as message ") + std::to_string(first);
}

// How much of a mail over limits.max_message_bytes is kept for its record: its
// first 64 KiB, never more than the limit itself.
inline constexpr size_t kOversizeHeadBytes = 64 * 1024;
constexpr size_t oversize_head_bytes(uint64_t limit) {
  return limit < kOversizeHeadBytes ? static_cast<size_t>(limit) : kOversizeHeadBytes;
}

// A mail stored and parsed, waiting for its commit (MailSink::prepare). Opaque to
// channels.
class PreparedMail {
 public:
  virtual ~PreparedMail() = default;
};

// One mail a channel has in hand.
struct RawMail {
  std::string bytes;
  Envelope envelope;
};

// What a channel hands its mail to. Implemented by ingest::Pipeline.
//
// Contract for every channel ("ack after commit"): acknowledge the mail to its source
// (IMAP delete/move/flag, POP3 DELE, LMTP 250, exit 0) only after deliver() returned a
// value; on an error (always retryable) leave the mail at the source to come again.
// Delivering the same mail again is harmless: it comes back as kDuplicate.
class MailSink {
 public:
  virtual ~MailSink() = default;
  [[nodiscard]] virtual Result<Outcome> deliver(std::string_view raw, const Envelope& envelope) = 0;
  [[nodiscard]] virtual Result<Outcome> deliver_stream(std::istream& raw, const Envelope& envelope) = 0;
  // Many mails in few commits (a mailbox backlog); one result per mail, in order.
  [[nodiscard]] virtual std::vector<Result<Outcome>> deliver_batch(const std::vector<RawMail>& mails) = 0;
  // Whether mail to this address is accepted (a routing address, or any address
  // when none is configured). For LMTP's per-recipient answers.
  virtual bool accepts_recipient(std::string_view email) = 0;
  // The costly half of delivering, for a channel that commits many mails from one
  // thread (LMTP group commit): stores the bytes and parses them, on the caller's
  // thread and without the store's lock. full_size > raw.size(): raw is only the head
  // of a mail that big, over the size limit; it is recorded as failed, too_large.
  [[nodiscard]] virtual Result<std::unique_ptr<PreparedMail>> prepare(std::string_view raw,
                                                                      const Envelope& envelope,
                                                                      uint64_t full_size) = 0;
  // Commits prepared mails together; one result per mail, in order. Same contract as
  // deliver_batch.
  [[nodiscard]] virtual std::vector<Result<Outcome>> deliver_prepared(
      std::vector<std::unique_ptr<PreparedMail>> mails) = 0;
};

}  // namespace mailcase::ingest

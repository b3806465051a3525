// Mailbox agents: fetch mail from IMAP and POP3 servers into a MailSink. The protocols'
// clients are the sources in imap_source.h and pop3_source.h; here are what they share
// (the book, the context), the agent's loop and the checks of a mailbox's settings.
//
// Contract ("ack after commit"): a mail is flagged, moved, deleted or marked seen at
// its source only after the sink committed it; a mail whose delivery failed stays
// where it is and comes again. A re-fetch after a crash is a duplicate, a no-op.
//
// A mail over limits.max_message_bytes (its size as the server tells it, before it is
// fetched) is not fetched: its first bytes are recorded as a failed message naming its
// size and the limit, it stays on the server untouched, and the mailbox remembers it
// (store::LeftMail) so that no later pass records it again. `message retry` on that
// record, once the limit allows it, fetches it (retry_left_mail).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "channels/mail_source.h"
#include "config/config.h"
#include "ingest/ingest.h"
#include "store/model.h"
#include "store/store.h"
#include "util/result.h"

namespace mailcase::channels {

// Agents' memory (last UID, POP3 UIDLs, status) in a store it does not own (which must
// outlive it). Each call is a unit of work of its own (Store::open_unit), so the book is
// thread-safe and may share the store other threads use.
class AgentBook {
 public:
  explicit AgentBook(store::Store& store) : store_(store) {}
  store::MailboxState load(const std::string& name);                    // errors are logged: an empty state
  void save(const store::MailboxState& state);                          // errors are logged, never fatal
  bool pop3_seen(const std::string& mailbox, const std::string& uidl);  // false on error
  void add_pop3_seen(const std::string& mailbox, const std::string& uidl);  // errors are logged
  // The keys of the mails this mailbox left on its server for their size; empty on error
  // (logged): those mails are then looked at again and found recorded (same first bytes).
  std::set<std::string> left_keys(const std::string& mailbox);
  void add_left(const store::LeftMail& left);  // errors are logged

 private:
  store::Store& store_;
};

struct AgentContext {
  ingest::MailSink& sink;
  AgentBook& book;
  const std::atomic<bool>& stop;
  size_t batch = config::Mailbox{}.fetch_batch;  // mails fetched and committed together (mailbox.fetch_batch)
  // Larger mails are left on the server (limits.max_message_bytes).
  uint64_t max_message_bytes = config::Limits{}.max_message_bytes;
};

// Mails larger than this are not held whole: IMAP streams them to the spool in partial
// fetches of this size; POP3 reads each whole, within the size limit, and commits it
// alone (POP3 has no partial RETR). Smaller ones are fetched and committed mailbox.fetch_batch at a time.
inline constexpr size_t kFetchChunkBytes = 1024 * 1024;

// Says why a mail of `size` bytes is not fetched, or "" when it may be.
std::string over_limit_reason(uint64_t size, uint64_t limit);

// Whether the agent saves the status `next` after `previous` (each save is a durable
// commit). A changed status is saved at once; the same one again only when the last save
// is a minute old or more, to keep last_success fresh. `since_last_save` is empty before
// the first save, which is always made.
inline constexpr std::chrono::seconds kStatusResaveInterval{60};
bool should_save_status(const std::string& previous, const std::string& next,
                        std::optional<std::chrono::steady_clock::duration> since_last_save);

// What `mailcase mailbox test` shows.
struct ProbeReport {
  std::vector<std::string> capabilities;
  int64_t waiting = 0;  // mails that would be fetched now
};

// Connects, authenticates, opens the folder and counts; each failure names its step.
[[nodiscard]] Result<ProbeReport> probe_mailbox(const store::Mailbox& m, const store::MailboxState& state);

// One pass: fetch everything waiting, commit, acknowledge, disconnect. The report's
// outcomes count the mails committed, left_at_source those left for their size.
[[nodiscard]] Result<SourceReport> fetch_once(const store::Mailbox& m, AgentContext& ctx);

// `message retry` of a record a mailbox agent left on its server for its size: when the
// mail is now within ctx.max_message_bytes, fetches it through its mailbox's settings,
// records it as a new message, marks the old record a duplicate pointing to it (its
// case), and acknowledges the mail at the server (the mailbox's --after). nullopt: the
// record is not of such a mail (the caller retries it the ordinary way).
[[nodiscard]] Result<std::optional<ingest::Outcome>> retry_left_mail(store::Store& store, int64_t raw_id,
                                                                     AgentContext& ctx);

// Runs until ctx.stop: fetches, then waits for new mail (IMAP IDLE, re-issued every
// few minutes, else polling), reconnecting with capped exponential backoff and jitter.
void run_agent(const store::Mailbox& m, AgentContext& ctx);

// Validates settings that only make sense together (the --after and --auth a protocol
// allows, the secret each auth needs) and host, port and poll interval.
[[nodiscard]] Status validate_mailbox(const store::Mailbox& m);
// Refuses (kInvalidInput) a mailbox that would authenticate over an unencrypted
// connection unless allow_plaintext_auth is set; checked again before every login.
[[nodiscard]] Status plaintext_auth_allowed(const store::Mailbox& m);

}  // namespace mailcase::channels

// Mailbox agents: fetch mail from IMAP and POP3 servers into a MailSink.
//
// Contract ("ack after commit"): a mail is flagged, moved, deleted or marked seen at
// its source only after the sink committed it; a mail whose delivery failed stays
// where it is and comes again. A re-fetch after a crash is a duplicate, a no-op.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

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

 private:
  store::Store& store_;
};

struct AgentContext {
  ingest::MailSink& sink;
  AgentBook& book;
  const std::atomic<bool>& stop;
  size_t batch = config::Mailbox{}.fetch_batch;  // mails fetched and committed together (mailbox.fetch_batch)
};

// What `mailcase mailbox test` shows.
struct ProbeReport {
  std::vector<std::string> capabilities;
  int64_t waiting = 0;  // mails that would be fetched now
};

// Connects, authenticates, opens the folder and counts; each failure names its step.
[[nodiscard]] Result<ProbeReport> probe_mailbox(const store::Mailbox& m, const store::MailboxState& state);

// One pass: fetch everything waiting, commit, acknowledge, disconnect. Returns the
// number of mails committed.
[[nodiscard]] Result<int> fetch_once(const store::Mailbox& m, AgentContext& ctx);

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

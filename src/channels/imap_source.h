// IMAP as a mail source: connects, authenticates, selects the mailbox's folder and
// fetches what is waiting by its --after mode, committing before acknowledging
// (mailbox_agent.h has the contract and what happens to a mail over the size limit).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/mail_source.h"
#include "channels/mailbox_agent.h"

namespace mailcase::channels {

class ImapClient;

// When a server's IDLE notice was read: on the monotonic clock (to measure from) and in
// real time (to show).
struct PushNotice {
  std::chrono::steady_clock::time_point steady;
  std::chrono::system_clock::time_point wall;
};

// Records in `state` a pass woken by `notice` whose first mails' commit (`committed` of
// them) finished at `done`: push_count grows by committed, push_last_* become this
// pass's notice (ISO 8601 with microseconds, UTC) and notice→commit in milliseconds.
// Pure; nothing when committed is 0.
void record_push(store::MailboxState& state, const PushNotice& notice,
                 std::chrono::steady_clock::time_point done, size_t committed);

// `mailbox test`: connects, authenticates, opens the folder and counts the mails a pass
// would look at (those left for their size included); each failure names its step.
[[nodiscard]] Result<ProbeReport> probe_imap(const store::Mailbox& m, const store::MailboxState& state);

class ImapSource final : public MailSource {
 public:
  // m, ctx and state must outlive it. state is the mailbox's (UIDVALIDITY, last UID,
  // backlog): run() updates it and saves it through ctx.book after every chunk.
  ImapSource(const store::Mailbox& m, AgentContext& ctx, store::MailboxState& state);
  ~ImapSource() override;

  std::string name() const override { return "imap:" + m_.name; }
  // One exhausting pass on the open connection (opened on first use): searches and
  // fetches until a search finds nothing new. The connection stays open for idle() and
  // the next run().
  [[nodiscard]] Result<SourceReport> run(const std::atomic<bool>& stop) override;

  // Connects, authenticates and selects the folder; each failure names its step.
  [[nodiscard]] Status open();
  bool has(std::string_view capability) const;
  const std::vector<std::string>& capabilities() const;
  // Waits in IDLE until the server reports something, `max` passes or stop is set.
  // Returns true when the server spoke; the next run() then records in the state how long
  // after that notice the mails its first search found were committed (record_push).
  [[nodiscard]] Result<bool> idle(const std::atomic<bool>& stop, std::chrono::seconds max);
  [[nodiscard]] Status noop();

  // Fetches the mail `left` names (a key "UIDVALIDITY:UID"), records it, calls
  // on_recorded with its outcome and then acknowledges it at the server (--after).
  // kNotFound when it is no longer there; kInvalidInput when still over the limit.
  [[nodiscard]] Result<ingest::Outcome> fetch_left(
      const store::LeftMail& left, const std::function<Status(const ingest::Outcome&)>& on_recorded);

 private:
  const store::Mailbox& m_;
  AgentContext& ctx_;
  store::MailboxState& state_;
  std::unique_ptr<ImapClient> client_;
  bool open_ = false;
  std::optional<PushNotice> notice_;  // of the IDLE that ended last, until run() uses it
};

}  // namespace mailcase::channels

// POP3 as a mail source: one pass connects, lists (with sizes), fetches what is waiting
// (--after keep: the UIDLs not yet committed), commits, deletes (--after delete) and
// quits. mailbox_agent.h has the contract and what happens to a mail over the size limit.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "channels/mail_source.h"
#include "channels/mailbox_agent.h"

namespace mailcase::channels {

// `mailbox test`: connects, authenticates and counts the mails listed (those already
// fetched under --after keep, and those left for their size, included).
[[nodiscard]] Result<ProbeReport> probe_pop3(const store::Mailbox& m);

class Pop3Source final : public MailSource {
 public:
  // m, ctx and state must outlive it; run() sets state's backlog.
  Pop3Source(const store::Mailbox& m, AgentContext& ctx, store::MailboxState& state)
      : m_(m), ctx_(ctx), state_(state) {}

  std::string name() const override { return "pop3:" + m_.name; }
  // One exhausting pass on a connection of its own (POP3 sees no new mail within one).
  [[nodiscard]] Result<SourceReport> run(const std::atomic<bool>& stop) override;
  // Fetches the mail `left` names (a key "uidl:UIDL"), records it, calls on_recorded with
  // its outcome, then acknowledges it (DELE, or remembers its UIDL) and quits.
  // kNotFound when it is no longer there; kInvalidInput when still over the limit.
  [[nodiscard]] Result<ingest::Outcome> fetch_left(
      const store::LeftMail& left, const std::function<Status(const ingest::Outcome&)>& on_recorded);

 private:
  const store::Mailbox& m_;
  AgentContext& ctx_;
  store::MailboxState& state_;
};

}  // namespace mailcase::channels

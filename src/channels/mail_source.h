// What every mail source is: something that hands mail from outside to a MailSink until it
// is told to stop or has nothing more to give, and then says what happened.
//
// Contract for every source:
// - Its sink is given when it is built (it must outlive the source); run() delivers into
//   it, following MailSink's "ack after commit" contract (ingest/ingest.h): a mail is
//   acknowledged to where it came from only after the sink committed it.
// - run() returns when `stop` is set (checked at least between mails; the mail in hand is
//   committed first, never half-recorded) or when the source is exhausted. A source that
//   only ever ends by `stop` (a listener, a mailbox watched forever) says so.
// - It reports how many mails it handed over and what became of them; an error of the
//   source itself (a file not readable, a mailbox not reachable) is reported, never
//   silently dropped. A mail the sink could not record stays at its source to come again.
//
// How the sources fit:
// - import (import_source.h, ImportSource): the first implementation. Exhausted when every
//   file was read; resumes mails an interrupted run left half-done.
// - the pipe (`mailcase deliver`, src/app/mail_commands.cpp): one mail from stdin, its
//   "acknowledgement" is the exit code. It is a single MailSink::deliver_stream call, so it
//   is not wrapped in a class of its own; it fits as a source that is exhausted after one
//   mail, whose report is that mail's outcome.
// - IMAP and POP3 (imap_source.h ImapSource, pop3_source.h Pop3Source): run() is one
//   exhausting pass (fetch_once in mailbox_agent.h); run_agent runs passes until stop,
//   waiting between them (IDLE or polling). Their acknowledgement is the mailbox's
//   --after action; a mail over the size limit is left at the source (left_at_source).
// - LMTP (lmtp_server.h: LmtpServer::serve runs until stop, never exhausted): the MTA is
//   its source, each 250 the acknowledgement. Not adapted to this interface: its report
//   would be the counts of its sessions' outcomes.
#pragma once

#include <atomic>
#include <cstddef>
#include <map>
#include <string>

#include "ingest/ingest.h"
#include "util/result.h"

namespace mailcase::channels {

// What a source did in one run.
struct SourceReport {
  size_t total = 0;                                // mails handed to the sink
  std::map<ingest::OutcomeKind, size_t> outcomes;  // of those, committed, by outcome
  size_t errors = 0;         // of those, not recorded (retryable; they stay at the source)
  size_t source_errors = 0;  // failures of the source itself (unreadable input, lost connection)
  bool stopped = false;      // run ended by `stop`, not by exhaustion
  // Mails not handed over because they were over limits.max_message_bytes: only their
  // failed record is made, the mail stays at its source (IMAP, POP3).
  size_t left_at_source = 0;

  void add(const Result<ingest::Outcome>& r) {
    ++total;
    if (r)
      ++outcomes[r->kind];
    else
      ++errors;
  }
  size_t count(ingest::OutcomeKind kind) const {
    auto it = outcomes.find(kind);
    return it == outcomes.end() ? 0 : it->second;
  }
};

class MailSource {
 public:
  virtual ~MailSource() = default;
  // Names the source in logs, as its mails' Envelope::source begins: "import" (each mail
  // "import:/its/file"), "pipe", "imap:NAME", "pop3:NAME", "lmtp".
  virtual std::string name() const = 0;
  // Hands mail to the sink until `stop` is set or the source is exhausted. An error: the
  // source could not go on at all (what was committed before stays committed).
  [[nodiscard]] virtual Result<SourceReport> run(const std::atomic<bool>& stop) = 0;
};

}  // namespace mailcase::channels

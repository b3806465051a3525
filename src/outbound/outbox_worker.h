// Sends what the outbox holds (`mailcase serve`). A row is marked sent only after the
// SMTP server accepted it; a temporary failure (4xx, network) is retried with growing
// delays; a 5xx or too many attempts marks it failed and says so on its case. A crash
// between the server's acceptance and the mark means the mail goes once more, never
// that it is lost.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "domain/clock.h"
#include "store/store.h"

namespace mailcase::outbound {

struct SmtpResult;

// Seconds to wait before attempt number `attempts` + 1 (capped exponential backoff).
int64_t retry_delay(int attempts);

// What one sending attempt makes of its row (pure): sent; failed on a permanent
// failure or the last allowed attempt; else queued again after retry_delay. Returns
// the note for the case when the mail failed, else "".
std::string settle(store::OutboxMail& m, const SmtpResult& r, int max_attempts, int64_t now);

using Sender = std::function<SmtpResult(const std::string& to, const std::string& raw)>;

// The name the calling thread's outbox worker claims rows under: host:pid:thread, so
// that two workers (threads or serve processes on one data directory) never share one.
std::string worker_name();

// Whether `claimed_by` (a worker_name) names a sender of this host (`host`) in a process
// that has ended: neither `own_pid` nor one `alive` says runs. Another host's sender is
// never judged (its processes cannot be seen from here); nor is a name of another form.
bool claimed_by_ended_process(std::string_view claimed_by, std::string_view host, int own_pid,
                              const std::function<bool(int pid)>& alive);

// Makes due at `now` the queued rows that a sender of this host held when its process
// ended (killed, or the machine restarted), whether it was sending them or they waited to
// be tried again: mail a crashed serve had in hand goes out as the outbox starts again,
// rather than when its claim runs out (70 minutes). Like any retry after a crash, a mail
// the relay took just before it may go out twice. Returns how many rows.
[[nodiscard]] Result<int> release_ended_claims(store::Store& st, int64_t now);

// Says on a failed mail's case that it failed (the case services' mail_failed): called
// with the unit of work that marks the row failed, only for a row of a case, and must
// not commit it; an error rolls the row's update back too, so the mail is tried again
// rather than failing unannounced. Given by the caller because the case services sit
// above outbound (they queue mails through it).
using FailureNote =
    std::function<Status(store::UnitOfWork&, const store::OutboxMail&, const std::string& note)>;

// Claims the due rows for `worker` (store::OutboxRepository::claim_due), sends each once
// and settles it; returns how many were handled. `st` is not owned and is used only
// through units of work of its own (Store::open_unit), so it may be the store other
// threads use at the same time.
[[nodiscard]] Result<int> send_due(store::Store& st, const config::Outbound& o, const Sender& send,
                                   int64_t now, const FailureNote& failure_note,
                                   const std::string& worker = worker_name());

// Loops until stop: send_due, then waits a second. `st` and failure_note as for send_due.
void run_outbox(store::Store& st, const config::Config& cfg, const FailureNote& failure_note,
                const std::atomic<bool>& stop, const domain::Clock& clock = domain::system_clock());

}  // namespace mailcase::outbound

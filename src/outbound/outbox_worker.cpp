#include "outbound/outbox_worker.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "outbound/smtp.h"
#include "util/clock.h"
#include "util/secret_file.h"

namespace mailcase::outbound {
namespace {

constexpr int64_t kClaimLeaseSeconds = 600;  // longer than one SMTP attempt's timeout (120 s)

}  // namespace

int64_t retry_delay(int attempts) {
  // 2 s, 4 s, 8 s … up to one hour.
  int shift = attempts < 1 ? 1 : (attempts > 11 ? 11 : attempts);
  int64_t d = int64_t{1} << shift;
  return d > 3600 ? 3600 : d;
}

std::string settle(store::OutboxMail& m, const SmtpResult& r, int max_attempts, int64_t now) {
  ++m.attempts;
  m.last_error.clear();
  if (r.kind == SmtpResult::Kind::kSent) {
    m.state = store::OutboxState::kSent;
    m.sent_at = clock::iso8601(now);
    return "";
  }
  m.last_error = r.message;
  if (r.kind == SmtpResult::Kind::kPermanent || m.attempts >= max_attempts) {
    m.state = store::OutboxState::kFailed;
    return "The " + m.kind + " mail to " + m.to + " could not be delivered: " + r.message;
  }
  m.next_attempt_at = now + retry_delay(m.attempts);
  return "";
}

Result<int> send_due(store::Store& st, const config::Outbound& o, const Sender& send, int64_t now) {
  // Claimed, not just read: a second worker (another serve on the same store) never
  // sends the same mail; a row left by a worker that died comes due after the lease.
  auto due = st.claim_due_outbox(now, 50, kClaimLeaseSeconds);
  if (!due) return tl::unexpected(due.error());
  int handled = 0;
  for (auto& m : *due) {
    SmtpResult r = send(m.to, m.raw);
    const std::string note = settle(m, r, o.max_attempts, now);
    auto work = st.begin_work();  // rolls back unless committed below
    if (!work) return tl::unexpected(work.error());
    auto done = [&]() -> mailcase::Status {
      if (auto s = st.update_outbox(m); !s) return s;
      if (!note.empty() && m.case_id) {
        store::Comment c;
        c.case_id = *m.case_id;
        c.direction = store::Direction::kNote;
        c.author = "mailcase";
        c.body = note;
        c.visibility = store::Visibility::kInternal;
        if (auto id = st.add_comment(c); !id) return tl::unexpected(id.error());
        if (auto s = st.add_event({.case_id = m.case_id,
                                   .actor_kind = store::ActorKind::kSystem,
                                   .actor = "mailcase",
                                   .action = store::EventAction::kMailFailed,
                                   .details = {{"kind", m.kind}, {"to", m.to}, {"note", note}}});
            !s)
          return s;
      }
      return work->commit();
    }();
    if (!done) return tl::unexpected(done.error());
    if (r.kind == SmtpResult::Kind::kSent)
      spdlog::info("outbox: sent {} mail {} to {}", m.kind, m.message_id, m.to);
    else
      spdlog::warn("outbox: {} mail to {}: {} ({})", m.kind, m.to, r.message, store::to_string(m.state));
    ++handled;
  }
  return handled;
}

void run_outbox(store::Store& st, const config::Config& cfg, const std::atomic<bool>& stop,
                const domain::Clock& clock) {
  std::string password;
  if (!cfg.outbound.smtp_password_file.empty()) {
    auto pw = read_password_file(cfg.outbound.smtp_password_file);
    if (pw)
      password = *pw;
    else
      spdlog::warn("outbox: {}", pw.error().message);
  }
  Sender send = [&](const std::string& to, const std::string& raw) {
    return smtp_send(cfg.outbound, password, to, raw);
  };
  while (!stop.load()) {
    auto n = send_due(st, cfg.outbound, send, clock.now());
    if (!n) spdlog::warn("outbox: {}", n.error().message);
    for (int i = 0; i < 10 && !stop.load() && (!n || *n == 0); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace mailcase::outbound

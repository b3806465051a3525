#include "outbound/outbox_worker.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>

#include "metrics/metrics.h"
#include "outbound/smtp.h"
#include "util/clock.h"
#include "util/secret_file.h"

namespace mailcase::outbound {
namespace {

// Longer than one SMTP attempt may last (SmtpTimeouts::total), so that no other worker
// claims a row while its mail is still on its way: the server may accept it as late as
// that. A row left by a worker that died comes due again after it.
constexpr int64_t kClaimLeaseSeconds =
    std::chrono::duration_cast<std::chrono::seconds>(SmtpTimeouts{}.total).count() + 600;
constexpr int kRowsPerPass = 50;             // then send_due returns, so that run_outbox sees a stop

}  // namespace

namespace {

std::string host_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown");
  return host;
}

// Whether process pid runs (or is another user's, which kill may not signal).
bool process_alive(int pid) {
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

}  // namespace

std::string worker_name() {
  return host_name() + ":" + std::to_string(::getpid()) + ":" + std::to_string(::gettid());
}

bool claimed_by_ended_process(std::string_view claimed_by, std::string_view host, int own_pid,
                              const std::function<bool(int pid)>& alive) {
  // host:pid:thread; a host name has no colon.
  const size_t first = claimed_by.find(':');
  if (first == std::string_view::npos || claimed_by.substr(0, first) != host) return false;
  const size_t second = claimed_by.find(':', first + 1);
  if (second == std::string_view::npos) return false;
  const std::string_view digits = claimed_by.substr(first + 1, second - first - 1);
  int pid = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (ec != std::errc() || end != digits.data() + digits.size() || pid <= 0) return false;
  return pid != own_pid && !alive(pid);
}

Result<int> release_ended_claims(store::Store& st, int64_t now) {
  const std::string host = host_name();
  MC_ASSIGN_OR_RETURN(auto unit, st.open_unit(store::Access::kWrite));
  MC_ASSIGN_OR_RETURN(auto claims, unit.outbox().list_queued_claims(now));
  int released = 0;
  for (const auto& [id, by] : claims) {
    if (!claimed_by_ended_process(by, host, ::getpid(), process_alive)) continue;
    MC_ASSIGN_OR_RETURN(bool done, unit.outbox().release_claim(id, by, now));
    if (done) ++released;
  }
  MC_RETURN_IF_ERROR(unit.commit());
  return released;
}

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

Result<int> send_due(store::Store& st, const config::Outbound& o, const Sender& send, int64_t now,
                     const FailureNote& failure_note, const std::string& worker) {
  int handled = 0;
  while (handled < kRowsPerPass) {
    // Claimed, not just read, so that a second worker (another thread or serve process on
    // the same data) never sends the same mail; a row left by a worker that died comes due
    // after the lease. One row per claim: its lease then covers one SMTP attempt (at most
    // SmtpTimeouts::total), never a batch whose later rows would come due for another worker while
    // this one is still sending the earlier ones.
    store::OutboxMail m;
    {
      auto claim = st.open_unit(store::Access::kWrite);
      if (!claim) return tl::unexpected(claim.error());
      auto due = claim->outbox().claim_due(worker, now, 1, kClaimLeaseSeconds);
      if (!due) return tl::unexpected(due.error());
      if (auto c = claim->commit(); !c) return tl::unexpected(c.error());
      if (due->empty()) break;
      m = std::move(due->front());
    }
    SmtpResult r = send(m.to, m.raw);
    const std::string note = settle(m, r, o.max_attempts, now);
    auto work = st.open_unit(store::Access::kWrite);  // rolls back unless committed below
    if (!work) return tl::unexpected(work.error());
    auto done = [&]() -> mailcase::Status {
      if (auto s = work->outbox().update_outbox(m); !s) return s;
      if (!note.empty() && m.case_id)
        if (auto s = failure_note(*work, m, note); !s) return s;
      return work->commit();
    }();
    if (!done) return tl::unexpected(done.error());
    metrics::observe_outbox_attempt(m.state);  // settled and committed
    if (r.kind == SmtpResult::Kind::kSent)
      spdlog::info("outbox: sent {} mail {} to {}", m.kind, m.message_id, m.to);
    else
      spdlog::warn("outbox: {} mail to {}: {} ({})", m.kind, m.to, r.message, store::to_string(m.state));
    ++handled;
  }
  return handled;
}

void run_outbox(store::Store& st, const config::Config& cfg, const FailureNote& failure_note,
                const std::atomic<bool>& stop, const domain::Clock& clock) {
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
  const std::string worker = worker_name();
  if (auto n = release_ended_claims(st, clock.now()); !n)
    spdlog::warn("outbox: {}", n.error().message);
  else if (*n > 0)
    spdlog::warn("outbox: {} mail(s) held by a sender that ended (a crash?) are sent again now", *n);
  while (!stop.load()) {
    auto n = send_due(st, cfg.outbound, send, clock.now(), failure_note, worker);
    if (!n) spdlog::warn("outbox: {}", n.error().message);
    for (int i = 0; i < 10 && !stop.load() && (!n || *n == 0); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace mailcase::outbound

#include "channels/mailbox_agent.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "channels/imap_source.h"
#include "channels/net.h"
#include "channels/pop3_source.h"
#include "util/text.h"

namespace mailcase::channels {

// ---- AgentBook --------------------------------------------------------------------

store::MailboxState AgentBook::load(const std::string& name) {
  auto s = [&]() -> Result<store::MailboxState> {
    MC_ASSIGN_OR_RETURN(auto work, store_.open_unit(store::Access::kRead));
    return work.mailboxes().mailbox_state(name);
  }();
  if (!s) {
    spdlog::warn("mailbox {}: cannot read its state: {}", name, s.error().message);
    store::MailboxState empty;
    empty.name = name;
    return empty;
  }
  return *s;
}

void AgentBook::save(const store::MailboxState& state) {
  auto s = [&]() -> Status {
    MC_ASSIGN_OR_RETURN(auto work, store_.open_unit(store::Access::kWrite));
    MC_RETURN_IF_ERROR(work.mailboxes().put_mailbox_state(state));
    return work.commit();
  }();
  if (!s) spdlog::warn("mailbox {}: cannot save its state: {}", state.name, s.error().message);
}

bool AgentBook::pop3_seen(const std::string& mailbox, const std::string& uidl) {
  auto work = store_.open_unit(store::Access::kRead);
  if (!work) {
    spdlog::warn("mailbox {}: cannot read its seen UIDLs: {}", mailbox, work.error().message);
    return false;
  }
  auto r = work->mailboxes().pop3_seen(mailbox, uidl);
  return r && *r;
}

void AgentBook::add_pop3_seen(const std::string& mailbox, const std::string& uidl) {
  auto s = [&]() -> Status {
    MC_ASSIGN_OR_RETURN(auto work, store_.open_unit(store::Access::kWrite));
    MC_RETURN_IF_ERROR(work.mailboxes().add_pop3_seen(mailbox, uidl));
    return work.commit();
  }();
  if (!s) spdlog::warn("mailbox {}: cannot record UIDL: {}", mailbox, s.error().message);
}

std::set<std::string> AgentBook::left_keys(const std::string& mailbox) {
  auto keys = [&]() -> Result<std::vector<std::string>> {
    MC_ASSIGN_OR_RETURN(auto work, store_.open_unit(store::Access::kRead));
    return work.mailboxes().left_mail_keys(mailbox);
  }();
  if (!keys) {
    spdlog::warn("mailbox {}: cannot read the mails it left on the server: {}", mailbox,
                 keys.error().message);
    return {};
  }
  return std::set<std::string>(keys->begin(), keys->end());
}

void AgentBook::add_left(const store::LeftMail& left) {
  auto s = [&]() -> Status {
    MC_ASSIGN_OR_RETURN(auto work, store_.open_unit(store::Access::kWrite));
    MC_RETURN_IF_ERROR(work.mailboxes().add_left_mail(left));
    return work.commit();
  }();
  if (!s)
    spdlog::warn("mailbox {}: cannot remember mail {} left on the server: {}", left.mailbox, left.key,
                 s.error().message);
}

std::string over_limit_reason(uint64_t size, uint64_t limit) {
  if (size <= limit) return "";
  return "mail is " + std::to_string(size) + " bytes, over limits.max_message_bytes (" +
         std::to_string(limit) + ")";
}

bool should_save_status(const std::string& previous, const std::string& next,
                        std::optional<std::chrono::steady_clock::duration> since_last_save) {
  if (!since_last_save || next != previous) return true;
  return *since_last_save >= kStatusResaveInterval;
}

Status validate_mailbox(const store::Mailbox& m) {
  using domain::AfterAction;
  if (m.host.empty()) return fail(ErrorCode::kInvalidInput, "--host is required");
  if (m.port <= 0 || m.port > 65535) return fail(ErrorCode::kInvalidInput, "--port must be 1-65535");
  const bool move = m.after.action == AfterAction::kMove;
  if (move && m.after.move_folder.empty())
    return fail(ErrorCode::kInvalidInput, "--after must be delete, seen, move:FOLDER or keep");
  if (m.protocol == domain::Protocol::kPop3 && (m.after.action == AfterAction::kSeen || move))
    return fail(ErrorCode::kInvalidInput, "POP3 mailboxes can only --after delete or keep");
  if (m.auth == domain::AuthMethod::kPassword && m.password_file.empty())
    return fail(ErrorCode::kInvalidInput, "--password-file is required");
  if (m.auth == domain::AuthMethod::kXOAuth2 && m.token_command.empty())
    return fail(ErrorCode::kInvalidInput, "--token-command is required with --auth xoauth2");
  if (m.auth == domain::AuthMethod::kXOAuth2 && m.protocol == domain::Protocol::kPop3)
    return fail(ErrorCode::kInvalidInput, "--auth xoauth2 is supported for IMAP only");
  if (m.poll_interval_s <= 0) return fail(ErrorCode::kInvalidInput, "--poll-interval must be positive");
  MC_RETURN_IF_ERROR(plaintext_auth_allowed(m));
  return {};
}

Status plaintext_auth_allowed(const store::Mailbox& m) {
  if (m.tls == domain::TlsMode::kNone && !m.allow_plaintext_auth)
    return fail(ErrorCode::kInvalidInput,
                "mailbox " + m.name +
                    ": --tls none would send the password in clear; use --tls implicit or starttls, or "
                    "--allow-plaintext-auth yes for a server on a trusted network");
  return {};
}

namespace {

bool sleep_unless_stopped(const std::atomic<bool>& stop, std::chrono::milliseconds total) {
  auto end = std::chrono::steady_clock::now() + total;
  while (!stop.load()) {
    auto left = end - std::chrono::steady_clock::now();
    if (left <= std::chrono::milliseconds(0)) return true;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(100)));
  }
  return false;
}

}  // namespace

Result<ProbeReport> probe_mailbox(const store::Mailbox& m, const store::MailboxState& state) {
  MC_RETURN_IF_ERROR(validate_mailbox(m));
  if (m.protocol == domain::Protocol::kPop3) return probe_pop3(m);
  return probe_imap(m, state);
}

Result<SourceReport> fetch_once(const store::Mailbox& m, AgentContext& ctx) {
  MC_RETURN_IF_ERROR(validate_mailbox(m));
  auto state = ctx.book.load(m.name);
  Result<SourceReport> r = [&]() -> Result<SourceReport> {
    if (m.protocol == domain::Protocol::kPop3) return Pop3Source(m, ctx, state).run(ctx.stop);
    return ImapSource(m, ctx, state).run(ctx.stop);
  }();
  if (r) {
    state.last_success = store::now_iso8601();
    state.last_error.clear();
  } else {
    state.last_error = r.error().message;
  }
  ctx.book.save(state);
  return r;
}

Result<std::optional<ingest::Outcome>> retry_left_mail(store::Store& store, int64_t raw_id,
                                                       AgentContext& ctx) {
  std::optional<store::LeftMail> left;
  std::optional<store::RawMessage> row;
  std::optional<store::Mailbox> mailbox;
  {
    MC_ASSIGN_OR_RETURN(auto work, store.open_unit(store::Access::kRead));
    MC_ASSIGN_OR_RETURN(left, work.mailboxes().left_mail_of(raw_id));
    if (!left) return std::optional<ingest::Outcome>();
    MC_ASSIGN_OR_RETURN(row, work.raw_messages().get_raw(raw_id));
    MC_ASSIGN_OR_RETURN(auto all, work.mailboxes().list_mailboxes());
    for (auto& m : all) {
      if (m.name == left->mailbox) mailbox = std::move(m);
    }
  }
  if (!row) return fail(ErrorCode::kNotFound, "no message " + std::to_string(raw_id));
  if (row->state != store::RawState::kFailed && row->state != store::RawState::kDismissed)
    return fail(ErrorCode::kConflict, "message " + std::to_string(raw_id) + " is " + to_string(row->state) +
                                          ": the mail it stood for was fetched already");
  if (auto why = over_limit_reason(static_cast<uint64_t>(left->size), ctx.max_message_bytes); !why.empty())
    return fail(ErrorCode::kInvalidInput, "message " + std::to_string(raw_id) +
                                              " is a mail left on mailbox " + left->mailbox + ": " + why +
                                              "; raise the limit, then retry it to fetch it");
  if (!mailbox)
    return fail(ErrorCode::kNotFound, "message " + std::to_string(raw_id) + " is a mail left on mailbox " +
                                          left->mailbox + ", which is no longer configured");
  MC_RETURN_IF_ERROR(validate_mailbox(*mailbox));
  // The old record (the mail's first bytes) now points to the mail's own record and its
  // case, before the mail is acknowledged at the server.
  auto supersede = [&](const ingest::Outcome& fetched) -> Status {
    MC_ASSIGN_OR_RETURN(auto work, store.open_unit(store::Access::kWrite));
    MC_ASSIGN_OR_RETURN(auto now, work.raw_messages().get_raw(fetched.message_id));
    row->state = store::RawState::kDuplicate;
    row->outcome = ingest::to_string(ingest::OutcomeKind::kDuplicate);
    row->reason =
        "fetched in full from " + left->mailbox + " as message " + std::to_string(fetched.message_id);
    if (now) row->case_id = now->case_id;
    MC_RETURN_IF_ERROR(work.raw_messages().update_raw(*row));
    return work.commit();
  };
  auto state = ctx.book.load(mailbox->name);
  if (mailbox->protocol == domain::Protocol::kPop3) {
    MC_ASSIGN_OR_RETURN(auto o, Pop3Source(*mailbox, ctx, state).fetch_left(*left, supersede));
    return std::optional<ingest::Outcome>(o);
  }
  MC_ASSIGN_OR_RETURN(auto o, ImapSource(*mailbox, ctx, state).fetch_left(*left, supersede));
  return std::optional<ingest::Outcome>(o);
}

void run_agent(const store::Mailbox& m, AgentContext& ctx) {
  auto state = ctx.book.load(m.name);
  std::mt19937 rng(std::random_device{}());
  int failures = 0;
  // Each save is a durable commit. Between two pushed mails the agent would save the
  // same "connected (IDLE)" before every IDLE, delaying its return to IDLE (where the
  // next mail's notice waits) by a disk sync; the same status is saved again only once a
  // minute, to keep last_success fresh (a pass that committed mail saved it already).
  auto status_saved_at = std::chrono::steady_clock::time_point{};
  bool status_saved = false;
  auto set_status = [&](const std::string& s) {
    const auto now = std::chrono::steady_clock::now();
    const bool save = should_save_status(state.status, s,
                                         status_saved ? std::optional(now - status_saved_at) : std::nullopt);
    state.status = s;
    if (!save) return;
    status_saved_at = now;
    status_saved = true;
    ctx.book.save(state);
  };
  if (auto v = validate_mailbox(m); !v) {
    state.last_error = v.error().message;
    set_status("error: " + v.error().message);
    return;
  }
  while (!ctx.stop.load()) {
    Status result = [&]() -> Status {
      if (m.protocol == domain::Protocol::kPop3) {
        set_status("polling");
        MC_RETURN_IF_ERROR(Pop3Source(m, ctx, state).run(ctx.stop));
        failures = 0;
        state.last_error.clear();
        set_status("waiting (poll every " + std::to_string(m.poll_interval_s) + "s)");
        sleep_unless_stopped(ctx.stop, std::chrono::seconds(m.poll_interval_s));
        return {};
      }
      set_status("connecting");
      ImapSource imap(m, ctx, state);
      MC_RETURN_IF_ERROR(imap.open());
      const bool push = m.idle && imap.has("IDLE");
      while (!ctx.stop.load()) {
        MC_RETURN_IF_ERROR(imap.run(ctx.stop));
        failures = 0;
        state.last_error.clear();
        state.last_success = store::now_iso8601();
        if (ctx.stop.load()) break;
        if (push) {
          set_status("connected (IDLE)");
          // Re-issued well before the 30 minutes after which servers may drop it.
          MC_RETURN_IF_ERROR(imap.idle(ctx.stop, std::chrono::minutes(25)));
        } else {
          set_status("connected (poll every " + std::to_string(m.poll_interval_s) + "s)");
          if (!sleep_unless_stopped(ctx.stop, std::chrono::seconds(m.poll_interval_s))) break;
          MC_RETURN_IF_ERROR(imap.noop());
        }
      }
      return {};
    }();
    if (ctx.stop.load()) break;
    if (!result) {
      ++failures;
      state.last_error = result.error().message;
      // Capped exponential backoff with jitter: 1 s, 2 s, 4 s … up to 5 minutes.
      const int base = std::min(300, 1 << std::min(failures - 1, 9));
      const int wait_ms =
          base * 1000 / 2 + static_cast<int>(rng() % static_cast<unsigned>(base * 1000 / 2 + 1));
      spdlog::warn("mailbox {}: {} (retry in {} ms)", m.name, result.error().message, wait_ms);
      set_status("error: " + result.error().message);
      sleep_unless_stopped(ctx.stop, std::chrono::milliseconds(wait_ms));
    }
  }
  set_status("stopped");
}

}  // namespace mailcase::channels

#include "channels/mailbox_agent.h"

#include <libetpan/libetpan.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "channels/net.h"
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

Endpoint endpoint_of(const store::Mailbox& m) {
  Endpoint ep;
  ep.host = m.host;
  ep.port = m.port;
  ep.tls = m.tls;
  ep.ca_file = m.ca_file;
  ep.tls_verify = m.tls_verify;
  return ep;
}

// The server's own words, without anything we sent (never the password).
std::string server_says(const char* response) {
  if (!response || !*response) return "";
  return std::string(": ") + std::string(text::trim(response));
}

struct Secret {
  std::string value;
  ~Secret() { std::fill(value.begin(), value.end(), '\0'); }
};

Result<std::string> secret_of(const store::Mailbox& m) {
  if (m.auth == domain::AuthMethod::kXOAuth2) return run_token_command(m.token_command);
  return read_password_file(m.password_file);
}

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

// ---- IMAP -------------------------------------------------------------------------

struct mailimap_search_key* unseen_key() {
  return mailimap_search_key_new(MAILIMAP_SEARCH_KEY_UNSEEN, nullptr, nullptr, nullptr, nullptr, nullptr,
                                 nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                 nullptr, 0, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, 0, nullptr,
                                 nullptr, nullptr);
}

class Imap {
 public:
  explicit Imap(const store::Mailbox& m) : m_(m), ep_(endpoint_of(m)) { imap_ = mailimap_new(0, nullptr); }
  ~Imap() {
    if (connected_) mailimap_logout(imap_);
    mailimap_free(imap_);
  }
  Imap(const Imap&) = delete;
  Imap& operator=(const Imap&) = delete;

  Status connect() {
    MC_ASSIGN_OR_RETURN(auto stream, open_stream(ep_));
    int rc = mailimap_connect(imap_, stream);
    if (rc != MAILIMAP_NO_ERROR_NON_AUTHENTICATED && rc != MAILIMAP_NO_ERROR_AUTHENTICATED)
      return fail(ErrorCode::kTemporary,
                  "IMAP greeting from " + m_.host + " failed (error " + std::to_string(rc) + ")");
    connected_ = true;
    if (m_.tls == domain::TlsMode::kStartTls) {
      rc = mailimap_socket_starttls_with_callback(imap_, set_server_name_callback,
                                                  const_cast<char*>(m_.host.c_str()));
      if (rc != MAILIMAP_NO_ERROR)
        return fail(ErrorCode::kTemporary,
                    "STARTTLS with " + m_.host + " failed (error " + std::to_string(rc) + ")");
      MC_RETURN_IF_ERROR(verify_certificate(imap_->imap_stream, ep_));
    }
    MC_RETURN_IF_ERROR(plaintext_auth_allowed(m_));
    Secret s;
    MC_ASSIGN_OR_RETURN(s.value, secret_of(m_));
    rc = m_.auth == domain::AuthMethod::kXOAuth2
             ? mailimap_oauth2_authenticate(imap_, m_.user.c_str(), s.value.c_str())
             : mailimap_login(imap_, m_.user.c_str(), s.value.c_str());
    if (rc != MAILIMAP_NO_ERROR)
      return fail(ErrorCode::kInvalidInput,
                  "authentication as " + m_.user + " failed" + server_says(imap_->imap_response));
    struct mailimap_capability_data* caps = nullptr;
    if (mailimap_capability(imap_, &caps) == MAILIMAP_NO_ERROR && caps) {
      for (clistiter* it = clist_begin(caps->cap_list); it; it = clist_next(it)) {
        auto* c = static_cast<struct mailimap_capability*>(clist_content(it));
        if (c->cap_type == MAILIMAP_CAPABILITY_NAME)
          capabilities_.emplace_back(c->cap_data.cap_name);
        else
          capabilities_.push_back(std::string("AUTH=") + c->cap_data.cap_auth_type);
      }
      mailimap_capability_data_free(caps);
    }
    return {};
  }

  bool has(std::string_view cap) const {
    return std::any_of(capabilities_.begin(), capabilities_.end(),
                       [&](const std::string& c) { return text::iequals(c, cap); });
  }
  const std::vector<std::string>& capabilities() const { return capabilities_; }

  Status select() {
    int rc = mailimap_select(imap_, m_.folder.c_str());
    if (rc != MAILIMAP_NO_ERROR)
      return fail(ErrorCode::kNotFound,
                  "folder " + m_.folder + " cannot be opened" + server_says(imap_->imap_response));
    uidvalidity_ = imap_->imap_selection_info ? imap_->imap_selection_info->sel_uidvalidity : 0;
    return {};
  }
  uint32_t uidvalidity() const { return uidvalidity_; }

  // UIDs waiting, by the mailbox's --after mode, ascending.
  Result<std::vector<uint32_t>> pending(int64_t last_uid) {
    std::set<uint32_t> out;
    auto search = [&](struct mailimap_search_key* key) -> Status {
      clist* result = nullptr;
      int rc = mailimap_uid_search(imap_, nullptr, key, &result);
      mailimap_search_key_free(key);
      if (rc != MAILIMAP_NO_ERROR)
        return fail(ErrorCode::kTemporary, "UID SEARCH failed" + server_says(imap_->imap_response));
      for (clistiter* it = clist_begin(result); it; it = clist_next(it))
        out.insert(*static_cast<uint32_t*>(clist_content(it)));
      mailimap_search_result_free(result);
      return {};
    };
    if (m_.after.action == domain::AfterAction::kKeep || m_.after.action == domain::AfterAction::kSeen) {
      // New by UID (n:* also returns the last mail: filtered below).
      auto* set = mailimap_set_new_interval(static_cast<uint32_t>(last_uid + 1), 0);
      MC_RETURN_IF_ERROR(search(mailimap_search_key_new_uid(set)));
      std::erase_if(out, [&](uint32_t u) { return u <= last_uid; });
      if (m_.after.action == domain::AfterAction::kSeen) {
        MC_RETURN_IF_ERROR(search(unseen_key()));
      }
    } else {
      // delete / move: whatever is in the folder is waiting.
      MC_RETURN_IF_ERROR(search(mailimap_search_key_new_all()));
    }
    return std::vector<uint32_t>(out.begin(), out.end());
  }

  // Raw bytes by UID, without setting \Seen (BODY.PEEK[]).
  Result<std::vector<std::pair<uint32_t, std::string>>> fetch(const std::vector<uint32_t>& uids) {
    struct mailimap_set* set = make_set(uids);
    struct mailimap_fetch_type* ft = mailimap_fetch_type_new_fetch_att_list_empty();
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
    mailimap_fetch_type_new_fetch_att_list_add(
        ft, mailimap_fetch_att_new_body_peek_section(mailimap_section_new(nullptr)));
    clist* result = nullptr;
    int rc = mailimap_uid_fetch(imap_, set, ft, &result);
    mailimap_fetch_type_free(ft);
    mailimap_set_free(set);
    if (rc != MAILIMAP_NO_ERROR)
      return fail(ErrorCode::kTemporary, "UID FETCH failed" + server_says(imap_->imap_response));
    std::vector<std::pair<uint32_t, std::string>> out;
    for (clistiter* it = clist_begin(result); it; it = clist_next(it)) {
      auto* msg = static_cast<struct mailimap_msg_att*>(clist_content(it));
      uint32_t uid = 0;
      std::string body;
      bool has_body = false;
      for (clistiter* a = clist_begin(msg->att_list); a; a = clist_next(a)) {
        auto* item = static_cast<struct mailimap_msg_att_item*>(clist_content(a));
        if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC) continue;
        auto* st = item->att_data.att_static;
        if (st->att_type == MAILIMAP_MSG_ATT_UID) uid = st->att_data.att_uid;
        if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION && st->att_data.att_body_section->sec_body_part) {
          body.assign(st->att_data.att_body_section->sec_body_part,
                      st->att_data.att_body_section->sec_length);
          has_body = true;
        }
      }
      if (uid != 0 && has_body) out.emplace_back(uid, std::move(body));
    }
    mailimap_fetch_list_free(result);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
  }

  // The --after action, for mails already committed.
  Status acknowledge(const std::vector<uint32_t>& uids) {
    if (uids.empty() || m_.after.action == domain::AfterAction::kKeep) return {};
    if (m_.after.action == domain::AfterAction::kSeen) return add_flag(uids, mailimap_flag_new_seen());
    if (m_.after.action == domain::AfterAction::kMove) {
      const std::string& folder = m_.after.move_folder;
      auto transfer = [&]() -> int {
        struct mailimap_set* set = make_set(uids);
        int rc = has("MOVE") ? mailimap_uid_move(imap_, set, folder.c_str())
                             : mailimap_uid_copy(imap_, set, folder.c_str());
        mailimap_set_free(set);
        return rc;
      };
      int rc = transfer();
      if (rc != MAILIMAP_NO_ERROR) {
        // The target folder may not exist yet ([TRYCREATE]): create it once and retry.
        mailimap_create(imap_, folder.c_str());
        rc = transfer();
      }
      if (rc != MAILIMAP_NO_ERROR)
        return fail(ErrorCode::kTemporary,
                    "moving mail to " + folder + " failed" + server_says(imap_->imap_response));
      if (has("MOVE")) return {};
    }
    // delete, and the second half of COPY + EXPUNGE.
    MC_RETURN_IF_ERROR(add_flag(uids, mailimap_flag_new_deleted()));
    struct mailimap_set* set = make_set(uids);
    int rc = has("UIDPLUS") ? mailimap_uid_expunge(imap_, set) : mailimap_expunge(imap_);
    mailimap_set_free(set);
    if (rc != MAILIMAP_NO_ERROR)
      return fail(ErrorCode::kTemporary, "EXPUNGE failed" + server_says(imap_->imap_response));
    return {};
  }

  // Waits in IDLE until the server reports something, `max` passes or stop is set.
  // Returns true when the server spoke.
  Result<bool> idle(const std::atomic<bool>& stop, std::chrono::seconds max) {
    int rc = mailimap_idle(imap_);
    if (rc != MAILIMAP_NO_ERROR)
      return fail(ErrorCode::kTemporary, "IDLE failed" + server_says(imap_->imap_response));
    if (mailstream_setup_idle(imap_->imap_stream) != 0)
      return fail(ErrorCode::kTemporary, "cannot wait in IDLE");
    bool spoke = false;
    bool broken = false;
    auto end = std::chrono::steady_clock::now() + max;
    while (!stop.load() && std::chrono::steady_clock::now() < end) {
      // The server's first notification may have come in the same read as its "+ idling"
      // and sit in libetpan's buffer, where waiting on the socket would not see it.
      if (imap_->imap_stream->read_buffer_len > 0) {
        spoke = true;
        break;
      }
      int r = mailstream_wait_idle(imap_->imap_stream, 1);
      if (r == MAILSTREAM_IDLE_HASDATA) {
        spoke = true;
        break;
      }
      if (r == MAILSTREAM_IDLE_ERROR || r == MAILSTREAM_IDLE_CANCELLED) {
        broken = true;
        break;
      }
    }
    mailstream_unsetup_idle(imap_->imap_stream);
    if (broken) return fail(ErrorCode::kTemporary, "the connection broke during IDLE");
    rc = mailimap_idle_done(imap_);
    if (rc != MAILIMAP_NO_ERROR)
      return fail(ErrorCode::kTemporary, "ending IDLE failed" + server_says(imap_->imap_response));
    return spoke;
  }

  Status noop() {
    if (mailimap_noop(imap_) != MAILIMAP_NO_ERROR)
      return fail(ErrorCode::kTemporary, "the connection broke (NOOP failed)");
    return {};
  }

 private:
  static struct mailimap_set* make_set(const std::vector<uint32_t>& uids) {
    struct mailimap_set* set = mailimap_set_new_empty();
    for (uint32_t u : uids) mailimap_set_add_single(set, u);
    return set;
  }
  Status add_flag(const std::vector<uint32_t>& uids, struct mailimap_flag* flag) {
    struct mailimap_flag_list* fl = mailimap_flag_list_new_empty();
    mailimap_flag_list_add(fl, flag);
    struct mailimap_store_att_flags* att = mailimap_store_att_flags_new_add_flags_silent(fl);
    struct mailimap_set* set = make_set(uids);
    int rc = mailimap_uid_store(imap_, set, att);
    mailimap_set_free(set);
    mailimap_store_att_flags_free(att);
    if (rc != MAILIMAP_NO_ERROR)
      return fail(ErrorCode::kTemporary, "UID STORE failed" + server_says(imap_->imap_response));
    return {};
  }

  const store::Mailbox& m_;
  Endpoint ep_;
  mailimap* imap_ = nullptr;
  bool connected_ = false;
  std::vector<std::string> capabilities_;
  uint32_t uidvalidity_ = 0;
};

// Commits one chunk and acknowledges what was committed. Returns the UIDs committed.
Result<std::vector<uint32_t>> commit_chunk(const store::Mailbox& m, AgentContext& ctx,
                                           std::vector<std::pair<uint32_t, std::string>>& fetched) {
  std::vector<ingest::RawMail> mails;
  mails.reserve(fetched.size());
  const ingest::Envelope env{
      "imap:" + m.name, m.address.empty() ? std::vector<std::string>{} : std::vector<std::string>{m.address}};
  for (auto& [uid, bytes] : fetched) mails.push_back(ingest::RawMail{std::move(bytes), env});
  auto results = ctx.sink.deliver_batch(mails);
  std::vector<uint32_t> committed;
  std::optional<Error> first_error;
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i])
      committed.push_back(fetched[i].first);
    else if (!first_error)
      first_error = results[i].error();
  }
  if (first_error && committed.empty()) return tl::unexpected(*first_error);
  if (first_error)
    spdlog::warn("mailbox {}: {} mails left on the server: {}", m.name, results.size() - committed.size(),
                 first_error->message);
  return committed;
}

// Fetches and commits everything waiting in the selected folder.
Result<int> imap_drain(const store::Mailbox& m, AgentContext& ctx, Imap& imap, store::MailboxState& state) {
  if (state.uidvalidity != imap.uidvalidity()) {
    // A new UIDVALIDITY means every UID we knew is void: start over; dedupe keeps it once.
    if (state.uidvalidity != 0) spdlog::info("mailbox {}: UIDVALIDITY changed, rescanning", m.name);
    state.uidvalidity = imap.uidvalidity();
    state.last_uid = 0;
  }
  int total = 0;
  // Searches again until a search finds nothing: the server may announce a mail that
  // arrives meanwhile in the reply to any command, where it would be lost to IDLE.
  // Ending on an empty search means whatever comes later is announced inside IDLE.
  while (!ctx.stop.load()) {
    MC_ASSIGN_OR_RETURN(auto uids, imap.pending(state.last_uid));
    state.backlog = static_cast<int64_t>(uids.size());
    if (uids.empty()) break;
    for (size_t start = 0; start < uids.size() && !ctx.stop.load(); start += ctx.batch) {
      std::vector<uint32_t> chunk(
          uids.begin() + static_cast<ptrdiff_t>(start),
          uids.begin() + static_cast<ptrdiff_t>(std::min(uids.size(), start + ctx.batch)));
      MC_ASSIGN_OR_RETURN(auto fetched, imap.fetch(chunk));
      MC_ASSIGN_OR_RETURN(auto committed, commit_chunk(m, ctx, fetched));
      MC_RETURN_IF_ERROR(imap.acknowledge(committed));
      if (!committed.empty()) state.last_uid = std::max<int64_t>(state.last_uid, committed.back());
      total += static_cast<int>(committed.size());
      state.backlog = static_cast<int64_t>(uids.size() - std::min(uids.size(), start + chunk.size()));
      state.last_success = store::now_iso8601();
      ctx.book.save(state);
    }
  }
  return total;
}

// ---- POP3 -------------------------------------------------------------------------

class Pop3 {
 public:
  explicit Pop3(const store::Mailbox& m) : m_(m), ep_(endpoint_of(m)) { pop_ = mailpop3_new(0, nullptr); }
  ~Pop3() {
    if (connected_ && !quit_) mailpop3_quit(pop_);  // harmless: without QUIT nothing is deleted
    mailpop3_free(pop_);
  }
  Pop3(const Pop3&) = delete;
  Pop3& operator=(const Pop3&) = delete;

  Status connect() {
    MC_ASSIGN_OR_RETURN(auto stream, open_stream(ep_));
    int rc = mailpop3_connect(pop_, stream);
    if (rc != MAILPOP3_NO_ERROR)
      return fail(ErrorCode::kTemporary, "POP3 greeting from " + m_.host + " failed");
    connected_ = true;
    if (m_.tls == domain::TlsMode::kStartTls) {
      rc = mailpop3_socket_starttls_with_callback(pop_, set_server_name_callback,
                                                  const_cast<char*>(m_.host.c_str()));
      if (rc != MAILPOP3_NO_ERROR) return fail(ErrorCode::kTemporary, "STLS with " + m_.host + " failed");
      MC_RETURN_IF_ERROR(verify_certificate(pop_->pop3_stream, ep_));
    }
    clist* caps = nullptr;
    if (mailpop3_capa(pop_, &caps) == MAILPOP3_NO_ERROR && caps) {
      for (clistiter* it = clist_begin(caps); it; it = clist_next(it)) {
        auto* c = static_cast<struct mailpop3_capa*>(clist_content(it));
        capabilities_.emplace_back(c->cap_name);
      }
      mailpop3_capa_resp_free(caps);
    }
    MC_RETURN_IF_ERROR(plaintext_auth_allowed(m_));
    Secret s;
    MC_ASSIGN_OR_RETURN(s.value, secret_of(m_));
    rc = mailpop3_login(pop_, m_.user.c_str(), s.value.c_str());
    if (rc != MAILPOP3_NO_ERROR)
      return fail(ErrorCode::kInvalidInput,
                  "authentication as " + m_.user + " failed" + server_says(pop_->pop3_response));
    return {};
  }
  const std::vector<std::string>& capabilities() const { return capabilities_; }

  struct Item {
    unsigned index;
    std::string uidl;
  };
  Result<std::vector<Item>> list() {
    carray* msgs = nullptr;
    if (mailpop3_list(pop_, &msgs) != MAILPOP3_NO_ERROR)
      return fail(ErrorCode::kTemporary, "LIST/UIDL failed");
    std::vector<Item> out;
    for (unsigned i = 0; i < carray_count(msgs); ++i) {
      auto* info = static_cast<struct mailpop3_msg_info*>(carray_get(msgs, i));
      if (!info || info->msg_deleted) continue;
      out.push_back(Item{info->msg_index, info->msg_uidl ? info->msg_uidl : ""});
    }
    return out;
  }
  Result<std::string> retr(unsigned index) {
    char* data = nullptr;
    size_t len = 0;
    if (mailpop3_retr(pop_, index, &data, &len) != MAILPOP3_NO_ERROR)
      return fail(ErrorCode::kTemporary, "RETR " + std::to_string(index) + " failed");
    std::string out(data, len);
    mailpop3_retr_free(data);
    return out;
  }
  Status dele(unsigned index) {
    if (mailpop3_dele(pop_, index) != MAILPOP3_NO_ERROR) return fail(ErrorCode::kTemporary, "DELE failed");
    return {};
  }
  Status quit() {
    quit_ = true;
    if (mailpop3_quit(pop_) != MAILPOP3_NO_ERROR)
      return fail(ErrorCode::kTemporary, "QUIT failed: deletions not applied");
    return {};
  }

 private:
  const store::Mailbox& m_;
  Endpoint ep_;
  mailpop3* pop_ = nullptr;
  bool connected_ = false;
  bool quit_ = false;
  std::vector<std::string> capabilities_;
};

Result<int> pop3_pass(const store::Mailbox& m, AgentContext& ctx, store::MailboxState& state) {
  Pop3 pop(m);
  MC_RETURN_IF_ERROR(pop.connect());
  MC_ASSIGN_OR_RETURN(auto items, pop.list());
  std::vector<Pop3::Item> waiting;
  for (const auto& it : items) {
    if (m.after.action == domain::AfterAction::kKeep && !it.uidl.empty() &&
        ctx.book.pop3_seen(m.name, it.uidl))
      continue;
    waiting.push_back(it);
  }
  state.backlog = static_cast<int64_t>(waiting.size());
  int total = 0;
  const ingest::Envelope env{
      "pop3:" + m.name, m.address.empty() ? std::vector<std::string>{} : std::vector<std::string>{m.address}};
  for (size_t start = 0; start < waiting.size() && !ctx.stop.load(); start += ctx.batch) {
    std::vector<ingest::RawMail> mails;
    std::vector<Pop3::Item> chunk;
    for (size_t i = start; i < std::min(waiting.size(), start + ctx.batch); ++i) {
      MC_ASSIGN_OR_RETURN(auto bytes, pop.retr(waiting[i].index));
      mails.push_back(ingest::RawMail{std::move(bytes), env});
      chunk.push_back(waiting[i]);
    }
    auto results = ctx.sink.deliver_batch(mails);
    for (size_t i = 0; i < results.size(); ++i) {
      if (!results[i]) continue;  // stays on the server, comes again
      ++total;
      if (m.after.action == domain::AfterAction::kDelete) {
        MC_RETURN_IF_ERROR(pop.dele(chunk[i].index));
      } else if (!chunk[i].uidl.empty()) {
        ctx.book.add_pop3_seen(m.name, chunk[i].uidl);
      }
    }
    state.backlog = static_cast<int64_t>(waiting.size() - std::min(waiting.size(), start + chunk.size()));
  }
  MC_RETURN_IF_ERROR(pop.quit());
  state.last_success = store::now_iso8601();
  return total;
}

}  // namespace

Result<ProbeReport> probe_mailbox(const store::Mailbox& m, const store::MailboxState& state) {
  MC_RETURN_IF_ERROR(validate_mailbox(m));
  ProbeReport r;
  if (m.protocol == domain::Protocol::kPop3) {
    Pop3 pop(m);
    MC_RETURN_IF_ERROR(pop.connect());
    r.capabilities = pop.capabilities();
    MC_ASSIGN_OR_RETURN(auto items, pop.list());
    for (const auto& it : items) {
      if (m.after.action == domain::AfterAction::kKeep && !it.uidl.empty()) {
        // Read-only look: the book is not at hand here, count all.
      }
      ++r.waiting;
    }
    (void)pop.quit();
    return r;
  }
  Imap imap(m);
  MC_RETURN_IF_ERROR(imap.connect());
  r.capabilities = imap.capabilities();
  MC_RETURN_IF_ERROR(imap.select());
  int64_t last = state.uidvalidity == imap.uidvalidity() ? state.last_uid : 0;
  MC_ASSIGN_OR_RETURN(auto uids, imap.pending(last));
  r.waiting = static_cast<int64_t>(uids.size());
  return r;
}

Result<int> fetch_once(const store::Mailbox& m, AgentContext& ctx) {
  MC_RETURN_IF_ERROR(validate_mailbox(m));
  auto state = ctx.book.load(m.name);
  Result<int> n = 0;
  if (m.protocol == domain::Protocol::kPop3) {
    n = pop3_pass(m, ctx, state);
  } else {
    Imap imap(m);
    if (auto s = imap.connect(); !s)
      n = tl::unexpected(s.error());
    else if (auto s2 = imap.select(); !s2)
      n = tl::unexpected(s2.error());
    else
      n = imap_drain(m, ctx, imap, state);
  }
  if (n) {
    state.last_success = store::now_iso8601();
    state.last_error.clear();
  } else {
    state.last_error = n.error().message;
  }
  ctx.book.save(state);
  return n;
}

void run_agent(const store::Mailbox& m, AgentContext& ctx) {
  auto state = ctx.book.load(m.name);
  std::mt19937 rng(std::random_device{}());
  int failures = 0;
  auto set_status = [&](const std::string& s) {
    state.status = s;
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
        MC_RETURN_IF_ERROR(pop3_pass(m, ctx, state));
        failures = 0;
        state.last_error.clear();
        set_status("waiting (poll every " + std::to_string(m.poll_interval_s) + "s)");
        sleep_unless_stopped(ctx.stop, std::chrono::seconds(m.poll_interval_s));
        return {};
      }
      set_status("connecting");
      Imap imap(m);
      MC_RETURN_IF_ERROR(imap.connect());
      MC_RETURN_IF_ERROR(imap.select());
      const bool push = m.idle && imap.has("IDLE");
      while (!ctx.stop.load()) {
        MC_RETURN_IF_ERROR(imap_drain(m, ctx, imap, state));
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

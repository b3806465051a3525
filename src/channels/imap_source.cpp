#include "channels/imap_source.h"

#include <libetpan/libetpan.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <istream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <streambuf>
#include <utility>

#include "channels/net.h"
#include "util/text.h"

namespace mailcase::channels {
namespace {

// The most bytes of a UID SEARCH answer: 760,000 waiting mails of the longest UIDs (ten
// digits), a million of seven; what libetpan makes of it stays under some 200 MB whatever
// the server writes.
constexpr uint64_t kMaxSearchReplyBytes = 8ull << 20;

struct mailimap_search_key* unseen_key() {
  return mailimap_search_key_new(MAILIMAP_SEARCH_KEY_UNSEEN, nullptr, nullptr, nullptr, nullptr, nullptr,
                                 nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                 nullptr, 0, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, 0, nullptr,
                                 nullptr, nullptr);
}

}  // namespace

class ImapClient {
 public:
  // `batch`: the most mails one FETCH asks for (mailbox.fetch_batch), each up to
  // kFetchChunkBytes + 1 of its bytes: what one reply may hold.
  ImapClient(const store::Mailbox& m, size_t batch)
      : m_(m), ep_(endpoint_of(m, std::max<uint64_t>(batch, 1) * (kFetchChunkBytes + 4096))) {
    imap_ = mailimap_new(0, nullptr);
  }
  ~ImapClient() {
    if (connected_) mailimap_logout(imap_);
    mailimap_free(imap_);
  }
  ImapClient(const ImapClient&) = delete;
  ImapClient& operator=(const ImapClient&) = delete;

  Status connect() {
    MC_ASSIGN_OR_RETURN(auto stream, open_stream(ep_));
    screen_imap_replies(stream, true, m_.host);
    int rc = mailimap_connect(imap_, stream);
    if (rc != MAILIMAP_NO_ERROR_NON_AUTHENTICATED && rc != MAILIMAP_NO_ERROR_AUTHENTICATED)
      return fail(ErrorCode::kTemporary,
                  "IMAP greeting from " + m_.host + " failed (error " + std::to_string(rc) + ")" + says());
    connected_ = true;
    if (m_.tls == domain::TlsMode::kStartTls) {
      rc = mailimap_socket_starttls_with_callback(imap_, set_server_name_callback,
                                                  const_cast<char*>(m_.host.c_str()));
      if (rc != MAILIMAP_NO_ERROR)
        return fail(ErrorCode::kTemporary,
                    "STARTTLS with " + m_.host + " failed (error " + std::to_string(rc) + ")");
      MC_RETURN_IF_ERROR(verify_certificate(imap_->imap_stream, ep_));
      end_of_stream_is_an_error(imap_->imap_stream, ep_.bounds);
      screen_imap_replies(imap_->imap_stream, false, m_.host);
    }
    MC_RETURN_IF_ERROR(plaintext_auth_allowed(m_));
    Secret s;
    MC_ASSIGN_OR_RETURN(s.value, secret_of(m_));
    rc = m_.auth == domain::AuthMethod::kXOAuth2
             ? mailimap_oauth2_authenticate(imap_, m_.user.c_str(), s.value.c_str())
             : mailimap_login(imap_, m_.user.c_str(), s.value.c_str());
    if (rc != MAILIMAP_NO_ERROR)
      return fail(ErrorCode::kInvalidInput, "authentication as " + m_.user + " failed" + says());
    // libetpan's mailimap_capability copies the capabilities the server last announced
    // without checking there are any: a server that answers CAPABILITY without listing
    // them, and never listed them before, crashed it (found by fuzz/mailbox_reply_fuzz).
    // An empty list stands in until the server says otherwise (libetpan replaces it).
    if (imap_->imap_connection_info && !imap_->imap_connection_info->imap_capability) {
      clist* none = clist_new();
      if (!none) return fail(ErrorCode::kInternal, "out of memory");
      imap_->imap_connection_info->imap_capability = mailimap_capability_data_new(none);
      if (!imap_->imap_connection_info->imap_capability) {
        clist_free(none);
        return fail(ErrorCode::kInternal, "out of memory");
      }
    }
    struct mailimap_capability_data* caps = nullptr;
    if (imap_->imap_connection_info && mailimap_capability(imap_, &caps) == MAILIMAP_NO_ERROR && caps) {
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
      return fail(ErrorCode::kNotFound, "folder " + m_.folder + " cannot be opened" + says());
    uidvalidity_ = imap_->imap_selection_info ? imap_->imap_selection_info->sel_uidvalidity : 0;
    return {};
  }
  uint32_t uidvalidity() const { return uidvalidity_; }

  // UIDs waiting, by the mailbox's --after mode, ascending.
  Result<std::vector<uint32_t>> pending(int64_t last_uid) {
    std::set<uint32_t> out;
    auto search = [&](struct mailimap_search_key* key) -> Status {
      clist* result = nullptr;
      // libetpan holds each UID of the answer in a list cell of its own, some 40 bytes for
      // two of the answer's (" 1"): the answer has a bound of its own, far below a FETCH's.
      const uint64_t bound = set_reply_max_bytes(imap_->imap_stream, kMaxSearchReplyBytes);
      int rc = mailimap_uid_search(imap_, nullptr, key, &result);
      set_reply_max_bytes(imap_->imap_stream, bound);
      mailimap_search_key_free(key);
      if (rc != MAILIMAP_NO_ERROR) return fail(ErrorCode::kTemporary, "UID SEARCH failed" + says());
      for (clistiter* it = clist_begin(result); it; it = clist_next(it))
        out.insert(*static_cast<uint32_t*>(clist_content(it)));
      mailimap_search_result_free(result);
      return {};
    };
    if (m_.after.action == domain::AfterAction::kKeep) {
      // New by UID (n:* also returns the last mail: filtered below).
      auto* set = mailimap_set_new_interval(static_cast<uint32_t>(last_uid + 1), 0);
      MC_RETURN_IF_ERROR(search(mailimap_search_key_new_uid(set)));
      std::erase_if(out, [&](uint32_t u) { return u <= last_uid; });
    } else if (m_.after.action == domain::AfterAction::kSeen) {
      // New by UID, or unseen below them, in one search (one round trip, not two). The
      // range ends at the largest UID there can be, not at "*": n:* also matches the last
      // mail when it is below n, and a mail already seen cannot be told apart in the
      // answer, so it would be fetched again on every pass.
      if (last_uid >= UINT32_MAX) {
        MC_RETURN_IF_ERROR(search(unseen_key()));
      } else {
        auto* set = mailimap_set_new_interval(static_cast<uint32_t>(last_uid + 1), UINT32_MAX);
        MC_RETURN_IF_ERROR(
            search(mailimap_search_key_new_or(mailimap_search_key_new_uid(set), unseen_key())));
      }
    } else {
      // delete / move: whatever is in the folder is waiting.
      MC_RETURN_IF_ERROR(search(mailimap_search_key_new_all()));
    }
    return std::vector<uint32_t>(out.begin(), out.end());
  }

  // For each of `uids` still there: its size (RFC822.SIZE) and its first `head` bytes
  // (BODY.PEEK[]<0.head>, not setting \Seen), in one round trip; ascending by UID. A mail
  // of at most `head` bytes comes whole; at most `head` bytes of each are held.
  struct Head {
    uint32_t uid = 0;
    uint64_t size = 0;
    std::string bytes;
  };
  Result<std::vector<Head>> heads(const std::vector<uint32_t>& uids, uint32_t head) {
    std::vector<uint32_t> asked = uids;
    std::sort(asked.begin(), asked.end());
    return heads(make_set(uids), head,
                 [&asked](uint32_t uid) { return std::binary_search(asked.begin(), asked.end(), uid); });
  }
  // The same for the mails whose UIDs are in [first, last] (at most last - first + 1).
  Result<std::vector<Head>> heads_in(uint32_t first, uint32_t last, uint32_t head) {
    return heads(mailimap_set_new_interval(first, last), head,
                 [first, last](uint32_t uid) { return uid >= first && uid <= last; });
  }
  // Takes `set`. An answer for a UID not `asked` for, or for one answered already, is
  // dropped: a server's answer names the mails taken, never more.
  Result<std::vector<Head>> heads(struct mailimap_set* set, uint32_t head,
                                  const std::function<bool(uint32_t)>& asked) {
    struct mailimap_fetch_type* ft = mailimap_fetch_type_new_fetch_att_list_empty();
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
    mailimap_fetch_type_new_fetch_att_list_add(
        ft, mailimap_fetch_att_new_body_peek_section_partial(mailimap_section_new(nullptr), 0, head));
    clist* result = nullptr;
    int rc = mailimap_uid_fetch(imap_, set, ft, &result);
    mailimap_fetch_type_free(ft);
    mailimap_set_free(set);
    if (rc != MAILIMAP_NO_ERROR) return fail(ErrorCode::kTemporary, "UID FETCH failed" + says());
    std::vector<Head> out;
    for (clistiter* it = clist_begin(result); it; it = clist_next(it)) {
      auto* msg = static_cast<struct mailimap_msg_att*>(clist_content(it));
      Head h;
      std::optional<uint64_t> size;
      bool has_body = false;
      for (clistiter* a = clist_begin(msg->att_list); a; a = clist_next(a)) {
        auto* item = static_cast<struct mailimap_msg_att_item*>(clist_content(a));
        if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC) continue;
        auto* st = item->att_data.att_static;
        if (st->att_type == MAILIMAP_MSG_ATT_UID) h.uid = st->att_data.att_uid;
        if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE) size = st->att_data.att_rfc822_size;
        if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION) {
          const auto* body = st->att_data.att_body_section;
          // A server answering more than was asked is cut to what was asked.
          if (body->sec_body_part)
            h.bytes.assign(body->sec_body_part, std::min<size_t>(body->sec_length, head));
          has_body = true;
        }
      }
      if (h.uid == 0 || !size || !has_body || !asked(h.uid)) continue;
      h.size = *size;
      out.push_back(std::move(h));
    }
    mailimap_fetch_list_free(result);
    std::stable_sort(out.begin(), out.end(), [](const Head& a, const Head& b) { return a.uid < b.uid; });
    out.erase(
        std::unique(out.begin(), out.end(), [](const Head& a, const Head& b) { return a.uid == b.uid; }),
        out.end());
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
        return fail(ErrorCode::kTemporary, "moving mail to " + folder + " failed" + says());
      if (has("MOVE")) return {};
    }
    // delete, and the second half of COPY + EXPUNGE.
    MC_RETURN_IF_ERROR(add_flag(uids, mailimap_flag_new_deleted()));
    struct mailimap_set* set = make_set(uids);
    int rc = has("UIDPLUS") ? mailimap_uid_expunge(imap_, set) : mailimap_expunge(imap_);
    mailimap_set_free(set);
    if (rc != MAILIMAP_NO_ERROR) return fail(ErrorCode::kTemporary, "EXPUNGE failed" + says());
    return {};
  }

  // Waits in IDLE until the server reports something, `max` passes or stop is set.
  // Returns true when the server spoke.
  Result<bool> idle(const std::atomic<bool>& stop, std::chrono::seconds max) {
    int rc = mailimap_idle(imap_);
    if (rc != MAILIMAP_NO_ERROR) return fail(ErrorCode::kTemporary, "IDLE failed" + says());
    if (mailstream_setup_idle(imap_->imap_stream) != 0)
      return fail(ErrorCode::kTemporary, "cannot wait in IDLE");
    bool spoke = false;
    bool broken = false;
    notice_.reset();
    auto end = std::chrono::steady_clock::now() + max;
    while (!stop.load() && std::chrono::steady_clock::now() < end) {
      // The server's first notification may have come in the same read as its "+ idling"
      // and sit in libetpan's buffer, where waiting on the socket would not see it.
      if (imap_->imap_stream->read_buffer_len > 0 || reply_bytes_held(imap_->imap_stream)) {
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
    // Stamped the moment the server's notice is seen, before DONE and its reply: the push
    // delay from here to the commit is mailcase's own.
    if (spoke) notice_ = PushNotice{std::chrono::steady_clock::now(), std::chrono::system_clock::now()};
    mailstream_unsetup_idle(imap_->imap_stream);
    if (broken) return fail(ErrorCode::kTemporary, "the connection broke during IDLE");
    rc = mailimap_idle_done(imap_);
    if (rc != MAILIMAP_NO_ERROR) return fail(ErrorCode::kTemporary, "ending IDLE failed" + says());
    return spoke;
  }

  // When the server last spoke in IDLE (nullopt: the last IDLE ended without a word).
  const std::optional<PushNotice>& notice() const { return notice_; }

  Status noop() {
    if (mailimap_noop(imap_) != MAILIMAP_NO_ERROR)
      return fail(ErrorCode::kTemporary, "the connection broke (NOOP failed)");
    return {};
  }

  // Sizes (RFC822.SIZE) by UID, of those of `uids` still there.
  Result<std::map<uint32_t, uint64_t>> sizes(const std::vector<uint32_t>& uids) {
    struct mailimap_set* set = make_set(uids);
    struct mailimap_fetch_type* ft = mailimap_fetch_type_new_fetch_att_list_empty();
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
    clist* result = nullptr;
    int rc = mailimap_uid_fetch(imap_, set, ft, &result);
    mailimap_fetch_type_free(ft);
    mailimap_set_free(set);
    if (rc != MAILIMAP_NO_ERROR) return fail(ErrorCode::kTemporary, "UID FETCH RFC822.SIZE failed" + says());
    std::vector<uint32_t> asked = uids;
    std::sort(asked.begin(), asked.end());
    std::map<uint32_t, uint64_t> out;
    for (clistiter* it = clist_begin(result); it; it = clist_next(it)) {
      auto* msg = static_cast<struct mailimap_msg_att*>(clist_content(it));
      uint32_t uid = 0;
      std::optional<uint64_t> size;
      for (clistiter* a = clist_begin(msg->att_list); a; a = clist_next(a)) {
        auto* item = static_cast<struct mailimap_msg_att_item*>(clist_content(a));
        if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC) continue;
        auto* st = item->att_data.att_static;
        if (st->att_type == MAILIMAP_MSG_ATT_UID) uid = st->att_data.att_uid;
        if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE) size = st->att_data.att_rfc822_size;
      }
      // Only the UIDs asked for, each once (the first answer).
      if (uid != 0 && size && std::binary_search(asked.begin(), asked.end(), uid)) out.emplace(uid, *size);
    }
    mailimap_fetch_list_free(result);
    return out;
  }

  // Up to `length` bytes of the mail from `offset` (BODY.PEEK[]<offset.length>, not
  // setting \Seen); fewer at its end, none past it.
  Result<std::string> fetch_part(uint32_t uid, uint32_t offset, uint32_t length) {
    struct mailimap_set* set = mailimap_set_new_single(uid);
    struct mailimap_fetch_type* ft = mailimap_fetch_type_new_fetch_att_list_empty();
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
    mailimap_fetch_type_new_fetch_att_list_add(
        ft, mailimap_fetch_att_new_body_peek_section_partial(mailimap_section_new(nullptr), offset, length));
    clist* result = nullptr;
    int rc = mailimap_uid_fetch(imap_, set, ft, &result);
    mailimap_fetch_type_free(ft);
    mailimap_set_free(set);
    if (rc != MAILIMAP_NO_ERROR)
      return fail(ErrorCode::kTemporary, "UID FETCH " + std::to_string(uid) + " BODY.PEEK[]<" +
                                             std::to_string(offset) + "> failed" + says());
    std::string out;
    bool found = false;
    for (clistiter* it = clist_begin(result); it && !found; it = clist_next(it)) {
      auto* msg = static_cast<struct mailimap_msg_att*>(clist_content(it));
      uint32_t got_uid = 0;
      const struct mailimap_msg_att_body_section* body = nullptr;
      for (clistiter* a = clist_begin(msg->att_list); a; a = clist_next(a)) {
        auto* item = static_cast<struct mailimap_msg_att_item*>(clist_content(a));
        if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC) continue;
        auto* st = item->att_data.att_static;
        if (st->att_type == MAILIMAP_MSG_ATT_UID) got_uid = st->att_data.att_uid;
        if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION) body = st->att_data.att_body_section;
      }
      if (got_uid != uid || !body) continue;
      found = true;
      // A server answering more than was asked is cut to what was asked.
      if (body->sec_body_part) out.assign(body->sec_body_part, std::min<size_t>(body->sec_length, length));
    }
    mailimap_fetch_list_free(result);
    if (!found)
      return fail(ErrorCode::kNotFound, "mail " + std::to_string(uid) + " is no longer on the server");
    return out;
  }

 private:
  // What the server said to the last command, or why its reply was refused unread.
  std::string says() const {
    if (auto refused = refused_reply(imap_->imap_stream)) return ": " + *refused;
    return server_says(imap_->imap_response);
  }
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
    if (rc != MAILIMAP_NO_ERROR) return fail(ErrorCode::kTemporary, "UID STORE failed" + says());
    return {};
  }

  const store::Mailbox& m_;
  Endpoint ep_;
  mailimap* imap_ = nullptr;
  bool connected_ = false;
  std::vector<std::string> capabilities_;
  uint32_t uidvalidity_ = 0;
  std::optional<PushNotice> notice_;
};

namespace {

// A mail read from the server in partial fetches of kFetchChunkBytes as the spool asks
// for them, so that no more than one chunk of it is in memory. A failed fetch makes the
// stream bad (the exception is caught by std::istream), so that a mail cut short is
// never committed. Reads at most `cap` bytes: a server that sends more than it said is
// not followed further (the spool then finds the mail over the limit).
class ImapBodyBuf final : public std::streambuf {
 public:
  ImapBodyBuf(ImapClient& imap, uint32_t uid, uint64_t cap) : imap_(imap), uid_(uid), cap_(cap) {}
  const std::optional<Error>& error() const { return error_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (done_ || offset_ >= cap_) return traits_type::eof();
    const auto want = static_cast<uint32_t>(std::min<uint64_t>(kFetchChunkBytes, cap_ - offset_));
    auto part = imap_.fetch_part(uid_, static_cast<uint32_t>(offset_), want);
    if (!part) {
      error_ = part.error();
      throw std::runtime_error(part.error().message);
    }
    buf_ = std::move(*part);
    offset_ += buf_.size();
    if (buf_.size() < want) done_ = true;
    if (buf_.empty()) return traits_type::eof();
    setg(buf_.data(), buf_.data(), buf_.data() + buf_.size());
    return traits_type::to_int_type(*gptr());
  }

 private:
  ImapClient& imap_;
  uint32_t uid_;
  uint64_t cap_;
  uint64_t offset_ = 0;
  bool done_ = false;
  std::string buf_;
  std::optional<Error> error_;
};

std::string left_key(uint32_t uidvalidity, uint32_t uid) {
  return std::to_string(uidvalidity) + ":" + std::to_string(uid);
}

ingest::Envelope envelope_of(const store::Mailbox& m) {
  return ingest::Envelope{
      "imap:" + m.name, m.address.empty() ? std::vector<std::string>{} : std::vector<std::string>{m.address}};
}

// Streams one mail to the sink.
Result<ingest::Outcome> deliver_streamed(ImapClient& imap, ingest::MailSink& sink, const store::Mailbox& m,
                                         uint32_t uid, uint64_t limit) {
  ImapBodyBuf buf(imap, uid, limit + 1);
  std::istream in(&buf);
  auto r = sink.deliver_stream(in, envelope_of(m));
  if (buf.error()) return tl::unexpected(*buf.error());  // never reached committed: the stream was bad
  return r;
}

}  // namespace

Result<ProbeReport> probe_imap(const store::Mailbox& m, const store::MailboxState& state) {
  ImapClient imap(m, 1);
  MC_RETURN_IF_ERROR(imap.connect());
  ProbeReport r;
  r.capabilities = imap.capabilities();
  MC_RETURN_IF_ERROR(imap.select());
  int64_t last = state.uidvalidity == imap.uidvalidity() ? state.last_uid : 0;
  MC_ASSIGN_OR_RETURN(auto uids, imap.pending(last));
  r.waiting = static_cast<int64_t>(uids.size());
  return r;
}

void record_push(store::MailboxState& state, const PushNotice& notice,
                 std::chrono::steady_clock::time_point done, size_t committed) {
  if (committed == 0) return;
  state.push_count += static_cast<int64_t>(committed);
  state.push_last_ms = std::chrono::duration<double, std::milli>(done - notice.steady).count();
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(notice.wall.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(us % 1000000));
  state.push_last_notice_at = buf;
  spdlog::debug("mailbox {}: push: notice→commit {:.1f} ms ({} mails)", state.name, state.push_last_ms,
                committed);
}

ImapSource::ImapSource(const store::Mailbox& m, AgentContext& ctx, store::MailboxState& state)
    : m_(m), ctx_(ctx), state_(state), client_(std::make_unique<ImapClient>(m, ctx.batch)) {}

ImapSource::~ImapSource() = default;

Status ImapSource::open() {
  if (open_) return {};
  MC_RETURN_IF_ERROR(client_->connect());
  MC_RETURN_IF_ERROR(client_->select());
  open_ = true;
  return {};
}

bool ImapSource::has(std::string_view capability) const {
  return client_->has(capability);
}
const std::vector<std::string>& ImapSource::capabilities() const {
  return client_->capabilities();
}

Result<bool> ImapSource::idle(const std::atomic<bool>& stop, std::chrono::seconds max) {
  auto spoke = client_->idle(stop, max);
  notice_ = spoke && *spoke ? client_->notice() : std::nullopt;
  return spoke;
}

Status ImapSource::noop() {
  return client_->noop();
}

Result<SourceReport> ImapSource::run(const std::atomic<bool>& stop) {
  MC_RETURN_IF_ERROR(open());
  ImapClient& imap = *client_;
  store::MailboxState& state = state_;
  if (state.uidvalidity != imap.uidvalidity()) {
    // A new UIDVALIDITY means every UID we knew is void: start over; dedupe keeps it once.
    if (state.uidvalidity != 0) spdlog::info("mailbox {}: UIDVALIDITY changed, rescanning", m_.name);
    state.uidvalidity = imap.uidvalidity();
    state.last_uid = 0;
  }
  const uint32_t uidvalidity = imap.uidvalidity();
  const uint64_t limit = ctx_.max_message_bytes;
  std::set<std::string> left = ctx_.book.left_keys(m_.name);
  SourceReport report;
  // Only the mails fetched first count as brought by the notice that woke this pass:
  // later searches find mails that came after it.
  std::optional<PushNotice> notice = std::exchange(notice_, std::nullopt);
  // Records and acknowledges one chunk of mails (their sizes and first bytes), then saves
  // the state with `backlog` mails still waiting.
  auto take = [&](std::vector<ImapClient::Head> heads, int64_t backlog) -> Status {
    std::map<uint32_t, uint64_t> sizes;
    std::vector<uint32_t> small, large, over;
    std::vector<ingest::RawMail> mails;
    for (auto& h : heads) {
      sizes[h.uid] = h.size;
      if (h.size > limit) {
        over.push_back(h.uid);
      } else if (h.size > kFetchChunkBytes || h.bytes.size() > kFetchChunkBytes) {
        large.push_back(h.uid);
      } else {
        small.push_back(h.uid);
        mails.push_back(ingest::RawMail{std::move(h.bytes), envelope_of(m_)});
      }
    }
    heads.clear();
    std::vector<uint32_t> committed;
    std::optional<Error> first_error;
    auto count = [&](uint32_t uid, const Result<ingest::Outcome>& r) {
      report.add(r);
      if (r)
        committed.push_back(uid);
      else if (!first_error)
        first_error = r.error();
    };
    for (uint32_t u : over) {
      // Its first bytes become its failed record; the mail stays on the server as it is.
      auto head = imap.fetch_part(u, 0, static_cast<uint32_t>(ingest::oversize_head_bytes(limit)));
      if (!head && head.error().code == ErrorCode::kNotFound) continue;  // expunged meanwhile
      if (!head) return tl::unexpected(head.error());
      MC_ASSIGN_OR_RETURN(auto prepared, ctx_.sink.prepare(*head, envelope_of(m_), sizes[u]));
      std::vector<std::unique_ptr<ingest::PreparedMail>> one;
      one.push_back(std::move(prepared));
      auto r = std::move(ctx_.sink.deliver_prepared(std::move(one)).front());
      if (!r) return tl::unexpected(r.error());
      ctx_.book.add_left(
          store::LeftMail{r->message_id, m_.name, left_key(uidvalidity, u), static_cast<int64_t>(sizes[u])});
      left.insert(left_key(uidvalidity, u));
      ++report.left_at_source;
      spdlog::warn("mailbox {}: mail {} left on the server: {} (message {})", m_.name, u,
                   over_limit_reason(sizes[u], limit), r->message_id);
    }
    if (!small.empty()) {
      auto results = ctx_.sink.deliver_batch(mails);
      mails.clear();
      for (size_t i = 0; i < results.size(); ++i) count(small[i], results[i]);
    }
    std::vector<uint32_t> streamed_over;
    for (uint32_t u : large) {
      auto r = deliver_streamed(imap, ctx_.sink, m_, u, limit);
      if (r && r->too_large) {
        // The server said less than the mail holds, and it is over the limit: like a mail
        // whose size said so, it stays on the server untouched (never acknowledged: under
        // --after delete that lost it), recorded once by its head.
        const auto size = std::max<uint64_t>(sizes[u], limit + 1);
        ctx_.book.add_left(
            store::LeftMail{r->message_id, m_.name, left_key(uidvalidity, u), static_cast<int64_t>(size)});
        left.insert(left_key(uidvalidity, u));
        ++report.left_at_source;
        streamed_over.push_back(u);
        spdlog::warn(
            "mailbox {}: mail {} left on the server: its size was given as {} bytes, but it is over "
            "limits.max_message_bytes ({}) (message {})",
            m_.name, u, sizes[u], limit, r->message_id);
        continue;
      }
      count(u, r);
    }
    std::erase_if(large, [&](uint32_t u) {
      return std::find(streamed_over.begin(), streamed_over.end(), u) != streamed_over.end();
    });
    if (notice) record_push(state, *notice, std::chrono::steady_clock::now(), committed.size());
    std::sort(committed.begin(), committed.end());
    if (first_error && committed.empty() && over.empty() && streamed_over.empty())
      return tl::unexpected(*first_error);
    if (first_error)
      spdlog::warn("mailbox {}: {} mails left on the server: {}", m_.name,
                   small.size() + large.size() - committed.size(), first_error->message);
    MC_RETURN_IF_ERROR(imap.acknowledge(committed));
    // The last UID passes no mail that failed to be recorded: under --after keep the next
    // pass searches above it alone, and a failed mail below it would never come again.
    uint32_t first_failed = UINT32_MAX;
    for (const auto* tried : {&small, &large})
      for (uint32_t u : *tried)
        if (u < first_failed && !std::binary_search(committed.begin(), committed.end(), u)) first_failed = u;
    for (auto it = committed.rbegin(); it != committed.rend(); ++it) {
      if (*it < first_failed) {
        state.last_uid = std::max<int64_t>(state.last_uid, *it);
        break;
      }
    }
    state.backlog = backlog;
    state.last_success = store::now_iso8601();
    ctx_.book.save(state);
    // What was recorded is saved; a mail that was not ends the pass, to be tried again by
    // the next one after the agent's backoff (searching on would find it again at once).
    if (first_error) return tl::unexpected(*first_error);
    return {};
  };
  const auto head_bytes = static_cast<uint32_t>(kFetchChunkBytes + 1);
  // Woken by a notice: what it announced is new, above the last UID committed, so the
  // next `batch` UIDs are fetched at once, without a search first (one round trip from
  // the end of IDLE to the mails' bytes). Whatever else waits is found by the searches
  // below; a UID never used comes back as nothing.
  if (notice && state.last_uid < UINT32_MAX && !stop.load()) {
    const auto first = static_cast<uint32_t>(state.last_uid + 1);
    const auto last = static_cast<uint32_t>(std::min<int64_t>(
        UINT32_MAX, state.last_uid + static_cast<int64_t>(std::max<size_t>(ctx_.batch, 1))));
    MC_ASSIGN_OR_RETURN(auto heads, imap.heads_in(first, last, head_bytes));
    std::erase_if(heads,
                  [&](const ImapClient::Head& h) { return left.contains(left_key(uidvalidity, h.uid)); });
    if (!heads.empty()) MC_RETURN_IF_ERROR(take(std::move(heads), 0));
  }
  notice.reset();
  // Searches again until a search finds nothing new: the server may announce a mail that
  // arrives meanwhile in the reply to any command, where it would be lost to IDLE.
  // Ending on an empty search means whatever comes later is announced inside IDLE.
  while (!stop.load()) {
    MC_ASSIGN_OR_RETURN(auto found, imap.pending(state.last_uid));
    std::vector<uint32_t> uids;
    for (uint32_t u : found) {
      if (!left.contains(left_key(uidvalidity, u))) uids.push_back(u);
    }
    state.backlog = static_cast<int64_t>(uids.size());
    if (uids.empty()) break;
    for (size_t start = 0; start < uids.size() && !stop.load(); start += ctx_.batch) {
      std::vector<uint32_t> chunk(
          uids.begin() + static_cast<ptrdiff_t>(start),
          uids.begin() + static_cast<ptrdiff_t>(std::min(uids.size(), start + ctx_.batch)));
      // Sizes and the first bytes in one round trip: a mail of up to kFetchChunkBytes
      // comes whole with its size; what is over the limit is recorded from its head and
      // left, what is larger is streamed. One byte more than a chunk is asked for, so that
      // a mail whose size the server understated is streamed, never committed cut short.
      MC_ASSIGN_OR_RETURN(auto heads, imap.heads(chunk, head_bytes));
      MC_RETURN_IF_ERROR(take(
          std::move(heads), static_cast<int64_t>(uids.size() - std::min(uids.size(), start + chunk.size()))));
    }
  }
  report.stopped = stop.load();
  return report;
}

Result<ingest::Outcome> ImapSource::fetch_left(
    const store::LeftMail& left, const std::function<Status(const ingest::Outcome&)>& on_recorded) {
  MC_RETURN_IF_ERROR(open());
  ImapClient& imap = *client_;
  unsigned long long validity = 0, uid = 0;
  if (std::sscanf(left.key.c_str(), "%llu:%llu", &validity, &uid) != 2 || uid == 0 || uid > UINT32_MAX)
    return fail(ErrorCode::kInvalidInput, "not an IMAP mail: " + left.key);
  if (validity != imap.uidvalidity())
    return fail(ErrorCode::kNotFound, "the folder " + m_.folder + " of mailbox " + m_.name +
                                          " was renumbered (UIDVALIDITY changed): the mail cannot be found "
                                          "again; the mailbox's next pass fetches it if it is still there");
  const auto u = static_cast<uint32_t>(uid);
  MC_ASSIGN_OR_RETURN(auto sizes, imap.sizes({u}));
  if (!sizes.contains(u))
    return fail(ErrorCode::kNotFound,
                "mail " + left.key + " is no longer in " + m_.folder + " of mailbox " + m_.name);
  if (auto why = over_limit_reason(sizes[u], ctx_.max_message_bytes); !why.empty())
    return fail(ErrorCode::kInvalidInput, why + ": raise the limit first");
  MC_ASSIGN_OR_RETURN(auto outcome, deliver_streamed(imap, ctx_.sink, m_, u, ctx_.max_message_bytes));
  MC_RETURN_IF_ERROR(on_recorded(outcome));
  MC_RETURN_IF_ERROR(imap.acknowledge({u}));
  return outcome;
}

}  // namespace mailcase::channels

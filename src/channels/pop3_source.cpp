#include "channels/pop3_source.h"

#include <libetpan/libetpan.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <string_view>
#include <vector>

#include "channels/net.h"

namespace mailcase::channels {
namespace {

class Pop3Client {
 public:
  // `max_mail`: limits.max_message_bytes, what one RETR reply may hold once its lines
  // are unstuffed (a stuffed line is at most a third longer).
  Pop3Client(const store::Mailbox& m, uint64_t max_mail)
      : m_(m), ep_(endpoint_of(m, max_mail + max_mail / 2 + kMaxStatusLine)) {
    pop_ = mailpop3_new(0, nullptr);
  }
  ~Pop3Client() {
    if (connected_ && !quit_) mailpop3_quit(pop_);  // harmless: without QUIT nothing is deleted
    mailpop3_free(pop_);
  }
  Pop3Client(const Pop3Client&) = delete;
  Pop3Client& operator=(const Pop3Client&) = delete;

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
      end_of_stream_is_an_error(pop_->pop3_stream, ep_.bounds);
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
    uint64_t size;  // as LIST says
  };
  // Every command after login is ours, not libetpan's: its LIST/UIDL parsing indexes
  // its table by the server's message numbers unchecked (a UIDL line not starting with
  // a listed number crashed it: found by fuzz/mailbox_reply_fuzz), and its TOP, RETR and
  // DELE go through that table. Ours: one command line out, a status line back, and for
  // LIST, UIDL, TOP and RETR a multi-line reply (RFC 1939) read line by line, bounded.
  Result<std::vector<Item>> list() {
    std::vector<Item> out;
    std::map<unsigned, size_t> at;  // message number -> position in out
    MC_RETURN_IF_ERROR(command("LIST"));
    MC_RETURN_IF_ERROR(multiline(kMaxListBytes, [&](std::string_view line) -> Status {
      unsigned n = 0;
      uint64_t size = 0;
      if (!parse_pair(line, n, size) || n == 0 || at.contains(n)) return {};  // not a listing: ignored
      at[n] = out.size();
      out.push_back(Item{n, "", size});
      return {};
    }));
    // A server without UIDL: mails have no UIDL (--after keep then fetches them again).
    if (!command("UIDL")) return out;
    MC_RETURN_IF_ERROR(multiline(kMaxListBytes, [&](std::string_view line) -> Status {
      const auto sp = line.find(' ');
      if (sp == std::string_view::npos) return {};
      unsigned n = 0;
      auto [end, ec] = std::from_chars(line.data(), line.data() + sp, n);
      auto it = at.find(n);
      if (ec != std::errc() || end != line.data() + sp || it == at.end()) return {};
      std::string_view uidl = line.substr(sp + 1);
      // RFC 1939: 1 to 70 characters 0x21-0x7E.
      if (uidl.empty() || uidl.size() > 70 ||
          !std::all_of(uidl.begin(), uidl.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
        return {};
      out[it->second].uidl = std::string(uidl);
      return {};
    }));
    return out;
  }
  // The whole mail in memory (not streamed, unlike IMAP: one mail of at most `max` bytes
  // at a time, LIST's size checked first); a mail longer than `max` is an error (the
  // server said less), unless `full` is given: the rest of it is then read and dropped
  // (up to twice `max`, past which it is an error), only its first `head` bytes are
  // returned, and *full is its size. The connection is then ready for the next command.
  Result<std::string> retr(unsigned index, uint64_t max, uint64_t* full = nullptr, size_t head = 0) {
    MC_RETURN_IF_ERROR(command("RETR " + std::to_string(index)));
    std::string out;
    uint64_t total = 0;
    MC_RETURN_IF_ERROR(multiline(full ? 2 * max : max, [&](std::string_view line) -> Status {
      total += line.size() + 2;
      if (total <= max) {
        out.append(line);
        out.append("\r\n");
      } else if (out.size() > head) {
        out.resize(head);
      }
      return {};
    }));
    if (full) *full = total;
    return out;
  }
  // The mail's header (TOP n 0), cut to `max` bytes; a header past `bound` is an error.
  Result<std::string> top(unsigned index, size_t max, uint64_t bound) {
    MC_RETURN_IF_ERROR(command("TOP " + std::to_string(index) + " 0"));
    std::string out;
    MC_RETURN_IF_ERROR(multiline(bound, [&](std::string_view line) -> Status {
      if (out.size() < max) {
        out.append(line);
        out.append("\r\n");
        if (out.size() > max) out.resize(max);
      }
      return {};
    }));
    return out;
  }
  Status dele(unsigned index) { return command("DELE " + std::to_string(index)); }
  Status quit() {
    quit_ = true;
    if (mailpop3_quit(pop_) != MAILPOP3_NO_ERROR)
      return fail(ErrorCode::kTemporary, "QUIT failed: deletions not applied");
    return {};
  }

 private:
  static constexpr size_t kMaxStatusLine = 4096;       // RFC 1939 says 512
  static constexpr uint64_t kMaxListBytes = 64 << 20;  // LIST or UIDL of a million mails

  static bool parse_pair(std::string_view line, unsigned& n, uint64_t& v) {
    const auto sp = line.find(' ');
    if (sp == std::string_view::npos) return false;
    auto a = std::from_chars(line.data(), line.data() + sp, n);
    if (a.ec != std::errc() || a.ptr != line.data() + sp) return false;
    auto rest = line.substr(sp + 1);
    rest = rest.substr(0, rest.find(' '));  // "N SIZE" may have more after it
    auto b = std::from_chars(rest.data(), rest.data() + rest.size(), v);
    return b.ec == std::errc() && b.ptr == rest.data() + rest.size();
  }

  // One line without its CRLF (or LF); an error past `max` bytes or when the connection
  // ends first.
  Status read_line(std::string& line, uint64_t max) {
    line.clear();
    char c = 0;
    while (true) {
      if (mailstream_read(pop_->pop3_stream, &c, 1) != 1)
        return fail(ErrorCode::kTemporary, "the POP3 connection ended in a reply");
      if (c == '\n') break;
      if (line.size() >= max) return fail(ErrorCode::kTemporary, "a POP3 reply line is too long");
      line.push_back(c);
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return {};
  }

  // Sends a command, reads its status line: "+OK" or an error with the server's words.
  Status command(const std::string& cmd) {
    const std::string out = cmd + "\r\n";
    if (mailstream_write(pop_->pop3_stream, out.data(), out.size()) != static_cast<ssize_t>(out.size()) ||
        mailstream_flush(pop_->pop3_stream) != 0)
      return fail(ErrorCode::kTemporary, "the POP3 connection broke (" + cmd + ")");
    std::string line;
    MC_RETURN_IF_ERROR(read_line(line, kMaxStatusLine));
    if (line.starts_with("+OK")) return {};
    return fail(ErrorCode::kTemporary, cmd + " failed" + server_says(line.c_str()));
  }

  // The lines of a multi-line reply up to its "." (dot-unstuffed), at most `max` bytes
  // in all.
  template <typename F>
  Status multiline(uint64_t max, F&& each) {
    std::string line;
    uint64_t total = 0;
    while (true) {
      MC_RETURN_IF_ERROR(read_line(line, max));
      if (line == ".") return {};
      std::string_view l = line;
      if (l.starts_with('.')) l.remove_prefix(1);
      total += l.size() + 2;
      if (total > max) return fail(ErrorCode::kTemporary, "a POP3 reply is longer than expected");
      MC_RETURN_IF_ERROR(each(l));
    }
  }

  const store::Mailbox& m_;
  Endpoint ep_;
  mailpop3* pop_ = nullptr;
  bool connected_ = false;
  bool quit_ = false;
  std::vector<std::string> capabilities_;
};

std::string left_key(const std::string& uidl) {
  return "uidl:" + uidl;
}

ingest::Envelope envelope_of(const store::Mailbox& m) {
  return ingest::Envelope{
      "pop3:" + m.name, m.address.empty() ? std::vector<std::string>{} : std::vector<std::string>{m.address}};
}

// The --after action for a committed mail: DELE (applied at QUIT) or remembering its UIDL.
Status acknowledge(Pop3Client& pop, AgentContext& ctx, const store::Mailbox& m,
                   const Pop3Client::Item& item) {
  if (m.after.action == domain::AfterAction::kDelete) return pop.dele(item.index);
  if (!item.uidl.empty()) ctx.book.add_pop3_seen(m.name, item.uidl);
  return {};
}

}  // namespace

Result<SourceReport> Pop3Source::run(const std::atomic<bool>& stop) {
  const store::Mailbox& m = m_;
  const uint64_t limit = ctx_.max_message_bytes;
  Pop3Client pop(m, limit);
  MC_RETURN_IF_ERROR(pop.connect());
  MC_ASSIGN_OR_RETURN(auto items, pop.list());
  const std::set<std::string> left = ctx_.book.left_keys(m.name);
  std::vector<Pop3Client::Item> waiting;
  for (const auto& it : items) {
    if (!it.uidl.empty() && left.contains(left_key(it.uidl))) continue;
    if (m.after.action == domain::AfterAction::kKeep && !it.uidl.empty() &&
        ctx_.book.pop3_seen(m.name, it.uidl))
      continue;
    waiting.push_back(it);
  }
  state_.backlog = static_cast<int64_t>(waiting.size());
  SourceReport report;
  // Mails of up to kFetchChunkBytes are committed ctx.batch at a time; a larger one is
  // committed alone, so that at most one large mail is in memory.
  std::vector<ingest::RawMail> mails;
  std::vector<Pop3Client::Item> batch;
  auto flush = [&]() -> Status {
    if (mails.empty()) return {};
    auto results = ctx_.sink.deliver_batch(mails);
    for (size_t i = 0; i < results.size(); ++i) {
      report.add(results[i]);
      if (results[i]) MC_RETURN_IF_ERROR(acknowledge(pop, ctx_, m, batch[i]));  // else: comes again
    }
    mails.clear();
    batch.clear();
    return {};
  };
  // A mail over the limit: `head` (its first bytes) becomes its failed record, and the
  // mail stays on the server as it is, skipped by later passes.
  auto leave = [&](const Pop3Client::Item& item, const std::string& head, uint64_t size) -> Status {
    if (item.uidl.empty()) {
      // Without a UIDL it could not be found again: left alone, said each pass.
      spdlog::warn("mailbox {}: mail {} left on the server: {} (the server gives it no UIDL)", m.name,
                   item.index, over_limit_reason(size, limit));
      ++report.left_at_source;
      return {};
    }
    MC_ASSIGN_OR_RETURN(auto prepared, ctx_.sink.prepare(head, envelope_of(m), size));
    std::vector<std::unique_ptr<ingest::PreparedMail>> one;
    one.push_back(std::move(prepared));
    auto r = std::move(ctx_.sink.deliver_prepared(std::move(one)).front());
    if (!r) return tl::unexpected(r.error());
    ctx_.book.add_left(
        store::LeftMail{r->message_id, m.name, left_key(item.uidl), static_cast<int64_t>(size)});
    ++report.left_at_source;
    spdlog::warn("mailbox {}: mail {} left on the server: {} (message {})", m.name, item.uidl,
                 over_limit_reason(size, limit), r->message_id);
    return {};
  };
  size_t done = 0;
  for (const auto& item : waiting) {
    if (stop.load()) break;
    ++done;
    if (item.size > limit) {
      std::string head;  // its header (a mail without a UIDL is not recorded: no need)
      if (!item.uidl.empty()) {
        MC_ASSIGN_OR_RETURN(head, pop.top(item.index, ingest::oversize_head_bytes(limit), limit));
      }
      MC_RETURN_IF_ERROR(leave(item, head, item.size));
      continue;
    }
    // A mail LIST said was within the limit but RETR finds over it is left the same way,
    // by its first bytes: as an error it stopped every pass there, and the mails after it
    // never came.
    uint64_t full = 0;
    if (item.size > kFetchChunkBytes) {
      MC_RETURN_IF_ERROR(flush());
      MC_ASSIGN_OR_RETURN(auto bytes, pop.retr(item.index, limit, &full, ingest::oversize_head_bytes(limit)));
      if (full > limit) {
        MC_RETURN_IF_ERROR(leave(item, bytes, full));
        continue;
      }
      auto r = ctx_.sink.deliver(bytes, envelope_of(m));
      report.add(r);
      if (r) MC_RETURN_IF_ERROR(acknowledge(pop, ctx_, m, item));
    } else {
      MC_ASSIGN_OR_RETURN(auto bytes, pop.retr(item.index, limit, &full, ingest::oversize_head_bytes(limit)));
      if (full > limit) {
        MC_RETURN_IF_ERROR(leave(item, bytes, full));
        continue;
      }
      if (bytes.size() > kFetchChunkBytes) {
        // LIST said less than RETR gave: held alone, as a large mail is, never kept with
        // the batch (whose mails could otherwise each hold up to the size limit).
        MC_RETURN_IF_ERROR(flush());
        auto r = ctx_.sink.deliver(bytes, envelope_of(m));
        report.add(r);
        if (r) MC_RETURN_IF_ERROR(acknowledge(pop, ctx_, m, item));
        state_.backlog = static_cast<int64_t>(waiting.size() - done);
        continue;
      }
      mails.push_back(ingest::RawMail{std::move(bytes), envelope_of(m)});
      batch.push_back(item);
      if (mails.size() >= ctx_.batch) MC_RETURN_IF_ERROR(flush());
    }
    state_.backlog = static_cast<int64_t>(waiting.size() - done);
  }
  MC_RETURN_IF_ERROR(flush());
  MC_RETURN_IF_ERROR(pop.quit());
  state_.backlog = static_cast<int64_t>(waiting.size() - done);
  state_.last_success = store::now_iso8601();
  report.stopped = stop.load();
  return report;
}

Result<ProbeReport> probe_pop3(const store::Mailbox& m) {
  Pop3Client pop(m, 0);
  MC_RETURN_IF_ERROR(pop.connect());
  ProbeReport r;
  r.capabilities = pop.capabilities();
  MC_ASSIGN_OR_RETURN(auto items, pop.list());
  // A read-only look: mails already fetched under --after keep are counted too.
  r.waiting = static_cast<int64_t>(items.size());
  (void)pop.quit();
  return r;
}

Result<ingest::Outcome> Pop3Source::fetch_left(
    const store::LeftMail& left, const std::function<Status(const ingest::Outcome&)>& on_recorded) {
  if (!left.key.starts_with("uidl:")) return fail(ErrorCode::kInvalidInput, "not a POP3 mail: " + left.key);
  const std::string uidl = left.key.substr(5);
  Pop3Client pop(m_, ctx_.max_message_bytes);
  MC_RETURN_IF_ERROR(pop.connect());
  MC_ASSIGN_OR_RETURN(auto items, pop.list());
  auto it = std::find_if(items.begin(), items.end(), [&](const auto& i) { return i.uidl == uidl; });
  if (it == items.end())
    return fail(ErrorCode::kNotFound, "mail " + uidl + " is no longer in mailbox " + m_.name);
  if (auto why = over_limit_reason(it->size, ctx_.max_message_bytes); !why.empty())
    return fail(ErrorCode::kInvalidInput, why + ": raise the limit first");
  MC_ASSIGN_OR_RETURN(auto bytes, pop.retr(it->index, ctx_.max_message_bytes));
  MC_ASSIGN_OR_RETURN(auto outcome, ctx_.sink.deliver(bytes, envelope_of(m_)));
  MC_RETURN_IF_ERROR(on_recorded(outcome));
  MC_RETURN_IF_ERROR(acknowledge(pop, ctx_, m_, *it));
  MC_RETURN_IF_ERROR(pop.quit());
  return outcome;
}

}  // namespace mailcase::channels

#include "ingest/pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <sstream>

#include "cases/lifecycle.h"
#include "ingest/alert_ingest.h"
#include "ingest/api_ingest.h"
#include "ingest/blob_reader.h"
#include "ingest/case_process.h"
#include "ingest/classify.h"
#include "ingest/reply_text.h"
#include "ingest/route.h"
#include "metrics/metrics.h"
#include "mime/parser.h"
#include "outbound/loop_guard.h"
#include "rules/business_hours.h"
#include "services/case_services.h"
#include "spam/rspamd.h"
#include "spam/verdict.h"
#include "trust/auth_results.h"
#include "util/beside.h"
#include "util/text.h"

namespace mailcase::ingest {

const char* to_string(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::kCreated:
      return "created";
    case OutcomeKind::kUpdated:
      return "updated";
    case OutcomeKind::kDuplicate:
      return "duplicate";
    case OutcomeKind::kHeld:
      return "held";
    case OutcomeKind::kFailed:
      return "failed";
    case OutcomeKind::kIgnored:
      return "ignored";
  }
  return "failed";
}

namespace {

// A new contact's name: the From's display name, else its address's local part; one line
// without control characters whatever the mail held (the parser's names are already;
// an address's local part may be quoted and hold anything).
std::string display_name(const mime::Address& a) {
  std::string name = text::one_line(a.name);
  if (!name.empty()) return name;
  auto at = a.email.find('@');
  return text::one_line(at == std::string::npos ? a.email : a.email.substr(0, at));
}

// The Return-Path the last delivery agent wrote ("<a@b>", "<>" for the null sender):
// the envelope sender of a mail fetched from a mailbox or an archive. nullopt: none.
std::optional<std::string> return_path(const mime::ParsedMessage& m) {
  const std::string* v = m.header("Return-Path");
  if (!v) return std::nullopt;
  std::string_view s = text::trim(*v);
  const auto lt = s.find('<');
  if (lt != std::string_view::npos) {
    const auto gt = s.find('>', lt);
    s = s.substr(lt + 1, gt == std::string_view::npos ? std::string_view::npos : gt - lt - 1);
  }
  return text::normalize_email(s);
}

// The row that holds a mail's dedupe key, and the key the mail is known by: its own, or
// the one sender_qualified_key() gives where another sender's mail holds it. own_id: the
// mail's own row, if it has one; from: its From ("" when unparsed).
struct KeyHolder {
  std::string key;
  std::optional<store::RawMessage> row;
};
Result<KeyHolder> key_holder(store::RawMessageRepository& raws, std::string key, std::string_view sha256,
                             std::string_view from, std::optional<store::Id> own_id) {
  MC_ASSIGN_OR_RETURN(auto other, raws.find_raw_by_dedupe_key(key));
  if (other && other->id != own_id) {
    if (auto instead = sender_qualified_key(key, sha256, other->from, from)) {
      key = std::move(*instead);
      MC_ASSIGN_OR_RETURN(other, raws.find_raw_by_dedupe_key(key));
    }
  }
  return KeyHolder{std::move(key), std::move(other)};
}

std::string case_subject(const mime::ParsedMessage& m) {
  std::string s(text::trim(m.subject));
  return s.empty() ? "(no subject)" : s;
}

// The sender's role on a case, from the store: the adapter around ingest::sender_role.
Result<SenderRole> role_on_case(store::UnitOfWork& u, store::Id case_id, const std::string& sender,
                                const std::optional<store::Contact>& contact,
                                const std::optional<store::Account>& account, bool ours) {
  MC_ASSIGN_OR_RETURN(auto c, u.cases().get_case(case_id));
  if (!c) return SenderRole::kStranger;
  ParticipantFacts pf;
  pf.ours = ours;
  if (contact) pf.sender_contact = contact->id;
  if (account) pf.sender_account = account->id;
  pf.case_contact = c->contact_id;
  pf.case_account = c->account_id;
  if (!pf.case_account && pf.case_contact) {
    MC_ASSIGN_OR_RETURN(auto cc, u.accounts().get_contact(*pf.case_contact));
    if (cc) pf.case_account = cc->account_id;
  }
  if (!sender.empty()) {
    MC_ASSIGN_OR_RETURN(pf.listed, u.cases().is_participant(case_id, sender));
  }
  return sender_role(pf);
}

// The process a new case follows (case_process.h): its routing address's, else that of
// the mailbox it came from (nullptr: not fetched from a known mailbox).
std::string process_of(const std::optional<store::RoutingAddress>& address, const store::Mailbox* mailbox) {
  return case_process(address ? &*address : nullptr, mailbox);
}

// The mailbox a mail was fetched from, read once per mail that came from one.
Result<std::optional<store::Mailbox>> mailbox_of(store::UnitOfWork& u, std::string_view source) {
  auto name = mailbox_of_source(source);
  if (!name) return std::optional<store::Mailbox>{};
  MC_ASSIGN_OR_RETURN(auto all, u.mailboxes().list_mailboxes());
  for (auto& m : all)
    if (m.name == *name) return std::optional<store::Mailbox>(std::move(m));
  return std::optional<store::Mailbox>{};
}

}  // namespace

// A mail's parse, done before (prepare) or during its commit (process).
struct ParseResult {
  std::optional<mime::ParsedMessage> msg;
  std::string error;
  bool too_large = false;
  // rspamd's verdict, asked where the mail was parsed (prepare): LMTP's own thread.
  std::optional<spam::Verdict> rspamd;
  // The body's new text and quoted history (split_reply: pure, a tenth of a commit's CPU),
  // split where the mail was parsed ahead; nullopt: split when it is applied.
  std::optional<ReplyText> reply;
  // classify(): pure too, done where the mail was parsed ahead; nullopt: when applied.
  std::optional<Classification> classification;
};

namespace {
struct PreparedSpooled final : PreparedMail {
  Spooled spooled;
};

// rspamd's verdict on a mail (spam.rspamd_url), or nullopt when it is not asked. Blocks
// up to spam.rspamd_timeout_seconds: called where mail is parsed, never under the lock.
std::optional<spam::Verdict> rspamd_verdict(const config::Config& cfg, std::string_view raw,
                                            const Envelope& envelope) {
  if (cfg.spam.rspamd_url.empty()) return std::nullopt;
  spam::RspamdSettings settings{cfg.spam.rspamd_url, cfg.spam.rspamd_timeout_seconds, cfg.spam.threshold};
  spam::RspamdEnvelope env;
  env.from = envelope.sender;
  env.recipients = envelope.recipients;
  return spam::ask_rspamd(settings, raw, env);
}

// The topmost value of each spam filter field of a mail (spam::from_headers).
spam::SpamHeaders spam_headers(const mime::ParsedMessage& m) {
  auto top = [&](std::string_view name) -> std::optional<std::string_view> {
    auto all = m.headers_named(name);
    if (all.empty()) return std::nullopt;
    return all.front();
  };
  spam::SpamHeaders h;
  h.flag = top("X-Spam-Flag");
  h.status = top("X-Spam-Status");
  h.score = top("X-Spam-Score");
  h.spamd_result = top("X-Spamd-Result");
  h.rspamd_action = top("X-Rspamd-Action");
  return h;
}

// Said in the record of a mail cut to its head; such a record cannot be retried.
constexpr std::string_view kHeadOnly = "; only its first bytes are kept";

// Counts a mail whose outcome the pipeline answers with, once it is committed (/metrics).
void observe(const Outcome& o, std::string_view source, std::chrono::steady_clock::time_point started) {
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  metrics::observe_mail(source, to_string(o.kind), took.count());
}
}  // namespace

// One mail moving through the pipeline.
struct Pipeline::Work {
  Spooled in;
  store::RawMessage row;
  bool skip = false;  // already answered (duplicate bytes)
  // The dedupe key its parse gives (ingest::dedupe_key), known before its record.
  std::string key;
  // What key_holder() answered for `key` when record_received looked, kept for apply()
  // when it follows in the same unit with nothing written between but this mail's own
  // row, which takes no key there (kRowsWithOutcomes, kUnsynced). Empty otherwise:
  // apply() looks again.
  std::optional<KeyHolder> key_holder;
  std::optional<Outcome> outcome;
  std::optional<mime::ParsedMessage> msg;
  std::string parse_error;
  bool too_large = false;
  // What the believed Authentication-Results header says of the sender (apply_decision);
  // empty when none was believed.
  trust::SenderProof proof;
  // rspamd's verdict when it was asked (where the mail was parsed); nullopt: not asked.
  std::optional<spam::Verdict> rspamd;
  // split_reply of msg's body when it was split ahead (ParseResult::reply).
  std::optional<ReplyText> reply;
  // classify(msg) when it was done ahead (ParseResult::classification).
  std::optional<Classification> classification;
  // Run as mail without the spam check (`message retry ID --not-spam`); allow_sender: its
  // From goes on the spam allow list, by `allowed_by`.
  bool not_spam = false;
  bool allow_sender = false;
  std::string allowed_by;
  // The assignment rules its new case matched: counted with the other mails' of its unit
  // of work, once the unit has kept the mail (count_hits).
  std::vector<std::string> rule_hits;
};

Pipeline::Pipeline(store::Store& store, spool::RawSpool& raws, const config::Config& cfg,
                   services::CaseServices& cases)
    : store_(&store),
      raws_(&raws),
      cfg_(cfg),
      cases_(cases),
      tags_(cfg_.threading),
      alerts_(std::make_unique<AlertIngest>(cases, cfg)) {
  mime::ensure_initialized();
}

Pipeline::~Pipeline() = default;

Result<Spooled> Pipeline::spool(std::istream& raw, Envelope envelope) {
  const auto started = std::chrono::steady_clock::now();
  // Past the limit only the head is stored; the rest is read and counted, not kept.
  MC_ASSIGN_OR_RETURN(auto b, raws_->put_bounded(raw, cfg_.limits.max_message_bytes,
                                                 oversize_head_bytes(cfg_.limits.max_message_bytes)));
  Spooled s{b.ref, std::move(envelope)};
  s.started = started;
  if (b.size > cfg_.limits.max_message_bytes) s.full_size = b.size;
  return s;
}

uint64_t Pipeline::max_message_bytes() const {
  return cfg_.limits.max_message_bytes;
}

Result<Spooled> Pipeline::spool(std::string_view raw, Envelope envelope) {
  const auto started = std::chrono::steady_clock::now();
  MC_ASSIGN_OR_RETURN(auto ref, raws_->put(raw));
  Spooled s{ref, std::move(envelope)};
  s.started = started;
  return s;
}

Result<Outcome> Pipeline::deliver(std::string_view raw, const Envelope& envelope) {
  MC_ASSIGN_OR_RETURN(auto s, spool(raw, envelope));
  return std::move(process({s}).front());
}

namespace {
// The bytes already read from a stream, then the rest of it: a mail found too large to
// hold is spooled whole without reading it twice.
class PrefixedStreamBuf final : public std::streambuf {
 public:
  PrefixedStreamBuf(std::string prefix, std::istream& rest) : prefix_(std::move(prefix)), rest_(rest) {
    setg(prefix_.data(), prefix_.data(), prefix_.data() + prefix_.size());
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (!rest_) return traits_type::eof();
    buf_.resize(64 * 1024);
    rest_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    const auto n = static_cast<size_t>(rest_.gcount());
    if (n == 0) return traits_type::eof();
    setg(buf_.data(), buf_.data(), buf_.data() + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::string prefix_;
  std::istream& rest_;
  std::string buf_;
};
}  // namespace

Result<Outcome> Pipeline::deliver_stream(std::istream& raw, const Envelope& envelope) {
  // A small mail is read whole and taken as an LMTP mail is (prepare): its bytes go in with
  // the commit that records it, whose sync is then the only one (a spool segment's sync
  // came before it). A larger one streams into the spool in bounded memory.
  const uint64_t small = std::min<uint64_t>(spool::RawSpool::kPackLimit, cfg_.limits.max_message_bytes);
  std::string head;
  char chunk[16 * 1024];
  while (head.size() <= small && raw) {
    raw.read(chunk, static_cast<std::streamsize>(sizeof chunk));
    head.append(chunk, static_cast<size_t>(raw.gcount()));
  }
  if (raw.bad()) return fail(ErrorCode::kTemporary, "cannot read the mail");
  if (head.size() <= small) {
    MC_ASSIGN_OR_RETURN(auto p, prepare(head, envelope, 0));
    std::vector<std::unique_ptr<PreparedMail>> one;
    one.push_back(std::move(p));
    return std::move(deliver_prepared(std::move(one)).front());
  }
  PrefixedStreamBuf joined_buf(std::move(head), raw);
  std::istream joined(&joined_buf);
  MC_ASSIGN_OR_RETURN(auto s, spool(joined, envelope));
  return std::move(process({s}).front());
}

std::vector<Result<Outcome>> Pipeline::deliver_batch(const std::vector<RawMail>& mails) {
  std::vector<Result<Outcome>> results(mails.size(),
                                       Result<Outcome>(fail(ErrorCode::kInternal, "not processed")));
  std::vector<Spooled> batch;
  std::vector<size_t> index;  // batch position → mails position
  for (size_t i = 0; i < mails.size(); ++i) {
    auto s = spool(std::string_view(mails[i].bytes), mails[i].envelope);
    if (!s) {
      results[i] = tl::unexpected(s.error());
      continue;
    }
    batch.push_back(std::move(*s));
    index.push_back(i);
  }
  if (batch.empty()) return results;
  auto done = process(batch);
  for (size_t k = 0; k < done.size(); ++k) results[index[k]] = std::move(done[k]);
  return results;
}

std::string Pipeline::head_only_reason(uint64_t full_size, uint64_t kept) const {
  return "message too large: " + std::to_string(full_size) + " bytes, limit " +
         std::to_string(cfg_.limits.max_message_bytes) + std::string(kHeadOnly) + " (" +
         std::to_string(kept) + ")";
}

Result<std::unique_ptr<PreparedMail>> Pipeline::prepare(std::string_view raw, const Envelope& envelope,
                                                        uint64_t full_size) {
  auto p = std::make_unique<PreparedSpooled>();
  p->spooled.full_size = full_size > raw.size() ? full_size : 0;
  if (p->spooled.full_size == 0 && raw.size() <= spool::RawSpool::kPackLimit) {
    // A small mail whole in hand is held, with its attachments, until the commit that
    // records it keeps them in the store: that commit's sync is then the only one its
    // sender waits for (a spool segment cost a sync of its own before it). The mail and its
    // attachments are held up to 2 MiB in all; attachments past that go to the spool as
    // before (and are synced before the commit, as before).
    spool::HeldBlobs held(*raws_, 2 * spool::RawSpool::kPackLimit);
    MC_ASSIGN_OR_RETURN(auto ref, held.put(raw));
    p->spooled.blob = std::move(ref);
    p->spooled.envelope = envelope;
    p->spooled.started = std::chrono::steady_clock::now();
    p->spooled.parsed = std::make_shared<ParseResult>(parse_spooled(p->spooled.blob, 0, raw, &held));
    p->spooled.held = std::make_shared<const std::vector<std::string>>(held.take());
  } else {
    MC_ASSIGN_OR_RETURN(auto s, spool(raw, envelope));
    s.full_size = p->spooled.full_size;
    p->spooled = std::move(s);
    p->spooled.parsed =
        std::make_shared<ParseResult>(parse_spooled(p->spooled.blob, p->spooled.full_size, raw));
  }
  if (p->spooled.parsed->msg) {
    p->spooled.parsed->rspamd = rspamd_verdict(cfg_, raw, envelope);
    p->spooled.parsed->reply = split_reply(p->spooled.parsed->msg->text_body);
    p->spooled.parsed->classification = classify(*p->spooled.parsed->msg, envelope.sender);
  }
  return std::unique_ptr<PreparedMail>(std::move(p));
}

void Pipeline::parse_ahead(Spooled& s, std::string_view at_hand) {
  if (at_hand.size() != s.blob.size) at_hand = {};
  auto p = std::make_shared<ParseResult>(parse_spooled(s.blob, s.full_size, at_hand));
  if (p->msg) {
    p->reply = split_reply(p->msg->text_body);
    p->classification = classify(*p->msg, s.envelope.sender);
  }
  if (p->msg && !cfg_.spam.rspamd_url.empty()) {
    // From the bytes at hand, else read back (no copy of a mail in hand).
    if (!at_hand.empty()) {
      p->rspamd = rspamd_verdict(cfg_, at_hand, s.envelope);
    } else if (auto bytes = read_bytes(s.blob)) {
      p->rspamd = rspamd_verdict(cfg_, *bytes, s.envelope);
    } else {
      p->rspamd = spam::unchecked("rspamd", "rspamd not asked: " + bytes.error().message);
    }
  }
  s.parsed = std::move(p);
}

uint64_t Pipeline::held_bytes(const Spooled& s) {
  if (!s.parsed) return s.blob.size;
  constexpr uint64_t kEach = 64;  // a string's or an element's own size, roughly
  uint64_t n = 1024;              // the parse's fixed parts
  auto text = [&](const std::string& t) { n += t.capacity() + kEach; };
  auto addresses = [&](const std::vector<mime::Address>& list) {
    for (const auto& a : list) {
      text(a.name);
      text(a.email);
    }
  };
  const ParseResult& p = *s.parsed;
  text(p.error);
  if (const auto& m = p.msg) {
    text(m->message_id);
    text(m->subject);
    text(m->text_body);
    text(m->html_body);
    text(m->top_content_type);
    for (const auto& id : m->in_reply_to) text(id);
    for (const auto& id : m->references) text(id);
    addresses({m->from});
    addresses(m->reply_to);
    addresses(m->to);
    addresses(m->cc);
    addresses(m->bcc);
    for (const auto& h : m->headers) {
      text(h.name);
      text(h.value);
    }
    for (const auto& a : m->attachments) {
      text(a.filename);
      text(a.content_type);
      text(a.content_id);
      text(a.sha256);
      text(a.location);
    }
    for (const auto& problem : m->problems) text(problem);
  }
  if (p.reply) {
    text(p.reply->new_text);
    text(p.reply->quoted);
  }
  if (p.classification) {
    text(p.classification->reason);
    n += p.classification->recipients.size() * 4 * kEach;
    for (const auto& id : p.classification->original_message_ids) text(id);
  }
  if (s.held)
    for (const auto& blob : *s.held) text(blob);
  return n;
}

std::vector<Result<Outcome>> Pipeline::deliver_prepared(std::vector<std::unique_ptr<PreparedMail>> mails) {
  std::vector<Spooled> batch;
  batch.reserve(mails.size());
  for (auto& m : mails) batch.push_back(std::move(static_cast<PreparedSpooled&>(*m).spooled));
  return process(batch, BatchCommit::kRowsWithOutcomes);
}

// A read unit of its own (a pooled connection), not the store's connection under mu_: that
// one is the committing thread's, held for a whole group's commit and its sync, and every
// session's RCPT waited for the commit under way.
bool Pipeline::accepts_recipient(std::string_view email) {
  auto u = store_->open_unit(store::Access::kRead);
  if (!u) return true;  // cannot tell now: accept, the mail is recorded either way
  auto all = u->routing().list_addresses();
  return !all || ingest::accepts_recipient(email, *all);
}

Result<std::string> Pipeline::read_bytes(const spool::BlobRef& ref) {
  if (!spool::kept_in_store(ref.location)) return raws_->read(ref);
  std::lock_guard lock(mu_);
  return read_blob(*store_, *raws_, ref);
}

namespace {
// Where a blob of the mail `in` is once kept: a "held:<n>" location's bytes are written to
// the store ("db:<id>"); any other location is already durable where it says.
Result<std::string> keep_if_held(store::RawMessageRepository& kept, const Spooled& in, const std::string& location) {
  const auto n = spool::held_index(location);
  if (!n) return location;
  if (!in.held || *n >= in.held->size()) return fail(ErrorCode::kInternal, "a held blob is missing");
  MC_ASSIGN_OR_RETURN(auto id, kept.keep_bytes((*in.held)[*n]));
  return spool::store_location(id);
}
}  // namespace

Status Pipeline::keep_held_attachments(store::UnitOfWork& u, Work& w) {
  if (!w.msg) return {};
  for (auto& a : w.msg->attachments) {
    MC_ASSIGN_OR_RETURN(a.location, keep_if_held(u.raw_messages(), w.in, a.location));
  }
  return {};
}

Status Pipeline::sync_commits() {
  return store_->sync_commits();  // nothing to do unless storage.sync is "full"
}

Status Pipeline::sync_blobs() {
  if (cfg_.storage.sync != "full") return {};
  return raws_->sync();  // the spool's segments and every blob file
}

void Pipeline::parse(Work& w) {
  // A parse done ahead (prepare) is of the same bytes: this row's sha256 is the blob's.
  ParseResult p = w.in.parsed ? std::move(*w.in.parsed)
                              : parse_spooled(spool::BlobRef{w.row.sha256, w.row.size, w.row.spool_location},
                                              w.in.full_size);
  w.in.parsed.reset();
  w.too_large = p.too_large || w.row.reason.find(kHeadOnly) != std::string::npos;
  w.msg = std::move(p.msg);
  w.reply = std::move(p.reply);
  w.classification = std::move(p.classification);
  w.parse_error = std::move(p.error);
  // rspamd is asked of a mail that parsed, once: ahead (prepare) or here, outside the lock.
  w.rspamd.reset();
  if (w.msg && !w.not_spam) {
    if (p.rspamd) {
      w.rspamd = std::move(p.rspamd);
    } else if (!cfg_.spam.rspamd_url.empty()) {
      auto bytes = read_bytes(spool::BlobRef{w.row.sha256, w.row.size, w.row.spool_location});
      w.rspamd = bytes ? rspamd_verdict(cfg_, *bytes, w.in.envelope)
                       : spam::unchecked("rspamd", "rspamd not asked: " + bytes.error().message);
    }
  }
}

mime::ParseLimits Pipeline::parse_limits() const {
  mime::ParseLimits limits;
  limits.max_depth = cfg_.limits.max_mime_depth;
  limits.max_parts = cfg_.limits.max_mime_parts;
  limits.max_text_bytes = cfg_.limits.max_text_bytes;
  limits.max_header_fields = cfg_.limits.max_header_fields;
  limits.max_header_bytes = cfg_.limits.max_header_bytes;
  limits.max_addresses = cfg_.limits.max_addresses;
  limits.max_kept_headers = cfg_.limits.max_kept_headers;
  return limits;
}

ParseResult Pipeline::parse_spooled(const spool::BlobRef& ref, uint64_t full_size, std::string_view at_hand,
                                    spool::BlobSink* sink) {
  ParseResult out;
  if (full_size > 0 || ref.size > cfg_.limits.max_message_bytes) {
    out.too_large = true;
    return out;
  }
  // Nothing was received: no bytes to read back (a held empty mail has none to give).
  if (ref.size == 0) {
    out.error = "empty message (0 bytes)";
    return out;
  }
  const mime::ParseLimits limits = parse_limits();
  Result<mime::ParsedMessage> parsed = fail(ErrorCode::kInternal, "not parsed");
  // Attachments go where the raw mails go: appended to a spool segment (a file of their
  // own only past RawSpool::kPackLimit), as creating a file costs an inode each.
  spool::BlobSink& attachments = sink ? *sink : *raws_;
  if (ref.location.empty()) {
    parsed = mime::parse_file(raws_->file_of(ref), attachments, limits);
  } else if (!at_hand.empty() && at_hand.size() == ref.size) {
    parsed = mime::parse_bytes(at_hand, attachments, limits);
  } else if (auto bytes = read_bytes(ref); bytes) {
    parsed = mime::parse_bytes(*bytes, attachments, limits);
  } else {
    parsed = tl::unexpected(bytes.error());
  }
  if (parsed)
    out.msg = std::move(*parsed);
  else
    out.error = parsed.error().message;
  return out;
}

namespace {
// While it lives (from begin() on), the store's commits do not wait for the disk
// (Store::set_commits_wait); they wait again once it is gone, whatever ended its scope.
class CommitsNotWaited {
 public:
  explicit CommitsNotWaited(store::Store& store) : store_(store) {}
  CommitsNotWaited(const CommitsNotWaited&) = delete;
  CommitsNotWaited& operator=(const CommitsNotWaited&) = delete;
  ~CommitsNotWaited() {
    if (on_) (void)store_.set_commits_wait(true);
  }
  [[nodiscard]] Status begin() {
    MC_RETURN_IF_ERROR(store_.set_commits_wait(false));
    on_ = true;
    return {};
  }

 private:
  store::Store& store_;
  bool on_ = false;
};
}  // namespace

std::vector<Result<Outcome>> Pipeline::process(const std::vector<Spooled>& batch, BatchCommit mode) {
  const bool rows_with_outcomes = mode != BatchCommit::kRowsFirst;
  const bool unsynced = mode == BatchCommit::kUnsynced;
  std::vector<Work> work(batch.size());
  std::vector<Result<Outcome>> results;
  const auto began = std::chrono::steady_clock::now();
  // Every outcome answered is of a committed record: counted here, as it is returned.
  auto answer = [&](const Work& w) {
    const auto started = w.in.started == std::chrono::steady_clock::time_point{} ? began : w.in.started;
    observe(*w.outcome, w.in.envelope.source, started);
    return *w.outcome;
  };
  auto fail_all = [&](const Error& e) {
    results.clear();
    for (size_t i = 0; i < work.size(); ++i) {
      if (work[i].outcome)
        results.emplace_back(answer(work[i]));
      else
        results.emplace_back(tl::unexpected(e));
    }
    return results;
  };

  // A mail's "received" row, or what says it was recorded before: a copy of bytes recorded
  // earlier is skipped with its outcome (found by the key its parse gives, whose row holds
  // the same bytes, or by its bytes where no key tells: a duplicate's row), a "received"
  // row of an interrupted run is taken up, and a new mail gets its row. Another mail of a
  // recorded key (other bytes) gets its row too: apply() records it as a duplicate.
  // The answer to a copy of the bytes recorded as message `first`, skipped.
  auto copy_outcome = [](int64_t first) {
    Outcome o;
    o.kind = OutcomeKind::kDuplicate;
    o.message_id = first;
    o.reason = duplicate_reason(true, first);
    return o;
  };
  std::map<std::string, size_t> seen;  // a SHA-256 → the first mail of the batch with it
  auto record_received = [&](store::RawMessageRepository& raws, store::CaseRepository& cases, size_t i) -> Status {
    Work& w = work[i];
    if (w.skip) return {};  // the same bytes earlier in this batch
    const std::string& sha = w.in.blob.sha256;
    MC_ASSIGN_OR_RETURN(auto existing, raws.find_copy_by_sha(sha));
    if (!existing) {
      // Its parse, moved into w.msg by parse(w) where that ran first (kRowsWithOutcomes).
      const auto& msg = w.msg || !w.in.parsed ? w.msg : w.in.parsed->msg;
      MC_ASSIGN_OR_RETURN(
          auto holder,
          key_holder(raws, w.key, sha, msg ? std::string_view(msg->from.email) : "", std::nullopt));
      if (holder.row && holder.row->sha256 == sha)
        existing = std::move(holder.row);
      else if (rows_with_outcomes)
        w.key_holder = std::move(holder);
    }
    if (existing) {
      w.row = *existing;
      if (w.row.state != store::RawState::kReceived) {
        w.skip = true;
        Outcome o = copy_outcome(w.row.id);
        if (w.row.case_id) {
          auto c = cases.get_case(*w.row.case_id);
          if (c && *c) o.case_number = (*c)->number;
        }
        w.outcome = o;
      }
      return {};  // a "received" row from an interrupted run: process it now
    }
    w.row.sha256 = sha;
    w.row.size = w.in.blob.size;
    // A held mail's bytes go in with its row (Spooled::held): this commit makes both durable.
    MC_ASSIGN_OR_RETURN(w.row.spool_location, keep_if_held(raws, w.in, w.in.blob.location));
    w.row.source = w.in.envelope.source;
    w.row.recipients = w.in.envelope.recipients;
    w.row.envelope_sender = w.in.envelope.sender;
    w.row.state = store::RawState::kReceived;
    // Said at once, so that an interrupted run finishing it later knows it too.
    if (w.in.full_size > 0) w.row.reason = head_only_reason(w.in.full_size, w.row.size);
    MC_ASSIGN_OR_RETURN(w.row.id, raws.insert_raw(w.row));
    return {};
  };
  // Same bytes twice in this batch: the second is a duplicate of the first.
  auto answer_batch_duplicates = [&] {
    for (size_t i = 0; i < work.size(); ++i) {
      if (work[i].skip && !work[i].outcome) {
        work[i].outcome = copy_outcome(work[seen[batch[i].blob.sha256]].row.id);
      }
    }
  };
  for (size_t i = 0; i < batch.size(); ++i) work[i].in = batch[i];

  // 0. The same bytes twice in this batch: the second is answered as the first. Every other
  // mail not parsed ahead is parsed now, before its record: the key that tells a copy of a
  // mail recorded earlier comes from its parse (record_received). Its attachments reach
  // the disk with its bytes (1.).
  for (size_t i = 0; i < work.size(); ++i) {
    Work& w = work[i];
    if (!seen.emplace(w.in.blob.sha256, i).second) {
      w.skip = true;
      continue;
    }
    if (!w.in.parsed) w.in.parsed = std::make_shared<ParseResult>(parse_spooled(w.in.blob, w.in.full_size));
    const auto& msg = w.in.parsed->msg;  // none when too large or unparseable
    w.key = dedupe_key(msg ? msg->message_id : "", w.in.blob.sha256);
  }

  // 1. The bytes reach the disk, then (a batch to parse here) a "received" row per new
  // mail, in one commit. That commit does not wait for the disk: nothing is acknowledged
  // on it, it survives a killed process, and the outcome's commit (3.) syncs it too. The
  // bytes are synced before any row all the same, so that no row on disk ever names bytes
  // that are not. (Syncing the bytes beside the statements of a batch whose rows go in
  // with its outcomes, waited for before its commit, was measured slower: 0.84 times the
  // LMTP rate, with a thread per commit and two syncs on the disk at once.)
  if (!unsynced) {
    if (auto s = sync_blobs(); !s) return fail_all(s.error());
  }
  // A batch prepared by its channel (LMTP, a delivery handed to serve) has nothing left to
  // do between its "received" rows and its outcomes, and its senders wait for the commit of
  // the outcomes: its rows go in that one commit (3.), each ahead of its mail's savepoint,
  // so that a mail whose writes fail keeps its "received" row. Otherwise (import, `deliver`
  // on its own, a mailbox) the rows come first, here, so that a run killed before the
  // outcomes finds them. Either way nothing is acknowledged before the outcomes' commit.
  if (!rows_with_outcomes) {
    std::lock_guard lock(mu_);
    CommitsNotWaited not_waited(*store_);
    if (auto s = not_waited.begin(); !s) return fail_all(s.error());
    auto st = store::in_transaction(*store_, [&]() -> Status {
      for (size_t i = 0; i < batch.size(); ++i) MC_RETURN_IF_ERROR(record_received(*store_, *store_, i));
      return {};
    });
    if (!st) return fail_all(st.error());
    answer_batch_duplicates();
  }

  // 2. Outside the lock: what the parse (done ahead or in 0.) leaves to do, rspamd's
  // verdict among it. Every blob was written before the sync of 1.
  for (auto& w : work) {
    if (!w.skip) parse(w);
  }
  // Unsynced: the blobs' sync (of the reader's writes) runs on another thread while the
  // statements below run, and is waited for before the commit.
  std::future<Status> blobs_synced;
  if (unsynced) blobs_synced = util::run_beside([this] { return sync_blobs(); });

  // 3. Decide and apply, one commit for the batch. Each mail is applied after a
  // savepoint: one whose writes fail is undone alone and answered with its error
  // (retryable: its "received" row stays, and the same mail again finishes it), while
  // the others of the batch are committed.
  std::vector<std::optional<Error>> failed(work.size());
  {
    std::lock_guard lock(mu_);
    auto st = [&]() -> Status {
      // The commit the outcome is answered on (unsynced: once sync_commits() has returned).
      MC_RETURN_IF_ERROR(store_->set_commits_wait(true));
      CommitsNotWaited not_waited(*store_);
      if (unsynced) MC_RETURN_IF_ERROR(not_waited.begin());
      MC_ASSIGN_OR_RETURN(auto u, store_->begin_work());  // rolls back on any early return
      MC_RETURN_IF_ERROR(read_unit_settings(u));
      static constexpr std::string_view kMail = "ingest_mail";
      for (size_t i = 0; i < work.size(); ++i) {
        Work& w = work[i];
        if (rows_with_outcomes) MC_RETURN_IF_ERROR(record_received(u.raw_messages(), u.cases(), i));
        if (w.skip) continue;
        MC_RETURN_IF_ERROR(u.savepoint(kMail));
        if (auto applied = apply(u, w); !applied) {
          MC_RETURN_IF_ERROR(u.rollback_to_savepoint(kMail));
          w.outcome.reset();
          failed[i] = applied.error();
        }
        MC_RETURN_IF_ERROR(u.release_savepoint(kMail));
      }
      // The rules' hits, one statement per rule for the batch (a rule matches many mails of
      // an import), of the mails kept: a mail undone to its savepoint counts none.
      std::vector<std::string> hits;
      for (size_t i = 0; i < work.size(); ++i) {
        if (work[i].skip || failed[i]) continue;
        hits.insert(hits.end(), work[i].rule_hits.begin(), work[i].rule_hits.end());
      }
      if (!hits.empty()) MC_RETURN_IF_ERROR(u.rules().count_rule_hits(hits));
      if (rows_with_outcomes) answer_batch_duplicates();
      if (blobs_synced.valid()) MC_RETURN_IF_ERROR(blobs_synced.get());
      return u.commit();
    }();
    if (!st) {
      for (auto& w : work) {
        if (!w.skip) w.outcome.reset();
      }
      return fail_all(st.error());
    }
  }
  results.clear();
  for (size_t i = 0; i < work.size(); ++i) {
    Work& w = work[i];
    if (failed[i]) {
      results.emplace_back(tl::unexpected(*failed[i]));
      continue;
    }
    // Refused at its source whatever its record says (a duplicate of an earlier head too).
    if (w.in.full_size > 0) w.outcome->too_large = true;
    results.emplace_back(answer(w));
  }
  return results;
}

// The mail's record says what became of it; its outcome, with the case's number, is
// what the caller reports.
Status Pipeline::record_outcome(store::UnitOfWork& u, Work& w, store::RawState state, OutcomeKind kind,
                                std::string reason, std::string_view case_number) {
  auto& row = w.row;
  row.state = state;
  row.outcome = to_string(kind);
  row.reason = std::move(reason);
  if (w.msg) row.problems = w.msg->problems;
  MC_RETURN_IF_ERROR(u.raw_messages().update_raw(row));
  Outcome o;
  o.kind = kind;
  o.reason = row.reason;
  o.message_id = row.id;
  if (row.case_id && !case_number.empty()) {
    o.case_number = case_number;
  } else if (row.case_id) {
    MC_ASSIGN_OR_RETURN(auto c, u.cases().get_case(*row.case_id));
    if (c) o.case_number = c->number;
  }
  w.outcome = o;
  return {};
}

Status Pipeline::read_unit_settings(store::UnitOfWork& u) {
  MC_ASSIGN_OR_RETURN(unit_rules_, rules_.current(u));
  MC_ASSIGN_OR_RETURN(unit_addresses_, u.routing().list_addresses());
  return alerts_->read_rules(u);
}

Status Pipeline::apply(store::UnitOfWork& u, Work& w) {
  auto& row = w.row;
  row.attempts += 1;
  auto finish = [&](store::RawState state, OutcomeKind kind, std::string reason) {
    return record_outcome(u, w, state, kind, std::move(reason));
  };
  // The mail's key: another row that holds it makes this mail its duplicate (the same
  // bytes, or another mail of its Message-ID); else this row holds it from now on.
  auto take_key = [&](std::string key) -> Result<bool> {
    std::optional<KeyHolder> holder;
    if (w.key_holder && key == w.key) {
      holder = std::move(w.key_holder);
    } else {
      MC_ASSIGN_OR_RETURN(holder, key_holder(u.raw_messages(), std::move(key), row.sha256, row.from, row.id));
    }
    w.key_holder.reset();
    key = std::move(holder->key);
    auto& other = holder->row;
    if (other && other->id != row.id) {
      row.case_id = other->case_id;
      row.dedupe_key.clear();
      MC_RETURN_IF_ERROR(finish(store::RawState::kDuplicate, OutcomeKind::kDuplicate,
                                duplicate_reason(other->sha256 == row.sha256, other->id)));
      return false;
    }
    row.dedupe_key = std::move(key);
    return true;
  };

  if (w.too_large || !w.msg) {
    // Known by its bytes, so that a copy of it is answered as a duplicate of this record.
    MC_ASSIGN_OR_RETURN(const bool first, take_key(dedupe_key("", row.sha256)));
    if (!first) return {};
  }
  if (w.too_large) {
    std::string reason = w.in.full_size > 0 ? head_only_reason(w.in.full_size, row.size)
                         : row.reason.find(kHeadOnly) != std::string::npos
                             ? row.reason  // said when it was received
                             : "message too large: " + std::to_string(row.size) + " bytes, limit " +
                                   std::to_string(cfg_.limits.max_message_bytes);
    return finish(store::RawState::kFailed, OutcomeKind::kFailed, std::move(reason));
  }
  if (!w.msg) return finish(store::RawState::kFailed, OutcomeKind::kFailed, "unparseable: " + w.parse_error);
  // Recorded without an attachment it had, the mail would be lost in part for good: it is
  // refused for now instead (its sender tries again; its "received" row stays), as when
  // its own bytes could not be written.
  if (!w.msg->storage_error.empty())
    return fail(ErrorCode::kTemporary, "the mail cannot be kept whole: " + w.msg->storage_error);

  const auto& m = *w.msg;
  row.message_id = m.message_id;
  row.from = m.from.email;
  row.subject = m.subject;
  if (!row.envelope_sender) row.envelope_sender = return_path(m);  // the source did not tell
  MC_ASSIGN_OR_RETURN(const bool first, take_key(dedupe_key(m.message_id, row.sha256)));
  if (!first) return {};
  MC_RETURN_IF_ERROR(keep_held_attachments(u, w));
  return apply_decision(u, w);
}

Status Pipeline::apply_decision(store::UnitOfWork& u, Work& w) {
  auto& row = w.row;
  const auto& m = *w.msg;
  const auto& addresses = unit_addresses_;  // read with the unit's rules
  const std::optional<store::RoutingAddress> address = match_address(
      recipient_candidates(m, w.in.envelope.recipients.empty() ? row.recipients : w.in.envelope.recipients),
      addresses);
  MC_ASSIGN_OR_RETURN(const auto mailbox, mailbox_of(u, row.source));

  // Proof of the sender (trust/): what the believed Authentication-Results header says,
  // kept on the mail's record.
  {
    const auto believed = trust::trusted_ids(cfg_.trust.authserv_ids,
                                             address ? address->authserv_ids : std::vector<std::string>{},
                                             mailbox ? mailbox->authserv_ids : std::vector<std::string>{});
    w.proof = trust::sender_proof(m.headers_named("Authentication-Results"), believed);
    row.auth_server = w.proof.authserv_id;
    row.dkim = w.proof.dkim;
    row.spf = w.proof.spf;
    row.dmarc = w.proof.dmarc;
    row.sender_verified = trust::from_verified(w.proof, m.from.email);
  }

  // Spam (spam/): a mail judged spam is held, before it can make or touch a case.
  // rspamd's verdict when it was asked, else the headers' of a mail that came through a
  // trusted path; a sender on the allow list is let through only when the From is proven
  // or the envelope sender vouches for it (a forged From of theirs gains nothing).
  if (w.not_spam) {
    if (w.allow_sender && !m.from.email.empty())
      MC_RETURN_IF_ERROR(u.raw_messages().allow_spam_sender(text::normalize_email(m.from.email), w.allowed_by));
    row.spam_detail += std::string(row.spam_detail.empty() ? "" : "; ") + "released as not spam" +
                       (w.allowed_by.empty() ? "" : " by " + w.allowed_by);
  } else {
    spam::Verdict verdict;
    if (w.rspamd)
      verdict = *w.rspamd;
    else if (w.proof.trusted())
      verdict = spam::from_headers(spam_headers(m), cfg_.spam.threshold);
    // Each run's verdict replaces an earlier run's (a retry after the settings changed).
    row.spam = spam::to_string(verdict.kind);
    row.spam_score = verdict.score;
    row.spam_detail = verdict.kind == spam::Kind::kNone ? "" : verdict.source + ": " + verdict.detail;
    if (verdict.kind == spam::Kind::kSpam) {
      bool allowed = false;
      if (!m.from.email.empty()) {
        MC_ASSIGN_OR_RETURN(allowed, u.raw_messages().spam_sender_allowed(text::normalize_email(m.from.email)));
      }
      const bool from_proven =
          trust::from_verified(w.proof, m.from.email) ||
          (row.envelope_sender && outbound::envelope_matches_from(*row.envelope_sender, m.from.email));
      auto admission = spam::admit(verdict, allowed, from_proven);
      if (admission.hold)
        return record_outcome(u, w, store::RawState::kHeld, OutcomeKind::kHeld, std::move(admission.reason));
      row.spam_detail += "; " + admission.reason;
    }
  }

  // The API by mail (mail_api/): an address that takes XML commands makes no case of
  // its mail.
  if (address && address->api) {
    // The signature covers the body as it arrived: the spooled bytes, not the parse.
    const spool::BlobRef ref{row.sha256, row.size, row.spool_location};
    std::string raw;
    if (ref.location.empty()) {
      std::ifstream f(raws_->file_of(ref), std::ios::binary);
      raw.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
      if (!f && !f.eof()) return fail(ErrorCode::kTemporary, "cannot read the spooled mail " + row.sha256);
    } else {
      MC_ASSIGN_OR_RETURN(raw, read_blob(u.raw_messages(), *raws_, ref));
    }
    ApiMail api;
    api.message = &m;
    api.raw = raw;
    api.address = &*address;
    // The proof of the sender above: a trusted DKIM/DMARC pass aligned with the From.
    api.dkim_aligned = trust::from_verified(w.proof, m.from.email);
    MC_ASSIGN_OR_RETURN(auto done, ApiIngest(cases_, cfg_).apply(u, api));
    row.case_id = done.case_id;
    return record_outcome(u, w, done.state, done.kind, std::move(done.reason));
  }

  // Monitoring alerts come before routing and its unknown-sender policy.
  const std::string from_contradicted =
      trust::from_contradicted(w.proof, m.from.email, m.header("From") != nullptr);
  MC_ASSIGN_OR_RETURN(auto alert,
                      alerts_->apply(u, m, row.id, confirmations_,
                                     {from_contradicted, trust::from_verified(w.proof, m.from.email)}));
  if (alert) {
    row.case_id = alert->case_id;
    return record_outcome(u, w, alert->state, alert->kind, std::move(alert->reason));
  }

  RouteFacts facts;
  facts.message = &m;
  facts.classification = w.classification ? std::move(*w.classification) : classify(m, w.in.envelope.sender);
  facts.address = address;
  facts.from_contradicted = from_contradicted;

  MC_ASSIGN_OR_RETURN(auto contact, u.accounts().find_contact_by_email(m.from.email));
  std::optional<store::Account> account;
  if (contact && contact->account_id) {
    MC_ASSIGN_OR_RETURN(account, u.accounts().get_account(*contact->account_id));
  } else if (!contact && !m.from.email.empty()) {
    MC_ASSIGN_OR_RETURN(account, u.accounts().find_account_by_email(m.from.email));
  }
  facts.sender_known = contact.has_value() || account.has_value();

  ThreadFacts tf;
  tf.tag_numbers = tags_.case_numbers(m.subject);
  for (const auto& n : tf.tag_numbers) {
    MC_ASSIGN_OR_RETURN(auto c, u.cases().find_case_by_number(n));
    tf.tag_cases.push_back(c ? std::optional<int64_t>(c->id) : std::nullopt);
  }
  tf.referenced_ids = referenced_ids(m.in_reply_to, m.references);
  for (const auto& id : tf.referenced_ids) {
    MC_ASSIGN_OR_RETURN(auto ref, u.cases().find_message_id(id));
    tf.ref_cases.push_back(ref ? std::optional<int64_t>(ref->case_id) : std::nullopt);
    tf.ref_proposals.push_back(ref ? ref->proposal : 0);
  }
  // A bounce names the mail it returns; that mail's case is the one it concerns.
  for (const auto& id : facts.classification.original_message_ids) {
    tf.referenced_ids.push_back(id);
    MC_ASSIGN_OR_RETURN(auto c, u.cases().case_of_message_id(id));
    tf.ref_cases.push_back(c);
  }
  auto td = decide_thread(tf);
  facts.threaded_case = td.case_id;
  facts.thread_reason = td.reason;
  // Our own addresses never count as participants, nor get recorded as such.
  std::vector<std::string> ours;
  for (const auto& a : addresses) ours.push_back(text::normalize_email(a.email));
  ours.push_back(text::normalize_email(cfg_.outbound.from_address));
  const std::string sender = text::normalize_email(m.from.email);
  facts.sender_is_ours = outbound::is_our_address(sender, ours);
  std::optional<store::Case> threaded;  // the case the mail threads onto, read once
  if (facts.threaded_case) {
    MC_ASSIGN_OR_RETURN(facts.sender_role, role_on_case(u, *facts.threaded_case, sender, contact, account,
                                                        facts.sender_is_ours));
    MC_ASSIGN_OR_RETURN(threaded, u.cases().get_case(*facts.threaded_case));
    if (threaded) {
      const auto& t = *threaded;
      facts.threaded_case_facts = CaseFacts{t.number, t.status, t.queue, t.product, t.priority};
      if (t.status == domain::CaseStatus::kSolutionProposed) {
        MC_ASSIGN_OR_RETURN(auto proposals, services::proposals_of(u, t.id));
        facts.threaded_case_facts->latest_proposal = proposals.latest;
        facts.answered_proposal = answered_proposal(tf, t.id);
      }
    }
  }

  RouteDecision d = decide_route(facts, cfg_);

  auto record = [&](store::RawState state, OutcomeKind kind) {
    return record_outcome(u, w, state, kind, d.reason);
  };

  if (d.action == Action::kHold) return record(store::RawState::kHeld, OutcomeKind::kHeld);
  if (d.action == Action::kIgnore) return record(store::RawState::kProcessed, OutcomeKind::kIgnored);

  std::optional<store::Id> contact_id = contact ? std::optional<store::Id>(contact->id) : std::nullopt;
  if (d.create_contact && !contact_id && !m.from.email.empty()) {
    store::Contact c;
    c.name = display_name(m.from);
    c.emails = {text::normalize_email(m.from.email)};
    if (account) c.account_id = account->id;
    MC_ASSIGN_OR_RETURN(contact_id, u.accounts().add_contact(c));
    // Made from a mail whose envelope sender does not vouch for its From, or whose DMARC
    // failed: not trusted as a known contact by the loop guard later (the From may be forged).
    if ((row.envelope_sender && !outbound::envelope_matches_from(*row.envelope_sender, m.from.email)) ||
        !facts.from_contradicted.empty())
      MC_RETURN_IF_ERROR(u.accounts().mark_contact_unverified(*contact_id));
  }

  store::Case kase;
  OutcomeKind kind;
  if (d.action == Action::kCreateCase) {
    store::Case c;
    c.subject = case_subject(m);
    c.description = m.text_body;
    c.status = store::CaseStatus::kNew;
    c.priority = d.priority;
    c.queue = d.queue;
    c.product = d.product;
    c.contact_id = contact_id;
    if (account) c.account_id = account->id;
    c.routing_address = facts.address ? facts.address->email : "";
    // The address's (or mailbox's) process, unless a rule sets another.
    c.process = process_of(facts.address, mailbox ? &*mailbox : nullptr);
    // No rules: nothing read beyond the version (once per unit of work).
    rules::Evaluation ev;
    if (unit_rules_ && !unit_rules_->empty()) {
      ev = unit_rules_->decide(
          rule_facts(m, c.routing_address, contact, account, c.priority, in_business_hours()));
      apply_rule_fields(ev, c);
    }
    MC_ASSIGN_OR_RETURN(kase, cases_.create(u, services::Actor::mail(m.from.email), std::move(c), d.reason,
                                            confirmations_));
    MC_RETURN_IF_ERROR(apply_rules_to_new_case(u, cases_, ev, kase));
    w.rule_hits = std::move(ev.matched);
    kind = OutcomeKind::kCreated;
  } else {
    // Read above, in this unit of work; nothing since has written to it.
    if (!threaded) return fail(ErrorCode::kInternal, "threaded case vanished");
    kase = std::move(*threaded);
    kind = OutcomeKind::kUpdated;
  }
  row.case_id = kase.id;

  ReplyText reply = w.reply ? std::move(*w.reply) : split_reply(m.text_body);
  services::InboundMail in;
  in.author = m.from.name.empty() ? m.from.email : m.from.name + " <" + m.from.email + ">";
  if (d.not_participant) in.author += " (sender is not a participant)";
  if (d.dmarc_failed)
    in.author += w.proof.dmarc == "fail" ? " (DMARC failed: sender not proven)" : " (sender not proven)";
  in.sender_verified = row.sender_verified;
  // Moved, not copied: a body of a megabyte is otherwise held a third time until the commit.
  in.body = reply.new_text.empty() && reply.quoted.empty() ? m.text_body : std::move(reply.new_text);
  in.quoted = std::move(reply.quoted);
  in.is_public = !d.internal;
  in.raw_message_id = row.id;
  in.message_id = m.message_id;
  in.cc = cc_shown(m);
  for (const auto& a : m.attachments) {
    store::Attachment at;
    at.filename = a.filename;
    at.content_type = a.content_type;
    at.size = a.size;
    at.sha256 = a.sha256;
    at.blob_location = a.location;
    at.content_id = a.content_id;
    at.is_inline = a.is_inline;
    in.attachments.push_back(std::move(at));
  }
  if (cfg_.storage.keep_original) {
    // Served from where the spool keeps the mail.
    store::Attachment at;
    at.filename = "original-" + std::to_string(row.id) + ".eml";
    at.content_type = "message/rfc822";
    at.size = row.size;
    at.sha256 = row.sha256;
    at.blob_location = row.spool_location;
    in.attachments.push_back(std::move(at));
  }
  // Whom the customer (or a participant) wrote to alongside us may answer on the case too;
  // a stranger's mail and machine mail add nobody.
  if (!d.not_participant && !d.dmarc_failed && !facts.classification.must_not_auto_answer())
    in.participants = participants_to_record(m, ours);
  // The owner hears of a person's mail on their case, not of machine mail (a bounce, an
  // out-of-office answer), nor of an archive being imported; nor of a stranger's mail (or
  // one whose sender's claim failed DMARC) kept as an internal note: a notice headed "The
  // customer replied" would relay a stranger's text (case numbers are sequential) to the
  // agent as the customer's, through the help desk's own mail. It waits on the case.
  in.notify_owner = kind == OutcomeKind::kUpdated && confirmations_ &&
                    !facts.classification.must_not_auto_answer() && !d.not_participant && !d.dmarc_failed;
  in.from = m.from.email;
  in.case_just_opened = kind == OutcomeKind::kCreated;
  MC_RETURN_IF_ERROR(cases_.record_inbound(u, kase, std::move(in)));

  // A bounce of a mail we sent: that outbox row failed, and its case says so.
  if (facts.classification.kind == MailKind::kBounce) {
    for (const auto& id : facts.classification.original_message_ids) {
      MC_ASSIGN_OR_RETURN(auto sent, u.outbox().find_outbox_by_message_id(id));
      if (!sent) continue;
      std::string status;
      for (const auto& r : facts.classification.recipients)
        status += (status.empty() ? "" : ", ") + r.email + (r.status.empty() ? "" : " " + r.status);
      MC_RETURN_IF_ERROR(
          cases_.mail_bounced(u, kase.id, *sent, "bounced" + (status.empty() ? std::string() : ": " + status)));
    }
  }

  if (kind == OutcomeKind::kCreated && confirmations_) {
    services::ConfirmFacts cf;
    cf.is_machine_mail = facts.classification.must_not_auto_answer();
    for (const auto& a : addresses) cf.our_addresses.push_back(a.email);
    cf.from = m.from.email;
    cf.envelope_sender = row.envelope_sender;
    cf.from_contradicted = facts.from_contradicted;
    cf.auto_replies_suppressed = facts.classification.suppresses_auto_replies;
    if (contact) {
      MC_ASSIGN_OR_RETURN(auto unverified, u.accounts().contact_unverified(contact->id));
      cf.sender_is_known_contact = !unverified;
    }
    MC_RETURN_IF_ERROR(cases_.confirm_new_case(u, kase, cf));
  } else if (kind == OutcomeKind::kUpdated && d.case_effect != CaseEffect::kNone) {
    MC_RETURN_IF_ERROR(customer_effects(u, kase, d.case_effect));
  } else if (kind == OutcomeKind::kUpdated && !d.verdict_not_taken.empty()) {
    // The case's history says why the customer's Accept or Reject left it as it was.
    MC_RETURN_IF_ERROR(u.events().add_event({.case_id = kase.id,
                                             .actor_kind = store::ActorKind::kCustomer,
                                             .actor = "mail",
                                             .action = store::EventAction::kVerdictNotTaken,
                                             .details = {{"reason", d.verdict_not_taken}}}));
  }
  return record_outcome(u, w, store::RawState::kProcessed, kind, d.reason, kase.number);
}

bool Pipeline::in_business_hours() const {
  // The defaults of rules::BusinessHours (Monday to Friday, 9 to 17, UTC) while the
  // configuration has no [business_hours] section.
  static const rules::BusinessHours hours;
  return rules::within_business_hours(
      hours, std::chrono::system_clock::time_point{std::chrono::seconds{cases_.clock().now()}});
}

Result<rules::Evaluation> Pipeline::test_rules(std::string_view raw, const Envelope& envelope) {
  if (raw.size() > cfg_.limits.max_message_bytes)
    return fail(ErrorCode::kInvalidInput, "message too large: " + std::to_string(raw.size()) + " bytes, limit " +
                                              std::to_string(cfg_.limits.max_message_bytes));
  spool::NullBlobSink nowhere;  // attachments are read for their facts, never kept
  MC_ASSIGN_OR_RETURN(auto m, mime::parse_bytes(raw, nowhere, parse_limits()));
  MC_ASSIGN_OR_RETURN(auto u, store_->open_unit(store::Access::kRead));
  MC_ASSIGN_OR_RETURN(auto set, rules_.current(u));
  MC_ASSIGN_OR_RETURN(auto addresses, u.routing().list_addresses());
  // The facts apply_decision gathers for a mail that threads onto no case.
  RouteFacts facts;
  facts.message = &m;
  facts.classification = classify(m, envelope.sender);
  facts.address = match_address(recipient_candidates(m, envelope.recipients), addresses);
  MC_ASSIGN_OR_RETURN(auto contact, u.accounts().find_contact_by_email(m.from.email));
  std::optional<store::Account> account;
  if (contact && contact->account_id) {
    MC_ASSIGN_OR_RETURN(account, u.accounts().get_account(*contact->account_id));
  } else if (!contact && !m.from.email.empty()) {
    MC_ASSIGN_OR_RETURN(account, u.accounts().find_account_by_email(m.from.email));
  }
  facts.sender_known = contact.has_value() || account.has_value();
  RouteDecision d = decide_route(facts, cfg_);
  return set->evaluate(rule_facts(m, facts.address ? facts.address->email : "", contact, account, d.priority,
                                  in_business_hours()));
}

Status Pipeline::customer_effects(store::UnitOfWork& u, store::Case& kase, CaseEffect effect) {
  const auto by = services::Actor::customer("mail");
  switch (effect) {
    case CaseEffect::kAccept:
      return cases_.accept(u, by, kase);
    case CaseEffect::kReject:
      return cases_.reject(u, by, kase, "");
    case CaseEffect::kReopen:
      return cases_.reopen(u, by, kase);
    case CaseEffect::kNone:
      return {};
  }
  return {};
}

Result<size_t> Pipeline::finish_interrupted() {
  std::vector<store::RawMessage> pending;
  {
    std::lock_guard lock(mu_);
    store::MessageFilter f;
    f.state = store::RawState::kReceived;
    f.limit = 100000;
    MC_ASSIGN_OR_RETURN(pending, store_->list_raw(f));
  }
  std::vector<Spooled> batch;
  for (const auto& r : pending) {
    batch.push_back(
        Spooled{spool::BlobRef{r.sha256, r.size}, Envelope{r.source, r.recipients, r.envelope_sender}});
  }
  size_t done = 0;
  for (auto& r : process(batch)) {
    MC_RETURN_IF_ERROR(r);
    ++done;
  }
  return done;
}

Result<Outcome> Pipeline::retry(int64_t raw_id) { return retry(raw_id, RetryOptions{}); }

Result<Outcome> Pipeline::retry(int64_t raw_id, const RetryOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  Work w;
  w.not_spam = options.not_spam || options.allow_sender;
  w.allow_sender = options.allow_sender;
  w.allowed_by = options.by;
  {
    std::lock_guard lock(mu_);
    MC_ASSIGN_OR_RETURN(auto row, store_->get_raw(raw_id));
    if (!row) return fail(ErrorCode::kNotFound, "no message " + std::to_string(raw_id));
    // A dismissed mail is held or failed mail put aside: a retry brings it back. A received
    // one was left by an interrupted run, which a retry finishes.
    if (!store::may_retry(row->state) && row->state != store::RawState::kReceived)
      return fail(ErrorCode::kConflict, "message " + std::to_string(raw_id) + " is " + to_string(row->state) +
                                            ": only held, failed or dismissed messages can be retried");
    w.row = *row;
  }
  if (w.row.reason.find(kHeadOnly) != std::string::npos)
    return fail(ErrorCode::kConflict, "message " + std::to_string(raw_id) +
                                          " was larger than limits.max_message_bytes and only its head was "
                                          "kept: it cannot be retried, ask the sender to send it again");
  const spool::BlobRef ref{w.row.sha256, w.row.size, w.row.spool_location};
  if (spool::kept_in_store(ref.location)) {
    if (auto bytes = read_bytes(ref); !bytes && bytes.error().code == ErrorCode::kNotFound)
      return fail(ErrorCode::kNotFound, "the message's bytes are missing");
  } else if (!raws_->contains(ref)) {
    return fail(ErrorCode::kNotFound, "the message's bytes are missing");
  }
  w.in = Spooled{ref, Envelope{w.row.source, w.row.recipients, w.row.envelope_sender}};
  parse(w);
  MC_RETURN_IF_ERROR(sync_blobs());
  std::lock_guard lock(mu_);
  // A held mail is tried again from scratch; its earlier dedupe key is its own.
  auto st = [&]() -> Status {
    MC_ASSIGN_OR_RETURN(auto u, store_->begin_work());
    MC_RETURN_IF_ERROR(read_unit_settings(u));
    MC_RETURN_IF_ERROR(apply(u, w));
    if (!w.rule_hits.empty()) MC_RETURN_IF_ERROR(u.rules().count_rule_hits(w.rule_hits));
    return u.commit();
  }();
  MC_RETURN_IF_ERROR(st);
  observe(*w.outcome, "retry", started);
  return *w.outcome;
}

}  // namespace mailcase::ingest

// spool → parse → classify → resolve → apply, for one mail or a batch.
//
// Every mail is first stored as bytes (content-addressed) and recorded as a
// "received" row in its own commit; then it is parsed and its outcome (case, comment,
// hold, failure) committed. A crash between the two leaves a "received" row that the
// next run finishes. A channel whose senders wait for the outcome (LMTP, a delivery), or
// that reads its mails again after a crash (import), records the row in the outcome's
// commit instead. The same mail again (same bytes, or same Message-ID) is a duplicate.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>

#include "config/config.h"
#include "ingest/assignment.h"
#include "ingest/ingest.h"
#include "ingest/route.h"
#include "ingest/thread.h"
#include "mime/parser.h"
#include "spool/blob_store.h"
#include "spool/raw_spool.h"
#include "store/store.h"

namespace mailcase::services {
class CaseServices;
}  // namespace mailcase::services

namespace mailcase::ingest {

struct ParseResult;
class AlertIngest;

// A mail whose bytes are in the blob store, not yet recorded.
struct Spooled {
  spool::BlobRef blob;
  Envelope envelope;
  // Non-zero: the mail had this many bytes, over limits.max_message_bytes, and blob is
  // only its head (ingest::kOversizeHeadBytes); it is recorded as failed.
  uint64_t full_size = 0;
  // Parsed ahead of its commit (prepare()); consumed by process(). Null: process()
  // parses it.
  std::shared_ptr<ParseResult> parsed;
  // Blobs held in memory until the commit that records the mail keeps them in the store
  // (spool::HeldBlobs; a location "held:<n>" is the n-th): a small mail taken by prepare()
  // and the attachments of its parse. Null: everything is in the spool.
  std::shared_ptr<const std::vector<std::string>> held;
  // When the pipeline first touched the mail (spool()), for the ingest latency metric;
  // unset (a row picked up again): when its processing began.
  std::chrono::steady_clock::time_point started{};
};

class Pipeline final : public MailSink {
 public:
  // Borrows the runtime's parts (runtime/runtime.h builds it), which must outlive it.
  // Times written on cases and mails come from the case services' clock.
  Pipeline(store::Store& store, spool::RawSpool& raws, const config::Config& cfg,
           services::CaseServices& cases);
  ~Pipeline() override;

  Result<Outcome> deliver(std::string_view raw, const Envelope& envelope) override;
  Result<Outcome> deliver_stream(std::istream& raw, const Envelope& envelope) override;
  std::vector<Result<Outcome>> deliver_batch(const std::vector<RawMail>& mails) override;
  bool accepts_recipient(std::string_view email) override;
  Result<std::unique_ptr<PreparedMail>> prepare(std::string_view raw, const Envelope& envelope,
                                                uint64_t full_size) override;
  std::vector<Result<Outcome>> deliver_prepared(std::vector<std::unique_ptr<PreparedMail>> mails) override;

  // Stores the bytes only (not yet durable, not yet recorded): for batches.
  [[nodiscard]] Result<Spooled> spool(std::istream& raw, Envelope envelope);
  [[nodiscard]] Result<Spooled> spool(std::string_view raw, Envelope envelope);
  // Records and processes a batch in two commits ("received" rows, then the outcomes),
  // so that a run killed in between (import) finishes the mails recorded
  // (finish_interrupted). One result per mail, in order.
  std::vector<Result<Outcome>> process(const std::vector<Spooled>& batch) {
    return process(batch, BatchCommit::kRowsFirst);
  }
  // Records and processes a batch in one commit that does not wait for the disk: for a
  // channel that reads its mails again after a crash (import). The blobs are synced on
  // another thread while the batch is applied (waited for before its commit, so that no
  // row names bytes that are not on disk). The outcomes returned are committed, not yet
  // durable: acknowledge none before sync_commits() has returned. A run killed before
  // that leaves no row of the batch, or rows whose mails are found again as duplicates.
  std::vector<Result<Outcome>> process_unsynced(const std::vector<Spooled>& batch) {
    return process(batch, BatchCommit::kUnsynced);
  }
  // Makes every commit so far durable (store::Store::sync_commits). Callable from any
  // thread, beside a process_unsynced() on another: a batch is synced while the next is
  // applied.
  [[nodiscard]] Status sync_commits();
  // The store's upkeep now, the run's last writes coming (store::Store::maintain_now).
  void maintain_store_now() { store_->maintain_now(); }
  // Parses a spooled mail ahead of its process() (sets s.parsed, asks rspamd when it is
  // configured), on the caller's thread and without the store's lock: for a channel that
  // reads and parses mails on one thread while another commits them (import). Touches
  // only the spool and the blob store, so it may run beside process() on another thread.
  // `at_hand`: the mail's bytes when the caller still holds them (used only when they are
  // as many as the spooled blob's), else they are read back from the spool.
  void parse_ahead(Spooled& s, std::string_view at_hand = {});
  // About how many bytes of memory the mail holds until it is committed: its parse's
  // strings (bodies, the reply's split, headers, addresses, attachments' names) once
  // parsed, else its size (its bytes, which a parse will read). For a channel that bounds
  // what it holds ahead of the commits in bytes, whatever the mails' count.
  static uint64_t held_bytes(const Spooled& s);
  // Processes rows left "received" by an interrupted run. Returns how many.
  [[nodiscard]] Result<size_t> finish_interrupted();
  // Runs a held, failed or dismissed mail through the pipeline again.
  [[nodiscard]] Result<Outcome> retry(int64_t raw_id);
  // How a held mail is run again: not_spam skips the spam check (`message retry
  // --not-spam`); allow_sender (which implies not_spam) also puts its From on the spam
  // allow list, in the same commit, as added by `by`.
  struct RetryOptions {
    bool not_spam = false;
    bool allow_sender = false;
    std::string by;
  };
  [[nodiscard]] Result<Outcome> retry(int64_t raw_id, const RetryOptions& options);

  // Where raw mails are spooled (small ones packed, large ones as blob files).
  spool::RawSpool& raw_spool() { return *raws_; }
  // limits.max_message_bytes: a larger mail is kept only in part and recorded as failed.
  uint64_t max_message_bytes() const;
  // Whether a new case is confirmed to its sender (on; `import` of an archive turns it off).
  void set_confirmations(bool on) { confirmations_ = on; }
  // The assignment rules' evaluation of this mail as if it opened a case now (`mailcase
  // rule test`): the facts ingest gathers for a new case, read in a unit that writes
  // nothing; nothing is stored, not even the mail. kInvalidInput for a mail over
  // limits.max_message_bytes or one that cannot be parsed.
  [[nodiscard]] Result<rules::Evaluation> test_rules(std::string_view raw, const Envelope& envelope);

 private:
  struct Work;
  enum class BatchCommit {
    // The "received" rows in a commit of their own, then the outcomes' (process()).
    kRowsFirst,
    // The "received" rows go in the commit of the outcomes, each mail's ahead of its
    // savepoint (deliver_prepared: its senders wait for that commit anyway).
    kRowsWithOutcomes,
    // As kRowsWithOutcomes, the blobs synced beside the batch's statements and the commit
    // not waiting for the disk (process_unsynced()).
    kUnsynced,
  };
  std::vector<Result<Outcome>> process(const std::vector<Spooled>& batch, BatchCommit mode);
  Status sync_blobs();
  void parse(Work& w);
  // at_hand: the mail's bytes when the caller holds them (what it just spooled); a mail in
  // a pack segment is then parsed from them instead of being read back (an open, a pread
  // and a close per mail).
  // sink: where its attachments go (null: the spool).
  ParseResult parse_spooled(const spool::BlobRef& ref, uint64_t full_size, std::string_view at_hand = {},
                            spool::BlobSink* sink = nullptr);
  // The bytes of a recorded blob, in the store or the spool (ingest/blob_reader.h). Takes
  // the store's lock for a blob kept there: never call it under that lock (use read_blob
  // with the unit's repository there).
  Result<std::string> read_bytes(const spool::BlobRef& ref);
  // Gives the held blobs of w (Spooled::held) that its parse named to attachments their
  // place in the store, in u: "held:<n>" becomes "db:<id>".
  Status keep_held_attachments(store::UnitOfWork& u, Work& w);
  mime::ParseLimits parse_limits() const;
  std::string head_only_reason(uint64_t full_size, uint64_t kept) const;
  // What every mail of unit u is applied with, read once per unit: unit_rules_,
  // unit_addresses_ and the alert rules. Called before the first apply() of a unit.
  Status read_unit_settings(store::UnitOfWork& u);
  Status apply(store::UnitOfWork& u, Work& w);
  // The mail's row takes its outcome. case_number: the number of the row's case when the
  // caller has the case in hand (otherwise the case is read for it).
  Status record_outcome(store::UnitOfWork& u, Work& w, store::RawState state, OutcomeKind kind,
                        std::string reason, std::string_view case_number = {});
  Status apply_decision(store::UnitOfWork& u, Work& w);
  // A customer's mail on their case: the effect decide_route decided, through the services.
  Status customer_effects(store::UnitOfWork& u, store::Case& kase, CaseEffect effect);

  // Whether the clock's now is inside business hours.
  bool in_business_hours() const;

  std::mutex mu_;  // one writer at a time on the store's own connection
  store::Store* store_;
  spool::RawSpool* raws_;
  const config::Config& cfg_;
  services::CaseServices& cases_;
  bool confirmations_ = true;
  SubjectTags tags_;
  RuleCache rules_;
  // The rules of the unit of work being applied (read once per unit, under mu_).
  std::shared_ptr<const rules::RuleSet> unit_rules_;
  // The routing addresses as the unit of work being applied sees them (read once per
  // unit, under mu_: nothing the unit does changes them).
  std::vector<store::RoutingAddress> unit_addresses_;
  std::unique_ptr<AlertIngest> alerts_;  // monitoring alerts, before routing (alert_ingest.h)
};

}  // namespace mailcase::ingest

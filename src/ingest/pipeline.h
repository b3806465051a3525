// spool → parse → classify → resolve → apply, for one mail or a batch.
//
// Every mail is first stored as bytes (content-addressed) and recorded as a
// "received" row in its own commit; then it is parsed and its outcome (case, comment,
// hold, failure) committed. A crash between the two leaves a "received" row that the
// next run finishes. The same mail again (same bytes, or same Message-ID) is a duplicate.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>

#include "config/config.h"
#include "domain/clock.h"
#include "ingest/ingest.h"
#include "ingest/route.h"
#include "ingest/thread.h"
#include "spool/blob_store.h"
#include "spool/raw_spool.h"
#include "store/store.h"

namespace mailcase::outbound {
class Templates;
class LinkSigner;
}  // namespace mailcase::outbound

namespace mailcase::ingest {

struct ParseResult;

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
};

class Pipeline final : public MailSink {
 public:
  // Opens the store and blob folder of a data directory (created by `mailcase init`).
  // clock: the owner's, which must outlive the pipeline; link expiry and the outbox's
  // first attempt count from its now.
  [[nodiscard]] static Result<std::unique_ptr<Pipeline>> open(
      const std::filesystem::path& data_dir, const config::Config& cfg,
      const domain::Clock& clock = domain::system_clock());
  Pipeline(std::unique_ptr<store::Store> store, std::unique_ptr<spool::FileBlobStore> blobs,
           config::Config cfg, const domain::Clock& clock = domain::system_clock());
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
  // Records and processes a batch in two commits; one result per mail, in order.
  std::vector<Result<Outcome>> process(const std::vector<Spooled>& batch);
  // Processes rows left "received" by an interrupted run. Returns how many.
  [[nodiscard]] Result<size_t> finish_interrupted();
  // Runs a held or failed mail through the pipeline again.
  [[nodiscard]] Result<Outcome> retry(int64_t raw_id);

  store::Store& store() { return *store_; }
  spool::FileBlobStore& blobs() { return *blobs_; }
  // Where raw mails are spooled (small ones packed, large ones as blob files).
  spool::RawSpool& raw_spool() { return *raws_; }
  const config::Config& config() const { return cfg_; }
  // Whether a new case is confirmed to its sender (on; `import` of an archive turns it off).
  void set_confirmations(bool on) { confirmations_ = on; }

 private:
  struct Work;
  Status sync_blobs();
  void parse(Work& w);
  ParseResult parse_spooled(const spool::BlobRef& ref, uint64_t full_size);
  std::string head_only_reason(uint64_t full_size, uint64_t kept) const;
  Status apply(Work& w);
  Status apply_decision(Work& w);

  std::mutex mu_;  // one writer at a time on the store
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<spool::FileBlobStore> blobs_;
  std::unique_ptr<spool::RawSpool> raws_;
  config::Config cfg_;
  const domain::Clock& clock_;
  // The conversation with customers (confirmations, accept/reject by reply); set up by
  // open() from the data directory, absent for a pipeline built around a bare store.
  std::unique_ptr<outbound::Templates> templates_;
  std::unique_ptr<outbound::LinkSigner> signer_;
  bool confirmations_ = true;
  // Customer mail effects on an existing case, as decide_route decided them.
  Status customer_effects(store::Id case_id, CaseEffect effect);
  SubjectTags tags_;
};

}  // namespace mailcase::ingest

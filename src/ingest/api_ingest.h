// The API by mail as ingest applies it (CW6; mail_api/): a mail to a routing address
// marked api makes no case of its own. Machine mail to it is recorded and ignored, never
// answered (no loop). Otherwise its sender must be an api sender with a proof (a
// signature, or a trusted aligned DKIM/DMARC pass when allowed): without one the mail is
// held with the reason and nobody is answered. A proven mail's Message-ID and signature
// may be used once (a replay is held). Its commands then run in the mail's unit of work,
// all or nothing (a savepoint), and one reply listing each result goes to the sender
// through the outbox (kind "api_reply", Auto-Submitted: auto-replied, not counted by the
// loop guard's hourly limits), from the api address.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ingest/ingest.h"
#include "mime/message.h"
#include "store/store.h"

namespace mailcase::config {
struct Config;
}
namespace mailcase::services {
class CaseServices;
}
namespace mailcase::mail_api {
struct RunResult;
}

namespace mailcase::ingest {

// One mail to an api address, as the pipeline knows it.
struct ApiMail {
  const mime::ParsedMessage* message = nullptr;
  std::string_view raw;  // the bytes as they arrived
  const store::RoutingAddress* address = nullptr;
  // A trusted Authentication-Results header vouches for the From (trust::from_verified).
  bool dkim_aligned = false;
};

// What became of it: its record's state and outcome, and the first case it touched.
struct ApiOutcome {
  store::RawState state = store::RawState::kProcessed;
  OutcomeKind kind = OutcomeKind::kUpdated;
  std::string reason;
  std::optional<store::Id> case_id;
};

// Pure decisions of the API by mail (no I/O; unit-tested):
// Machine mail (a bounce, an auto-reply, our own reply coming back, anything
// Auto-Submitted other than "no"): the reason it is recorded and never answered;
// nullopt for a person's mail.
std::optional<std::string> machine_mail_reason(const mime::ParsedMessage& m);
// The record of a proven mail whose commands ran: all of them done (the first case they
// touched), or the first failing one named and nothing applied.
ApiOutcome api_outcome(const mail_api::RunResult& run, std::string_view proven_by);

// How long a used Message-ID or signature is remembered: longer than the signature's
// clock window, so that a purged one is refused by its time anyway.
inline constexpr int64_t kApiProofMemorySeconds = 24 * 3600;

// Borrows the services and configuration, which must outlive it.
class ApiIngest {
 public:
  ApiIngest(services::CaseServices& cases, const config::Config& cfg) : cases_(cases), cfg_(cfg) {}
  // Writes the mail's effects and its reply in u; fails only when the store does.
  [[nodiscard]] Result<ApiOutcome> apply(store::UnitOfWork& u, const ApiMail& mail);

 private:
  Status queue_reply(store::UnitOfWork& u, const ApiMail& mail, const std::string& to,
                     const std::string& text, std::optional<store::Id> case_id);

  services::CaseServices& cases_;
  const config::Config& cfg_;
};

}  // namespace mailcase::ingest

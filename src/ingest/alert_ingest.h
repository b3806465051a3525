// Monitoring alerts as ingest applies them (CW5): the adapter around alerts::decide_alert.
// A mail an alert rule matches becomes, through the case services and with events by the
// rule: a new case (no contact, no confirmation, origin "alert"), an internal comment on
// its key's open case, the case resolved (recovery), reopened (a problem again within
// the rule's reopen-within) or a new case after that. The sender is never made a
// contact nor a participant, and is never mailed. A mail a rule matches but whose alert
// cannot be read is held, saying why.
//
// At most one open alert case per (account, host, service): the store's unique index
// decides (AlertRepository::claim_alert_case); a claim that loses re-reads the key and
// comments on the winner's case.
#pragma once

#include <optional>
#include <string>

#include "alerts/rule_set.h"
#include "ingest/ingest.h"
#include "mime/message.h"
#include "store/store.h"

namespace mailcase::config {
struct Config;
}
namespace mailcase::services {
class CaseServices;
}

namespace mailcase::ingest {

// What became of an alert mail: its record's state and outcome, and its case.
struct AlertOutcome {
  store::RawState state = store::RawState::kProcessed;
  OutcomeKind kind = OutcomeKind::kUpdated;
  std::string reason;
  std::optional<store::Id> case_id;
};

// Used by one thread at a time (the pipeline's, under its lock). Borrows the services
// and configuration, which must outlive it.
class AlertIngest {
 public:
  AlertIngest(services::CaseServices& cases, const config::Config& cfg);

  // Compiles the rules again when the store's have changed since (another process may
  // have added or removed one): one small read. Once per unit of work, before apply():
  // the unit holds the store's write lock, so the rules cannot change under it.
  [[nodiscard]] Status read_rules(store::UnitOfWork& u);

  // nullopt: no alert rule matches the mail, which goes on to routing. Otherwise the
  // mail's effect is written in u (raw_id: its record) and its outcome returned.
  // notify: a new case's queue is told of it (not while an archive is imported).
  // sender: what the believed Authentication-Results say of the From. A rule matches by
  // the From, so a mail alerts::sender_refusal refuses (a forged recovery, say) is held,
  // never opening, resolving or reopening a case.
  [[nodiscard]] Result<std::optional<AlertOutcome>> apply(store::UnitOfWork& u, const mime::ParsedMessage& m,
                                                          store::Id raw_id, bool notify,
                                                          const alerts::SenderStanding& sender = {});

 private:
  // The mail as an internal comment on c: the outcome of a mail on an existing case.
  Result<AlertOutcome> comment_on(store::UnitOfWork& u, store::Case& c, const mime::ParsedMessage& m,
                                  store::Id raw_id, std::string reason);

  services::CaseServices& cases_;
  const config::Config& cfg_;
  alerts::RuleSet rules_;
  std::optional<std::string> signature_;
};

}  // namespace mailcase::ingest

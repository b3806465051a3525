// Case services shared by every door (ingest, command line, customer pages): comment,
// propose a solution, accept, reject, close, reopen, confirm a new case. Each applies
// the lifecycle decision (cases/lifecycle.h) and queues the customer mails it causes
// as outbox rows, inside the caller's transaction: a change and its mails commit
// together or not at all.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cases/lifecycle.h"
#include "config/config.h"
#include "domain/clock.h"
#include "outbound/compose.h"
#include "outbound/signed_link.h"
#include "outbound/templates.h"
#include "store/store.h"

namespace mailcase::spool {
class FileBlobStore;
}

namespace mailcase::cases {

struct Conversation {
  store::Store& store;
  const config::Config& cfg;
  const outbound::Templates& templates;
  const outbound::LinkSigner& links;
  spool::FileBlobStore* blobs = nullptr;  // for the attachments of agents' comments
  const domain::Clock& clock;             // the owner's: link expiry and retries count from its now
};

struct AgentComment {
  std::string body;
  bool is_public = true;
  std::string author = "agent";
  std::vector<outbound::OutgoingAttachment> attachments;
};

// Links to the customer's page for a case (signed, expiring).
std::string case_link(const Conversation& cv, const store::Case& c);
std::string action_link(const Conversation& cv, const store::Case& c, const std::string& action);

// Finds a case by number or says which number is unknown (kNotFound).
Result<store::Case> case_by_number(store::Store& st, const std::string& number);

mailcase::Status comment(const Conversation& cv, store::Case& c, const AgentComment& in);
mailcase::Status propose_solution(const Conversation& cv, store::Case& c, const AgentComment& in);
// via: "mail" or "web". Accepting on the web shows the survey at once, so closing later
// sends no survey mail.
mailcase::Status accept(const Conversation& cv, store::Case& c, const std::string& via);
mailcase::Status reject(const Conversation& cv, store::Case& c, const std::string& via,
                        const std::string& why);
mailcase::Status close(const Conversation& cv, store::Case& c, const std::string& author);
mailcase::Status reopen(const Conversation& cv, store::Case& c, const std::string& author);
// Gives the case to an agent, named by email whatever its letter case and stored as the
// agent's own (empty: nobody). kInvalidInput when no active agent has that email. No mail.
mailcase::Status assign(const Conversation& cv, store::Case& c, const std::string& owner,
                        const std::string& author);

// The automatic confirmation of a new case, when the loop guard allows it; returns
// whether one was queued, and the reason when not.
struct ConfirmFacts {
  std::string auto_submitted, precedence;
  bool has_list_id = false;
  bool is_machine_mail = false;
  std::vector<std::string> our_addresses;
  std::string from;                            // the mail's From address
  std::optional<std::string> envelope_sender;  // nullopt: unknown; "": <>
  bool sender_is_known_contact = false;        // see outbound::AutoReplyFacts
};
Result<std::string> confirm_new_case(const Conversation& cv, const store::Case& c, const ConfirmFacts& facts);

// Status of a stored case as the lifecycle knows it. The store refuses to read a case
// whose status it does not know, so there is no default here.
CaseStatus status_of(const store::Case& c);

}  // namespace mailcase::cases

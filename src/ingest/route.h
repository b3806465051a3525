// Which routing address a mail was sent to, and what the mail becomes. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "domain/model.h"
#include "ingest/classify.h"
#include "mime/message.h"

namespace mailcase::ingest {

// Candidate recipient addresses in order of trust: envelope recipients, Delivered-To,
// X-Original-To, then To, Cc and Bcc headers. Lower-cased, without duplicates.
std::vector<std::string> recipient_candidates(const mime::ParsedMessage& msg,
                                              const std::vector<std::string>& envelope);

// The first candidate that is a configured routing address, or nullopt.
std::optional<domain::RoutingAddress> match_address(const std::vector<std::string>& candidates,
                                                   const std::vector<domain::RoutingAddress>& configured);

// Whether mail to `email` is taken (LMTP's RCPT): it is a configured routing address, or
// none is configured (every address is then taken, as a fresh store routes all mail).
bool accepts_recipient(std::string_view email, const std::vector<domain::RoutingAddress>& configured);

// Who the sender of a mail is to the case the mail names (SF3). Only kContact (and
// kAccount when threading.verdict_from = "account") may change the case by mail.
enum class SenderRole {
  kContact,      // the case's contact, by any of that contact's addresses
  kAccount,      // another contact (or an own address) of the case's account
  kParticipant,  // listed on the case: To/Cc of its mails, or added by an agent
  kStranger,     // anyone else, and always our own addresses
};
const char* to_string(SenderRole r);

// What the adapter found about the sender and the named case. Ids are nullopt when absent.
struct ParticipantFacts {
  std::optional<int64_t> sender_contact;  // the contact that owns the From address
  std::optional<int64_t> sender_account;  // that contact's account, or the account owning the address
  std::optional<int64_t> case_contact;
  std::optional<int64_t> case_account;  // the case's account, else its contact's
  bool listed = false;                  // the From address is among the case's participants
  bool ours = false;                    // the From address is a routing address or outbound.from_address
};

SenderRole sender_role(const ParticipantFacts& f);

// Whether a mail from this sender may accept, reject or reopen the case.
bool may_change_case(SenderRole role, const config::Threading& cfg);

// The To/Cc addresses of a mail that become participants of its case: normalized,
// lower-case, each once, never the sender nor one of `ours` (routing addresses and the
// outgoing address) or a "+tag" sub-address of one, at most `limit` of them (the headers
// are outside input).
std::vector<std::string> participants_to_record(const mime::ParsedMessage& msg,
                                                const std::vector<std::string>& ours, size_t limit = 50);

// The Cc line of a mail as its comment shows it: the addresses normalized, lower-case,
// each once, in the mail's order, at most `limit` (the header is outside input). An
// address that is no address (no '@') or holds a comma (a quoted local part; the store
// lists addresses separated by commas) is left out.
std::vector<std::string> cc_shown(const mime::ParsedMessage& msg, size_t limit = 50);

// The case a mail answers, as the store has it when the mail arrives.
struct CaseFacts {
  std::string number;
  domain::CaseStatus status = domain::CaseStatus::kNew;
  std::string queue;
  std::string product;
  std::string priority;
  // While a solution is proposed: its solution_proposed event's id (0: unknown).
  int64_t latest_proposal = 0;
};

// Everything the decision needs, looked up by the adapter beforehand.
struct RouteFacts {
  const mime::ParsedMessage* message = nullptr;
  Classification classification;
  std::optional<domain::RoutingAddress> address;  // nullopt: the fallback route
  bool sender_known = false;                      // a contact or an account has the From address
  // The From is one of our own addresses (a routing address, the outgoing address, or a
  // "+tag" sub-address of one: outbound::is_our_address): our own mail come back, or a
  // forgery. It never opens a case nor becomes a contact.
  bool sender_is_ours = false;
  std::optional<int64_t> threaded_case;  // the case this mail answers
  std::string thread_reason;
  // The sender's role on threaded_case; a mail from a stranger never changes the case
  // (threading.non_participant says what it becomes instead).
  SenderRole sender_role = SenderRole::kStranger;
  // threaded_case as it stands; nullopt when there is none (or it could not be read):
  // then the mail cannot reopen, accept or reject it, nor start a new case after it.
  std::optional<CaseFacts> threaded_case_facts;
  // The proposal the mail answers, when it answers one of our solution mails
  // (ingest::answered_proposal); 0: none in particular.
  int64_t answered_proposal = 0;
  // Why the believed Authentication-Results header (trust/) speaks against the From, as
  // trust::from_contradicted says it: DMARC failed, or checked another From, or the mail has
  // none. The From is then forged or cannot be believed. Empty: nothing against it (or no
  // believed header).
  std::string from_contradicted;
};

enum class Action {
  kCreateCase,  // a new case from this mail
  kComment,     // a comment on threaded_case
  kHold,        // kept for an administrator (unknown sender, bounce of nothing we know)
  kIgnore,      // recorded, nothing done (address does not create cases, prefix missing)
};

// What a personal mail from someone who may change its case (may_change_case) does to
// that case; the adapter applies it after recording the comment.
enum class CaseEffect {
  kNone,
  kAccept,  // the first line accepts the proposed solution
  kReject,  // the first line rejects it: the case is open again
  kReopen,  // the case was resolved or closed and outbound.reply_to_closed = "reopen"
};

struct RouteDecision {
  Action action = Action::kHold;
  std::string reason;
  std::string queue;
  std::string product;
  std::string priority;
  bool create_contact = false;   // the sender is unknown and the policy is create
  bool internal = false;         // comment visible to agents only (bounces, auto-replies)
  bool not_participant = false;  // kComment: an internal note because the sender is a stranger
  bool may_change_case = false;  // kComment: the mail may accept, reject or reopen the case
  // kComment: what the mail does to the case (kNone unless may_change_case).
  CaseEffect case_effect = CaseEffect::kNone;
  // kComment: an internal note because DMARC failed for a sender who would otherwise
  // count as the case's contact, account or participant (trust.on_dmarc_fail = "internal").
  bool dmarc_failed = false;
  // kComment: why the Accept or Reject the mail says is not taken as the customer's verdict
  // (it answers the mail of an earlier proposed solution); empty: it is, or says none.
  std::string verdict_not_taken;
};

RouteDecision decide_route(const RouteFacts& facts, const config::Config& cfg);

}  // namespace mailcase::ingest

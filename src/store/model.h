// The model now lives in the domain core (domain/model.h); these names keep
// `store::Case` and friends working for the store and its callers.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "domain/model.h"
#include "domain/process.h"

namespace mailcase::store {

using domain::Account;
using domain::Attachment;
using domain::Case;
using domain::CaseStatus;
using domain::Comment;
using domain::Contact;
using domain::Direction;
using domain::direction_from;
using domain::Id;
using domain::Mailbox;
using domain::MailboxState;
using domain::may_dismiss;
using domain::may_retry;
using domain::outbox_state_from;
using domain::OutboxMail;
using domain::OutboxState;
using domain::Participant;
using domain::Process;
using domain::raw_state_from;
using domain::RawMessage;
using domain::RawState;
using domain::RoutingAddress;
using domain::status_from_string;
using domain::Survey;
using domain::to_string;
using domain::Visibility;
using domain::visibility_from;

// Who acted on a case (the events table's actor_kind; the text of each is what is stored):
//   customer — the case's customer, through a reply read as an answer or the customer page
//   agent    — a person working the case (the CLI today; the console later)
//   system   — mailcase itself: the outbox, the loop guard, bounces
//   rule     — an automation rule (none yet: the rules step writes these)
//   mail     — an incoming mail; the actor is its From address
enum class ActorKind { kCustomer, kAgent, kSystem, kRule, kMail };
const char* to_string(ActorKind k);
std::optional<ActorKind> actor_kind_from(std::string_view s);

// What happened to a case (the events table's action). "legacy" only for rows of the old
// free-text audit whose action had no name here; their details keep the old text.
enum class EventAction {
  kCreated,              // created
  kCommented,            // commented: a public comment to the customer
  kNote,                 // note: an internal note
  kSolutionProposed,     // solution_proposed
  kAccepted,             // accepted: the proposed solution
  kRejected,             // rejected: the proposed solution
  kClosed,               // closed
  kReopened,             // reopened
  kAssigned,             // assigned: details.owner ("" for nobody)
  kParticipantAdded,     // participant_added: details.email
  kParticipantRemoved,   // participant_removed: details.email
  kMailBounced,          // mail_bounced: an outbox mail came back
  kMailFailed,           // mail_failed: an outbox mail gave up
  kMailNotSent,          // mail_not_sent: no address to send it to
  kConfirmationSkipped,  // confirmation_skipped: the loop guard said no (details.reason)
  kSurveyAnswered,       // survey_answered: details.rating
  kAgentAdded,           // agent_added: no case; details.email
  kAgentEnabled,         // agent_enabled: no case; details.email
  kAgentDisabled,        // agent_disabled: no case; details.email
  kAgentPasswordSet,     // agent_password_set: no case; details.email (never the password)
  kTokenCreated,         // token_created: no case; details.token (its id), .email, .label
  kTokenRevoked,         // token_revoked: no case; details.token (its id), .email
  kChanged,              // changed: a field of the case (details.field, from, to)
  kRuleMatched,       // rule_matched: an assignment rule matched the case's mail (details.rule, what it set)
  kRuleAdded,         // rule_added: no case; details.rule and its conditions and actions
  kRuleChanged,       // rule_changed: no case; details.rule, .change (enabled, disabled, moved), .position
  kRuleRemoved,       // rule_removed: no case; details.rule
  kLegacy,            // legacy: an old audit row (details.action, details.text)
  kStageChanged,      // stage_changed: details.process, from, to
  kResolved,          // resolved: without the customer's verdict (a monitoring recovery)
  kAlertRuleAdded,    // alert_rule_added: no case; details.rule, .format and its patterns, account
  kAlertRuleRemoved,  // alert_rule_removed: no case; details.rule
  kAlertRuleChanged,  // alert_rule_changed: no case; details as alert_rule_added's, as it now is
  kVerdictNotTaken,   // verdict_not_taken: a reply's Accept or Reject changed nothing (details.reason)
  kAgentRoleChanged,  // agent_role_changed: no case; details.email, .from, .to (agent or admin)
  kMessageDismissed,  // message_dismissed: no case; details.message (its id), .from, .subject, .was, .reason
  kContactRemoved,  // contact_removed: no case; details.contact (its id; no name or address: it is forgotten)
  kAccountRemoved,  // account_removed: no case; details.account (its id), .name
  kAgentRenamed,    // agent_renamed: no case; details.email, .from, .to (the names)
  // config_changed: no case; an administrator's change of the configuration. details.what
  // (routing_address, mailbox, queue, process, account), .name, .change (added, changed,
  // removed, member_added, member_removed) and what else the change says (never a secret)
  kConfigChanged,
};
const char* to_string(EventAction a);
std::optional<EventAction> event_action_from(std::string_view s);

// One thing that happened to a case (or to none: case_id empty). Details are a flat JSON
// object of strings, stored as such; the store sets `at` (ISO 8601 UTC) when it is empty.
struct Event {
  Id id = 0;
  std::optional<Id> case_id;
  ActorKind actor_kind = ActorKind::kSystem;
  std::string actor;  // an email address or a name ("mailcase" for the system)
  EventAction action = EventAction::kCreated;
  std::map<std::string, std::string> details;
  std::string at;
};


}  // namespace mailcase::store

// The one text mapping of each event enum: what the events table stores and
// `case history` shows.
#include <array>

#include "store/model.h"

namespace mailcase::store {

namespace {

constexpr std::array kActorKinds{ActorKind::kCustomer, ActorKind::kAgent, ActorKind::kSystem,
                                 ActorKind::kRule, ActorKind::kMail};

constexpr std::array kActions{EventAction::kCreated,
                              EventAction::kCommented,
                              EventAction::kNote,
                              EventAction::kSolutionProposed,
                              EventAction::kAccepted,
                              EventAction::kRejected,
                              EventAction::kClosed,
                              EventAction::kReopened,
                              EventAction::kAssigned,
                              EventAction::kParticipantAdded,
                              EventAction::kMailBounced,
                              EventAction::kMailFailed,
                              EventAction::kMailNotSent,
                              EventAction::kConfirmationSkipped,
                              EventAction::kSurveyAnswered,
                              EventAction::kAgentAdded,
                              EventAction::kAgentEnabled,
                              EventAction::kAgentDisabled,
                              EventAction::kLegacy,
                              EventAction::kAgentPasswordSet,
                              EventAction::kTokenCreated,
                              EventAction::kTokenRevoked,
                              EventAction::kChanged,
                              EventAction::kRuleMatched,
                              EventAction::kRuleAdded,
                              EventAction::kRuleChanged,
                              EventAction::kRuleRemoved,
                              EventAction::kStageChanged,
                              EventAction::kResolved,
                              EventAction::kAlertRuleAdded,
                              EventAction::kAlertRuleRemoved,
                              EventAction::kAlertRuleChanged,
                              EventAction::kVerdictNotTaken,
                              EventAction::kAgentRoleChanged,
                              EventAction::kMessageDismissed,
                              EventAction::kContactRemoved,
                              EventAction::kAccountRemoved,
                              EventAction::kAgentRenamed,
                              EventAction::kConfigChanged,
                              EventAction::kParticipantRemoved};

}  // namespace

const char* to_string(ActorKind k) {
  switch (k) {
    case ActorKind::kCustomer:
      return "customer";
    case ActorKind::kAgent:
      return "agent";
    case ActorKind::kSystem:
      return "system";
    case ActorKind::kRule:
      return "rule";
    case ActorKind::kMail:
      return "mail";
  }
  return "?";
}

std::optional<ActorKind> actor_kind_from(std::string_view s) {
  for (auto k : kActorKinds)
    if (s == to_string(k)) return k;
  return std::nullopt;
}

const char* to_string(EventAction a) {
  switch (a) {
    case EventAction::kCreated:
      return "created";
    case EventAction::kCommented:
      return "commented";
    case EventAction::kNote:
      return "note";
    case EventAction::kSolutionProposed:
      return "solution_proposed";
    case EventAction::kAccepted:
      return "accepted";
    case EventAction::kRejected:
      return "rejected";
    case EventAction::kClosed:
      return "closed";
    case EventAction::kReopened:
      return "reopened";
    case EventAction::kAssigned:
      return "assigned";
    case EventAction::kParticipantAdded:
      return "participant_added";
    case EventAction::kMailBounced:
      return "mail_bounced";
    case EventAction::kMailFailed:
      return "mail_failed";
    case EventAction::kMailNotSent:
      return "mail_not_sent";
    case EventAction::kConfirmationSkipped:
      return "confirmation_skipped";
    case EventAction::kSurveyAnswered:
      return "survey_answered";
    case EventAction::kAgentAdded:
      return "agent_added";
    case EventAction::kAgentEnabled:
      return "agent_enabled";
    case EventAction::kAgentDisabled:
      return "agent_disabled";
    case EventAction::kAgentPasswordSet:
      return "agent_password_set";
    case EventAction::kTokenCreated:
      return "token_created";
    case EventAction::kTokenRevoked:
      return "token_revoked";
    case EventAction::kChanged:
      return "changed";
    case EventAction::kRuleMatched:
      return "rule_matched";
    case EventAction::kRuleAdded:
      return "rule_added";
    case EventAction::kRuleChanged:
      return "rule_changed";
    case EventAction::kRuleRemoved:
      return "rule_removed";
    case EventAction::kLegacy:
      return "legacy";
    case EventAction::kStageChanged:
      return "stage_changed";
    case EventAction::kResolved:
      return "resolved";
    case EventAction::kAlertRuleAdded:
      return "alert_rule_added";
    case EventAction::kAlertRuleRemoved:
      return "alert_rule_removed";
    case EventAction::kAlertRuleChanged:
      return "alert_rule_changed";
    case EventAction::kVerdictNotTaken:
      return "verdict_not_taken";
    case EventAction::kAgentRoleChanged:
      return "agent_role_changed";
    case EventAction::kMessageDismissed:
      return "message_dismissed";
    case EventAction::kContactRemoved:
      return "contact_removed";
    case EventAction::kAccountRemoved:
      return "account_removed";
    case EventAction::kAgentRenamed:
      return "agent_renamed";
    case EventAction::kConfigChanged:
      return "config_changed";
    case EventAction::kParticipantRemoved:
      return "participant_removed";
  }
  return "?";
}

std::optional<EventAction> event_action_from(std::string_view s) {
  for (auto a : kActions)
    if (s == to_string(a)) return a;
  return std::nullopt;
}

}  // namespace mailcase::store

#include "console/event_words.h"

#include "util/text.h"

namespace mailcase::console {

const char* event_phrase(store::EventAction a) {
  using A = store::EventAction;
  switch (a) {
    case A::kCreated:
      return "opened the case";
    case A::kCommented:
      return "wrote to the case";
    case A::kNote:
      return "added an internal note";
    case A::kSolutionProposed:
      return "proposed a solution";
    case A::kAccepted:
      return "accepted the solution";
    case A::kRejected:
      return "rejected the solution";
    case A::kClosed:
      return "closed the case";
    case A::kReopened:
      return "reopened the case";
    case A::kResolved:
      return "resolved the case";
    case A::kAssigned:
      return "assigned the case";
    case A::kParticipantAdded:
      return "added a participant";
    case A::kParticipantRemoved:
      return "removed a participant";
    case A::kMailBounced:
      return "reported a mail that bounced";
    case A::kMailFailed:
      return "could not send a mail";
    case A::kMailNotSent:
      return "did not send a mail";
    case A::kConfirmationSkipped:
      return "sent no confirmation";
    case A::kSurveyAnswered:
      return "answered the survey";
    case A::kChanged:
      return "changed the case";
    case A::kRuleMatched:
      return "matched an assignment rule";
    case A::kStageChanged:
      return "moved the case to another stage";
    case A::kVerdictNotTaken:
      return "answered a solution that was no longer open";
    case A::kLegacy:
      return "recorded";
    case A::kAgentAdded:
      return "added an agent";
    case A::kAgentEnabled:
      return "enabled an agent";
    case A::kAgentDisabled:
      return "disabled an agent";
    case A::kAgentPasswordSet:
      return "set an agent's password";
    case A::kAgentRoleChanged:
      return "changed an agent's role";
    case A::kAgentRenamed:
      return "renamed an agent";
    case A::kConfigChanged:
      return "changed the configuration";
    case A::kTokenCreated:
      return "created an API token";
    case A::kTokenRevoked:
      return "revoked an API token";
    case A::kRuleAdded:
      return "added an assignment rule";
    case A::kRuleChanged:
      return "changed an assignment rule";
    case A::kRuleRemoved:
      return "removed an assignment rule";
    case A::kAlertRuleAdded:
      return "added an alert rule";
    case A::kAlertRuleChanged:
      return "changed an alert rule";
    case A::kAlertRuleRemoved:
      return "removed an alert rule";
    case A::kMessageDismissed:
      return "dismissed a mail";
    case A::kContactRemoved:
      return "removed a contact";
    case A::kAccountRemoved:
      return "removed an account";
  }
  return "recorded";
}

std::vector<std::pair<std::string, std::string>> event_details(const store::Event& e) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, value] : e.details) {
    if (value.empty() && !(e.action == store::EventAction::kAssigned && key == "owner")) continue;
    std::string label = key;
    for (auto& ch : label)
      if (ch == '_') ch = ' ';
    // An owner taken off: the case has none now.
    out.emplace_back(text::capitalized(label), value.empty() ? std::string("nobody") : value);
  }
  return out;
}

}  // namespace mailcase::console

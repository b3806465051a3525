#include "present/alert_rule_json.h"

namespace mailcase::present {

nlohmann::json alert_rule_json(const alerts::AlertRule& r) {
  return {{"name", r.name},
          {"format", alerts::to_string(r.format)},
          {"sender", r.sender_re},
          {"subject", r.subject_re},
          {"body", r.body_re},
          {"account", r.account.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.account)},
          {"reopen_within_hours", r.reopen_within_hours},
          {"proven_sender", r.proven_sender},
          {"position", r.position},
          {"created_at", r.created_at}};
}

}  // namespace mailcase::present

#include "ingest/alert_ingest.h"

#include "cases/lifecycle.h"

#include <spdlog/spdlog.h>

#include "config/config.h"
#include "services/case_services.h"

namespace mailcase::ingest {
namespace {

// The alert mail as an internal comment: never public, no participants, nobody told.
services::InboundMail alert_comment(const mime::ParsedMessage& m, store::Id raw_id) {
  services::InboundMail in;
  in.author = m.from.name.empty() ? m.from.email : m.from.name + " <" + m.from.email + ">";
  in.body = m.subject.empty() ? m.text_body : "Subject: " + m.subject + "\n\n" + m.text_body;
  in.is_public = false;
  in.raw_message_id = raw_id;
  in.message_id = m.message_id;
  for (const auto& a : m.attachments) {
    store::Attachment at;
    at.filename = a.filename;
    at.content_type = a.content_type;
    at.size = a.size;
    at.sha256 = a.sha256;
    at.blob_location = a.location;
    at.content_id = a.content_id;
    at.is_inline = a.is_inline;
    in.attachments.push_back(std::move(at));
  }
  in.from = m.from.email;
  return in;
}

}  // namespace

AlertIngest::AlertIngest(services::CaseServices& cases, const config::Config& cfg)
    : cases_(cases), cfg_(cfg) {}

Status AlertIngest::read_rules(store::UnitOfWork& u) {
  MC_ASSIGN_OR_RETURN(auto sig, u.alerts().alert_rules_signature());
  if (signature_ && *signature_ == sig) return {};
  MC_ASSIGN_OR_RETURN(auto all, u.alerts().list_alert_rules());
  rules_ = alerts::RuleSet::compile(all);
  for (const auto& name : rules_.skipped())
    spdlog::warn("alert rule {} does not compile and is left out (remove it and add it again)", name);
  signature_ = std::move(sig);
  return {};
}

Result<AlertOutcome> AlertIngest::comment_on(store::UnitOfWork& u, store::Case& c,
                                             const mime::ParsedMessage& m, store::Id raw_id,
                                             std::string reason) {
  MC_RETURN_IF_ERROR(cases_.record_inbound(u, c, alert_comment(m, raw_id)));
  return AlertOutcome{store::RawState::kProcessed, OutcomeKind::kUpdated, std::move(reason), c.id};
}

Result<std::optional<AlertOutcome>> AlertIngest::apply(store::UnitOfWork& u, const mime::ParsedMessage& m,
                                                       store::Id raw_id, bool notify,
                                                       const alerts::SenderStanding& sender) {
  if (rules_.empty()) return std::optional<AlertOutcome>();
  auto match = rules_.match(m.from.email, m.subject, m.text_body);
  if (!match) return std::optional<AlertOutcome>();
  const alerts::AlertRule& rule = *match->rule;
  const std::string said = "alert rule " + rule.name + ": ";
  if (const std::string refused = alerts::sender_refusal(rule, sender); !refused.empty())
    return std::optional<AlertOutcome>(AlertOutcome{store::RawState::kHeld, OutcomeKind::kHeld,
                                                    said + "not applied: " + refused, std::nullopt});
  if (!match->alert)
    return std::optional<AlertOutcome>(AlertOutcome{store::RawState::kHeld, OutcomeKind::kHeld,
                                                    said + "the mail matches but is not a readable " +
                                                        alerts::to_string(rule.format) + " alert (" +
                                                        match->alert.error().message + ")",
                                                    std::nullopt});
  const alerts::Alert& a = *match->alert;
  const store::Id key = rule.account_id.value_or(0);
  const auto by = services::Actor::rule(rule.name);
  const int64_t now = cases_.clock().now();

  // The key's latest row and its case, as the pure decision sees them.
  auto read = [&]() -> Result<std::pair<std::optional<store::AlertCaseRow>, std::optional<store::Case>>> {
    MC_ASSIGN_OR_RETURN(auto row, u.alerts().latest_alert_case(key, a.host, a.service));
    std::optional<store::Case> c;
    if (row && row->case_id) {
      MC_ASSIGN_OR_RETURN(c, u.cases().get_case(*row->case_id));
    }
    if (!c) row.reset();  // no case to act on: as if none
    return std::make_pair(std::move(row), std::move(c));
  };
  MC_ASSIGN_OR_RETURN(auto found, read());
  auto& [row, kase] = found;
  std::optional<alerts::ExistingAlertCase> existing;
  if (row) existing = alerts::ExistingAlertCase{kase->id, row->open, kase->status, row->resolved_at};
  const auto d = alerts::decide_alert(a, rule.reopen_within_hours, existing, now);
  std::string reason = said + d.reason;

  // Another writer holds the key's open row (the store refused ours): its case gets the
  // mail as a comment.
  auto comment_on_winner = [&]() -> Result<std::optional<AlertOutcome>> {
    MC_ASSIGN_OR_RETURN(auto again, read());
    if (!again.second)
      return fail(ErrorCode::kTemporary, "alert: the key's open alert case could not be read; try again");
    MC_ASSIGN_OR_RETURN(auto out,
                        comment_on(u, *again.second, m, raw_id,
                                   said + "another delivery opened the case first; a comment on it"));
    return std::optional<AlertOutcome>(std::move(out));
  };

  switch (d.action) {
    case alerts::AlertAction::kIgnore:
      return std::optional<AlertOutcome>(
          AlertOutcome{store::RawState::kProcessed, OutcomeKind::kIgnored, std::move(reason), std::nullopt});
    case alerts::AlertAction::kOpenCase:
    case alerts::AlertAction::kNewCase: {
      auto claim = u.alerts().claim_alert_case(key, a.host, a.service);
      if (!claim) {
        if (claim.error().code == ErrorCode::kConflict) return comment_on_winner();
        return tl::unexpected(claim.error());
      }
      store::Case c;
      c.subject = alerts::alert_subject(a);
      c.description = m.text_body;
      c.status = store::CaseStatus::kNew;
      c.priority = cfg_.routing.default_priority;
      c.queue = cfg_.routing.default_queue;
      c.origin = std::string(services::kAlertOrigin);
      c.account_id = rule.account_id;
      MC_ASSIGN_OR_RETURN(auto created, cases_.create(u, by, std::move(c), reason, notify));
      MC_RETURN_IF_ERROR(u.alerts().set_alert_case(*claim, created.id));
      MC_RETURN_IF_ERROR(cases_.record_inbound(u, created, alert_comment(m, raw_id)));
      return std::optional<AlertOutcome>(
          AlertOutcome{store::RawState::kProcessed, OutcomeKind::kCreated, std::move(reason), created.id});
    }
    case alerts::AlertAction::kComment: {
      MC_ASSIGN_OR_RETURN(auto out, comment_on(u, *kase, m, raw_id, std::move(reason)));
      return std::optional<AlertOutcome>(std::move(out));
    }
    case alerts::AlertAction::kResolve:
    case alerts::AlertAction::kNoteRecovery: {
      MC_ASSIGN_OR_RETURN(auto out, comment_on(u, *kase, m, raw_id, std::move(reason)));
      if (d.action == alerts::AlertAction::kResolve && !cases::finished(kase->status))
        MC_RETURN_IF_ERROR(cases_.resolve(u, by, *kase));
      MC_RETURN_IF_ERROR(u.alerts().resolve_alert_case(row->id, now));
      return std::optional<AlertOutcome>(std::move(out));
    }
    case alerts::AlertAction::kReopen: {
      if (!row->open) {
        if (auto s = u.alerts().reopen_alert_case(row->id); !s) {
          if (s.error().code == ErrorCode::kConflict) return comment_on_winner();
          return tl::unexpected(s.error());
        }
      }
      MC_ASSIGN_OR_RETURN(auto out, comment_on(u, *kase, m, raw_id, std::move(reason)));
      // An agent may have reopened it already: then the comment is all.
      if (cases::finished(kase->status)) MC_RETURN_IF_ERROR(cases_.reopen(u, by, *kase));
      return std::optional<AlertOutcome>(std::move(out));
    }
  }
  return fail(ErrorCode::kInternal, "alert: unknown decision");
}

}  // namespace mailcase::ingest

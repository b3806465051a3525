#include "ingest/api_ingest.h"

#include "config/config.h"
#include "ingest/classify.h"
#include "mail_api/commands.h"
#include "mail_api/proof.h"
#include "mail_api/run.h"
#include "outbound/compose.h"
#include "services/case_services.h"
#include "util/clock.h"
#include "util/secret_file.h"
#include "util/text.h"

namespace mailcase::ingest {
namespace {

ApiOutcome held(std::string reason) {
  return ApiOutcome{store::RawState::kHeld, OutcomeKind::kHeld, std::move(reason), std::nullopt};
}

// The secret of an api sender's file; a file others may read is refused, as the secret
// may be known to them.
Result<std::string> read_secret(const std::string& path) {
  if (auto exposed = secret_file_exposure(path))
    return fail(ErrorCode::kInvalidInput, *exposed + " (chmod 600 it)");
  return read_password_file(path);
}

}  // namespace

std::optional<std::string> machine_mail_reason(const mime::ParsedMessage& m) {
  // The mail's Return-Path stands for its envelope sender here.
  const auto kind = classify(m, std::nullopt);
  if (kind.must_not_auto_answer()) return "API: machine mail is not answered (" + kind.reason + ")";
  return std::nullopt;
}

ApiOutcome api_outcome(const mail_api::RunResult& run, std::string_view proven_by) {
  ApiOutcome out;
  out.state = store::RawState::kProcessed;
  if (run.ok()) {
    out.kind = OutcomeKind::kUpdated;
    out.case_id = run.first_case();
    out.reason =
        "API: " + std::to_string(run.actions.size()) + " command(s) run, proven by " + std::string(proven_by);
  } else if (run.actions.empty()) {
    out.kind = OutcomeKind::kIgnored;
    out.reason = "API: nothing applied: no command";
  } else {
    const auto& bad = run.actions.back();
    out.kind = OutcomeKind::kIgnored;
    out.reason = "API: nothing applied: command " + std::to_string(bad.position) + " (" + bad.element +
                 "): " + bad.text;
  }
  return out;
}

Result<ApiOutcome> ApiIngest::apply(store::UnitOfWork& u, const ApiMail& mail) {
  const auto& m = *mail.message;
  // Machine mail (a bounce, an auto-reply, our own reply coming back) is never answered.
  if (auto machine = machine_mail_reason(m))
    return ApiOutcome{store::RawState::kProcessed, OutcomeKind::kIgnored, std::move(*machine), std::nullopt};

  const std::string sender = text::normalize_email(m.from.email);
  MC_ASSIGN_OR_RETURN(auto api_sender, u.api_senders().find_api_sender(sender));
  mail_api::ProofFacts facts;
  facts.registered = api_sender.has_value() && !sender.empty();
  facts.body = mail_api::raw_body(mail.raw);
  facts.now = cases_.clock().now();
  facts.dkim_aligned = mail.dkim_aligned;
  if (const std::string* sig = m.header(mail_api::kSignatureHeader)) facts.signature_header = *sig;
  if (api_sender) {
    facts.sender_dkim = api_sender->dkim;
    facts.sender_has_secret = !api_sender->secret_file.empty();
    if (facts.sender_has_secret && facts.signature_header) {
      auto secret = read_secret(api_sender->secret_file);
      if (secret)
        facts.secret = std::move(*secret);
      else
        facts.secret_error = secret.error().message;
    }
  }
  const auto proof = mail_api::decide_proof(facts);
  if (!proof.proven) return held(proof.reason);

  // Each proof once: its Message-ID and its signature.
  MC_RETURN_IF_ERROR(u.api_senders().purge_api_proofs(facts.now - kApiProofMemorySeconds));
  if (!m.message_id.empty()) {
    MC_ASSIGN_OR_RETURN(bool fresh, u.api_senders().claim_api_proof("mid:" + m.message_id, facts.now));
    if (!fresh) return held("API: a replay: its Message-ID was used before");
  }
  if (!proof.signature_hex.empty()) {
    MC_ASSIGN_OR_RETURN(bool fresh, u.api_senders().claim_api_proof("sig:" + proof.signature_hex, facts.now));
    if (!fresh) return held("API: a replay: its signature was used before");
  }

  const auto parsed = mail_api::parse_commands(mail_api::xml_of_body(m.text_body));
  if (!parsed.ok()) {
    MC_RETURN_IF_ERROR(queue_reply(u, mail, sender, mail_api::reply_text(parsed.errors), std::nullopt));
    return ApiOutcome{store::RawState::kProcessed, OutcomeKind::kIgnored,
                      "API: nothing applied: " + mail_api::describe(parsed.errors.front()), std::nullopt};
  }

  // All or nothing: a failed command undoes those before it, while the mail's record, the
  // used proofs and the reply stay (and the other mails of the batch).
  constexpr std::string_view kSavepoint = "mail_api_commands";
  MC_RETURN_IF_ERROR(u.savepoint(kSavepoint));
  const services::Actor by{store::ActorKind::kMail, sender, "api"};
  auto run = mail_api::run_commands(u, cases_, by, parsed.commands);
  if (!run || !run->ok()) MC_RETURN_IF_ERROR(u.rollback_to_savepoint(kSavepoint));
  MC_RETURN_IF_ERROR(u.release_savepoint(kSavepoint));
  MC_RETURN_IF_ERROR(run);

  ApiOutcome out = api_outcome(*run, proof.how);
  MC_RETURN_IF_ERROR(queue_reply(u, mail, sender, mail_api::reply_text(parsed.commands, *run), out.case_id));
  return out;
}

Status ApiIngest::queue_reply(store::UnitOfWork& u, const ApiMail& mail, const std::string& to,
                              const std::string& text, std::optional<store::Id> case_id) {
  if (!cfg_.outbound.enabled) return {};
  const auto& m = *mail.message;
  outbound::OutgoingMail r;
  r.from_name = cfg_.outbound.from_name;
  // From the api address: an answer to the reply comes back there, as machine mail.
  r.from_address = mail.address->email;
  r.to_address = to;
  const std::string subject(text::trim(m.subject));
  r.subject = subject.empty() ? "mailcase API result" : "Re: " + subject.substr(0, 900);
  r.text = text;
  r.message_id = outbound::new_message_id(mail.address->email);
  if (!m.message_id.empty()) {
    r.in_reply_to = m.message_id;
    r.references = {m.message_id};
  }
  r.automatic = true;  // Auto-Submitted: auto-replied
  store::OutboxMail row;
  row.case_id = case_id;
  row.kind = "api_reply";
  row.to = to;
  row.message_id = r.message_id;
  row.raw = outbound::compose(r);
  // Not counted as an automatic reply: the loop guard's hourly limits neither hold it
  // back nor count it (it answers a proven sender, once per mail).
  row.automatic = false;
  row.next_attempt_at = cases_.clock().now();
  row.created_at = clock::iso8601(cases_.clock().now());
  MC_RETURN_IF_ERROR(u.outbox().add_outbox(row));
  return {};
}

}  // namespace mailcase::ingest

// The JSON form of each thing mailcase shows: one mapping per type, shared by the command
// line's --json and the HTTP API, so that a field has one name and one meaning wherever
// it is read. Pure: no I/O; what a mapper needs beyond its row (a case's number for a
// mail, a mailbox's last state) the caller looks up and passes in.
//
// Contracts every mapper keeps:
//   - the field names and value types below are an interface: scripts parse them;
//   - no secret ever appears: a mailbox's password file, token command and CA file are
//     left out, and so would be any token or password added to a row later;
//   - text is copied as stored, bytes that are not UTF-8 included: print with json_text,
//     which never throws on them.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "cases/case_view.h"
#include "ingest/ingest.h"
#include "store/agents.h"
#include "store/model.h"
#include "store/repositories.h"

namespace mailcase::present {

// {name, email (the first, "" when none), emails}; null when the case has no contact.
nlohmann::json contact_json(const std::optional<store::Contact>& c);
// {name, support_level}; null when the case has no account.
nlohmann::json account_json(const std::optional<store::Account>& a);

// A row of `case list`: the case's fields with its contact and account (no description,
// no thread).
nlohmann::json case_json(const store::CaseSummary& s);
// `case show`: the row's fields, the description, the thread (comments), attachments,
// participants and owner_name ("" when unassigned or the agent is gone).
nlohmann::json case_detail_json(const cases::CaseView& v);

nlohmann::json comment_json(const store::Comment& c);
// id: what GET /api/v1/attachments/{id} takes.
nlohmann::json attachment_json(const store::Attachment& a);
nlohmann::json participant_json(const store::Participant& p);
// One entry of `case history`: {at, actor_kind, actor, action, details}; details is
// always an object (empty when the event has none).
nlohmann::json event_json(const store::Event& e);

// A mail of the outbox without its bytes; case_number is "" for a mail of no case.
nlohmann::json outbox_json(const store::OutboxMail& m, std::string_view case_number);
// A recorded incoming mail; case_number "" (no case) becomes null, and so does an
// envelope sender the source did not tell ("" is the null sender <>).
nlohmann::json message_json(const store::RawMessage& m, std::string_view case_number);
// What became of one delivered mail (`deliver`, `message retry`); case null when none.
nlohmann::json outcome_json(const ingest::Outcome& o);

nlohmann::json agent_json(const store::Agent& a);
// {"name", "members": [emails], "open_cases"}.
nlohmann::json queue_json(const store::Queue& q);
// {"name", "stages": [names, in order], "created_at"}.
nlohmann::json process_json(const store::Process& p);
// A routing address.
nlohmann::json address_json(const store::RoutingAddress& a);
// A mailbox's settings and its agent's last state. No password file, token command or
// CA file: where secrets are read from stays on the server.
nlohmann::json mailbox_json(const store::Mailbox& m, const store::MailboxState& state);
// An API token as it is listed: id, agent, label, dates and state ("active" or
// "revoked"); never the token nor its digest. last_used_at and revoked_at null when unset.
nlohmann::json api_token_json(const store::ApiToken& t);

// The text of j as mailcase prints and serves it (indent < 0: one line). Never throws:
// bytes that are not UTF-8 (a mail's subject from an older store, say) become U+FFFD.
std::string json_text(const nlohmann::json& j, int indent = -1);

// A contact as a resource of its own (the API's /contacts): {id, name, email (the first,
// "" when none), emails, language, account_id (null when none)}.
nlohmann::json contact_record_json(const store::Contact& c);
// An account as a resource of its own (the API's /accounts): {id, name, support_level, emails}.
nlohmann::json account_record_json(const store::Account& a);

}  // namespace mailcase::present

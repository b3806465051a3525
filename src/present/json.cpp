#include "present/json.h"

namespace mailcase::present {

namespace {

using nlohmann::json;

// The fields a case row and a shown case share.
json case_fields(const store::Case& c) {
  return {{"number", c.number},
          {"subject", c.subject},
          {"status", store::to_string(c.status)},
          {"priority", c.priority},
          {"queue", c.queue},
          {"product", c.product},
          {"origin", c.origin},
          {"owner", c.owner},
          {"routing_address", c.routing_address},
          {"created_at", c.created_at},
          {"updated_at", c.updated_at},
          {"process", c.process},
          {"stage", c.stage}};
}

json text_or_null(std::string_view s) {
  return s.empty() ? json(nullptr) : json(std::string(s));
}

}  // namespace

json contact_json(const std::optional<store::Contact>& c) {
  if (!c) return nullptr;
  return {{"name", c->name}, {"email", c->emails.empty() ? "" : c->emails.front()}, {"emails", c->emails}};
}

json account_json(const std::optional<store::Account>& a) {
  if (!a) return nullptr;
  return {{"name", a->name}, {"support_level", a->support_level}};
}

json case_json(const store::CaseSummary& s) {
  auto j = case_fields(s.c);
  j["contact"] = contact_json(s.contact);
  j["account"] = account_json(s.account);
  return j;
}

json case_detail_json(const cases::CaseView& v) {
  auto j = case_fields(v.c);
  j["description"] = v.c.description;
  j["contact"] = contact_json(v.contact);
  j["account"] = account_json(v.account);
  auto comments = json::array();
  for (const auto& c : v.comments) comments.push_back(comment_json(c));
  j["comments"] = std::move(comments);
  auto atts = json::array();
  for (const auto& a : v.attachments) atts.push_back(attachment_json(a));
  j["attachments"] = std::move(atts);
  auto people = json::array();
  for (const auto& p : v.participants) people.push_back(participant_json(p));
  j["participants"] = std::move(people);
  j["owner_name"] = v.owner ? v.owner->name : "";
  return j;
}

json comment_json(const store::Comment& c) {
  json j{{"id", c.id},
         {"direction", store::to_string(c.direction)},
         {"author", c.author},
         {"body", c.body},
         {"quoted", c.quoted},
         {"visibility", store::to_string(c.visibility)},
         {"created_at", c.created_at},
         {"cc", c.cc}};
  // Only a comment from a mail was checked: absent, not false, for the others.
  if (c.sender_verified) j["sender_verified"] = *c.sender_verified;
  return j;
}

json attachment_json(const store::Attachment& a) {
  return {{"filename", a.filename}, {"content_type", a.content_type}, {"size", a.size},
          {"sha256", a.sha256},     {"content_id", a.content_id},     {"inline", a.is_inline},
          {"id", a.id}};
}

json participant_json(const store::Participant& p) {
  return {{"email", p.email}, {"source", p.source}, {"added_at", p.added_at}};
}

json event_json(const store::Event& e) {
  json details = e.details;  // an object, {} when empty
  return {{"at", e.at},
          {"actor_kind", store::to_string(e.actor_kind)},
          {"actor", e.actor},
          {"action", store::to_string(e.action)},
          {"details", std::move(details)}};
}

json outbox_json(const store::OutboxMail& m, std::string_view case_number) {
  return {{"id", m.id},
          {"case", std::string(case_number)},
          {"kind", m.kind},
          {"to", m.to},
          {"message_id", m.message_id},
          {"state", store::to_string(m.state)},
          {"attempts", m.attempts},
          {"automatic", m.automatic},
          {"last_error", m.last_error},
          {"created_at", m.created_at},
          {"sent_at", m.sent_at},
          {"claimed_by", m.claimed_by}};
}

json message_json(const store::RawMessage& m, std::string_view case_number) {
  json j{{"id", m.id},
         {"state", store::to_string(m.state)},
         {"outcome", m.outcome},
         {"reason", m.reason},
         {"case", text_or_null(case_number)},
         {"message_id", m.message_id},
         {"from", m.from},
         {"subject", m.subject},
         {"source", m.source},
         {"size", m.size},
         {"sha256", m.sha256},
         {"received_at", m.received_at},
         {"attempts", m.attempts},
         {"envelope_sender", m.envelope_sender ? json(*m.envelope_sender) : json(nullptr)}};
  // Proof of the sender (trust/auth_results.h): what the believed server said.
  j["auth_server"] = m.auth_server;
  j["dkim"] = m.dkim;
  j["spf"] = m.spf;
  j["dmarc"] = m.dmarc;
  j["sender_verified"] = m.sender_verified;
  // The spam check (spam/verdict.h): "" not asked, ham, spam or unchecked; who said so and why.
  j["spam"] = m.spam;
  j["spam_score"] = m.spam_score ? json(*m.spam_score) : json(nullptr);
  j["spam_detail"] = m.spam_detail;
  // What reading it as MIME met and read past, one line each.
  j["problems"] = m.problems;
  return j;
}

json outcome_json(const ingest::Outcome& o) {
  return {{"outcome", ingest::to_string(o.kind)},
          {"case", o.case_number ? json(*o.case_number) : json(nullptr)},
          {"reason", o.reason},
          {"message", o.message_id}};
}

json agent_json(const store::Agent& a) {
  return {{"name", a.name},
          {"email", a.email},
          {"role", store::to_string(a.role)},
          {"active", a.active},
          {"created_at", a.created_at},
          {"notify", {{"new_case", a.notify_new_case}, {"reply", a.notify_reply}, {"assigned", a.notify_assigned}}}};
}

json queue_json(const store::Queue& q) {
  return {{"name", q.name}, {"members", q.members}, {"open_cases", q.open_cases}};
}

json process_json(const store::Process& p) {
  return {{"name", p.name}, {"stages", p.stages}, {"created_at", p.created_at}};
}

json api_token_json(const store::ApiToken& t) {
  auto optional = [](const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); };
  return {{"id", t.id},
          {"agent", t.agent_email},
          {"label", t.label},
          {"created_at", t.created_at},
          {"last_used_at", optional(t.last_used_at)},
          {"revoked_at", optional(t.revoked_at)},
          {"state", t.revoked_at ? "revoked" : "active"}};
}

json address_json(const store::RoutingAddress& a) {
  return {{"email", a.email},
          {"queue", a.queue},
          {"product", a.product},
          {"creates_cases", a.creates_cases},
          {"subject_prefix", a.subject_prefix},
          {"unknown_sender", a.unknown_sender},
          {"priority", a.priority},
          {"process", a.process},
          {"authserv_ids", a.authserv_ids},
          {"api", a.api}};
}

json mailbox_json(const store::Mailbox& m, const store::MailboxState& state) {
  return {{"name", m.name},
          {"protocol", domain::to_string(m.protocol)},
          {"host", m.host},
          {"port", m.port},
          {"tls", domain::to_string(m.tls)},
          {"user", m.user},
          {"folder", m.folder},
          {"after", domain::to_string(m.after)},
          {"idle", m.idle},
          {"poll_interval_s", m.poll_interval_s},
          {"address", m.address},
          {"auth", domain::to_string(m.auth)},
          {"allow_plaintext_auth", m.allow_plaintext_auth},
          {"process", m.process},
          {"authserv_ids", m.authserv_ids},
          {"status", state.status},
          {"last_success", state.last_success},
          {"last_error", state.last_error},
          {"backlog", state.backlog},
          {"push_count", state.push_count},
          {"push_last_notice_at", state.push_last_notice_at},
          {"push_last_ms", state.push_last_ms < 0 ? json(nullptr) : json(state.push_last_ms)}};
}

std::string json_text(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

json contact_record_json(const store::Contact& c) {
  json j{{"id", c.id},         {"name", c.name},         {"email", c.emails.empty() ? "" : c.emails.front()},
         {"emails", c.emails}, {"language", c.language}, {"account_id", nullptr}};
  if (c.account_id) j["account_id"] = *c.account_id;
  return j;
}

json account_record_json(const store::Account& a) {
  return {{"id", a.id}, {"name", a.name}, {"support_level", a.support_level}, {"emails", a.emails}};
}

}  // namespace mailcase::present

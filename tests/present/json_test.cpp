// The JSON form of each domain type: the field names, value types and values that the
// CLI's --json and the HTTP API promise to scripts. Pure: each mapper on a value built here.
#include "present/json.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace mailcase {
namespace {

using nlohmann::json;
using present::json_text;

store::Case sample_case() {
  store::Case c;
  c.id = 7;
  c.number = "CS0000007";
  c.subject = "Printer jams";
  c.description = "It jams on page 2.";
  c.status = store::CaseStatus::kSolutionProposed;
  c.priority = "high";
  c.queue = "Hardware";
  c.product = "LaserJet";
  c.origin = "email";
  c.owner = "marek@corp.example";
  c.contact_id = 3;
  c.account_id = 4;
  c.routing_address = "printers@corp.example";
  c.process = "Support";
  c.stage = "Fix";
  c.created_at = "2026-11-23T10:00:00Z";
  c.updated_at = "2026-11-24T09:30:00Z";
  return c;
}

store::Contact sample_contact() {
  store::Contact ct;
  ct.id = 3;
  ct.name = "Ann Smith";
  ct.emails = {"ann@acme.example", "ann.smith@acme.example"};
  return ct;
}

store::Account sample_account() {
  store::Account a;
  a.id = 4;
  a.name = "Acme";
  a.support_level = "gold";
  a.emails = {"it@acme.example"};
  return a;
}

// The case fields a list row and a shown case share, in the order json sorts them.
const char* kCaseFields =
    R"("created_at":"2026-11-23T10:00:00Z","number":"CS0000007","origin":"email",)"
    R"("owner":"marek@corp.example","priority":"high","process":"Support","product":"LaserJet","queue":"Hardware",)"
    R"("routing_address":"printers@corp.example","stage":"Fix","status":"solution proposed","subject":"Printer jams",)"
    R"("updated_at":"2026-11-24T09:30:00Z")";

TEST(PresentJson, CaseRowHasCaseFieldsContactAndAccountButNoThread) {
  store::CaseSummary s{sample_case(), sample_contact(), sample_account()};
  EXPECT_EQ(
      json_text(present::case_json(s)),
      std::string(R"({"account":{"name":"Acme","support_level":"gold"},)") +
          R"("contact":{"email":"ann@acme.example","emails":["ann@acme.example","ann.smith@acme.example"],)"
          R"("name":"Ann Smith"},)" +
          kCaseFields + "}");
}

TEST(PresentJson, CaseWithoutContactOrAccountShowsNull) {
  store::CaseSummary s{sample_case(), std::nullopt, std::nullopt};
  auto j = present::case_json(s);
  EXPECT_TRUE(j["contact"].is_null());
  EXPECT_TRUE(j["account"].is_null());
  // A contact without addresses still has an "email" field, empty.
  store::Contact bare;
  bare.name = "Nobody";
  EXPECT_EQ(json_text(present::contact_json(bare)), R"({"email":"","emails":[],"name":"Nobody"})");
}

TEST(PresentJson, ShownCaseHasDescriptionThreadAttachmentsParticipantsAndOwnerName) {
  cases::CaseView v;
  v.c = sample_case();
  v.contact = sample_contact();
  v.account = sample_account();
  store::Comment cm;
  cm.direction = store::Direction::kInbound;
  cm.author = "Ann <ann@acme.example>";
  cm.body = "It jams.";
  cm.quoted = "> before";
  cm.created_at = "2026-11-23T10:00:00Z";
  v.comments = {cm};
  store::Attachment a;
  a.filename = "scan.pdf";
  a.content_type = "application/pdf";
  a.size = 1234;
  a.sha256 = "ab12";
  v.attachments = {a};
  v.participants = {{7, "bob@acme.example", "mail", "2026-11-23T10:00:00Z"}};
  v.owner =
      store::Agent{1, "Marek Nowak", "marek@corp.example", store::AgentRole::kAgent, true, "2026-01-01"};

  auto j = present::case_detail_json(v);
  EXPECT_EQ(j["description"], "It jams on page 2.");
  EXPECT_EQ(j["owner_name"], "Marek Nowak");
  EXPECT_EQ(j["comments"], json::array({present::comment_json(cm)}));
  EXPECT_EQ(j["attachments"], json::array({present::attachment_json(a)}));
  EXPECT_EQ(j["participants"], json::array({present::participant_json(v.participants[0])}));
  // Exactly the row's fields plus these.
  std::set<std::string> keys;
  for (const auto& [k, _] : j.items()) keys.insert(k);
  EXPECT_EQ(keys,
            (std::set<std::string>{"account",         "attachments", "comments", "contact", "created_at",
                                   "description",     "number",      "origin",   "owner",   "owner_name",
                                   "participants",    "priority",    "process",  "product", "queue",
                                   "routing_address", "stage",       "status",   "subject", "updated_at"}));

  v.owner.reset();  // unassigned, or the agent is gone
  v.comments.clear();
  auto bare = present::case_detail_json(v);
  EXPECT_EQ(bare["owner_name"], "");
  EXPECT_EQ(bare["comments"], json::array());
}

TEST(PresentJson, CommentAttachmentParticipantFields) {
  store::Comment cm;
  cm.id = 9;
  cm.case_id = 7;
  cm.direction = store::Direction::kNote;
  cm.author = "agent";
  cm.body = "call back";
  cm.visibility = store::Visibility::kInternal;
  cm.raw_message_id = 5;
  cm.created_at = "2026-11-23T11:00:00Z";
  EXPECT_EQ(json_text(present::comment_json(cm)),
            R"({"author":"agent","body":"call back","cc":[],"created_at":"2026-11-23T11:00:00Z",)"
            R"("direction":"note","id":9,"quoted":"","visibility":"internal"})");
  // Whom its mail went to in copy, in order.
  cm.cc = {"boss@example.org", "it@example.org"};
  EXPECT_EQ(present::comment_json(cm)["cc"], nlohmann::json::array({"boss@example.org", "it@example.org"}));
  cm.cc.clear();
  // Only a comment from a mail says whether its sender was proven; others leave it out.
  cm.direction = store::Direction::kInbound;
  cm.sender_verified = false;
  EXPECT_EQ(present::comment_json(cm)["sender_verified"], false);
  cm.sender_verified = true;
  EXPECT_EQ(present::comment_json(cm)["sender_verified"], true);

  store::Attachment a;
  a.filename = "logo.png";
  a.content_type = "image/png";
  a.size = 5000000000ULL;  // sizes are not cut to 32 bits
  a.sha256 = "ff00";
  a.content_id = "logo@x";
  a.is_inline = true;
  EXPECT_EQ(json_text(present::attachment_json(a)),
            R"({"content_id":"logo@x","content_type":"image/png","filename":"logo.png","id":0,"inline":true,)"
            R"("sha256":"ff00","size":5000000000})");

  EXPECT_EQ(json_text(present::participant_json({7, "carol@x.example", "agent", "2026-11-25T08:00:00Z"})),
            R"({"added_at":"2026-11-25T08:00:00Z","email":"carol@x.example","source":"agent"})");
}

TEST(PresentJson, EventDetailsAreAlwaysAnObject) {
  store::Event e;
  e.case_id = 7;
  e.actor_kind = store::ActorKind::kAgent;
  e.actor = "marek@corp.example";
  e.action = store::EventAction::kAssigned;
  e.details = {{"owner", "marek@corp.example"}};
  e.at = "2026-11-23T12:00:00Z";
  EXPECT_EQ(json_text(present::event_json(e)),
            R"({"action":"assigned","actor":"marek@corp.example","actor_kind":"agent",)"
            R"("at":"2026-11-23T12:00:00Z","details":{"owner":"marek@corp.example"}})");
  e.details.clear();
  e.action = store::EventAction::kClosed;
  e.actor_kind = store::ActorKind::kCustomer;
  auto j = present::event_json(e);
  EXPECT_TRUE(j["details"].is_object());
  EXPECT_EQ(json_text(j["details"]), "{}");
  EXPECT_EQ(j["action"], "closed");
  EXPECT_EQ(j["actor_kind"], "customer");
}

TEST(PresentJson, OutboxMailWithoutItsBytes) {
  store::OutboxMail m;
  m.id = 12;
  m.case_id = 7;
  m.kind = "solution";
  m.to = "ann@acme.example";
  m.message_id = "abc@corp.example";
  m.raw = "Subject: secret-ish body bytes\r\n\r\nthe whole mail";
  m.automatic = false;
  m.state = store::OutboxState::kFailed;
  m.attempts = 3;
  m.next_attempt_at = 1800000000;
  m.last_error = "550 no such user";
  m.created_at = "2026-11-23T12:00:00Z";
  EXPECT_EQ(json_text(present::outbox_json(m, "CS0000007")),
            R"({"attempts":3,"automatic":false,"case":"CS0000007","claimed_by":"","created_at":"2026-11-23T12:00:00Z",)"
            R"("id":12,"kind":"solution","last_error":"550 no such user","message_id":"abc@corp.example",)"
            R"("sent_at":"","state":"failed","to":"ann@acme.example"})");
  // A mail of no case: its case is the empty text (not null), as `outbox list` always printed.
  EXPECT_EQ(present::outbox_json(m, "")["case"], "");
}

TEST(PresentJson, RecordedMailCaseAndEnvelopeSenderMayBeNull) {
  store::RawMessage m;
  m.id = 5;
  m.sha256 = "beef";
  m.size = 2048;
  m.source = "lmtp";
  m.recipients = {"support@corp.example"};
  m.state = store::RawState::kHeld;
  m.outcome = "held";
  m.reason = "unknown sender";
  m.dedupe_key = "mid:x@y";
  m.message_id = "x@y";
  m.from = "x@unknown.example";
  m.subject = "hello";
  m.received_at = "2026-11-23T10:00:00Z";
  m.attempts = 1;
  m.spool_location = "3:4096";
  EXPECT_EQ(
      json_text(present::message_json(m, "")),
      R"({"attempts":1,"auth_server":"","case":null,"dkim":"","dmarc":"","envelope_sender":null,)"
      R"("from":"x@unknown.example","id":5,"message_id":"x@y","outcome":"held","problems":[],)"
      R"("reason":"unknown sender","received_at":"2026-11-23T10:00:00Z","sender_verified":false,"sha256":"beef","size":2048,)"
      R"("source":"lmtp","spam":"","spam_detail":"","spam_score":null,"spf":"","state":"held","subject":"hello"})");
  // What the believed Authentication-Results said (trust/).
  m.auth_server = "mx.corp.example";
  m.dkim = "pass";
  m.spf = "softfail";
  m.dmarc = "pass";
  m.sender_verified = true;
  auto proof = present::message_json(m, "");
  EXPECT_EQ(proof["auth_server"], "mx.corp.example");
  EXPECT_EQ(proof["dkim"], "pass");
  EXPECT_EQ(proof["spf"], "softfail");
  EXPECT_EQ(proof["dmarc"], "pass");
  EXPECT_EQ(proof["sender_verified"], true);
  m.envelope_sender = "";  // the null sender <> is not "unknown"
  auto j = present::message_json(m, "CS0000007");
  EXPECT_EQ(j["envelope_sender"], "");
  EXPECT_EQ(j["case"], "CS0000007");
}

TEST(PresentJson, DeliveryOutcome) {
  ingest::Outcome o;
  o.kind = ingest::OutcomeKind::kCreated;
  o.case_number = "CS0000007";
  o.reason = "routing address support@corp.example";
  o.message_id = 5;
  EXPECT_EQ(
      json_text(present::outcome_json(o)),
      R"({"case":"CS0000007","message":5,"outcome":"created","reason":"routing address support@corp.example"})");
  o.kind = ingest::OutcomeKind::kHeld;
  o.case_number.reset();
  EXPECT_TRUE(present::outcome_json(o)["case"].is_null());
  EXPECT_EQ(present::outcome_json(o)["outcome"], "held");
}

TEST(PresentJson, AgentAndRoutingAddress) {
  store::Agent a{2, "Ada", "ada@corp.example", store::AgentRole::kAdmin, false, "2026-11-01T00:00:00Z"};
  EXPECT_EQ(json_text(present::agent_json(a)),
            R"({"active":false,"created_at":"2026-11-01T00:00:00Z","email":"ada@corp.example","name":"Ada",)"
            R"("notify":{"assigned":true,"new_case":true,"reply":true},"role":"admin"})");

  store::RoutingAddress r;
  r.email = "vip@corp.example";
  r.queue = "VIP";
  r.product = "Cloud";
  r.creates_cases = false;
  r.subject_prefix = "[VIP]";
  r.unknown_sender = "hold";
  EXPECT_EQ(
      json_text(present::address_json(r)),
      R"({"api":false,"authserv_ids":[],"creates_cases":false,"email":"vip@corp.example","priority":"","process":"",)"
      R"("product":"Cloud","queue":"VIP","subject_prefix":"[VIP]","unknown_sender":"hold"})");
  r.authserv_ids = {"mx.provider.example"};
  EXPECT_EQ(present::address_json(r)["authserv_ids"], json::array({"mx.provider.example"}));
}

TEST(PresentJson, MailboxShowsSettingsAndStateButNoSecret) {
  store::Mailbox m;
  m.name = "support";
  m.protocol = domain::Protocol::kImap;
  m.host = "imap.corp.example";
  m.port = 993;
  m.tls = domain::TlsMode::kImplicit;
  m.user = "support";
  m.password_file = "/etc/mailcase/imap-PASSWORD-FILE";
  m.folder = "INBOX";
  m.poll_interval_s = 30;
  m.idle = false;
  m.after = domain::AfterFetch{domain::AfterAction::kMove, "Done"};
  m.address = "support@corp.example";
  m.ca_file = "/etc/mailcase/CA-FILE.pem";
  m.auth = domain::AuthMethod::kXOAuth2;
  m.token_command = "oauth-helper --secret TOKEN-COMMAND-SECRET";
  store::MailboxState st;
  st.name = "support";
  st.status = "idle";
  st.last_success = "2026-11-23T10:00:00Z";
  st.last_error = "";
  st.backlog = 4;
  st.uidvalidity = 99;
  st.last_uid = 1234;
  const std::string text = json_text(present::mailbox_json(m, st));
  EXPECT_EQ(
      text,
      R"({"address":"support@corp.example","after":"move:Done","allow_plaintext_auth":false,)"
      R"("auth":"xoauth2","authserv_ids":[],"backlog":4,"folder":"INBOX","host":"imap.corp.example","idle":false,)"
      R"("last_error":"","last_success":"2026-11-23T10:00:00Z","name":"support","poll_interval_s":30,)"
      R"("port":993,"process":"","protocol":"imap","push_count":0,"push_last_ms":null,"push_last_notice_at":"",)"
      R"("status":"idle","tls":"implicit","user":"support"})");
  for (const char* secret : {"PASSWORD-FILE", "TOKEN-COMMAND-SECRET", "CA-FILE", "password_file", "token"})
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;
}

TEST(PresentJson, TextThatIsNotUtf8NeverThrows) {
  // Rows from an older store may hold bytes that are not UTF-8; nlohmann's default dump
  // throws on them, which would end the command with an internal error.
  store::Comment cm;
  cm.author = "Ren\xe9";                    // Latin-1
  cm.body = "cut \xc3 short and \xff\xfe";  // a truncated sequence, invalid bytes
  cm.created_at = "2026-11-23T10:00:00Z";
  auto j = present::comment_json(cm);
  EXPECT_THROW((void)j.dump(), json::type_error);  // the mapper copies the bytes as stored
  std::string text;
  ASSERT_NO_THROW(text = json_text(j));
  EXPECT_NE(text.find("Ren\uFFFD"), std::string::npos) << text;
  EXPECT_NE(text.find("cut \uFFFD short"), std::string::npos) << text;
  EXPECT_EQ(json::parse(text)["direction"], "inbound");  // what is printed parses again
  ASSERT_NO_THROW(text = json_text(j, 2));
  EXPECT_NE(text.find("\n  \"author\""), std::string::npos);

  // Every mapper's text field goes the same way: a case's subject, say.
  store::CaseSummary s{sample_case(), std::nullopt, std::nullopt};
  s.c.subject = "\x80\x81";
  ASSERT_NO_THROW(text = json_text(present::case_json(s)));
  EXPECT_NE(text.find("\"subject\":\"\uFFFD\uFFFD\""), std::string::npos) << text;
}

TEST(PresentJson, NonAsciiTextIsKeptAsItIs) {
  store::Comment cm;
  cm.author = "Zażółć";
  cm.body = "line one\nline \"two\" \x01";
  const std::string text = json_text(present::comment_json(cm));
  // UTF-8 stays UTF-8 (no \u escapes); controls and quotes are escaped as JSON requires.
  EXPECT_NE(text.find("\"author\":\"Zażółć\""), std::string::npos) << text;
  EXPECT_NE(text.find(R"("body":"line one\nline \"two\" \u0001")"), std::string::npos) << text;
}

}  // namespace
// A token as listed: never its digest (nor the token, which the store does not have).
TEST(PresentJson, ApiTokenWithoutItsDigest) {
  store::ApiToken t;
  t.id = 3;
  t.agent_id = 2;
  t.agent_email = "ada@corp.example";
  t.label = "ci";
  t.digest = std::string(64, 'f');
  t.created_at = "2026-11-01T00:00:00Z";
  EXPECT_EQ(json_text(present::api_token_json(t)),
            R"({"agent":"ada@corp.example","created_at":"2026-11-01T00:00:00Z","id":3,"label":"ci",)"
            R"("last_used_at":null,"revoked_at":null,"state":"active"})");
  t.last_used_at = "2026-11-02T00:00:00Z";
  t.revoked_at = "2026-11-03T00:00:00Z";
  auto j = present::api_token_json(t);
  EXPECT_EQ(j.value("state", ""), "revoked");
  EXPECT_EQ(j.value("last_used_at", ""), "2026-11-02T00:00:00Z");
  EXPECT_EQ(j.value("revoked_at", ""), "2026-11-03T00:00:00Z");
  EXPECT_EQ(json_text(j).find("fff"), std::string::npos);
}

}  // namespace mailcase

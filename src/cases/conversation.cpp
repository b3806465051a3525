#include "cases/conversation.h"

#include "outbound/loop_guard.h"
#include "spool/blob_store.h"
#include "util/clock.h"
#include "util/text.h"

namespace mailcase::cases {
namespace {

int64_t expiry(const Conversation& cv) {
  return cv.clock.now() + int64_t{cv.cfg.outbound.link_valid_days} * 86400;
}

std::string case_tag(const store::Case& c) {
  return "[" + c.number + "]";
}

// Whether a contact's name is fit to greet them with. A name that looks like an address
// or a link is not: it comes from a From header anyone can write, and a greeting would
// carry it to whoever that From names.
bool plain_name(std::string_view name) {
  const std::string n = text::ascii_lower(name);
  return !n.empty() && n.find('@') == std::string::npos && n.find("://") == std::string::npos &&
         n.find("www.") == std::string::npos;
}

// Queues one mail of this kind to the case's contact. No contact address: nothing is
// queued and the case's history says so.
mailcase::Status enqueue(const Conversation& cv, const store::Case& c, MailKind kind, const std::string& body,
                         bool automatic, const std::vector<outbound::OutgoingAttachment>& attachments = {}) {
  if (!cv.cfg.outbound.enabled) return {};
  if (!c.contact_id)
    return cv.store.add_event({.case_id = c.id,
                               .actor_kind = store::ActorKind::kSystem,
                               .actor = "mailcase",
                               .action = store::EventAction::kMailNotSent,
                               .details = {{"reason", "the case has no contact"}}});
  auto contact = cv.store.get_contact(*c.contact_id);
  if (!contact) return tl::unexpected(contact.error());
  if (!*contact || (*contact)->emails.empty())
    return cv.store.add_event({.case_id = c.id,
                               .actor_kind = store::ActorKind::kSystem,
                               .actor = "mailcase",
                               .action = store::EventAction::kMailNotSent,
                               .details = {{"reason", "the contact has no address"}}});
  const auto& who = **contact;
  const std::string lang = who.language.empty() ? cv.cfg.outbound.default_language : who.language;
  std::map<std::string, std::string> values{
      {"case_number", c.number},
      {"case_tag", case_tag(c)},
      {"subject", c.subject},
      {"contact_name", plain_name(who.name) ? who.name : who.emails.front()},
      {"body", body},
      {"link", case_link(cv, c)},
      {"accept_link", action_link(cv, c, "accept")},
      {"reject_link", action_link(cv, c, "reject")},
      {"survey_link", action_link(cv, c, "survey")},
      {"from_name", cv.cfg.outbound.from_name},
  };
  auto rendered = cv.templates.render(to_string(kind), lang, values);
  if (!rendered) return tl::unexpected(rendered.error());

  outbound::OutgoingMail m;
  m.from_name = cv.cfg.outbound.from_name;
  m.from_address = cv.cfg.outbound.from_address;
  m.to_name = plain_name(who.name) ? who.name : std::string();
  m.to_address = who.emails.front();
  m.subject = rendered->subject;
  m.text = rendered->text;
  m.html = rendered->html;
  m.message_id = outbound::new_message_id(cv.cfg.outbound.from_address);
  m.automatic = automatic;
  m.attachments = attachments;
  // Threading: answer the customer's latest mail; refer to the recent conversation.
  auto inbound = cv.store.message_ids_of(c.id, "inbound");
  if (!inbound) return tl::unexpected(inbound.error());
  if (!inbound->empty()) m.in_reply_to = inbound->back();
  auto all = cv.store.message_ids_of(c.id, "");
  if (!all) return tl::unexpected(all.error());
  const size_t keep = 10;
  for (size_t i = all->size() > keep ? all->size() - keep : 0; i < all->size(); ++i)
    m.references.push_back((*all)[i]);

  store::OutboxMail row;
  row.case_id = c.id;
  row.kind = to_string(kind);
  row.to = text::normalize_email(m.to_address);
  row.message_id = m.message_id;
  row.raw = outbound::compose(m);
  row.automatic = automatic;
  row.next_attempt_at = cv.clock.now();
  if (auto id = cv.store.add_outbox(row); !id) return tl::unexpected(id.error());
  // Replies to it thread back onto this case.
  return cv.store.add_message_id(m.message_id, c.id, "outbound");
}

mailcase::Status apply(const Conversation& cv, store::Case& c, ActionKind action, const ActionOptions& opt,
                       const std::string& body, bool automatic,
                       const std::vector<outbound::OutgoingAttachment>& attachments = {}) {
  auto t = decide(status_of(c), action, opt);
  if (!t) return tl::unexpected(t.error());
  c.status = t->status;
  if (auto s = cv.store.update_case(c); !s) return s;
  for (MailKind k : t->mails) {
    const bool is_text = k == MailKind::kComment || k == MailKind::kSolution;
    if (auto s = enqueue(cv, c, k, is_text ? body : std::string(), automatic || !is_text,
                         is_text ? attachments : std::vector<outbound::OutgoingAttachment>{});
        !s)
      return s;
  }
  return {};
}

mailcase::Status add_comment_row(const Conversation& cv, const store::Case& c, const AgentComment& in,
                                 const std::string& prefix) {
  store::Comment cm;
  cm.case_id = c.id;
  cm.direction = in.is_public ? store::Direction::kOutbound : store::Direction::kNote;
  cm.author = in.author;
  cm.body = prefix + in.body;
  cm.visibility = in.is_public ? store::Visibility::kPublic : store::Visibility::kInternal;
  auto id = cv.store.add_comment(cm);
  if (!id) return tl::unexpected(id.error());
  for (const auto& a : in.attachments) {
    store::Attachment row;
    row.case_id = c.id;
    row.comment_id = *id;
    row.filename = a.filename;
    row.content_type = a.content_type;
    row.size = a.bytes.size();
    if (cv.blobs) {
      auto ref = cv.blobs->put(a.bytes);
      if (!ref) return tl::unexpected(ref.error());
      row.sha256 = ref->sha256;
    }
    if (auto r = cv.store.add_attachment(row); !r) return tl::unexpected(r.error());
  }
  return {};
}

}  // namespace

CaseStatus status_of(const store::Case& c) {
  return c.status;
}

namespace {
// The token names its action, so a view link cannot accept. "&do=" is kept so that
// links read as before; the page goes by the token alone.
std::string signed_link(const Conversation& cv, const store::Case& c, outbound::LinkAction action) {
  std::string base = cv.cfg.outbound.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/case/" + c.number + "?t=" + cv.links.sign(c.id, expiry(cv), action);
}
}  // namespace

std::string case_link(const Conversation& cv, const store::Case& c) {
  return signed_link(cv, c, outbound::LinkAction::kView);
}

std::string action_link(const Conversation& cv, const store::Case& c, const std::string& action) {
  return signed_link(cv, c, outbound::link_action_from_string(action).value_or(outbound::LinkAction::kView)) +
         "&do=" + action;
}

Result<store::Case> case_by_number(store::Store& st, const std::string& number) {
  auto c = st.find_case_by_number(number);
  if (!c) return tl::unexpected(c.error());
  if (!*c) return fail(ErrorCode::kNotFound, "no case " + number);
  return **c;
}

mailcase::Status comment(const Conversation& cv, store::Case& c, const AgentComment& in) {
  if (text::trim(in.body).empty()) return fail(ErrorCode::kInvalidInput, "the comment is empty");
  if (auto s = add_comment_row(cv, c, in, ""); !s) return s;
  if (auto s = apply(cv, c, in.is_public ? ActionKind::kPublicComment : ActionKind::kInternalNote, {},
                     in.body, false, in.attachments);
      !s)
    return s;
  return cv.store.add_event(
      {.case_id = c.id,
       .actor_kind = store::ActorKind::kAgent,
       .actor = in.author,
       .action = in.is_public ? store::EventAction::kCommented : store::EventAction::kNote});
}

mailcase::Status propose_solution(const Conversation& cv, store::Case& c, const AgentComment& in) {
  if (text::trim(in.body).empty()) return fail(ErrorCode::kInvalidInput, "the solution is empty");
  AgentComment pub = in;
  pub.is_public = true;
  if (auto s = apply(cv, c, ActionKind::kProposeSolution, {}, in.body, false, in.attachments); !s) return s;
  if (auto s = add_comment_row(cv, c, pub, "Proposed solution:\n"); !s) return s;
  return cv.store.add_event({.case_id = c.id,
                             .actor_kind = store::ActorKind::kAgent,
                             .actor = in.author,
                             .action = store::EventAction::kSolutionProposed});
}

mailcase::Status accept(const Conversation& cv, store::Case& c, const std::string& via) {
  if (auto s = apply(cv, c, ActionKind::kAccept, {}, "", true); !s) return s;
  return cv.store.add_event(
      {.case_id = c.id,
       .actor_kind = via == "agent" ? store::ActorKind::kAgent : store::ActorKind::kCustomer,
       .actor = via == "agent" ? "agent" : "customer",
       .action = store::EventAction::kAccepted,
       .details = {{"via", via}}});
}

mailcase::Status reject(const Conversation& cv, store::Case& c, const std::string& via,
                        const std::string& why) {
  if (auto s = apply(cv, c, ActionKind::kReject, {}, "", true); !s) return s;
  return cv.store.add_event(
      {.case_id = c.id,
       .actor_kind = via == "agent" ? store::ActorKind::kAgent : store::ActorKind::kCustomer,
       .actor = via == "agent" ? "agent" : "customer",
       .action = store::EventAction::kRejected,
       .details = {{"via", via}, {"reason", why}}});
}

mailcase::Status close(const Conversation& cv, store::Case& c, const std::string& author) {
  ActionOptions opt;
  opt.survey = cv.cfg.outbound.survey;
  // Accepted on the web page: the customer was shown the survey there already.
  auto sv = cv.store.get_survey(c.id);
  if (!sv) return tl::unexpected(sv.error());
  auto history = cv.store.list_outbox(c.id, 1000);
  if (!history) return tl::unexpected(history.error());
  bool invited = false;
  for (const auto& m : *history) invited = invited || m.kind == "survey";
  opt.surveyed_already = sv->has_value() || invited;
  if (auto s = apply(cv, c, ActionKind::kClose, opt, "", true); !s) return s;
  return cv.store.add_event({.case_id = c.id,
                             .actor_kind = store::ActorKind::kAgent,
                             .actor = author,
                             .action = store::EventAction::kClosed});
}

mailcase::Status reopen(const Conversation& cv, store::Case& c, const std::string& author) {
  if (auto s = apply(cv, c, ActionKind::kReopen, {}, "", true); !s) return s;
  return cv.store.add_event({.case_id = c.id,
                             .actor_kind = store::ActorKind::kAgent,
                             .actor = author,
                             .action = store::EventAction::kReopened});
}

mailcase::Status assign(const Conversation& cv, store::Case& c, const std::string& owner,
                        const std::string& author) {
  if (owner.empty()) {
    c.owner.clear();
  } else {
    auto agent = cv.store.find_agent_by_email(owner);
    if (!agent) return tl::unexpected(agent.error());
    if (!*agent || !(*agent)->active)
      return fail(ErrorCode::kInvalidInput,
                  "no active agent " + owner + " (add one with `mailcase agent add`)");
    c.owner = (*agent)->email;
  }
  if (auto s = cv.store.update_case(c); !s) return s;
  return cv.store.add_event({.case_id = c.id,
                             .actor_kind = store::ActorKind::kAgent,
                             .actor = author,
                             .action = store::EventAction::kAssigned,
                             .details = {{"owner", c.owner}}});
}

Result<std::string> confirm_new_case(const Conversation& cv, const store::Case& c,
                                     const ConfirmFacts& facts) {
  if (!cv.cfg.outbound.enabled || !cv.cfg.outbound.confirmation) return std::string("confirmations are off");
  if (!c.contact_id) return std::string("no contact");
  auto contact = cv.store.get_contact(*c.contact_id);
  if (!contact) return tl::unexpected(contact.error());
  if (!*contact || (*contact)->emails.empty()) return std::string("the contact has no address");
  outbound::AutoReplyFacts f;
  f.from = (*contact)->emails.front();
  f.auto_submitted = facts.auto_submitted;
  f.precedence = facts.precedence;
  f.has_list_id = facts.has_list_id;
  f.is_machine_mail = facts.is_machine_mail;
  f.our_addresses = facts.our_addresses;
  f.our_addresses.push_back(cv.cfg.outbound.from_address);
  f.max_auto_replies_per_hour = cv.cfg.outbound.max_auto_replies_per_hour;
  f.header_from = facts.from;
  f.envelope_sender = facts.envelope_sender;
  f.sender_is_known_contact = facts.sender_is_known_contact;
  f.confirm_unverified_senders = cv.cfg.outbound.confirm_unverified_senders;
  f.max_auto_replies_total_per_hour = cv.cfg.outbound.max_auto_replies_total_per_hour;
  const std::string hour_ago = clock::iso8601(cv.clock.now() - 3600);
  auto n = cv.store.count_automatic_since(f.from, hour_ago);
  if (!n) return tl::unexpected(n.error());
  f.auto_replies_last_hour = *n;
  auto total = cv.store.count_all_automatic_since(hour_ago);
  if (!total) return tl::unexpected(total.error());
  f.auto_replies_total_last_hour = *total;
  auto d = outbound::may_auto_reply(f);
  if (!d.allowed) {
    if (auto s = cv.store.add_event({.case_id = c.id,
                                     .actor_kind = store::ActorKind::kSystem,
                                     .actor = "mailcase",
                                     .action = store::EventAction::kConfirmationSkipped,
                                     .details = {{"reason", d.reason}}});
        !s)
      return tl::unexpected(s.error());
    return d.reason;
  }
  if (auto s = enqueue(cv, c, MailKind::kConfirmation, "", true); !s) return tl::unexpected(s.error());
  return std::string("ok");
}

}  // namespace mailcase::cases

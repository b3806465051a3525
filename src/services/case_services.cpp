#include "services/case_services.h"

#include <algorithm>

#include "domain/process.h"
#include "outbound/loop_guard.h"
#include "services/our_addresses.h"
#include "spool/blob_store.h"
#include "util/clock.h"
#include "util/text.h"

namespace mailcase::services {
namespace {

using cases::ActionKind;
using cases::ActionOptions;
using cases::MailKind;

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

// How accept/reject name their door in the event: "agent" when an agent did it for the
// customer, else the customer's door ("mail", "web").
std::string verdict_via(const Actor& by) {
  return by.kind == store::ActorKind::kAgent ? "agent" : by.via;
}

}  // namespace

Status check_case_field(std::string_view field, std::string_view value) {
  const std::string name(field);
  if (value.size() > kMaxFieldBytes)
    return fail(ErrorCode::kInvalidInput,
                name + ": at most " + std::to_string(kMaxFieldBytes) + " bytes, not " + std::to_string(value.size()));
  if (!text::is_clean_text(value, true))
    return fail(ErrorCode::kInvalidInput, name + ": one line of text without control characters");
  if (field != "product" && text::trim(value).empty())
    return fail(ErrorCode::kInvalidInput, name + ": must not be empty");
  if (text::trim(value).size() != value.size())
    return fail(ErrorCode::kInvalidInput, name + ": no spaces before or after the value");
  return {};
}

CaseServices::CaseServices(store::Store& store, const config::Config& cfg,
                           const outbound::Templates& templates, const outbound::LinkSigner& links,
                           spool::FileBlobStore* blobs, const domain::Clock& clock)
    : store_(store), cfg_(cfg), templates_(templates), links_(links), blobs_(blobs), clock_(clock) {}

Result<Proposals> proposals_of(store::UnitOfWork& w, store::Id case_id) {
  MC_ASSIGN_OR_RETURN(auto n, w.events().count_events(case_id, store::EventAction::kSolutionProposed));
  return Proposals{n.count, n.latest};
}

std::optional<store::Id> proposal_answered(const std::optional<int64_t>& named, const Proposals& p) {
  if (named) return *named;
  if (p.count <= 1) return p.latest;
  return std::nullopt;
}

std::string CaseServices::action_link(const store::Case& c, outbound::LinkAction action,
                                      store::Id proposal) const {
  std::string base = cfg_.outbound.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const int64_t expiry = clock_.now() + int64_t{cfg_.outbound.link_valid_days} * 86400;
  // The token names its action, so a view link cannot accept, and an accept or reject
  // link its proposal. "&do=" is kept so that links read as before; the page goes by
  // the token alone.
  std::string link = base + "/case/" + c.number + "?t=" + links_.sign(c.id, expiry, action, proposal);
  if (action != outbound::LinkAction::kView) link += "&do=" + std::string(outbound::to_string(action));
  return link;
}

std::string CaseServices::case_link(const store::Case& c) const {
  return action_link(c, outbound::LinkAction::kView);
}

Status CaseServices::event(store::UnitOfWork& w, const store::Case& c, const Actor& by,
                           store::EventAction action, std::map<std::string, std::string> details) {
  return w.events().add_event({.case_id = c.id,
                               .actor_kind = by.kind,
                               .actor = by.name,
                               .action = action,
                               .details = std::move(details)});
}

// Queues one mail of this kind to the case's contact. No contact address: nothing is
// queued and the case's history says so.
Status CaseServices::enqueue(store::UnitOfWork& w, const store::Case& c, MailKind kind,
                             const std::string& body, bool automatic,
                             const std::vector<outbound::OutgoingAttachment>& attachments,
                             const std::vector<std::string>& cc) {
  if (!cfg_.outbound.enabled) return {};
  // A monitoring alert's case answers no one automatically: its sender is a machine.
  if (automatic && c.origin == kAlertOrigin)
    return event(w, c, Actor::system(), store::EventAction::kMailNotSent,
                 {{"reason", "an alert case sends no automatic mail"}});
  std::optional<store::Contact> who;
  if (c.contact_id) {
    MC_ASSIGN_OR_RETURN(who, w.accounts().get_contact(*c.contact_id));
  }
  if (!who || who->emails.empty())
    return event(w, c, Actor::system(), store::EventAction::kMailNotSent,
                 {{"reason", c.contact_id ? "the contact has no address" : "the case has no contact"}});
  const std::string lang = who->language.empty() ? cfg_.outbound.default_language : who->language;
  // Accept and reject links answer the solution proposed now; while none is, they answer
  // none (a template may carry them in any mail).
  Proposals proposals;
  if (c.status == store::CaseStatus::kSolutionProposed) {
    MC_ASSIGN_OR_RETURN(proposals, proposals_of(w, c.id));
  }
  std::map<std::string, std::string> values{
      {"case_number", c.number},
      {"case_tag", case_tag(c)},
      {"subject", c.subject},
      {"contact_name", plain_name(who->name) ? who->name : who->emails.front()},
      {"body", body},
      {"link", case_link(c)},
      {"accept_link", action_link(c, outbound::LinkAction::kAccept, proposals.latest)},
      {"reject_link", action_link(c, outbound::LinkAction::kReject, proposals.latest)},
      {"survey_link", action_link(c, outbound::LinkAction::kSurvey)},
      {"from_name", cfg_.outbound.from_name},
  };
  MC_ASSIGN_OR_RETURN(auto rendered, templates_.render(cases::to_string(kind), lang, values));

  outbound::OutgoingMail m;
  m.from_name = cfg_.outbound.from_name;
  m.from_address = cfg_.outbound.from_address;
  m.to_name = plain_name(who->name) ? who->name : std::string();
  m.to_address = who->emails.front();
  m.cc = cc;
  m.subject = rendered.subject;
  m.text = rendered.text;
  m.html = rendered.html;
  m.automatic = automatic;
  m.attachments = attachments;
  // Threading: answer the customer's latest mail; refer to the recent conversation. A mail
  // kept as an internal note is no part of it: its Message-ID (chosen by whoever sent it)
  // is not repeated to the customer, who never saw that mail.
  MC_ASSIGN_OR_RETURN(auto inbound, w.cases().latest_message_ids(c.id, "inbound", 1));
  if (!inbound.empty()) m.in_reply_to = inbound.back();
  MC_ASSIGN_OR_RETURN(m.references, w.cases().latest_message_ids(c.id, "conversation", 10));

  // One outbox row per recipient (the contact, then each copy), each the same mail (the
  // same To and Cc) under a Message-ID of its own: each copy is sent, retried, failed
  // or bounced on its own, and a copy a server refuses never holds back the others.
  std::vector<std::string> recipients{m.to_address};
  recipients.insert(recipients.end(), cc.begin(), cc.end());
  for (const auto& to : recipients) {
    m.message_id = outbound::new_message_id(cfg_.outbound.from_address);
    store::OutboxMail row;
    row.case_id = c.id;
    row.kind = cases::to_string(kind);
    row.to = text::normalize_email(to);
    row.message_id = m.message_id;
    row.raw = outbound::compose(m);
    row.automatic = automatic;
    row.next_attempt_at = clock_.now();
    // Stamped by the same clock the loop guard counts the last hour with.
    row.created_at = clock::iso8601(clock_.now());
    MC_RETURN_IF_ERROR(w.outbox().add_outbox(row));
    // Replies to it thread back onto this case; a solution mail's answer its proposal only.
    if (kind == MailKind::kSolution && proposals.latest != 0) {
      MC_RETURN_IF_ERROR(w.cases().add_solution_message_id(m.message_id, c.id, proposals.latest));
    } else {
      MC_RETURN_IF_ERROR(w.cases().add_message_id(m.message_id, c.id, "outbound"));
    }
  }
  return {};
}

Status CaseServices::transition(store::UnitOfWork& w, store::Case& c, ActionKind action,
                                const ActionOptions& opt, const std::string& body, bool automatic,
                                const std::vector<outbound::OutgoingAttachment>& attachments,
                                const std::vector<std::string>& cc) {
  MC_ASSIGN_OR_RETURN(auto t, cases::decide(c.status, action, opt));
  c.status = t.status;
  MC_RETURN_IF_ERROR(w.cases().update_case(c));
  for (MailKind k : t.mails) {
    const bool is_text = k == MailKind::kComment || k == MailKind::kSolution;
    MC_RETURN_IF_ERROR(enqueue(w, c, k, is_text ? body : std::string(), automatic || !is_text,
                               is_text ? attachments : std::vector<outbound::OutgoingAttachment>{},
                               is_text ? cc : std::vector<std::string>{}));
  }
  return {};
}

Result<store::Id> CaseServices::add_agent_comment(store::UnitOfWork& w, const Actor& by, const store::Case& c,
                                                  const AgentComment& in, const std::string& prefix,
                                                  const std::vector<std::string>& cc) {
  store::Comment cm;
  cm.case_id = c.id;
  cm.direction = in.is_public ? store::Direction::kOutbound : store::Direction::kNote;
  cm.author = by.name;
  cm.body = prefix + in.body;
  cm.visibility = in.is_public ? store::Visibility::kPublic : store::Visibility::kInternal;
  cm.cc = cc;
  MC_ASSIGN_OR_RETURN(auto id, w.cases().add_comment(cm));
  for (const auto& a : in.attachments) {
    store::Attachment row;
    row.case_id = c.id;
    row.comment_id = id;
    row.filename = a.filename;
    row.content_type = a.content_type;
    row.size = a.bytes.size();
    if (blobs_) {
      MC_ASSIGN_OR_RETURN(auto ref, blobs_->put(a.bytes));
      row.sha256 = ref.sha256;
    }
    MC_RETURN_IF_ERROR(w.cases().add_attachment(row));
  }
  return id;
}

Status CaseServices::notify_agents(store::UnitOfWork& w, const store::Case& c, NoticeKind kind,
                                   std::vector<store::Agent> candidates, const std::string& acting_agent,
                                   std::string_view customer_text) {
  if (!cfg_.outbound.enabled || candidates.empty()) return {};
  NoticeFacts f;
  f.kind = kind;
  f.candidates = std::move(candidates);
  f.acting_agent = acting_agent;
  if (c.contact_id) {
    MC_ASSIGN_OR_RETURN(auto contact, w.accounts().get_contact(*c.contact_id));
    if (contact) f.customer_addresses = contact->emails;
  }
  MC_ASSIGN_OR_RETURN(auto participants, w.cases().participants_of(c.id));
  for (const auto& p : participants) f.customer_addresses.push_back(p.email);
  const auto told = who_is_told(f);
  if (told.empty()) return {};
  const auto t = notice_text(kind, c, customer_text, console_case_link(cfg_.http.public_url, c.number));
  for (const auto& a : told) {
    outbound::OutgoingMail m;
    m.from_name = cfg_.outbound.from_name;
    m.from_address = cfg_.outbound.from_address;
    m.to_name = plain_name(a.name) ? a.name : std::string();
    m.to_address = a.email;
    m.subject = t.subject;
    m.text = t.body;
    m.html = "<pre>" + text::html_escape(t.body) + "</pre>";
    m.message_id = outbound::new_message_id(cfg_.outbound.from_address);
    m.generated = true;
    store::OutboxMail row;
    row.case_id = c.id;
    row.kind = to_string(kind);
    row.to = text::normalize_email(a.email);
    row.message_id = m.message_id;
    row.raw = outbound::compose(m);
    // Not an automatic reply to a customer: it must not count against their hourly cap.
    row.automatic = false;
    row.next_attempt_at = clock_.now();
    row.created_at = clock::iso8601(clock_.now());
    MC_RETURN_IF_ERROR(w.outbox().add_outbox(row));
  }
  return {};
}

Result<store::Case> CaseServices::create(store::UnitOfWork& w, const Actor& by, store::Case c,
                                         const std::string& reason, bool notify) {
  if (c.subject.empty()) c.subject = "(no subject)";
  std::string process_unknown;
  if (!c.process.empty() || !c.stage.empty()) {
    std::optional<store::Process> found;
    if (!c.process.empty()) {
      MC_ASSIGN_OR_RETURN(found, w.processes().find_process(c.process));
    }
    auto start = domain::start_in_process(c.process, c.stage, found);
    c.process = std::move(start.process);
    c.stage = std::move(start.stage);
    process_unknown = std::move(start.unknown);
  }
  MC_ASSIGN_OR_RETURN(auto created, w.cases().insert_case(std::move(c), cfg_.threading.case_prefix,
                                                          cfg_.threading.case_digits));
  std::map<std::string, std::string> details;
  if (!reason.empty()) details["reason"] = reason;
  if (!created.process.empty()) {
    details["process"] = created.process;
    details["stage"] = created.stage;
  }
  if (!process_unknown.empty()) details["process_unknown"] = process_unknown;
  MC_RETURN_IF_ERROR(event(w, created, by, store::EventAction::kCreated, std::move(details)));
  if (notify && cfg_.outbound.enabled) {
    MC_ASSIGN_OR_RETURN(auto members, w.queues().queue_agents(created.queue));
    MC_RETURN_IF_ERROR(notify_agents(w, created, NoticeKind::kNewCase, std::move(members),
                                     // An agent's own case, or their own mail: not told.
                                     by.kind == store::ActorKind::kAgent || by.kind == store::ActorKind::kMail
                                         ? by.name
                                         : std::string(),
                                     created.description));
  }
  return created;
}

Result<store::Id> CaseServices::record_inbound(store::UnitOfWork& w, store::Case& c, InboundMail in) {
  if (!in.case_just_opened) MC_RETURN_IF_ERROR(w.cases().update_case(c));  // moves its updated time
  store::Comment cm;
  cm.case_id = c.id;
  cm.direction = store::Direction::kInbound;
  cm.author = in.author;
  cm.body = std::move(in.body);
  cm.quoted = std::move(in.quoted);
  cm.visibility = in.is_public ? store::Visibility::kPublic : store::Visibility::kInternal;
  cm.raw_message_id = in.raw_message_id;
  cm.sender_verified = in.sender_verified;
  cm.cc = std::move(in.cc);
  MC_ASSIGN_OR_RETURN(auto comment_id, w.cases().add_comment(cm));
  for (auto a : in.attachments) {
    // A blob still held in memory (spool::HeldBlobs) is given its place in the store by
    // the commit that records its mail, before it is named here; a row naming it as held
    // would name bytes no commit made durable.
    if (spool::held_index(a.blob_location))
      return fail(ErrorCode::kInternal, "attachment " + a.filename + " is still held in memory (" +
                                            a.blob_location + "): not recorded");
    a.case_id = c.id;
    a.comment_id = comment_id;
    MC_RETURN_IF_ERROR(w.cases().add_attachment(a));
  }
  if (!in.message_id.empty())
    MC_RETURN_IF_ERROR(w.cases().add_message_id(in.message_id, c.id, in.is_public ? "inbound" : "internal"));
  for (const auto& e : in.participants) MC_RETURN_IF_ERROR(w.cases().add_participant(c.id, e, "mail"));
  if (in.notify_owner && !c.owner.empty() && cfg_.outbound.enabled) {
    MC_ASSIGN_OR_RETURN(auto owner, w.agents().find_agent_by_email(c.owner));
    // The owner's own mail on the case (its sender is the acting one) tells them nothing.
    if (owner) MC_RETURN_IF_ERROR(notify_agents(w, c, NoticeKind::kReply, {*owner}, in.from, cm.body));
  }
  return comment_id;
}

Result<std::string> CaseServices::confirm_new_case(store::UnitOfWork& w, const store::Case& c,
                                                   const ConfirmFacts& facts) {
  if (!cfg_.outbound.enabled || !cfg_.outbound.confirmation) return std::string("confirmations are off");
  if (!c.contact_id) return std::string("no contact");
  MC_ASSIGN_OR_RETURN(auto contact, w.accounts().get_contact(*c.contact_id));
  if (!contact || contact->emails.empty()) return std::string("the contact has no address");
  outbound::AutoReplyFacts f;
  f.from = contact->emails.front();
  f.is_machine_mail = facts.is_machine_mail;
  f.our_addresses = facts.our_addresses;
  f.our_addresses.push_back(cfg_.outbound.from_address);
  f.max_auto_replies_per_hour = cfg_.outbound.max_auto_replies_per_hour;
  f.header_from = facts.from;
  f.envelope_sender = facts.envelope_sender;
  f.sender_is_known_contact = facts.sender_is_known_contact;
  f.from_contradicted = facts.from_contradicted;
  f.auto_replies_suppressed = facts.auto_replies_suppressed;
  f.confirm_unverified_senders = cfg_.outbound.confirm_unverified_senders;
  f.max_auto_replies_total_per_hour = cfg_.outbound.max_auto_replies_total_per_hour;
  const std::string hour_ago = clock::iso8601(clock_.now() - 3600);
  MC_ASSIGN_OR_RETURN(f.auto_replies_last_hour, w.outbox().count_automatic_since(f.from, hour_ago));
  MC_ASSIGN_OR_RETURN(f.auto_replies_total_last_hour, w.outbox().count_all_automatic_since(hour_ago));
  auto d = outbound::may_auto_reply(f);
  if (!d.allowed) {
    MC_RETURN_IF_ERROR(
        event(w, c, Actor::system(), store::EventAction::kConfirmationSkipped, {{"reason", d.reason}}));
    return d.reason;
  }
  MC_RETURN_IF_ERROR(enqueue(w, c, MailKind::kConfirmation, "", true));
  return std::string("ok");
}

Result<std::string> CaseServices::participant_address(store::UnitOfWork& w, const std::string& email) {
  const std::string e = text::normalize_email(email);
  // The shape an agent's email must have too: one addr-spec, nothing a mail could not be from.
  if (!store::is_email_address(e)) return fail(ErrorCode::kInvalidInput, "not an email address: " + email);
  MC_ASSIGN_OR_RETURN(const bool ours, is_our_address(w, e, cfg_.outbound.from_address));
  if (ours)
    return fail(ErrorCode::kInvalidInput, e + " is one of our own addresses and cannot be a participant");
  return e;
}

Result<std::vector<std::string>> CaseServices::copies_of(store::UnitOfWork& w, const store::Case& c,
                                                         const AgentComment& in) {
  std::vector<std::string> out;
  if (in.cc.empty()) return out;
  if (!in.is_public)
    return fail(ErrorCode::kInvalidInput,
                "cc: an internal note is not mailed; copies go with a public comment");
  if (in.cc.size() > kMaxCc)
    return fail(ErrorCode::kInvalidInput, "cc: at most " + std::to_string(kMaxCc) + " addresses");
  std::string contact;
  if (c.contact_id) {
    MC_ASSIGN_OR_RETURN(auto who, w.accounts().get_contact(*c.contact_id));
    if (who && !who->emails.empty()) contact = text::normalize_email(who->emails.front());
  }
  for (const auto& given : in.cc) {
    auto e = participant_address(w, given);
    if (!e) return fail(e.error().code, "cc: " + e.error().message);
    // The contact has the mail as its To already.
    if (text::iequals(*e, contact)) continue;
    if (std::none_of(out.begin(), out.end(), [&](const std::string& o) { return text::iequals(o, *e); }))
      out.push_back(*e);
  }
  return out;
}

Status CaseServices::comment(store::UnitOfWork& w, const Actor& by, store::Case& c, const AgentComment& in) {
  if (text::trim(in.body).empty()) return fail(ErrorCode::kInvalidInput, "the comment is empty");
  MC_ASSIGN_OR_RETURN(auto cc, copies_of(w, c, in));
  // The lifecycle decides before anything is written: a refused comment leaves nothing
  // in the caller's unit (which may go on and commit the rest of a batch).
  MC_RETURN_IF_ERROR(transition(w, c, in.is_public ? ActionKind::kPublicComment : ActionKind::kInternalNote,
                                {}, in.body, false, in.attachments, cc));
  MC_RETURN_IF_ERROR(add_agent_comment(w, by, c, in, "", cc));
  for (const auto& e : cc) {
    MC_ASSIGN_OR_RETURN(bool known, w.cases().is_participant(c.id, e));
    if (known) continue;
    MC_RETURN_IF_ERROR(
        w.cases().add_participant(c.id, e, by.kind == store::ActorKind::kAgent ? "agent" : by.via));
    MC_RETURN_IF_ERROR(event(w, c, by, store::EventAction::kParticipantAdded, {{"email", e}}));
  }
  std::map<std::string, std::string> details;
  if (!cc.empty()) details["cc"] = text::join(cc, ", ");
  return event(w, c, by, in.is_public ? store::EventAction::kCommented : store::EventAction::kNote,
               std::move(details));
}

Status CaseServices::propose_solution(store::UnitOfWork& w, const Actor& by, store::Case& c,
                                      const AgentComment& in) {
  if (text::trim(in.body).empty()) return fail(ErrorCode::kInvalidInput, "the solution is empty");
  if (!in.cc.empty()) return fail(ErrorCode::kInvalidInput, "cc: copies go with a comment, not a solution");
  AgentComment pub = in;
  pub.is_public = true;
  // The lifecycle decides before anything is written (a refused proposal leaves nothing in
  // the caller's unit). Then the event, before the mail: it names the proposal, and the
  // mail's accept and reject links name it in turn (Proposals).
  MC_RETURN_IF_ERROR(cases::decide(c.status, ActionKind::kProposeSolution, {}));
  MC_RETURN_IF_ERROR(event(w, c, by, store::EventAction::kSolutionProposed));
  MC_RETURN_IF_ERROR(transition(w, c, ActionKind::kProposeSolution, {}, in.body, false, in.attachments));
  MC_RETURN_IF_ERROR(add_agent_comment(w, by, c, pub, "Proposed solution:\n"));
  return {};
}

Status CaseServices::accept(store::UnitOfWork& w, const Actor& by, store::Case& c) {
  MC_RETURN_IF_ERROR(transition(w, c, ActionKind::kAccept, {}, "", true));
  // Accepted on the web page, which shows the survey at once: a rating of 0 records that
  // it was shown, so closing later sends no survey mail. Never over an answer the
  // customer gave before the case was reopened.
  if (by.kind == store::ActorKind::kCustomer && by.via == "web") {
    MC_ASSIGN_OR_RETURN(auto sv, w.surveys().get_survey(c.id));
    if (!sv) MC_RETURN_IF_ERROR(w.surveys().put_survey(store::Survey{c.id, 0, "", ""}));
  }
  return event(w, c, by, store::EventAction::kAccepted, {{"via", verdict_via(by)}});
}

Status CaseServices::reject(store::UnitOfWork& w, const Actor& by, store::Case& c, const std::string& why) {
  MC_RETURN_IF_ERROR(transition(w, c, ActionKind::kReject, {}, "", true));
  if (by.kind == store::ActorKind::kCustomer && !why.empty()) {
    store::Comment cm;
    cm.case_id = c.id;
    cm.direction = store::Direction::kInbound;
    cm.author = by.via == "web" ? "customer (web page)" : "customer";
    cm.body = why;
    cm.visibility = store::Visibility::kPublic;
    MC_RETURN_IF_ERROR(w.cases().add_comment(cm));
  }
  return event(w, c, by, store::EventAction::kRejected, {{"via", verdict_via(by)}, {"reason", why}});
}

Status CaseServices::close(store::UnitOfWork& w, const Actor& by, store::Case& c) {
  ActionOptions opt;
  opt.survey = cfg_.outbound.survey;
  // The customer was shown the survey already (accepted on the web page) or invited.
  MC_ASSIGN_OR_RETURN(auto sv, w.surveys().get_survey(c.id));
  MC_ASSIGN_OR_RETURN(auto history, w.outbox().list_outbox(c.id, 1000));
  const bool invited = std::any_of(history.begin(), history.end(),
                                   [](const store::OutboxMail& m) { return m.kind == "survey"; });
  opt.surveyed_already = sv.has_value() || invited;
  MC_RETURN_IF_ERROR(transition(w, c, ActionKind::kClose, opt, "", true));
  return event(w, c, by, store::EventAction::kClosed);
}

Status CaseServices::reopen(store::UnitOfWork& w, const Actor& by, store::Case& c) {
  if (by.kind == store::ActorKind::kCustomer) {
    // The customer's mail on the case: whatever the lifecycle makes of a reply.
    ActionOptions opt;
    MC_ASSIGN_OR_RETURN(auto t, cases::decide(c.status, ActionKind::kCustomerReply, opt));
    if (t.status == c.status) return {};
    c.status = t.status;
    MC_RETURN_IF_ERROR(w.cases().update_case(c));
    return event(w, c, by, store::EventAction::kReopened, {{"via", by.via}});
  }
  MC_RETURN_IF_ERROR(transition(w, c, ActionKind::kReopen, {}, "", true));
  return event(w, c, by, store::EventAction::kReopened);
}

Status CaseServices::resolve(store::UnitOfWork& w, const Actor& by, store::Case& c) {
  MC_RETURN_IF_ERROR(transition(w, c, ActionKind::kResolve, {}, "", true));
  return event(w, c, by, store::EventAction::kResolved);
}

Status CaseServices::assign(store::UnitOfWork& w, const Actor& by, store::Case& c, const std::string& owner) {
  const std::string before = c.owner;
  std::optional<store::Agent> agent;
  if (owner.empty()) {
    c.owner.clear();
  } else {
    MC_ASSIGN_OR_RETURN(agent, w.agents().find_agent_by_email(owner));
    if (!agent || !agent->active)
      return fail(ErrorCode::kInvalidInput,
                  "no active agent " + owner + " (add one with `mailcase agent add`)");
    c.owner = agent->email;
  }
  MC_RETURN_IF_ERROR(w.cases().update_case(c));
  MC_RETURN_IF_ERROR(event(w, c, by, store::EventAction::kAssigned, {{"owner", c.owner}}));
  // Told only when the case becomes theirs: assigning it to its owner again says nothing new.
  if (agent && c.owner != before)
    MC_RETURN_IF_ERROR(notify_agents(w, c, NoticeKind::kAssigned, {*agent},
                                     by.kind == store::ActorKind::kAgent ? by.name : std::string(), ""));
  return {};
}

Status CaseServices::add_participant(store::UnitOfWork& w, const Actor& by, store::Case& c,
                                     const std::string& email) {
  MC_ASSIGN_OR_RETURN(auto e, participant_address(w, email));
  MC_RETURN_IF_ERROR(
      w.cases().add_participant(c.id, e, by.kind == store::ActorKind::kAgent ? "agent" : by.via));
  return event(w, c, by, store::EventAction::kParticipantAdded, {{"email", e}});
}

Status CaseServices::remove_participant(store::UnitOfWork& w, const Actor& by, store::Case& c,
                                        const std::string& email) {
  const std::string e = text::normalize_email(text::trim(email));
  MC_RETURN_IF_ERROR(w.cases().remove_participant(c.id, e));
  return event(w, c, by, store::EventAction::kParticipantRemoved, {{"email", e}});
}

Status CaseServices::change(store::UnitOfWork& w, const Actor& by, store::Case& c, const CaseFields& f) {
  // Every value is checked before anything is written: a refused change leaves the case whole.
  const std::pair<const char*, const std::optional<std::string>*> fields[] = {
      {"queue", &f.queue}, {"priority", &f.priority}, {"product", &f.product}};
  for (const auto& [name, value] : fields)
    if (*value) MC_RETURN_IF_ERROR(check_case_field(name, **value));
  std::vector<std::map<std::string, std::string>> changes;
  auto apply = [&](const char* name, const std::optional<std::string>& value, std::string& field) {
    if (!value || *value == field) return;
    changes.push_back({{"field", name}, {"from", field}, {"to", *value}});
    field = *value;
  };
  apply("queue", f.queue, c.queue);
  apply("priority", f.priority, c.priority);
  apply("product", f.product, c.product);
  if (changes.empty()) return {};
  MC_RETURN_IF_ERROR(w.cases().update_case(c));
  for (auto& d : changes) MC_RETURN_IF_ERROR(event(w, c, by, store::EventAction::kChanged, std::move(d)));
  return {};
}

Status CaseServices::set_stage(store::UnitOfWork& w, const Actor& by, store::Case& c,
                               const std::string& stage) {
  std::optional<store::Process> process;
  if (!c.process.empty()) {
    MC_ASSIGN_OR_RETURN(process, w.processes().find_process(c.process));
  }
  MC_ASSIGN_OR_RETURN(auto to, domain::stage_move(c, process, stage));
  if (to == c.stage) return {};
  std::map<std::string, std::string> details{{"process", c.process}, {"from", c.stage}, {"to", to}};
  c.stage = std::move(to);
  MC_RETURN_IF_ERROR(w.cases().update_case(c));
  return event(w, c, by, store::EventAction::kStageChanged, std::move(details));
}

Result<store::Case> CaseServices::open_case(store::UnitOfWork& w, const Actor& by, const NewCase& n) {
  const std::string email = text::normalize_email(n.contact_email);
  if (!store::is_email_address(email))
    return fail(ErrorCode::kInvalidInput, "contact: not an email address: " + n.contact_email);
  // Our own address as the contact: its confirmation and every reply would be mailed to us.
  MC_ASSIGN_OR_RETURN(const bool ours, is_our_address(w, email, cfg_.outbound.from_address));
  if (ours)
    return fail(ErrorCode::kInvalidInput,
                "contact: " + email + " is one of our own addresses and cannot be a contact");
  if (n.contact_name.size() > kMaxFieldBytes || !text::is_clean_text(n.contact_name, true))
    return fail(ErrorCode::kInvalidInput, "contact_name: one line of at most " + std::to_string(kMaxFieldBytes) +
                                              " bytes without control characters");
  if (text::trim(n.subject).empty()) return fail(ErrorCode::kInvalidInput, "subject: must not be empty");
  if (n.subject.size() > 998 || !text::is_clean_text(n.subject, true))
    return fail(ErrorCode::kInvalidInput, "subject: one line of at most 998 bytes without control characters");
  if (!text::is_clean_text(n.description, false))
    return fail(ErrorCode::kInvalidInput, "description: text without control characters");
  store::Case c;
  c.subject = std::string(text::trim(n.subject));
  c.description = n.description;
  c.status = store::CaseStatus::kNew;
  c.origin = "agent";
  c.queue = n.queue.empty() ? cfg_.routing.default_queue : n.queue;
  c.priority = n.priority.empty() ? cfg_.routing.default_priority : n.priority;
  c.product = n.product;
  MC_RETURN_IF_ERROR(check_case_field("queue", c.queue));
  MC_RETURN_IF_ERROR(check_case_field("priority", c.priority));
  MC_RETURN_IF_ERROR(check_case_field("product", c.product));
  if (n.first_comment && text::trim(n.first_comment->body).empty())
    return fail(ErrorCode::kInvalidInput, "comment: the comment is empty");

  MC_ASSIGN_OR_RETURN(auto contact, w.accounts().find_contact_by_email(email));
  if (contact) {
    c.contact_id = contact->id;
    c.account_id = contact->account_id;
  } else {
    MC_ASSIGN_OR_RETURN(auto account, w.accounts().find_account_by_email(email));
    store::Contact made;
    made.name = std::string(text::trim(n.contact_name));
    made.emails = {email};
    if (account) made.account_id = account->id;
    MC_ASSIGN_OR_RETURN(c.contact_id, w.accounts().add_contact(made));
    c.account_id = made.account_id;
  }
  MC_ASSIGN_OR_RETURN(auto created, create(w, by, std::move(c), ""));
  if (!n.owner.empty()) MC_RETURN_IF_ERROR(assign(w, by, created, n.owner));
  if (n.confirm) MC_RETURN_IF_ERROR(enqueue(w, created, MailKind::kConfirmation, "", false));
  if (n.first_comment) MC_RETURN_IF_ERROR(comment(w, by, created, *n.first_comment));
  return created;
}

Status CaseServices::answer_survey(store::UnitOfWork& w, const Actor& by, store::Case& c, int rating,
                                   const std::string& comment) {
  // Read inside the (immediate) unit: two answers at once cannot both pass.
  MC_ASSIGN_OR_RETURN(auto sv, w.surveys().get_survey(c.id));
  MC_RETURN_IF_ERROR(
      cases::may_answer_survey(c.status, sv ? std::optional<int>(sv->rating) : std::nullopt, rating));
  MC_RETURN_IF_ERROR(w.surveys().put_survey(store::Survey{c.id, rating, comment, ""}));
  return event(w, c, by, store::EventAction::kSurveyAnswered,
               {{"rating", std::to_string(rating)}, {"via", by.via}});
}

Status CaseServices::mail_bounced(store::UnitOfWork& w, store::Id case_id, store::OutboxMail& sent,
                                  const std::string& error) {
  sent.state = store::OutboxState::kFailed;
  sent.last_error = error;
  MC_RETURN_IF_ERROR(w.outbox().update_outbox(sent));
  return w.events().add_event(
      {.case_id = case_id,
       .actor_kind = store::ActorKind::kSystem,
       .actor = "mailcase",
       .action = store::EventAction::kMailBounced,
       .details = {{"kind", sent.kind}, {"to", sent.to}, {"error", sent.last_error}}});
}

Status CaseServices::mail_failed(store::UnitOfWork& w, const store::OutboxMail& mail,
                                 const std::string& note) {
  if (!mail.case_id) return {};
  const Actor by = Actor::system();
  store::Comment c;
  c.case_id = *mail.case_id;
  c.direction = store::Direction::kNote;
  c.author = by.name;
  c.body = note;
  c.visibility = store::Visibility::kInternal;
  MC_RETURN_IF_ERROR(w.cases().add_comment(c));
  return w.events().add_event({.case_id = mail.case_id,
                               .actor_kind = by.kind,
                               .actor = by.name,
                               .action = store::EventAction::kMailFailed,
                               .details = {{"kind", mail.kind}, {"to", mail.to}, {"note", note}}});
}

Result<store::Case> CaseServices::in_own_unit(
    const std::function<Result<store::Case>(store::UnitOfWork&)>& find, const CaseAction& fn) {
  MC_ASSIGN_OR_RETURN(auto work, store_.open_unit(store::Access::kWrite));
  MC_ASSIGN_OR_RETURN(auto c, find(work));
  MC_RETURN_IF_ERROR(fn(work, c));
  // Agents' attachments reach the disk before the rows that name them.
  if (blobs_) MC_RETURN_IF_ERROR(blobs_->sync());
  MC_RETURN_IF_ERROR(work.commit());
  return c;
}

Result<store::Case> CaseServices::on_case(std::string_view number, const CaseAction& fn) {
  return in_own_unit(
      [&](store::UnitOfWork& w) -> Result<store::Case> {
        MC_ASSIGN_OR_RETURN(auto c, w.cases().find_case_by_number(number));
        if (!c) return fail(ErrorCode::kNotFound, "no case " + std::string(number));
        return *c;
      },
      fn);
}

Result<store::Case> CaseServices::on_case(store::Id id, const CaseAction& fn) {
  return in_own_unit(
      [&](store::UnitOfWork& w) -> Result<store::Case> {
        MC_ASSIGN_OR_RETURN(auto c, w.cases().get_case(id));
        if (!c) return fail(ErrorCode::kNotFound, "no case " + std::to_string(id));
        return *c;
      },
      fn);
}

Result<store::Case> CaseServices::comment(const Actor& by, std::string_view number, const AgentComment& in) {
  return on_case(number, [&](store::UnitOfWork& w, store::Case& c) { return comment(w, by, c, in); });
}
Result<store::Case> CaseServices::propose_solution(const Actor& by, std::string_view number,
                                                   const AgentComment& in) {
  return on_case(number,
                 [&](store::UnitOfWork& w, store::Case& c) { return propose_solution(w, by, c, in); });
}
Result<store::Case> CaseServices::accept(const Actor& by, std::string_view number) {
  return on_case(number, [&](store::UnitOfWork& w, store::Case& c) { return accept(w, by, c); });
}
Result<store::Case> CaseServices::reject(const Actor& by, std::string_view number, const std::string& why) {
  return on_case(number, [&](store::UnitOfWork& w, store::Case& c) { return reject(w, by, c, why); });
}
Result<store::Case> CaseServices::close(const Actor& by, std::string_view number) {
  return on_case(number, [&](store::UnitOfWork& w, store::Case& c) { return close(w, by, c); });
}
Result<store::Case> CaseServices::reopen(const Actor& by, std::string_view number) {
  return on_case(number, [&](store::UnitOfWork& w, store::Case& c) { return reopen(w, by, c); });
}
Result<store::Case> CaseServices::assign(const Actor& by, std::string_view number, const std::string& owner) {
  return on_case(number, [&](store::UnitOfWork& w, store::Case& c) { return assign(w, by, c, owner); });
}
Result<store::Case> CaseServices::add_participant(const Actor& by, std::string_view number,
                                                  const std::string& email) {
  return on_case(number,
                 [&](store::UnitOfWork& w, store::Case& c) { return add_participant(w, by, c, email); });
}
Result<store::Case> CaseServices::remove_participant(const Actor& by, std::string_view number,
                                                     const std::string& email) {
  return on_case(number,
                 [&](store::UnitOfWork& w, store::Case& c) { return remove_participant(w, by, c, email); });
}
Result<store::Case> CaseServices::answer_survey(const Actor& by, std::string_view number, int rating,
                                                const std::string& comment) {
  return on_case(
      number, [&](store::UnitOfWork& w, store::Case& c) { return answer_survey(w, by, c, rating, comment); });
}

Result<store::Case> CaseServices::change(const Actor& by, std::string_view number, const CaseFields& f) {
  return on_case(number, [&](store::UnitOfWork& w, store::Case& c) { return change(w, by, c, f); });
}
Result<store::Case> CaseServices::set_stage(const Actor& by, std::string_view number,
                                            const std::string& stage) {
  return on_case(number, [&](store::UnitOfWork& w, store::Case& c) { return set_stage(w, by, c, stage); });
}
Result<store::Case> CaseServices::open_case(const Actor& by, const NewCase& n) {
  return in_own_unit([&](store::UnitOfWork& w) { return open_case(w, by, n); },
                     [](store::UnitOfWork&, store::Case&) { return Status{}; });
}

}  // namespace mailcase::services

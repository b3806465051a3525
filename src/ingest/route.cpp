#include "ingest/route.h"

#include <algorithm>

#include "cases/lifecycle.h"
#include "ingest/reply_text.h"
#include "ingest/thread.h"
#include "outbound/loop_guard.h"
#include "util/text.h"

namespace mailcase::ingest {

std::vector<std::string> recipient_candidates(const mime::ParsedMessage& msg,
                                              const std::vector<std::string>& envelope) {
  std::vector<std::string> out;
  auto add = [&](std::string_view a) {
    std::string e = text::normalize_email(a);
    if (e.empty() || e.find('@') == std::string::npos) return;
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(std::move(e));
  };
  for (const auto& e : envelope) add(e);
  for (auto v : msg.headers_named("Delivered-To")) add(v);
  for (auto v : msg.headers_named("X-Original-To")) add(v);
  for (const auto* list : {&msg.to, &msg.cc, &msg.bcc}) {
    for (const auto& a : *list) add(a.email);
  }
  return out;
}

std::optional<domain::RoutingAddress> match_address(const std::vector<std::string>& candidates,
                                                   const std::vector<domain::RoutingAddress>& configured) {
  for (const auto& c : candidates) {
    for (const auto& a : configured) {
      if (text::iequals(a.email, c)) return a;
    }
  }
  return std::nullopt;
}

bool accepts_recipient(std::string_view email, const std::vector<domain::RoutingAddress>& configured) {
  return configured.empty() || match_address({text::normalize_email(email)}, configured).has_value();
}

namespace {

// The words a reply's verdict is read from: the text the mail's comment keeps (its new
// text, or the whole body when nothing in it is new text or quoted history).
std::string reply_words(const mime::ParsedMessage* m) {
  if (!m) return "";
  ReplyText reply = split_reply(m->text_body);
  return reply.new_text.empty() && reply.quoted.empty() ? m->text_body : std::move(reply.new_text);
}

// A personal mail of a participant on its case: a reply to a resolved or closed case may
// start a new case instead (outbound.reply_to_closed = "new"); from someone who may change
// the case it may accept, reject or reopen it. Machine mail changes nothing.
void decide_reply_effect(const RouteFacts& f, const config::Config& cfg, RouteDecision& d) {
  if (f.classification.must_not_auto_answer() || !f.threaded_case_facts) return;
  const CaseFacts& c = *f.threaded_case_facts;
  cases::ActionOptions options;
  options.reply_to_closed =
      cfg.outbound.reply_to_closed == "new" ? cases::ReplyToClosed::kNewCase : cases::ReplyToClosed::kReopen;
  // Only the words of someone who may change the case are read for a verdict.
  const auto effect =
      cases::customer_reply_effect(c.status, d.may_change_case ? reply_words(f.message) : "", options);
  if (effect == cases::ReplyEffect::kNewCase) {
    d.action = Action::kCreateCase;
    d.reason = "answers " + c.number + ", which is " + domain::to_string(c.status) + ": a new case";
    d.queue = c.queue;
    d.product = c.product;
    d.priority = c.priority;
    d.may_change_case = false;
    return;
  }
  if (!d.may_change_case) return;
  // A verdict written in reply to an earlier proposal's mail answers that proposal, not the
  // one made since, which the customer may not have read: it changes nothing.
  const bool verdict = effect == cases::ReplyEffect::kAccept || effect == cases::ReplyEffect::kReject;
  if (verdict && f.answered_proposal != 0 && f.answered_proposal != c.latest_proposal) {
    d.verdict_not_taken = std::string("the reply's ") +
                          (effect == cases::ReplyEffect::kAccept ? "Accept" : "Reject") +
                          " answers an earlier proposed solution, not the one proposed since";
    d.reason += "; " + d.verdict_not_taken;
    d.case_effect = CaseEffect::kNone;
    return;
  }
  switch (effect) {
    case cases::ReplyEffect::kAccept:
      d.case_effect = CaseEffect::kAccept;
      break;
    case cases::ReplyEffect::kReject:
      d.case_effect = CaseEffect::kReject;
      break;
    case cases::ReplyEffect::kReopen:
      d.case_effect = CaseEffect::kReopen;
      break;
    case cases::ReplyEffect::kNone:
    case cases::ReplyEffect::kNewCase:
      d.case_effect = CaseEffect::kNone;
      break;
  }
}

}  // namespace

RouteDecision decide_route(const RouteFacts& f, const config::Config& cfg) {
  RouteDecision d;
  const auto& addr = f.address;
  d.queue = addr && !addr->queue.empty() ? addr->queue
                                         : (addr ? cfg.routing.default_queue : cfg.routing.fallback_queue);
  d.product = addr ? addr->product : "";
  d.priority = addr && !addr->priority.empty() ? addr->priority : cfg.routing.default_priority;
  const std::string& unknown_policy = addr ? addr->unknown_sender : cfg.routing.unknown_sender;
  const MailKind kind = f.classification.kind;

  const bool stranger_on_case = f.threaded_case && f.sender_role == SenderRole::kStranger;
  const std::string& non_participant = cfg.threading.non_participant;
  const std::string not_participant_reason =
      "sender is not a participant of the case (" + f.thread_reason + ")";
  // A reply that claims to come from someone the case knows, but whose DMARC failed at a
  // server we trust: that role is not believed (SF3). trust.on_dmarc_fail says whether
  // it is held or kept as an internal note that changes nothing. Bounces and complaints
  // are about our own mail and stay internal notes as below.
  if (f.threaded_case && !stranger_on_case && !f.from_contradicted.empty() && kind != MailKind::kBounce &&
      kind != MailKind::kFeedback) {
    const std::string why = f.from_contradicted + ": the sender's claim to be its " +
                            to_string(f.sender_role) + " is not believed (" + f.thread_reason + ")";
    if (cfg.trust.on_dmarc_fail == "internal") {
      d.action = Action::kComment;
      d.internal = true;
      d.dmarc_failed = true;
      d.reason = "internal note: " + why;
      return d;
    }
    d.action = Action::kHold;
    d.reason = why;
    return d;
  }
  // A bounce or complaint is about our own mail, whoever reports it: it stays internal. An
  // auto-reply is shown to the customer, so only from a participant.
  if (kind == MailKind::kAutoReply && stranger_on_case) {
    if (non_participant == "internal") {
      d.action = Action::kComment;
      d.internal = true;
      d.not_participant = true;
      d.reason =
          std::string(to_string(kind)) + " from a non-participant: internal note; " + not_participant_reason;
      return d;
    }
    d.action = Action::kHold;
    d.reason = std::string(to_string(kind)) + " from a non-participant; " + not_participant_reason;
    return d;
  }
  // Machine mail about a known case lands on it, for agents only; it never opens a case.
  if (kind == MailKind::kBounce || kind == MailKind::kFeedback || kind == MailKind::kAutoReply) {
    if (f.threaded_case) {
      d.action = Action::kComment;
      d.internal = kind != MailKind::kAutoReply;
      d.reason = std::string(to_string(kind)) + " on its case (" + f.thread_reason + ")";
      return d;
    }
    d.action = Action::kHold;
    d.reason = std::string(to_string(kind)) + " for no known case (" + f.classification.reason + ")";
    return d;
  }

  // From one of our own addresses: a loop, or someone writing as us. A case of it would have
  // us as its contact (an agent's answer mailed to ourselves). On a case it stays an internal
  // note when strangers' mails do (our addresses are strangers to every case); else it is held.
  if (f.sender_is_ours) {
    const std::string why = "sent from our own address " +
                            (f.message ? text::normalize_email(f.message->from.email) : std::string()) +
                            ": a mail loop or a forged sender";
    if (f.threaded_case && non_participant == "internal") {
      d.action = Action::kComment;
      d.internal = true;
      d.not_participant = true;
      d.reason = "internal note: " + why + " (" + f.thread_reason + ")";
      return d;
    }
    d.action = Action::kHold;
    d.reason = why + (f.threaded_case ? " (" + f.thread_reason + ")" : std::string());
    return d;
  }

  if (stranger_on_case) {
    // Never changes the case it names: case numbers are sequential, anyone can write one.
    if (!f.sender_known && unknown_policy == "hold") {
      d.action = Action::kHold;
      d.reason = "unknown sender";
      return d;
    }
    if (non_participant == "hold") {
      d.action = Action::kHold;
      d.reason = not_participant_reason;
      return d;
    }
    if (non_participant == "internal") {
      d.action = Action::kComment;
      d.internal = true;
      d.not_participant = true;
      d.reason = "internal note: " + not_participant_reason;
      return d;
    }
    // "new": the mail is judged as if it named no case.
  } else if (f.threaded_case) {
    // A participant who is nobody's contact yet (a Cc'd colleague, an address an agent
    // added) gets a contact, as the sender of a new case would.
    d.action = Action::kComment;
    d.create_contact = !f.sender_known;
    d.may_change_case = may_change_case(f.sender_role, cfg.threading);
    d.reason = f.thread_reason;
    decide_reply_effect(f, cfg, d);
    return d;
  }

  if (addr && !addr->creates_cases) {
    d.action = Action::kIgnore;
    d.reason = "address " + addr->email + " does not create cases";
    return d;
  }
  if (addr && !addr->subject_prefix.empty()) {
    std::string subject = strip_reply_prefixes(f.message ? f.message->subject : "");
    if (!text::istarts_with(subject, addr->subject_prefix)) {
      d.action = Action::kIgnore;
      d.reason = "subject lacks the required prefix \"" + addr->subject_prefix + "\"";
      return d;
    }
  }
  if (!f.sender_known && unknown_policy == "hold") {
    d.action = Action::kHold;
    d.reason = "unknown sender";
    return d;
  }
  if (!f.message || f.message->from.email.empty() || f.message->from.email.find('@') == std::string::npos) {
    d.action = Action::kHold;
    d.reason = "no sender address";
    return d;
  }
  d.action = Action::kCreateCase;
  d.create_contact = !f.sender_known;
  d.reason = addr ? "routing address " + addr->email : "no routing address matched: fallback queue";
  if (!f.thread_reason.empty() && f.thread_reason.rfind("unknown case number", 0) == 0)
    d.reason += "; " + f.thread_reason;
  if (stranger_on_case) d.reason += "; " + not_participant_reason;
  return d;
}

const char* to_string(SenderRole r) {
  switch (r) {
    case SenderRole::kContact:
      return "contact";
    case SenderRole::kAccount:
      return "account";
    case SenderRole::kParticipant:
      return "participant";
    case SenderRole::kStranger:
      return "stranger";
  }
  return "stranger";
}

SenderRole sender_role(const ParticipantFacts& f) {
  if (f.ours) return SenderRole::kStranger;  // our own address in From is forged or a loop
  if (f.sender_contact && f.case_contact && *f.sender_contact == *f.case_contact) return SenderRole::kContact;
  const bool same_account = f.sender_account && f.case_account && *f.sender_account == *f.case_account;
  // A case opened from an account's own address has no contact: that address speaks for it.
  if (same_account && !f.case_contact && !f.sender_contact) return SenderRole::kContact;
  if (same_account) return SenderRole::kAccount;
  if (f.listed) return SenderRole::kParticipant;
  return SenderRole::kStranger;
}

bool may_change_case(SenderRole role, const config::Threading& cfg) {
  return role == SenderRole::kContact || (role == SenderRole::kAccount && cfg.verdict_from == "account");
}

std::vector<std::string> participants_to_record(const mime::ParsedMessage& msg,
                                                const std::vector<std::string>& ours, size_t limit) {
  std::vector<std::string> out;
  const std::string sender = text::normalize_email(msg.from.email);
  for (const auto* list : {&msg.to, &msg.cc}) {
    for (const auto& a : *list) {
      if (out.size() >= limit) return out;
      std::string e = text::normalize_email(a.email);
      if (e.empty() || e.find('@') == std::string::npos || e == sender) continue;
      if (outbound::is_our_address(e, ours)) continue;
      if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(std::move(e));
    }
  }
  return out;
}

std::vector<std::string> cc_shown(const mime::ParsedMessage& msg, size_t limit) {
  std::vector<std::string> out;
  for (const auto& a : msg.cc) {
    if (out.size() >= limit) break;
    std::string e = text::normalize_email(a.email);
    if (e.find('@') == std::string::npos || e.find(',') != std::string::npos) continue;
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace mailcase::ingest

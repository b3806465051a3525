#include "ingest/route.h"

#include <algorithm>

#include "ingest/thread.h"
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

std::optional<store::RoutingAddress> match_address(const std::vector<std::string>& candidates,
                                                   const std::vector<store::RoutingAddress>& configured) {
  for (const auto& c : candidates) {
    for (const auto& a : configured) {
      if (text::iequals(a.email, c)) return a;
    }
  }
  return std::nullopt;
}

RouteDecision decide_route(const RouteFacts& f, const config::Config& cfg) {
  RouteDecision d;
  const auto& addr = f.address;
  d.queue = addr && !addr->queue.empty() ? addr->queue : (addr ? cfg.routing.default_queue : cfg.routing.fallback_queue);
  d.product = addr ? addr->product : "";
  d.priority = addr && !addr->priority.empty() ? addr->priority : cfg.routing.default_priority;
  const std::string& unknown_policy = addr ? addr->unknown_sender : cfg.routing.unknown_sender;
  const MailKind kind = f.classification.kind;

  // Machine mail about a known case lands on it, for agents only; it never opens a case.
  if (kind == MailKind::kBounce || kind == MailKind::kFeedback || kind == MailKind::kAutoReply) {
    if (f.threaded_case) {
      d.action = Action::kComment;
      d.internal = kind != MailKind::kAutoReply;
      d.reason = std::string(to_string(kind)) + " on its case (" + f.thread_reason + ")";
      return d;
    }
    d.action = Action::kHold;
    d.reason = std::string(to_string(kind)) + " for no known case";
    return d;
  }

  if (f.threaded_case) {
    // A reply from a stranger is kept too, but only under the same sender policy as a new case.
    if (!f.sender_known && unknown_policy == "hold") {
      d.action = Action::kHold;
      d.reason = "unknown sender";
      return d;
    }
    d.action = Action::kComment;
    d.create_contact = !f.sender_known;
    d.reason = f.thread_reason;
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
  return d;
}

}  // namespace mailcase::ingest

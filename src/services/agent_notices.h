// Agents told by mail (issue 14): of a new case in a queue they are a member of, of a
// customer's reply on a case they own, of a case given to them by someone else — each
// per the agent's own settings (store::Agent::notify_*, `mailcase agent set`).
//
// The rule, pure and unit-tested: an agent is told when they are active, have that kind
// of notice on, did not cause the event themselves (no notice of one's own assignment or
// of a case one opened), and their address is none of the case's customers' (a notice
// carries internal links and is never mailed to a customer). Each agent once per event.
//
// The case services (case_services.h) write the notices to the outbox in the event's own
// unit of work. They are marked Auto-Submitted: auto-generated (RFC 3834) so that no
// responder answers them, and they carry no case tag nor thread onto the case: an
// agent's out-of-office answer never lands on a case or wakes another notice.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/agents.h"
#include "store/model.h"

namespace mailcase::services {

enum class NoticeKind { kNewCase, kReply, kAssigned };
// The outbox kind of the mail: "notice_new_case", "notice_reply", "notice_assigned".
const char* to_string(NoticeKind k);

struct NoticeFacts {
  NoticeKind kind = NoticeKind::kNewCase;
  // Who may be told: the queue's members (new case), the case's owner (reply, assigned).
  std::vector<store::Agent> candidates;
  // The agent who caused the event (their email, any letter case); empty: no agent did
  // (the system). A mail's sender stands here too: an agent is never told of their own mail.
  std::string acting_agent;
  // The case's customers' addresses (its contact's, its participants').
  std::vector<std::string> customer_addresses;
};

// The agents to tell, in the order of the candidates, each once. Pure.
std::vector<store::Agent> who_is_told(const NoticeFacts& f);

// The customer's text a notice quotes, at most this many bytes (cut at a character).
inline constexpr size_t kMaxNoticeTextBytes = 4000;

struct NoticeText {
  std::string subject;
  std::string body;
};
// The mail's subject and plain text, in English (agents have no language): what happened,
// the case's number and subject, the customer's text (bounded, control characters
// dropped) when given, and `link` when not empty. Pure.
NoticeText notice_text(NoticeKind kind, const store::Case& c, std::string_view customer_text,
                       std::string_view link);

// The console's page of a case under http.public_url ("" when that is not set). Pure.
std::string console_case_link(std::string_view public_url, std::string_view number);

}  // namespace mailcase::services

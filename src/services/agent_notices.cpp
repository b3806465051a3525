#include "services/agent_notices.h"

#include <algorithm>
#include <set>

#include "util/text.h"

namespace mailcase::services {
namespace {

bool notice_on(const store::Agent& a, NoticeKind k) {
  switch (k) {
    case NoticeKind::kNewCase:
      return a.notify_new_case;
    case NoticeKind::kReply:
      return a.notify_reply;
    case NoticeKind::kAssigned:
      return a.notify_assigned;
  }
  return false;
}

// Valid UTF-8 of at most `max` bytes, cut before a character that would not fit, with
// every control character but line feed and tab dropped: a notice is plain text.
std::string bounded_text(std::string_view s, size_t max, bool* cut) {
  const std::string valid = text::make_valid_utf8(s);
  std::string out;
  out.reserve(std::min(valid.size(), max));
  *cut = false;
  for (size_t i = 0; i < valid.size();) {
    const auto c = static_cast<unsigned char>(valid[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
    if (out.size() + len > max) {
      *cut = true;
      break;
    }
    const bool control = (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f;
    if (!control) out.append(valid, i, len);
    i += len;
  }
  return out;
}

// One line of the case's own fields (subject, queue): control characters dropped.
std::string one_line(std::string_view s) {
  bool cut = false;
  std::string out = bounded_text(s, 998, &cut);
  std::replace(out.begin(), out.end(), '\n', ' ');
  std::replace(out.begin(), out.end(), '\t', ' ');
  return out;
}

}  // namespace

const char* to_string(NoticeKind k) {
  switch (k) {
    case NoticeKind::kNewCase:
      return "notice_new_case";
    case NoticeKind::kReply:
      return "notice_reply";
    case NoticeKind::kAssigned:
      return "notice_assigned";
  }
  return "notice";
}

std::vector<store::Agent> who_is_told(const NoticeFacts& f) {
  std::set<std::string> customers;
  for (const auto& a : f.customer_addresses) customers.insert(text::normalize_email(a));
  const std::string actor = text::normalize_email(f.acting_agent);
  std::set<std::string> told;
  std::vector<store::Agent> out;
  for (const auto& a : f.candidates) {
    const std::string email = text::normalize_email(a.email);
    if (email.empty() || !a.active || !notice_on(a, f.kind)) continue;
    if (!actor.empty() && email == actor) continue;
    if (customers.count(email)) continue;
    if (!told.insert(email).second) continue;
    out.push_back(a);
  }
  return out;
}

NoticeText notice_text(NoticeKind kind, const store::Case& c, std::string_view customer_text,
                       std::string_view link) {
  const std::string subject = one_line(c.subject);
  const std::string queue = one_line(c.queue);
  NoticeText t;
  std::string what;
  switch (kind) {
    case NoticeKind::kNewCase:
      t.subject = "New case " + c.number + " in " + queue + ": " + subject;
      what = "A new case is in the queue " + queue + ", of which you are a member.";
      break;
    case NoticeKind::kReply:
      t.subject = "Customer reply on " + c.number + ": " + subject;
      what = "The customer replied on a case you own.";
      break;
    case NoticeKind::kAssigned:
      t.subject = "Case " + c.number + " assigned to you: " + subject;
      what = "A case was assigned to you.";
      break;
  }
  t.body = what + "\n\nCase:    " + c.number + "\nSubject: " + subject + "\nQueue:   " + queue + "\n";
  if (!text::trim(customer_text).empty()) {
    bool cut = false;
    std::string quoted = bounded_text(text::trim(customer_text), kMaxNoticeTextBytes, &cut);
    t.body += "\nThe customer wrote:\n\n" + quoted + (cut ? "\n[…]" : "") + "\n";
  }
  if (!link.empty()) t.body += "\nOpen the case: " + std::string(link) + "\n";
  t.body +=
      "\n-- \nAn automatic notice from mailcase; it is not answered. Which notices you get: "
      "`mailcase agent set`.\n";
  return t;
}

std::string console_case_link(std::string_view public_url, std::string_view number) {
  std::string base(text::trim(public_url));
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.empty()) return "";
  return base + "/cases/" + std::string(number);
}

}  // namespace mailcase::services

#include "store/agents.h"

#include "util/text.h"

namespace mailcase::store {

const char* to_string(AgentRole r) {
  switch (r) {
    case AgentRole::kAgent:
      return "agent";
    case AgentRole::kAdmin:
      return "admin";
  }
  return "agent";
}

Result<AgentRole> parse_agent_role(std::string_view s) {
  for (auto r : {AgentRole::kAgent, AgentRole::kAdmin}) {
    if (s == to_string(r)) return r;
  }
  return fail(ErrorCode::kInvalidInput, "unknown agent role \"" + std::string(s) + "\" (agent or admin)");
}

bool is_email_address(std::string_view s) {
  if (s.empty() || s.size() > 254) return false;
  auto at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 || s.find('@', at + 1) != std::string_view::npos)
    return false;
  for (unsigned char ch : s) {
    if (ch <= 0x20 || ch == 0x7f) return false;
    if (std::string_view("()<>[]\\,;:\"").find(static_cast<char>(ch)) != std::string_view::npos) return false;
  }
  std::string_view local = s.substr(0, at);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) return false;
  std::string_view domain = s.substr(at + 1);
  if (domain.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t dot = domain.find('.', start);
    std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (unsigned char ch : label) {
      bool ok = ch >= 0x80 || ch == '-' || (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
                (ch >= 'A' && ch <= 'Z');
      if (!ok) return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

std::string agent_email_problem(std::string_view email) {
  if (text::trim(email).empty()) return "an agent needs an email address (--email)";
  if (!is_email_address(text::trim(email)))
    return "not an email address: \"" + std::string(email) +
           "\" (an agent's email looks like name@example.com)";
  return "";
}

OwnerMigration plan_owner_migration(std::string_view owner) {
  OwnerMigration out;
  std::string_view t = text::trim(owner);
  if (t.empty()) return out;
  if (is_email_address(t)) {
    Agent a;
    a.email = text::normalize_email(t);
    a.name = std::string(t.substr(0, t.find('@')));
    a.role = AgentRole::kAgent;
    a.active = true;
    out.agent = std::move(a);
    return out;
  }
  out.note = "owner was: " + std::string(owner);
  return out;
}

}  // namespace mailcase::store

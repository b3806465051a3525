// Agents: the people who work cases. An agent's email is their identity everywhere
// (`case assign --owner`, the owner column of a case). Pure values and decisions; the
// store keeps the rows.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace mailcase::store {

using Id = int64_t;

enum class AgentRole { kAgent, kAdmin };

// The one mapping between a role and its stored / command-line text ("agent", "admin").
const char* to_string(AgentRole r);
// kInvalidInput naming the text when it is no role: a store row with an unknown role is
// an error to report, never read as some default role.
Result<AgentRole> parse_agent_role(std::string_view s);

struct Agent {
  Id id = 0;
  std::string name;
  std::string email;  // normalized (text::normalize_email): unique, whatever the letter case
  AgentRole role = AgentRole::kAgent;
  bool active = true;
  std::string created_at;
  // Which mails the agent is told by (services/agent_notices.h); each on by default.
  bool notify_new_case = true;  // a new case in a queue they are a member of
  bool notify_reply = true;     // a customer's reply on a case they own
  bool notify_assigned = true;  // a case given to them by someone else
};

// A change of an agent's notification settings: the fields present are set.
struct NotifySettingsPatch {
  std::optional<bool> new_case, reply, assigned;
};

// An API token of an agent (access/credentials.h). Only its SHA-256 digest is kept: the
// token itself is shown once, when it is made, and the digest is never shown at all.
struct ApiToken {
  Id id = 0;
  Id agent_id = 0;
  std::string agent_email;  // the agent's (normalized): read from the agent's row, not stored twice
  std::string label;        // what the admin called it ("ci", "laptop"), may be empty
  std::string digest;       // token_digest(token): 64 hex digits
  std::string created_at;
  std::optional<std::string> last_used_at;  // ISO 8601 UTC; empty: never used
  std::optional<std::string> revoked_at;    // set: the token no longer authenticates
};

// Whether s (already trimmed) has the shape of a single addr-spec: a local part and a
// domain of non-empty dot-separated labels, at most 254 bytes, and nothing that could
// split it into several addresses or headers (space, comma, angle brackets, quotes…).
bool is_email_address(std::string_view s);

// Why an address cannot be an agent's (empty when it can), for the command line.
std::string agent_email_problem(std::string_view email);

// What migration 9 does with one case's free-text owner from before agents were records:
// an address becomes (or joins) an agent named after its local part; anything else is
// kept as an internal note on the case ("owner was: X") and the owner emptied.
struct OwnerMigration {
  std::optional<Agent> agent;  // set: the owner becomes this agent's email
  std::string note;            // set: add this internal note and empty the owner
};
OwnerMigration plan_owner_migration(std::string_view owner);

}  // namespace mailcase::store

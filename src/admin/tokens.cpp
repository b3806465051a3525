// API tokens: made and revoked for the command line (`mailcase token`) and the API alike.
#include <sodium.h>

#include <algorithm>

#include "access/credentials.h"
#include "admin/admin.h"
#include "util/text.h"

namespace mailcase::admin {

Result<NewToken> create_api_token(store::Store& st, std::string_view agent_email, std::string_view label_text,
                                  std::string_view actor) {
  const std::string label(text::trim(label_text));
  if (label.size() > kMaxNameBytes || !text::is_clean_text(label, true))
    return tl::unexpected(
        invalid_error({"label", "one line of at most " + std::to_string(kMaxNameBytes) + " bytes"}));
  NewToken out;
  MC_ASSIGN_OR_RETURN(auto unit, st.open_unit(store::Access::kWrite));
  MC_ASSIGN_OR_RETURN(auto agent, unit.agents().find_agent_by_email(agent_email));
  if (!agent)
    return fail(ErrorCode::kNotFound,
                "no agent " + text::normalize_email(agent_email) + " (see `mailcase agent list`)");
  if (!agent->active)
    return fail(ErrorCode::kInvalidInput,
                "agent " + agent->email +
                    " is disabled: a token of theirs would not work (`mailcase agent "
                    "enable " +
                    agent->email + "` first)");
  out.token = access::new_api_token();
  out.row.agent_id = agent->id;
  out.row.agent_email = agent->email;
  out.row.label = label;
  out.row.digest = access::token_digest(out.token);
  MC_ASSIGN_OR_RETURN(out.row.id, unit.agents().add_api_token(out.row));
  MC_RETURN_IF_ERROR(unit.events().add_event(
      {.actor_kind = store::ActorKind::kAgent,
       .actor = std::string(actor),
       .action = store::EventAction::kTokenCreated,
       .details = {{"token", std::to_string(out.row.id)}, {"email", agent->email}, {"label", label}}}));
  // The row as listed (its dates as the store set them), never with its digest.
  MC_ASSIGN_OR_RETURN(auto all, unit.agents().list_api_tokens());
  MC_RETURN_IF_ERROR(unit.commit());
  for (const auto& t : all)
    if (t.id == out.row.id) out.row = t;
  out.row.digest.clear();
  return out;
}

Result<store::ApiToken> revoke_api_token(store::Store& st, store::Id id, std::string_view actor) {
  MC_ASSIGN_OR_RETURN(auto unit, st.open_unit(store::Access::kWrite));
  // Tokens are few (a handful per agent): reading them all finds this one and its agent.
  MC_ASSIGN_OR_RETURN(auto all, unit.agents().list_api_tokens());
  auto it = std::find_if(all.begin(), all.end(), [&](const store::ApiToken& t) { return t.id == id; });
  if (it == all.end())
    return fail(ErrorCode::kNotFound, "no token " + std::to_string(id) + " (see `mailcase token list`)");
  const store::ApiToken before = *it;
  if (before.revoked_at) return before;
  MC_RETURN_IF_ERROR(unit.agents().revoke_api_token(id));
  MC_RETURN_IF_ERROR(
      unit.events().add_event({.actor_kind = store::ActorKind::kAgent,
                               .actor = std::string(actor),
                               .action = store::EventAction::kTokenRevoked,
                               .details = {{"token", std::to_string(id)}, {"email", before.agent_email}}}));
  MC_RETURN_IF_ERROR(unit.commit());
  return before;
}

}  // namespace mailcase::admin

#include "admin/queues.h"

#include "util/text.h"

namespace mailcase::admin {
namespace {

template <typename F>
Status in_unit(store::Store& st, F&& f) {
  MC_ASSIGN_OR_RETURN(auto unit, st.open_unit(store::Access::kWrite));
  MC_RETURN_IF_ERROR(f(unit));
  return unit.commit();
}

Result<store::Queue> queue_in(store::UnitOfWork& u, std::string_view name) {
  MC_ASSIGN_OR_RETURN(auto q, u.queues().find_queue(name));
  if (!q) return fail(ErrorCode::kNotFound, "no queue " + std::string(name));
  return *q;
}

}  // namespace

std::optional<Invalid> check_queue_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxQueueNameBytes)
    return Invalid{"name", "1 to " + std::to_string(kMaxQueueNameBytes) + " bytes"};
  if (!text::is_clean_text(name, true)) return Invalid{"name", "one line of text without control characters"};
  if (text::trim(name).size() != name.size()) return Invalid{"name", "no spaces before or after the name"};
  // A path segment of the API (/api/v1/queues/{name}/members), which a "/" would split.
  if (name.find('/') != std::string_view::npos)
    return Invalid{"name", "no \"/\" (the API names a queue in its path)"};
  return std::nullopt;
}

Result<store::Queue> add_queue(store::Store& st, std::string_view name,
                               const std::vector<std::string>& agents, std::string_view actor) {
  if (auto bad = check_queue_name(name)) return tl::unexpected(invalid_error(*bad));
  if (agents.size() > kMaxQueueAgents)
    return tl::unexpected(
        invalid_error({"agents", "at most " + std::to_string(kMaxQueueAgents) + " agents"}));
  store::Queue out;
  auto done = in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_RETURN_IF_ERROR(u.queues().add_queue(name));
    for (const auto& e : agents) MC_RETURN_IF_ERROR(u.queues().add_queue_member(name, text::trim(e)));
    MC_ASSIGN_OR_RETURN(out, queue_in(u, name));
    return record_config_change(u, actor, "queue", name, "added",
                                {{"members", text::join(out.members, ", ")}});
  });
  MC_RETURN_IF_ERROR(done);
  return out;
}

Result<std::vector<store::Queue>> list_queues(store::Store& st) {
  MC_ASSIGN_OR_RETURN(auto unit, st.open_unit(store::Access::kRead));
  return unit.queues().list_queues();
}

Result<store::Queue> add_queue_member(store::Store& st, std::string_view queue, std::string_view email,
                                      std::string_view actor) {
  if (auto bad = check_queue_name(queue)) return tl::unexpected(invalid_error(*bad));
  store::Queue out;
  auto done = in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_ASSIGN_OR_RETURN(auto agent, u.agents().find_agent_by_email(text::trim(email)));
    if (!agent) return fail(ErrorCode::kNotFound, "no agent " + text::normalize_email(text::trim(email)));
    MC_ASSIGN_OR_RETURN(auto q, u.queues().find_queue(queue));
    if (!q) MC_RETURN_IF_ERROR(u.queues().add_queue(queue));
    MC_RETURN_IF_ERROR(u.queues().add_queue_member(queue, agent->email));
    MC_ASSIGN_OR_RETURN(out, queue_in(u, queue));
    return record_config_change(u, actor, "queue", queue, "member_added", {{"member", agent->email}});
  });
  MC_RETURN_IF_ERROR(done);
  return out;
}

Result<store::Queue> remove_queue_member(store::Store& st, std::string_view queue, std::string_view email,
                                         std::string_view actor) {
  store::Queue out;
  auto done = in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_RETURN_IF_ERROR(u.queues().remove_queue_member(queue, text::trim(email)));
    MC_ASSIGN_OR_RETURN(out, queue_in(u, queue));
    return record_config_change(u, actor, "queue", queue, "member_removed",
                                {{"member", text::normalize_email(text::trim(email))}});
  });
  MC_RETURN_IF_ERROR(done);
  return out;
}

Result<store::Agent> set_agent_notify(store::Store& st, std::string_view email,
                                      const store::NotifySettingsPatch& patch) {
  store::Agent out;
  auto done = in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_RETURN_IF_ERROR(u.queues().set_agent_notify(email, patch));
    MC_ASSIGN_OR_RETURN(auto a, u.agents().find_agent_by_email(email));
    if (!a) return fail(ErrorCode::kNotFound, "no agent " + text::normalize_email(email));
    out = *a;
    return {};
  });
  MC_RETURN_IF_ERROR(done);
  return out;
}

}  // namespace mailcase::admin

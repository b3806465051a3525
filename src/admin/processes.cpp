#include "admin/processes.h"

#include "util/text.h"

namespace mailcase::admin {

Result<store::Process> add_process(store::Store& st, std::string_view name,
                                   const std::vector<std::string>& stages, std::string_view actor) {
  MC_RETURN_IF_ERROR(domain::check_process_name(name));
  MC_RETURN_IF_ERROR(domain::check_stages(stages));
  MC_ASSIGN_OR_RETURN(auto unit, st.open_unit(store::Access::kWrite));
  store::Process p{.name = std::string(name), .stages = stages};
  MC_ASSIGN_OR_RETURN(p.id, unit.processes().add_process(p));
  MC_ASSIGN_OR_RETURN(auto stored, unit.processes().find_process(name));
  MC_RETURN_IF_ERROR(
      record_config_change(unit, actor, "process", name, "added", {{"stages", text::join(stages, ", ")}}));
  MC_RETURN_IF_ERROR(unit.commit());
  if (!stored) return fail(ErrorCode::kInternal, "the process just added is not there");
  return *stored;
}

Result<std::vector<store::Process>> list_processes(store::Store& st) {
  MC_ASSIGN_OR_RETURN(auto unit, st.open_unit(store::Access::kRead));
  return unit.processes().list_processes();
}

Status check_process_exists(store::UnitOfWork& u, std::string_view name) {
  if (name.empty()) return {};
  MC_ASSIGN_OR_RETURN(auto p, u.processes().find_process(name));
  if (!p)
    return fail(ErrorCode::kInvalidInput,
                "process: no process " + text::make_valid_utf8(name.substr(0, domain::kMaxProcessNameBytes)));
  return {};
}

}  // namespace mailcase::admin

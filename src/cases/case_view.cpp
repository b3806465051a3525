#include "cases/case_view.h"

namespace mailcase::cases {

Result<store::Case> case_by_number(store::CaseRepository& cases, std::string_view number) {
  MC_ASSIGN_OR_RETURN(auto c, cases.find_case_by_number(number));
  if (!c) return fail(ErrorCode::kNotFound, "no case " + std::string(number));
  return *c;
}

Result<CaseView> load_case(store::Store& s, std::string_view number) {
  MC_ASSIGN_OR_RETURN(auto unit, s.open_unit(store::Access::kRead));
  return load_case(unit, number);
}

Result<CaseView> load_case(store::UnitOfWork& u, std::string_view number) {
  MC_ASSIGN_OR_RETURN(auto c, case_by_number(u.cases(), number));
  CaseView v;
  v.c = std::move(c);
  if (v.c.contact_id) {
    MC_ASSIGN_OR_RETURN(v.contact, u.accounts().get_contact(*v.c.contact_id));
  }
  if (v.c.account_id) {
    MC_ASSIGN_OR_RETURN(v.account, u.accounts().get_account(*v.c.account_id));
  }
  MC_ASSIGN_OR_RETURN(v.comments, u.cases().comments_of(v.c.id));
  MC_ASSIGN_OR_RETURN(v.attachments, u.cases().attachments_of(v.c.id));
  MC_ASSIGN_OR_RETURN(v.participants, u.cases().participants_of(v.c.id));
  if (!v.c.owner.empty()) {
    MC_ASSIGN_OR_RETURN(v.owner, u.agents().find_agent_by_email(v.c.owner));
  }
  return v;
}

}  // namespace mailcase::cases

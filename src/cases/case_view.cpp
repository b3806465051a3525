#include "cases/case_view.h"

namespace mailcase::cases {

Result<store::Case> case_by_number(store::CaseRepository& cases, std::string_view number) {
  MC_ASSIGN_OR_RETURN(auto c, cases.find_case_by_number(number));
  if (!c) return fail(ErrorCode::kNotFound, "no case " + std::string(number));
  return *c;
}

Result<CaseView> load_case(store::Store& s, std::string_view number) {
  MC_ASSIGN_OR_RETURN(auto c, s.find_case_by_number(number));
  if (!c) return fail(ErrorCode::kNotFound, "no case " + std::string(number));
  CaseView v;
  v.c = *c;
  if (v.c.contact_id) {
    MC_ASSIGN_OR_RETURN(v.contact, s.get_contact(*v.c.contact_id));
  }
  if (v.c.account_id) {
    MC_ASSIGN_OR_RETURN(v.account, s.get_account(*v.c.account_id));
  }
  MC_ASSIGN_OR_RETURN(v.comments, s.comments_of(v.c.id));
  MC_ASSIGN_OR_RETURN(v.attachments, s.attachments_of(v.c.id));
  MC_ASSIGN_OR_RETURN(v.participants, s.participants_of(v.c.id));
  if (!v.c.owner.empty()) {
    MC_ASSIGN_OR_RETURN(v.owner, s.find_agent_by_email(v.c.owner));
  }
  return v;
}

}  // namespace mailcase::cases

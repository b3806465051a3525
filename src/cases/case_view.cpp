#include "cases/case_view.h"

namespace mailcase::cases {

Result<store::Case> case_by_number(store::CaseRepository& cases, std::string_view number) {
  MC_ASSIGN_OR_RETURN(auto c, cases.find_case_by_number(number));
  if (!c) return fail(ErrorCode::kNotFound, "no case " + std::string(number));
  return *c;
}

Result<CaseView> load_case(store::Store& s, std::string_view number) {
  auto c = s.find_case_by_number(number);
  if (!c) return tl::unexpected(c.error());
  if (!*c) return fail(ErrorCode::kNotFound, "no case " + std::string(number));
  CaseView v;
  v.c = **c;
  if (v.c.contact_id) {
    auto ct = s.get_contact(*v.c.contact_id);
    if (!ct) return tl::unexpected(ct.error());
    v.contact = *ct;
  }
  if (v.c.account_id) {
    auto a = s.get_account(*v.c.account_id);
    if (!a) return tl::unexpected(a.error());
    v.account = *a;
  }
  auto comments = s.comments_of(v.c.id);
  if (!comments) return tl::unexpected(comments.error());
  v.comments = std::move(*comments);
  auto atts = s.attachments_of(v.c.id);
  if (!atts) return tl::unexpected(atts.error());
  v.attachments = std::move(*atts);
  auto people = s.participants_of(v.c.id);
  if (!people) return tl::unexpected(people.error());
  v.participants = std::move(*people);
  if (!v.c.owner.empty()) {
    auto owner = s.find_agent_by_email(v.c.owner);
    if (!owner) return tl::unexpected(owner.error());
    v.owner = *owner;
  }
  return v;
}

}  // namespace mailcase::cases

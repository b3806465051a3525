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

namespace {

nlohmann::json contact_json(const std::optional<store::Contact>& c) {
  if (!c) return nullptr;
  return {{"name", c->name}, {"email", c->emails.empty() ? "" : c->emails.front()}, {"emails", c->emails}};
}

nlohmann::json account_json(const std::optional<store::Account>& a) {
  if (!a) return nullptr;
  return {{"name", a->name}, {"support_level", a->support_level}};
}

nlohmann::json case_fields(const store::Case& c) {
  return {{"number", c.number},         {"subject", c.subject},      {"status", store::to_string(c.status)},
          {"priority", c.priority},     {"queue", c.queue},          {"product", c.product},
          {"origin", c.origin},         {"owner", c.owner},          {"routing_address", c.routing_address},
          {"created_at", c.created_at}, {"updated_at", c.updated_at}};
}

}  // namespace

nlohmann::json summary_json(const store::CaseSummary& s) {
  auto j = case_fields(s.c);
  j["contact"] = contact_json(s.contact);
  j["account"] = account_json(s.account);
  return j;
}

nlohmann::json to_json(const CaseView& v) {
  auto j = case_fields(v.c);
  j["description"] = v.c.description;
  j["contact"] = contact_json(v.contact);
  j["account"] = account_json(v.account);
  auto comments = nlohmann::json::array();
  for (const auto& c : v.comments) {
    comments.push_back({{"direction", store::to_string(c.direction)},
                        {"author", c.author},
                        {"body", c.body},
                        {"quoted", c.quoted},
                        {"visibility", store::to_string(c.visibility)},
                        {"created_at", c.created_at}});
  }
  j["comments"] = comments;
  auto atts = nlohmann::json::array();
  for (const auto& a : v.attachments) {
    atts.push_back({{"filename", a.filename},
                    {"content_type", a.content_type},
                    {"size", a.size},
                    {"sha256", a.sha256},
                    {"content_id", a.content_id},
                    {"inline", a.is_inline}});
  }
  j["attachments"] = atts;
  auto people = nlohmann::json::array();
  for (const auto& p : v.participants)
    people.push_back({{"email", p.email}, {"source", p.source}, {"added_at", p.added_at}});
  j["participants"] = people;
  j["owner_name"] = v.owner ? v.owner->name : "";
  return j;
}

}  // namespace mailcase::cases

#include "present/rule_json.h"

namespace mailcase::present {
namespace {

using json = nlohmann::json;

json actions_json(const rules::Actions& a) {
  json out = json::object();
  auto put = [&](const char* key, const std::string& v) {
    if (!v.empty()) out[key] = v;
  };
  put("queue", a.queue);
  put("owner", a.owner);
  put("priority", a.priority);
  put("product", a.product);
  put("process", a.process);
  return out;
}

json conditions_json(const rules::Conditions& c) {
  json out = json::object();
  auto put = [&](const char* key, const std::string& v) {
    if (!v.empty()) out[key] = v;
  };
  put("address", c.address);
  put("sender", c.sender);
  put("sender_domain", c.sender_domain);
  put("contact", c.contact);
  put("account", c.account);
  put("account_level", c.account_level);
  put("subject", c.subject);
  put("body", c.body);
  if (c.attachments) out["attachments"] = *c.attachments;
  put("priority", c.priority);
  put("language", c.language);
  if (c.business_hours) out["business_hours"] = *c.business_hours;
  return out;
}

}  // namespace

json rule_json(const rules::Rule& r) {
  json out = {{"name", r.name},
              {"position", r.position},
              {"enabled", r.enabled},
              {"if", conditions_json(r.when)},
              {"set", actions_json(r.set)},
              {"continue", r.continue_after},
              {"hits", r.hits},
              {"created_at", r.created_at}};
  if (std::string why = rules::pattern_problem(r); !why.empty()) out["broken"] = std::move(why);
  return out;
}

json evaluation_json(const rules::Evaluation& e) {
  json checked = json::array();
  for (const auto& c : e.checked) {
    json one = {{"rule", c.name}, {"matched", c.matched}, {"set", actions_json(c.set)}};
    if (!c.matched) one["failed"] = c.failed;
    checked.push_back(std::move(one));
  }
  json set_by = json::object();
  auto by = [&](const char* key, const std::string& rule) {
    if (!rule.empty()) set_by[key] = rule;
  };
  by("queue", e.queue_by);
  by("owner", e.owner_by);
  by("priority", e.priority_by);
  by("product", e.product_by);
  by("process", e.process_by);
  json out = {{"rules", std::move(checked)},
              {"matched", e.matched},
              {"result", actions_json(e.result)},
              {"set_by", std::move(set_by)}};
  if (!e.skipped.empty()) {
    json skipped = json::array();
    for (const auto& s : e.skipped) skipped.push_back({{"rule", s.name}, {"broken", s.reason}});
    out["skipped"] = std::move(skipped);
  }
  return out;
}

}  // namespace mailcase::present

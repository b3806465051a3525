// Monitoring alert rules (admins only): GET|POST /api/v1/alert-rules, GET|PATCH|DELETE
// /api/v1/alert-rules/{name}. Every write goes through admin/alert_rules.h, with the
// command line's checks and an event naming the admin; a rule's JSON is
// present::alert_rule_json (and a POST's body has its shape).
#include <algorithm>
#include <iterator>

#include "admin/admin.h"
#include "admin/alert_rules.h"
#include "api/lists.h"
#include "api/routes.h"
#include "present/alert_rule_json.h"
#include "util/text.h"

namespace mailcase::api {
namespace {

#define MC_API_FIELD(var, expr) \
  auto var = (expr);            \
  if (!var) return send_problem(res, std::move(var.error()))

// The rule's URL path: its name percent-encoded (a name may hold spaces, '/', '?' …).
std::string alert_rule_path(std::string_view name) {
  return "/api/v1/alert-rules/" + text::url_encode(name);
}

// A rule the admin layer refused, as a 422 naming the JSON field its words are about
// ("--subject: why", "name: why", "--account: no account …" as check_rule and
// add_alert_rule word them); 409 for a name in use; else as problem_of.
Problem problem_of_alert_rule(const Error& e) {
  const auto invalid = admin::invalid_of(e.message);
  if ((e.code != ErrorCode::kInvalidInput && e.code != ErrorCode::kNotFound) || !invalid) return problem_of(e);
  Problem p;
  p.status = 422;
  p.detail = "the alert rule has an invalid field: " + e.message;
  p.errors.push_back(
      {invalid->field == "reopen-within" ? "reopen_within_hours" : invalid->field, invalid->message});
  return p;
}

// The rule a POST's body describes: its shape is alert_rule_json's; position and
// created_at, which mailcase keeps, are ignored so that a rule read with GET may be sent
// back as it is. Every field of the wrong type is named, all at once.
Checked<alerts::AlertRule> alert_rule_of(const nlohmann::json& body) {
  alerts::AlertRule r;
  std::vector<FieldError> errors;
  for (auto& key : unknown_fields(body, {"name", "format", "sender", "subject", "body", "account",
                                         "reopen_within_hours", "proven_sender", "position", "created_at"}))
    errors.push_back({std::move(key),
                      "no such field of an alert rule (name, format, sender, subject, body, "
                      "account, reopen_within_hours, proven_sender)"});
  auto text = [&](const char* name, size_t max, std::string& out) {
    auto v = string_field(body, name, max);
    if (!v) {
      errors.push_back({name, v.error().errors.empty() ? v.error().detail : v.error().errors[0].message});
      return;
    }
    if (*v) out = **v;
  };
  text("name", alerts::kMaxRuleNameBytes + 1, r.name);
  if (r.name.empty()) errors.push_back({"name", "the rule's name is needed"});
  std::string format;
  text("format", 20, format);
  if (auto f = alerts::format_from(format))
    r.format = *f;
  else
    errors.push_back({"format", "one of nagios, icinga, zabbix, checkmk, monit, generic"});
  text("sender", alerts::kMaxPatternBytes + 1, r.sender_re);
  text("subject", alerts::kMaxPatternBytes + 1, r.subject_re);
  text("body", alerts::kMaxPatternBytes + 1, r.body_re);
  text("account", 200, r.account);
  if (auto h = int_field(body, "reopen_within_hours", 0, alerts::kMaxReopenWithinHours); !h)
    errors.push_back({"reopen_within_hours",
                      "hours from 0 to " + std::to_string(alerts::kMaxReopenWithinHours)});
  else if (*h)
    r.reopen_within_hours = static_cast<int>(**h);
  if (auto p = bool_field(body, "proven_sender"); !p)
    errors.push_back({"proven_sender", "must be true or false"});
  else if (*p)
    r.proven_sender = **p;
  if (!errors.empty()) {
    Problem p;
    p.status = 422;
    p.detail = "the alert rule has invalid fields";
    p.errors = std::move(errors);
    return tl::unexpected(std::move(p));
  }
  return r;
}

Result<alerts::AlertRule> find_alert_rule(Context& ctx, const std::string& name) {
  MC_ASSIGN_OR_RETURN(auto all, admin::list_alert_rules(ctx.store));
  for (auto& r : all)
    if (r.name == name) return std::move(r);
  return fail(ErrorCode::kNotFound, "no alert rule named " + name);
}

void list_alert_rules(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto all = admin::list_alert_rules(ctx.store);
  if (!all) return send_error(res, all.error());
  MC_API_FIELD(page, page_of_all(req.params, "alert-rules", *all));
  send_json(res, 200, page_json(*page, present::alert_rule_json));
}

void add_alert_rule(Context& ctx, const store::Agent& by, const httplib::Request& req, httplib::Response& res) {
  MC_API_FIELD(body, body_of(req));
  MC_API_FIELD(rule, alert_rule_of(*body));
  auto added = admin::add_alert_rule(ctx.store, std::move(*rule), by.email);
  if (!added) return send_problem(res, problem_of_alert_rule(added.error()));
  res.set_header("Location", alert_rule_path(added->name));
  send_json(res, 201, present::alert_rule_json(*added));
}

// A change in place: the fields given replace the rule's (null clears a pattern or the
// account), checked as a new rule's; its name, position and created_at stay.
void patch_alert_rule(Context& ctx, const store::Agent& by, const std::string& name, const httplib::Request& req,
                      httplib::Response& res) {
  MC_API_FIELD(body, body_of(req));
  std::optional<Problem> invalid;  // the merged rule's fields, as alert_rule_of names them
  // Merged into the rule as the write reads it: what another changed since this client
  // read it stays where the patch does not touch it.
  const admin::AlertRuleEdit merge =
      merging<alerts::AlertRule>(*body, present::alert_rule_json, alert_rule_of, invalid);
  auto changed = held_to_if_match<alerts::AlertRule>(
      req, res, "the alert rule", present::alert_rule_json,
      [&](const auto& expect) { return admin::edit_alert_rule(ctx.store, name, merge, by.email, expect); });
  if (!changed) return;  // 412
  if (invalid) return send_problem(res, *invalid);
  if (!*changed) return send_problem(res, problem_of_alert_rule(changed->error()));
  send_tagged_json(res, 200, present::alert_rule_json(**changed));
}

void show_alert_rule(Context& ctx, const std::string& name, httplib::Response& res) {
  auto r = find_alert_rule(ctx, name);
  if (!r) return send_error(res, r.error());
  send_tagged_json(res, 200, present::alert_rule_json(*r));
}

void remove_alert_rule(Context& ctx, const store::Agent& by, const std::string& name,
                       const httplib::Request& req, httplib::Response& res) {
  auto st = held_to_if_match<alerts::AlertRule>(
      req, res, "the alert rule", present::alert_rule_json,
      [&](const auto& expect) { return admin::remove_alert_rule(ctx.store, name, by.email, expect); });
  if (!st) return;  // 412
  if (!*st) return send_error(res, st->error());
  res.status = 204;
}

}  // namespace

void mount_alert_rule_routes(web::HttpServer& server, Context& ctx) {
  const std::string segment = kSegmentPattern;
  using A = const store::Agent&;
  using Rq = const httplib::Request&;
  using Rs = httplib::Response&;
  auto admin_only = [&ctx](auto f) {
    return authed(ctx, Need::kAdmin, [&ctx, f](A a, Rq q, Rs s) { f(ctx, a, q, s); });
  };
  server.get("/api/v1/alert-rules", "/api/v1/alert-rules",
             admin_only([](Context& c, A, Rq q, Rs s) { list_alert_rules(c, q, s); }));
  server.post("/api/v1/alert-rules", "/api/v1/alert-rules", admin_only([](Context& c, A a, Rq q, Rs s) {
                idempotent(c, q, s, [&] { add_alert_rule(c, a, q, s); });
              }));
  server.get("/api/v1/alert-rules/{name}", "/api/v1/alert-rules/" + segment,
             admin_only([](Context& c, A, Rq q, Rs s) { show_alert_rule(c, q.matches[1].str(), s); }));
  server.patch("/api/v1/alert-rules/{name}", "/api/v1/alert-rules/" + segment,
               admin_only([](Context& c, A a, Rq q, Rs s) { patch_alert_rule(c, a, q.matches[1].str(), q, s); }));
  server.del(
      "/api/v1/alert-rules/{name}", "/api/v1/alert-rules/" + segment,
      admin_only([](Context& c, A a, Rq q, Rs s) { remove_alert_rule(c, a, q.matches[1].str(), q, s); }));
}

}  // namespace mailcase::api

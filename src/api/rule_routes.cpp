// Assignment rules (admins only): GET|POST /api/v1/rules, GET|PATCH|DELETE
// /api/v1/rules/{name}, and POST /api/v1/rules/test, which evaluates the rules for a mail
// as if it opened a case now and changes nothing (through the ingest pipeline, as
// `mailcase rule test`). Every write goes through admin/rules.h, with the command line's
// checks and an event naming the admin; a rule's JSON is present::rule_json (and a
// request's body has its shape: name, position, enabled, if, set, continue).

#include "admin/admin.h"
#include "admin/rules.h"
#include "api/lists.h"
#include "api/routes.h"
#include "ingest/pipeline.h"
#include "present/json.h"
#include "present/rule_json.h"
#include "util/text.h"

namespace mailcase::api {
namespace {

#define MC_API_FIELD(var, expr) \
  auto var = (expr);            \
  if (!var) return send_problem(res, std::move(var.error()))

constexpr size_t kMaxName = 100;      // check_rule's bound on a name
constexpr size_t kMaxPattern = 1000;  // check_rule's bound on a pattern
constexpr size_t kMaxValue = 320;     // an address, a queue, a level …

// The rule's URL path: its name percent-encoded (a name may hold spaces, '/', '?' …).
std::string rule_path(std::string_view name) {
  return "/api/v1/rules/" + text::url_encode(name);
}

// The JSON field a check_rule message is about: "--if-sender-domain: …" → "if.sender_domain".
std::string json_field_of(const std::string& flag) {
  std::string f = flag;
  if (f.starts_with("if-"))
    f = "if." + f.substr(3);
  else if (f.starts_with("set-"))
    f = "set." + f.substr(4);
  else if (f == "continue")
    f = "continue";
  for (auto& c : f)
    if (c == '-') c = '_';
  return f;
}

// A rule the admin layer refused, as a 422 naming the field when its words start with
// the command line's flag ("--if-subject: why", as check_rule words it; also a kNotFound
// "--set-owner: no agent …": a field at fault, not a missing resource); "rule" for
// another invalid input; 409 for a name in use; else as problem_of.
Problem problem_of_rule(const Error& e) {
  const auto invalid = admin::invalid_of(e.message);
  if (!(e.code == ErrorCode::kInvalidInput || (e.code == ErrorCode::kNotFound && invalid))) return problem_of(e);
  Problem p;
  p.status = 422;
  p.detail = "the rule has an invalid field: " + e.message;
  if (invalid)
    p.errors.push_back({json_field_of(invalid->field), invalid->message});
  else
    p.errors.push_back({"rule", e.message});
  return p;
}

// The rule named `name`, or kNotFound. Rules are few: read whole.
Result<rules::Rule> find_rule(Context& ctx, const std::string& name) {
  MC_ASSIGN_OR_RETURN(auto all, admin::list_rules(ctx.store));
  for (auto& r : all)
    if (r.name == name) return std::move(r);
  return fail(ErrorCode::kNotFound, "no rule named " + name);
}

// Fields of a JSON object outside `known`: a problem naming the first.
std::optional<Problem> unknown_field(const nlohmann::json& obj, const std::string& prefix,
                                     std::initializer_list<std::string_view> known, const std::string& why) {
  auto unknown = unknown_fields(obj, known);
  if (unknown.empty()) return std::nullopt;
  return field_problem(prefix + unknown.front(), why);
}

// The rule a POST's body describes: its shape is rule_json's; hits, created_at and broken,
// which mailcase keeps or finds, are ignored so that a rule read with GET may be sent back
// as it is (a broken pattern is then refused as any other).
// Every field of the wrong type is named, all at once.
Checked<rules::Rule> rule_of(const nlohmann::json& body) {
  rules::Rule r;
  std::vector<FieldError> errors;
  auto text = [&](const nlohmann::json& obj, const std::string& prefix, const char* name, size_t max,
                  std::string& out) {
    auto v = string_field(obj, name, max);
    if (!v) {
      errors.push_back(
          {prefix + name, v.error().errors.empty() ? v.error().detail : v.error().errors[0].message});
      return;
    }
    if (*v) out = **v;
  };
  auto flag = [&](const nlohmann::json& obj, const std::string& prefix, const char* name,
                  std::optional<bool>& out) {
    auto v = bool_field(obj, name);
    if (!v)
      errors.push_back({prefix + name, "must be true or false"});
    else
      out = *v;
  };
  if (auto bad = unknown_field(
          body, "", {"name", "position", "enabled", "if", "set", "continue", "hits", "created_at", "broken"},
          "no such field of a rule (name, position, enabled, if, set, continue)"))
    return tl::unexpected(*bad);
  text(body, "", "name", kMaxName + 1, r.name);
  if (r.name.empty()) errors.push_back({"name", "the rule's name is needed"});
  if (auto p = int_field(body, "position", 1, 1000000); !p)
    errors.push_back({"position", "a position from 1 (first)"});
  else if (*p)
    r.position = static_cast<int>(**p);
  std::optional<bool> enabled, cont;
  flag(body, "", "enabled", enabled);
  flag(body, "", "continue", cont);
  r.enabled = enabled.value_or(true);
  r.continue_after = cont.value_or(false);

  static const nlohmann::json kEmpty = nlohmann::json::object();
  const auto when_it = body.find("if");
  const auto set_it = body.find("set");
  const bool when_ok = when_it == body.end() || when_it->is_null() || when_it->is_object();
  const bool set_ok = set_it == body.end() || set_it->is_null() || set_it->is_object();
  if (!when_ok) errors.push_back({"if", "an object of conditions"});
  if (!set_ok) errors.push_back({"set", "an object of what the rule sets"});
  const auto& when = when_ok && when_it != body.end() && !when_it->is_null() ? *when_it : kEmpty;
  const auto& set = set_ok && set_it != body.end() && !set_it->is_null() ? *set_it : kEmpty;
  if (auto bad = unknown_field(when, "if.",
                               {"address", "sender", "sender_domain", "contact", "account", "account_level",
                                "subject", "body", "attachments", "priority", "language", "business_hours"},
                               "no such condition"))
    errors.insert(errors.end(), bad->errors.begin(), bad->errors.end());
  if (auto bad = unknown_field(set, "set.", {"queue", "owner", "priority", "product", "process"},
                               "no such action (queue, owner, priority, product, process)"))
    errors.insert(errors.end(), bad->errors.begin(), bad->errors.end());

  auto& c = r.when;
  text(when, "if.", "address", kMaxValue, c.address);
  text(when, "if.", "sender", kMaxValue, c.sender);
  text(when, "if.", "sender_domain", kMaxValue, c.sender_domain);
  text(when, "if.", "contact", kMaxValue, c.contact);
  text(when, "if.", "account", kMaxValue, c.account);
  text(when, "if.", "account_level", kMaxValue, c.account_level);
  text(when, "if.", "subject", kMaxPattern + 1, c.subject);
  text(when, "if.", "body", kMaxPattern + 1, c.body);
  flag(when, "if.", "attachments", c.attachments);
  text(when, "if.", "priority", kMaxValue, c.priority);
  text(when, "if.", "language", kMaxValue, c.language);
  flag(when, "if.", "business_hours", c.business_hours);
  auto& a = r.set;
  text(set, "set.", "queue", kMaxValue, a.queue);
  text(set, "set.", "owner", kMaxValue, a.owner);
  text(set, "set.", "priority", kMaxValue, a.priority);
  text(set, "set.", "product", kMaxValue, a.product);
  text(set, "set.", "process", kMaxValue, a.process);

  if (!errors.empty()) {
    Problem p;
    p.status = 422;
    p.detail = "the rule has invalid fields";
    p.errors = std::move(errors);
    return tl::unexpected(std::move(p));
  }
  return r;
}

void list_rules(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  // Rules are few (an admin writes each): read whole, paged by position (1, 2, … in order).
  auto all = admin::list_rules(ctx.store);
  if (!all) return send_error(res, all.error());
  MC_API_FIELD(page, page_of_all(req.params, "rules", *all));
  send_json(res, 200, page_json(*page, present::rule_json));
}

void add_rule(Context& ctx, const store::Agent& by, const httplib::Request& req, httplib::Response& res) {
  MC_API_FIELD(body, body_of(req));
  MC_API_FIELD(rule, rule_of(*body));
  auto added = admin::add_rule(ctx.store, std::move(*rule), by.email);
  if (!added) return send_problem(res, problem_of_rule(added.error()));
  res.set_header("Location", rule_path(added->name));
  send_json(res, 201, present::rule_json(*added));
}

void show_rule(Context& ctx, const std::string& name, httplib::Response& res) {
  auto r = find_rule(ctx, name);
  if (!r) return send_error(res, r.error());
  send_tagged_json(res, 200, present::rule_json(*r));
}

// Each field optional: what the rule does ("if", "set", "continue": a JSON merge patch,
// RFC 7396, of the rule as GET shows it: a condition or action given is set, one given
// as null is dropped, the others stay), then enabled, then position. The name is the
// rule's key (remove and add a rule to rename it).
void patch_rule(Context& ctx, const store::Agent& by, const std::string& name, const httplib::Request& req,
                httplib::Response& res) {
  MC_API_FIELD(body, body_of(req));
  MC_API_FIELD(enabled, bool_field(*body, "enabled"));
  MC_API_FIELD(position, int_field(*body, "position", 1, 1000000));
  nlohmann::json does = nlohmann::json::object();
  for (const char* key : {"if", "set", "continue"})
    if (auto it = body->find(key); it != body->end()) does[key] = *it;
  admin::RulePatch patch;
  std::optional<Problem> invalid;  // the merged rule's fields, as rule_of names them
  // Merged into the rule as the write reads it: what another changed since this client read
  // it stays where the patch does not touch it. A patch's "if" or "set" that is no object
  // replaces the rule's: rule_of names it.
  if (!does.empty()) patch.does = merging<rules::Rule>(does, present::rule_json, rule_of, invalid);
  patch.enabled = *enabled;
  if (*position) patch.position = static_cast<int>(**position);
  auto changed = held_to_if_match<rules::Rule>(
      req, res, "the rule", present::rule_json,
      [&](const auto& expect) { return admin::patch_rule(ctx.store, name, patch, by.email, expect); });
  if (!changed) return;  // 412
  if (invalid) return send_problem(res, *invalid);
  if (!*changed) return send_problem(res, problem_of_rule(changed->error()));
  send_tagged_json(res, 200, present::rule_json(**changed));
}

void remove_rule(Context& ctx, const store::Agent& by, const std::string& name, const httplib::Request& req,
                 httplib::Response& res) {
  auto st = held_to_if_match<rules::Rule>(req, res, "the rule", present::rule_json, [&](const auto& expect) {
    return admin::remove_rule(ctx.store, name, by.email, expect);
  });
  if (!st) return;  // 412
  if (!*st) return send_error(res, st->error());
  res.status = 204;
}

// The mail: the body itself (message/rfc822), or JSON {"mail": "…"}. Either is bounded by
// the API's body limit before it is read.
void test_rules(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  std::string mail;
  const std::string content_type = req.get_header_value("Content-Type");
  const std::string type =
      text::ascii_lower(text::trim(std::string_view(content_type).substr(0, content_type.find(';'))));
  if (type == "message/rfc822") {
    mail = req.body;
  } else {
    MC_API_FIELD(body, body_of(req));
    if (auto bad = unknown_field(*body, "", {"mail"}, "no such field (mail: the raw mail, as text)"))
      return send_problem(res, *bad);
    MC_API_FIELD(m, string_field(*body, "mail", static_cast<size_t>(ctx.cfg.http.max_api_body_bytes)));
    if (!*m)
      return send_problem(res, field_problem("mail", "the raw mail (headers, a blank line, the body)"));
    mail = std::move(**m);
  }
  if (text::trim(mail).empty())
    return send_problem(res, field_problem("mail", "the raw mail (headers, a blank line, the body)"));
  if (!ctx.ingest) return send_problem(res, Problem{503, "the rules cannot be tested here now", {}});
  auto e = ctx.ingest->test_rules(mail, ingest::Envelope{"api rule test", {}, std::nullopt});
  if (!e) {
    if (e.error().code == ErrorCode::kInvalidInput)
      return send_problem(res, field_problem("mail", e.error().message));
    return send_error(res, e.error());
  }
  send_json(res, 200, present::evaluation_json(*e));
}

}  // namespace

void mount_rule_routes(web::HttpServer& server, Context& ctx) {
  const std::string segment = kSegmentPattern;
  using A = const store::Agent&;
  using Rq = const httplib::Request&;
  using Rs = httplib::Response&;
  auto admin_only = [&ctx](auto f) {
    return authed(ctx, Need::kAdmin, [&ctx, f](A a, Rq q, Rs s) { f(ctx, a, q, s); });
  };
  server.get("/api/v1/rules", "/api/v1/rules",
             admin_only([](Context& c, A, Rq q, Rs s) { list_rules(c, q, s); }));
  server.post("/api/v1/rules", "/api/v1/rules", admin_only([](Context& c, A a, Rq q, Rs s) {
                idempotent(c, q, s, [&] { add_rule(c, a, q, s); });
              }));
  // Before /api/v1/rules/{name}: a rule named "test" is read with GET, never evaluated.
  server.post("/api/v1/rules/test", "/api/v1/rules/test",
              admin_only([](Context& c, A, Rq q, Rs s) { test_rules(c, q, s); }));
  server.get("/api/v1/rules/{name}", "/api/v1/rules/" + segment,
             admin_only([](Context& c, A, Rq q, Rs s) { show_rule(c, q.matches[1].str(), s); }));
  server.patch("/api/v1/rules/{name}", "/api/v1/rules/" + segment,
               admin_only([](Context& c, A a, Rq q, Rs s) { patch_rule(c, a, q.matches[1].str(), q, s); }));
  server.del("/api/v1/rules/{name}", "/api/v1/rules/" + segment,
             admin_only([](Context& c, A a, Rq q, Rs s) { remove_rule(c, a, q.matches[1].str(), q, s); }));
}

}  // namespace mailcase::api

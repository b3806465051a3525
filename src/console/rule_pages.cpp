// The assignment rules' page (admins only): the rules in their order with what each
// checks and sets, its hits and whether it is enabled; a form to add one (every condition
// and action of `mailcase rule add`), the same form to change what a rule does (Edit),
// enable/disable, move up/down and remove; and "Test a
// mail": a pasted raw mail is evaluated as if it opened a case now, changing nothing.
// Every write goes through admin/rules.h, with the command line's checks and an event
// naming the admin; the test goes through the ingest pipeline, as `mailcase rule test`.
// A rule's name travels in a hidden form field, never in the path: names may hold any
// character.
#include <spdlog/spdlog.h>

#include <map>

#include "admin/admin.h"
#include "admin/rules.h"
#include "console/admin_forms.h"
#include "console/page.h"
#include "ingest/pipeline.h"
#include "util/text.h"

namespace mailcase::console {
namespace {

// A form field's bound: a pattern's (check_rule refuses longer ones). A longer field is
// refused by name, never cut.
constexpr size_t kMaxRuleField = 1000;

using text::url_encode;

// The form's fields, named as the command line's flags with '_' for '-' (if_subject,
// set_owner …).
const char* const kConditionFields[] = {
    "if_address", "if_sender", "if_sender_domain", "if_contact",  "if_account",  "if_account_level",
    "if_subject", "if_body",   "if_attachments",   "if_priority", "if_language", "if_business_hours"};
const char* const kActionFields[] = {"set_queue", "set_owner", "set_priority", "set_product", "set_process"};

Fields rule_fields(const httplib::Request& req) {
  Fields f;
  auto take = [&](const char* n) { f[n] = form_value(req, n); };
  take("name");
  take("position");
  take("continue");
  for (const char* n : kConditionFields) take(n);
  for (const char* n : kActionFields) take(n);
  return f;
}

// "yes" / "no" / "" (any) of a select.
std::optional<bool> yes_no(const std::string& v) {
  if (v == "yes") return true;
  if (v == "no") return false;
  return std::nullopt;
}

struct RuleForm {
  rules::Rule rule;
  std::map<std::string, std::string> errors;  // by form field
};

// The rule a form describes, before check_rule: the form's own errors (a position that is
// no number, a yes/no that is neither) by field.
RuleForm rule_from_form(const Fields& f) {
  RuleForm out;
  for (const auto& [name, value] : f)
    if (value.size() > kMaxRuleField)
      out.errors[name] = "at most " + std::to_string(kMaxRuleField) + " bytes";
  auto& r = out.rule;
  r.name = std::string(text::trim(field(f, "name")));
  if (r.name.empty()) out.errors.emplace("name", "a name is needed");
  if (const std::string p{text::trim(field(f, "position"))}; !p.empty()) {
    if (p.size() > 6 || p.find_first_not_of("0123456789") != std::string::npos || std::stoi(p) < 1)
      out.errors["position"] = "a position from 1 (first); empty: last";
    else
      r.position = std::stoi(p);
  }
  r.continue_after = !field(f, "continue").empty();
  auto& c = r.when;
  auto text_of = [&](const char* n) { return std::string(text::trim(field(f, n))); };
  c.address = text_of("if_address");
  c.sender = text_of("if_sender");
  c.sender_domain = text_of("if_sender_domain");
  c.contact = text_of("if_contact");
  c.account = text_of("if_account");
  c.account_level = text_of("if_account_level");
  c.subject = field(f, "if_subject");  // a pattern: spaces may matter
  c.body = field(f, "if_body");
  c.priority = text_of("if_priority");
  c.language = text_of("if_language");
  for (auto [name, out_field] :
       {std::pair{"if_attachments", &c.attachments}, std::pair{"if_business_hours", &c.business_hours}}) {
    const std::string v = field(f, name);
    *out_field = yes_no(v);
    if (!v.empty() && !*out_field) out.errors[name] = "yes, no, or empty (either)";
  }
  auto& a = r.set;
  a.queue = text_of("set_queue");
  a.owner = text_of("set_owner");
  a.priority = text_of("set_priority");
  a.product = text_of("set_product");
  a.process = text_of("set_process");
  return out;
}

// ---- markup

Html yes_no_select(const char* name, const char* label, const Fields& f,
                   const std::map<std::string, std::string>& errors) {
  const std::string v = field(f, name);
  Html opts;
  for (auto [value, text] : {std::pair{"", "either"}, std::pair{"yes", "yes"}, std::pair{"no", "no"}})
    opts +=
        html("<option value=\"{}\"{}>{}</option>", value, Html::trusted(v == value ? " selected" : ""), text);
  return html("<label for=\"f-{}\">{}</label><select id=\"f-{}\" name=\"{}\">{}</select>{}", name, label,
              name, name, opts, field_error(errors, name));
}

// What a rule checks, in words ("any mail" when nothing).
Html conditions_html(const rules::Conditions& c) {
  std::vector<Html> parts;
  auto is = [&](const char* what, const std::string& v) {
    if (!v.empty()) parts.push_back(html("{} <b>{}</b>", what, v));
  };
  auto matches = [&](const char* what, const std::string& v) {
    if (!v.empty()) parts.push_back(html("{} matches <code>{}</code>", what, v));
  };
  is("to", c.address);
  is("from", c.sender);
  is("from domain", c.sender_domain);
  is("contact", c.contact);
  is("account", c.account);
  is("account level", c.account_level);
  matches("subject", c.subject);
  matches("body", c.body);
  if (c.attachments) parts.push_back(html(*c.attachments ? "has attachments" : "has no attachments"));
  is("priority", c.priority);
  is("language", c.language);
  if (c.business_hours)
    parts.push_back(html(*c.business_hours ? "inside business hours" : "outside business hours"));
  if (parts.empty()) return html("<span class=\"meta\">any mail</span>");
  return join(parts, "; ");
}

Html actions_html(const rules::Actions& a) {
  std::vector<Html> parts;
  auto set = [&](const char* what, const std::string& v) {
    if (!v.empty()) parts.push_back(html("{} → <b>{}</b>", what, v));
  };
  set("queue", a.queue);
  set("owner", a.owner);
  set("priority", a.priority);
  set("product", a.product);
  set("process", a.process);
  if (parts.empty()) return html("<span class=\"meta\">nothing</span>");
  return join(parts, "; ");
}

// A one-button form posting `name` (and the extra hidden fields) to action.
Html button_form(const Viewer& v, const char* action, const std::string& name, const Html& extra,
                 const char* label, const std::string& confirm = "") {
  return html(
      "<form class=\"inline\" method=\"post\" action=\"{}\"{}>{}<input type=\"hidden\" name=\"name\" "
      "value=\"{}\">{}<button type=\"submit\" class=\"secondary\">{}</button></form>",
      action, confirm.empty() ? Html() : html(" data-confirm=\"{}\"", confirm), csrf_field(v), name, extra,
      label);
}

Html rules_table(const Viewer& v, const std::vector<rules::Rule>& all) {
  if (all.empty())
    return html(
        "<p>No rules yet: each new case keeps the queue, priority and product its routing address "
        "gives it.</p>");
  Html rows;
  std::vector<Html> broken;  // the names of the rules whose pattern does not compile
  for (const auto& r : all) {
    const std::string why = rules::pattern_problem(r);
    if (!why.empty()) broken.push_back(html("{}", r.name));
    Html actions =
        button_form(v, "/admin/rules/enable", r.name,
                    html("<input type=\"hidden\" name=\"enabled\" value=\"{}\">", r.enabled ? "no" : "yes"),
                    r.enabled ? "Disable" : "Enable");
    if (r.position > 1)
      actions += button_form(v, "/admin/rules/move", r.name,
                             html("<input type=\"hidden\" name=\"position\" value=\"{}\">", r.position - 1),
                             "Move up");
    if (r.position < static_cast<int>(all.size()))
      actions += button_form(v, "/admin/rules/move", r.name,
                             html("<input type=\"hidden\" name=\"position\" value=\"{}\">", r.position + 1),
                             "Move down");
    actions += html("<a class=\"button secondary\" href=\"/admin/rules?edit={}#rule-form\">Edit</a>",
                    url_encode(r.name));
    actions += button_form(v, "/admin/rules/remove", r.name, Html(), "Remove",
                           "Remove the rule " + r.name + "? New cases no longer follow it.");
    const Html broken_html =
        why.empty()
            ? Html()
            : html(
                  " <span class=\"badge broken\">broken</span><p class=\"error\">Its pattern does not "
                  "compile, so it is never checked: {}. Edit or remove it.</p>",
                  why);
    rows += html(
        "<tr class=\"{}{}\"><td>{}</td><td>{}</td><td>{}{}</td><td>{}{}</td><td>{}</td><td>{}</td>"
        "<td class=\"actions\">{}</td></tr>",
        r.enabled ? "rule" : "rule disabled", why.empty() ? "" : " broken", r.position, r.name,
        conditions_html(r.when), broken_html, actions_html(r.set),
        r.continue_after ? html(" <span class=\"badge\">then continue</span>") : Html(), r.hits,
        r.enabled ? "yes" : "no", actions);
  }
  const Html warning =
      broken.empty()
          ? Html()
          : html(
                "<p class=\"error\" role=\"alert\">Rules that do not compile are never checked (the "
                "others are): {}.</p>",
                join(broken, ", "));
  return html(
      "{}<table id=\"rules\"><thead><tr><th>#</th><th>Name</th><th>If</th><th>Set</th><th>Hits</th>"
      "<th>Enabled</th><th>Actions</th></tr></thead><tbody>{}</tbody></table>",
      warning, rows);
}

// The form that adds a rule, or (`editing`) changes what the rule of that name does: its
// name travels hidden, and its position, state and hits stay as they are.
Html rule_form(const Viewer& v, const Fields& f, const std::map<std::string, std::string>& errors,
               const std::optional<std::string>& editing = std::nullopt) {
  const auto& e = errors;
  const Html head =
      editing
          ? html("<h2 id=\"rule-form\">Change the rule {}</h2><form method=\"post\" action=\"/admin/rules/edit\" "
                 "class=\"card\">{}<input type=\"hidden\" name=\"name\" value=\"{}\">{}",
                 *editing, csrf_field(v), *editing, field_error(e, "name"))
          : html("<h2 id=\"rule-form\">Add a rule</h2><form method=\"post\" action=\"/admin/rules\" "
                 "class=\"card\">{}{}{}",
                 csrf_field(v), text_input("name", "Name", f, e, " required maxlength=\"100\""),
                 text_input("position", "Position (1 is checked first; empty: last)", f, e,
                            " inputmode=\"numeric\""));
  const Html submit = editing ? html("<button type=\"submit\">Save the rule</button> <a class=\"button "
                                     "secondary\" href=\"/admin/rules\">Cancel</a>")
                              : html("<button type=\"submit\">Add the rule</button>");
  return html(
      "{}<fieldset><legend>If (every condition given must hold; empty: "
      "any)</legend>{}{}{}{}{}{}{}{}{}{}{}{}"
      "</fieldset><fieldset><legend>Set</legend>{}{}{}{}{}</fieldset>"
      "<label class=\"check\"><input type=\"checkbox\" name=\"continue\" value=\"yes\"{}> Then check the "
      "next "
      "rules too (a later match's settings replace this one's)</label>{}"
      "<div class=\"actions\">{}</div></form>",
      head,
      text_input("if_address", "Routing address the mail came to", f, e),
      text_input("if_sender", "Sender's address", f, e),
      text_input("if_sender_domain", "Sender's domain (example.com)", f, e),
      text_input("if_contact", "An address of the sender's contact", f, e),
      text_input("if_account", "Sender's account (its name)", f, e),
      text_input("if_account_level", "Account's support level", f, e),
      text_input("if_subject", "Subject matches (RE2, any letter case)", f, e),
      text_input("if_body", "Body matches (RE2, any letter case)", f, e),
      yes_no_select("if_attachments", "Has attachments", f, e),
      text_input("if_priority", "Priority routing gave the case", f, e),
      text_input("if_language", "Contact's language (en, fr …)", f, e),
      yes_no_select("if_business_hours", "Inside business hours", f, e),
      text_input("set_queue", "Queue", f, e),
      text_input("set_owner", "Owner (an agent's email, or round-robin)", f, e),
      text_input("set_priority", "Priority", f, e), text_input("set_product", "Product", f, e),
      text_input("set_process", "Process", f, e),
      Html::trusted(field(f, "continue").empty() ? "" : " checked"), field_error(e, "continue"), submit);
}

// A rule as the form's fields.
Fields fields_of(const rules::Rule& r) {
  auto yes_no_text = [](const std::optional<bool>& b) { return b ? std::string(*b ? "yes" : "no") : std::string(); };
  const auto& c = r.when;
  const auto& a = r.set;
  return Fields{{"name", r.name},
                {"continue", r.continue_after ? "yes" : ""},
                {"if_address", c.address},
                {"if_sender", c.sender},
                {"if_sender_domain", c.sender_domain},
                {"if_contact", c.contact},
                {"if_account", c.account},
                {"if_account_level", c.account_level},
                {"if_subject", c.subject},
                {"if_body", c.body},
                {"if_attachments", yes_no_text(c.attachments)},
                {"if_priority", c.priority},
                {"if_language", c.language},
                {"if_business_hours", yes_no_text(c.business_hours)},
                {"set_queue", a.queue},
                {"set_owner", a.owner},
                {"set_priority", a.priority},
                {"set_product", a.product},
                {"set_process", a.process}};
}

Html evaluation_html(const rules::Evaluation& ev) {
  Html skipped;
  for (const auto& s : ev.skipped)
    skipped +=
        html("<p class=\"error\">Not checked: the rule {} does not compile ({}).</p>", s.name, s.reason);
  if (ev.checked.empty())
    return html(
        "<div id=\"rule-test-result\">{}<p>No enabled rule was checked: the case would keep routing's "
        "settings.</p></div>",
        skipped);
  Html rows;
  for (const auto& c : ev.checked)
    rows += html("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", c.name,
                 c.matched ? html("<b>matched</b>") : html("no: {} does not hold", c.failed),
                 actions_html(c.set));
  Html verdict = ev.matched.empty() ? html("<p>No rule matched: the case would keep routing's settings.</p>")
                                    : html("<p>It would set: {}.</p>", actions_html(ev.result));
  return html(
      "<div id=\"rule-test-result\">{}<table><thead><tr><th>Rule checked</th><th>Matched</th><th>It sets"
      "</th></tr></thead><tbody>{}</tbody></table>{}<p class=\"meta\">Nothing was changed.</p></div>",
      skipped, rows, verdict);
}

Html test_form(const Viewer& v, std::string_view mail, const Html& result) {
  return html(
      "<h2 id=\"rule-test\">Test a mail</h2><p class=\"meta\">Paste a raw mail (headers, a blank line, the "
      "body): the rules are checked as if it opened a case now. Nothing is changed.</p>"
      "<form method=\"post\" action=\"/admin/rules/test\" class=\"card\">{}<label for=\"f-mail\">Raw mail"
      "</label><textarea id=\"f-mail\" name=\"mail\" rows=\"10\" required>{}</textarea><div "
      "class=\"actions\">"
      "<button type=\"submit\">Test</button></div></form>{}",
      csrf_field(v), mail, result);
}

void rules_page(Context& ctx, const Viewer& v, httplib::Response& res, int status, const Html& message,
                const Fields& form, const std::map<std::string, std::string>& errors,
                std::string_view mail = {}, const Html& test_result = {},
                const std::optional<std::string>& editing = std::nullopt) {
  auto all = admin::list_rules(ctx.store);
  if (!all) return send_error(res, 503, v, "The rules cannot be read just now; please try again.");
  send_page(
      res, status, v, "Assignment rules", "admin",
      html("<p class=\"meta\"><a href=\"/admin\">Admin</a> › Assignment rules</p><h1>Assignment rules</h1>"
           "<p class=\"meta\">Checked in order for each mail that opens a case; the first that matches "
           "wins, unless it says to continue. Disabled rules are skipped.</p>") +
          message + rules_table(v, *all) + rule_form(v, form, errors, editing) + test_form(v, mail, test_result));
}

// ---- handlers

void rules_get(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  Html message;
  if (auto s = req.get_param_value("added"); !s.empty()) message = notice("Added the rule " + s + ".", "");
  if (auto s = req.get_param_value("changed"); !s.empty())
    message = notice("Changed the rule " + s + ".", "");
  if (auto s = req.get_param_value("removed"); !s.empty())
    message = notice("Removed the rule " + s + ".", "");
  if (auto name = req.get_param_value("edit"); !name.empty()) {
    auto all = admin::list_rules(ctx.store);
    if (!all) return send_error(res, 503, v, "The rules cannot be read just now; please try again.");
    for (const auto& r : *all)
      if (r.name == name) return rules_page(ctx, v, res, 200, message, fields_of(r), {}, {}, {}, r.name);
    return rules_page(ctx, v, res, 404, notice("", "No rule " + name + ": it may have been removed."), {}, {});
  }
  rules_page(ctx, v, res, 200, message, {}, {});
}

// What the admin layer refused, by form field, and the page's status.
std::pair<int, std::map<std::string, std::string>> refusal_of(const Error& e) {
  std::map<std::string, std::string> errors;
  int status = 422;
  if (e.code == ErrorCode::kInvalidInput || e.code == ErrorCode::kNotFound) {
    // check_rule's words: "--if-subject: why" is about the form's field if_subject (and
    // "--set-owner: no agent …" about set_owner).
    if (auto invalid = admin::invalid_of(e.message)) errors[form_name_of(invalid->field)] = invalid->message;
  } else if (e.code == ErrorCode::kConflict) {
    status = 409;
    errors["name"] = "a rule has this name already";
  } else {
    status = 503;
  }
  return {status, errors};
}

// Above the form: a refusal about one field is told beside that field, in the form's
// words (the admin layer's are the command line's: "--if-subject: …").
Html refusal_notice(const Error& e, const std::map<std::string, std::string>& errors) {
  if (e.code == ErrorCode::kTemporary) return notice("", failure_text(e));
  if (!errors.empty() && admin::invalid_of(e.message))
    return notice("", "The rule has invalid fields. Nothing was changed.");
  return notice("", without_flag(e.message) + ". Nothing was changed.");
}

void rules_add(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  const Fields f = rule_fields(req);
  auto parsed = rule_from_form(f);
  if (!parsed.errors.empty())
    return rules_page(ctx, v, res, 422, notice("", "The rule has invalid fields. Nothing was changed."), f,
                      parsed.errors);
  auto added = admin::add_rule(ctx.store, std::move(parsed.rule), v.agent.email);
  if (!added) {
    auto [status, errors] = refusal_of(added.error());
    return rules_page(ctx, v, res, status, refusal_notice(added.error(), errors), f, errors);
  }
  spdlog::info("console: {} added the rule {}", v.agent.email, added->name);
  redirect(res, "/admin/rules?added=" + url_encode(added->name));
}

void rules_change(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res,
                  bool move) {
  const std::string name = form_value(req, "name").substr(0, kMaxRuleField);
  Result<rules::Rule> r = fail(ErrorCode::kInvalidInput, "");
  if (move) {
    const std::string p = form_value(req, "position");
    if (p.empty() || p.size() > 6 || p.find_first_not_of("0123456789") != std::string::npos)
      return rules_page(ctx, v, res, 422, notice("", "The position must be a number. Nothing was changed."),
                        {}, {});
    r = admin::move_rule(ctx.store, name, std::stoi(p), v.agent.email);
  } else {
    const std::string e = form_value(req, "enabled");
    if (e != "yes" && e != "no")
      return rules_page(ctx, v, res, 422, notice("", "Enabled must be yes or no. Nothing was changed."), {},
                        {});
    r = admin::set_rule_enabled(ctx.store, name, e == "yes", v.agent.email);
  }
  if (!r) {
    const int status = r.error().code == ErrorCode::kNotFound    ? 404
                       : r.error().code == ErrorCode::kTemporary ? 503
                                                                 : 422;
    return rules_page(ctx, v, res, status, refusal_notice(r.error(), {}), {}, {});
  }
  spdlog::info("console: {} changed the rule {}", v.agent.email, name);
  redirect(res, "/admin/rules?changed=" + url_encode(name));
}

// What the rule named by the hidden field does, from the form (admin::change_rule): its
// position, state and hits stay.
void rules_edit(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  Fields f = rule_fields(req);
  f.erase("position");
  const std::string name = field(f, "name").substr(0, kMaxRuleField);
  auto parsed = rule_from_form(f);
  if (!parsed.errors.empty())
    return rules_page(ctx, v, res, 422, notice("", "The rule has invalid fields. Nothing was changed."), f,
                      parsed.errors, {}, {}, name);
  auto changed = admin::change_rule(ctx.store, name, std::move(parsed.rule), v.agent.email);
  if (!changed) {
    if (changed.error().code == ErrorCode::kNotFound && !changed.error().message.starts_with("--"))
      return rules_page(ctx, v, res, 404, notice("", failure_text(changed.error())), {}, {});
    auto [status, errors] = refusal_of(changed.error());
    return rules_page(ctx, v, res, status, refusal_notice(changed.error(), errors), f, errors, {}, {}, name);
  }
  spdlog::info("console: {} changed what the rule {} does", v.agent.email, name);
  redirect(res, "/admin/rules?changed=" + url_encode(name));
}

void rules_remove(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  const std::string name = form_value(req, "name").substr(0, kMaxRuleField);
  auto st = admin::remove_rule(ctx.store, name, v.agent.email);
  if (!st) {
    const int status = st.error().code == ErrorCode::kNotFound ? 404 : 503;
    return rules_page(ctx, v, res, status, notice("", failure_text(st.error())), {}, {});
  }
  spdlog::info("console: {} removed the rule {}", v.agent.email, name);
  redirect(res, "/admin/rules?removed=" + url_encode(name));
}

// The mail is bounded by the area's body limit (console.cpp) before it is read.
void rules_test(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  const std::string mail = form_value(req, "mail");
  if (text::trim(mail).empty())
    return rules_page(ctx, v, res, 422, Html(), {}, {}, mail,
                      notice("", "Paste a raw mail: its headers, a blank line, its body."));
  if (!ctx.ingest)
    return rules_page(ctx, v, res, 503, Html(), {}, {}, mail,
                      notice("", "The rules cannot be tested here now: this mailcase does not take mail."));
  auto ev = ctx.ingest->test_rules(mail, ingest::Envelope{"console rule test", {}, std::nullopt});
  if (!ev)
    return rules_page(ctx, v, res, ev.error().code == ErrorCode::kInvalidInput ? 422 : 503, Html(), {}, {},
                      mail, notice("", "The mail cannot be tested: " + ev.error().message));
  rules_page(ctx, v, res, 200, Html(), {}, {}, mail, evaluation_html(*ev));
}

}  // namespace

void mount_rule_pages(web::HttpServer& server, Context& ctx) {
  using Rq = const httplib::Request&;
  using Rs = httplib::Response&;
  server.get("/admin/rules", "/admin/rules",
             page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { rules_get(ctx, v, q, s); }));
  server.post("/admin/rules", "/admin/rules",
              page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { rules_add(ctx, v, q, s); }));
  server.post(
      "/admin/rules/enable", "/admin/rules/enable",
      page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { rules_change(ctx, v, q, s, false); }));
  server.post(
      "/admin/rules/move", "/admin/rules/move",
      page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { rules_change(ctx, v, q, s, true); }));
  server.post("/admin/rules/edit", "/admin/rules/edit",
              page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { rules_edit(ctx, v, q, s); }));
  server.post("/admin/rules/remove", "/admin/rules/remove",
              page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { rules_remove(ctx, v, q, s); }));
  server.post("/admin/rules/test", "/admin/rules/test",
              page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { rules_test(ctx, v, q, s); }));
}

}  // namespace mailcase::console

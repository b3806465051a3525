// The monitoring alert rules' page (admins only): the rules in the order they are tried,
// with their format, patterns, account and reopen window; a form to add one (every
// option of `mailcase alert add`), one to change one in place (`mailcase alert change`)
// and remove (after a confirmation). Every write goes
// through admin/alert_rules.h, with the command line's checks and an event naming the
// admin. A rule's name travels in a hidden form field, never in the path.
#include <spdlog/spdlog.h>

#include <map>

#include "admin/admin.h"
#include "admin/alert_rules.h"
#include "console/admin_forms.h"
#include "console/page.h"
#include "util/text.h"

namespace mailcase::console {
namespace {

// The form's fields, named as the command line's options ('_' for '-').
const char* const kAlertFields[] = {"name", "format",  "sender",        "subject",
                                    "body", "account", "reopen_within", "proven_sender"};

// The rule a form describes, before check_rule; the form's own errors by field (a field
// past its bound is refused by name, never cut).
std::pair<alerts::AlertRule, std::map<std::string, std::string>> alert_rule_from_form(const Fields& f) {
  alerts::AlertRule r;
  std::map<std::string, std::string> errors;
  for (const auto& [name, value] : f)
    if (value.size() > alerts::kMaxPatternBytes)
      errors[name] = "at most " + std::to_string(alerts::kMaxPatternBytes) + " bytes";
  r.name = std::string(text::trim(field(f, "name")));
  if (r.name.empty()) errors.emplace("name", "a name is needed");
  if (auto format = alerts::format_from(field(f, "format")))
    r.format = *format;
  else
    errors.emplace("format", "one of nagios, icinga, zabbix, checkmk, monit, generic");
  r.sender_re = field(f, "sender");  // patterns: spaces may matter
  r.subject_re = field(f, "subject");
  r.body_re = field(f, "body");
  r.account = std::string(text::trim(field(f, "account")));
  if (const std::string h{text::trim(field(f, "reopen_within"))}; !h.empty()) {
    if (h.size() > 5 || h.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(h) > alerts::kMaxReopenWithinHours)
      errors.emplace("reopen_within", "hours from 0 to " + std::to_string(alerts::kMaxReopenWithinHours));
    else
      r.reopen_within_hours = std::stoi(h);
  }
  r.proven_sender = field(f, "proven_sender") == "yes";  // a checkbox: absent when unchecked
  return {std::move(r), std::move(errors)};
}

// What the admin layer refused, by form field ("--subject: why", "name: why", "--account:
// no account …" as check_rule and add_alert_rule word them), and the page's status.
std::pair<int, std::map<std::string, std::string>> alert_refusal_of(const Error& e) {
  std::map<std::string, std::string> errors;
  if (e.code == ErrorCode::kConflict) return {409, {{"name", "an alert rule has this name already"}}};
  if (e.code != ErrorCode::kInvalidInput && e.code != ErrorCode::kNotFound) return {503, errors};
  if (auto invalid = admin::invalid_of(e.message)) errors[form_name_of(invalid->field)] = invalid->message;
  return {422, errors};
}

// Above the form: a refusal about one field is told beside that field, in the form's
// words (the admin layer's are the command line's: "--body: …").
Html alert_refusal_notice(const Error& e, const std::map<std::string, std::string>& errors) {
  if (e.code == ErrorCode::kTemporary) return notice("", failure_text(e));
  if (!errors.empty() && admin::invalid_of(e.message))
    return notice("", "The alert rule has invalid fields. Nothing was changed.");
  return notice("", without_flag(e.message) + ". Nothing was changed.");
}

Html alert_rules_table(const Viewer& v, const std::vector<alerts::AlertRule>& all) {
  if (all.empty())
    return html(
        "<p>No alert rules yet: mail from monitoring systems opens cases as any other mail does.</p>");
  Html rows;
  for (const auto& r : all) {
    Html patterns;
    for (auto [what, re] : {std::pair{"sender", &r.sender_re}, std::pair{"subject", &r.subject_re},
                            std::pair{"body", &r.body_re}})
      if (!re->empty()) patterns += html("<div>{} <code>{}</code></div>", what, *re);
    if (patterns.empty()) patterns = html("any mail");
    if (r.proven_sender) patterns += html("<div class=\"meta\">proven sender only</div>");
    rows += html(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} h</td><td class=\"actions\">"
        "<a class=\"button secondary\" href=\"/admin/alert-rules/edit?name={}\">Edit</a> "
        "<form class=\"inline\" method=\"post\" action=\"/admin/alert-rules/remove\" data-confirm=\"Remove the "
        "alert rule {}? Its cases stay.\">{}<input type=\"hidden\" name=\"name\" value=\"{}\"><button "
        "type=\"submit\" class=\"secondary\">Remove</button></form></td></tr>",
        r.position, r.name, alerts::to_string(r.format), patterns, r.account.empty() ? "(none)" : r.account,
        r.reopen_within_hours, text::url_encode(r.name), r.name, csrf_field(v), r.name);
  }
  return html(
      "<table><thead><tr><th>#</th><th>Name</th><th>Format</th><th>Matches</th><th>Account</th>"
      "<th>Reopens within</th><th>Actions</th></tr></thead><tbody>{}</tbody></table>",
      rows);
}

// The form to add a rule, or (editing) to change the one f names: the same fields, its
// name fixed (a hidden field; remove and add a rule to rename it).
Html alert_rule_form(const Viewer& v, const Fields& f, const std::map<std::string, std::string>& errors,
                     bool editing = false) {
  const std::string format = field(f, "format").empty() ? "nagios" : field(f, "format");
  Html opts;
  for (const char* o : {"nagios", "icinga", "zabbix", "checkmk", "monit", "generic"})
    opts += html("<option{}>{}</option>", Html::trusted(format == o ? " selected" : ""), o);
  const Html name = editing ? html("<input type=\"hidden\" name=\"name\" value=\"{}\">", field(f, "name"))
                            : text_input("name", "Name", f, errors, " required");
  const Html heading =
      editing ? html("<h2 id=\"alert-rule-form\">Change the alert rule {}</h2><p class=\"meta\">It keeps its "
                     "name and its place in the order.",
                     field(f, "name"))
              : html("<h2 id=\"alert-rule-form\">Add an alert rule</h2><p class=\"meta\">Tried after the rules "
                     "above.");
  return html(
      "{} Patterns are RE2, matched anywhere in any letter case; empty matches any mail. A generic rule's "
      "body pattern names the groups host and state (and optionally service), e.g. "
      "<code>(?P&lt;host&gt;\\S+) is (?P&lt;state&gt;\\w+)</code>.</p>"
      "<form method=\"post\" action=\"{}\" class=\"card\">{}{}"
      "<label for=\"f-format\">Format</label><select id=\"f-format\" name=\"format\">{}</select>"
      "{}{}{}{}{}{}{}"
      "<div class=\"actions\"><button type=\"submit\">{}</button></div></form>",
      heading, editing ? "/admin/alert-rules/change" : "/admin/alert-rules", csrf_field(v), name, opts,
      field_error(errors, "format"), text_input("sender", "Sender pattern (the From address)", f, errors),
      text_input("subject", "Subject pattern", f, errors), text_input("body", "Body pattern", f, errors),
      text_input("account", "Account its cases are for (empty: none)", f, errors),
      text_input("reopen_within",
                 "Hours after a recovery within which a new problem reopens the case (empty: 24; "
                 "0: always a new case)",
                 f, errors, " inputmode=\"numeric\""),
      html(
          "<label class=\"check\"><input type=\"checkbox\" name=\"proven_sender\" value=\"yes\"{}> Only mail "
          "whose From a trusted server vouched for (a DKIM or DMARC pass aligned with it); any other is "
          "held</label>",
          Html::trusted(field(f, "proven_sender") == "yes" ? " checked" : "")),
      editing ? "Save the alert rule" : "Add the alert rule");
}

// A stored rule as the form's fields.
Fields fields_of(const alerts::AlertRule& r) {
  return {{"name", r.name},
          {"format", alerts::to_string(r.format)},
          {"sender", r.sender_re},
          {"subject", r.subject_re},
          {"body", r.body_re},
          {"account", r.account},
          {"reopen_within", std::to_string(r.reopen_within_hours)},
          {"proven_sender", r.proven_sender ? "yes" : ""}};
}

void alert_rules_page(Context& ctx, const Viewer& v, httplib::Response& res, int status, const Html& message,
                      const Fields& form, const std::map<std::string, std::string>& errors) {
  auto all = admin::list_alert_rules(ctx.store);
  if (!all) return send_error(res, 503, v, "The alert rules cannot be read just now; please try again.");
  send_page(res, status, v, "Alert rules", "admin",
            html("<p class=\"meta\"><a href=\"/admin\">Admin</a> › Alert rules</p><h1>Monitoring alert rules</h1>"
                 "<p class=\"meta\">The first rule whose patterns all match a mail makes it an alert: its problem "
                 "opens (or lands on) the one case of its host and service, its recovery resolves it.</p>") +
                message + alert_rules_table(v, *all) + alert_rule_form(v, form, errors));
}

void alert_rules_get(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  Html message;
  if (auto s = req.get_param_value("added"); !s.empty()) message = notice("Added the alert rule " + s + ".", "");
  if (auto s = req.get_param_value("removed"); !s.empty())
    message = notice("Removed the alert rule " + s + ".", "");
  if (auto s = req.get_param_value("changed"); !s.empty())
    message = notice("Changed the alert rule " + s + ".", "");
  alert_rules_page(ctx, v, res, 200, message, {}, {});
}

void alert_rule_edit_page(const Viewer& v, httplib::Response& res, int status, const Html& message,
                          const Fields& form, const std::map<std::string, std::string>& errors) {
  send_page(res, status, v, "Change an alert rule", "admin",
            html("<p class=\"meta\"><a href=\"/admin\">Admin</a> › <a href=\"/admin/alert-rules\">Alert "
                 "rules</a> › {}</p><h1>Change an alert rule</h1>",
                 field(form, "name")) +
                message + alert_rule_form(v, form, errors, true));
}

void alert_rule_edit_get(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  const std::string name = req.get_param_value("name").substr(0, alerts::kMaxRuleNameBytes + 1);
  auto all = admin::list_alert_rules(ctx.store);
  if (!all) return send_error(res, 503, v, "The alert rules cannot be read just now; please try again.");
  for (const auto& r : *all)
    if (r.name == name) return alert_rule_edit_page(v, res, 200, {}, fields_of(r), {});
  send_error(res, 404, v, "There is no alert rule named " + name + ".");
}

void alert_rules_change(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  Fields f;
  for (const char* n : kAlertFields) f[n] = form_value(req, n);
  auto [rule, errors] = alert_rule_from_form(f);
  if (!errors.empty())
    return alert_rule_edit_page(v, res, 422, notice("", "The alert rule has invalid fields. Nothing was changed."),
                                f, errors);
  auto changed = admin::change_alert_rule(ctx.store, rule.name, admin::change_to(rule), v.agent.email);
  if (!changed) {
    if (changed.error().code == ErrorCode::kNotFound && !admin::invalid_of(changed.error().message))
      return send_error(res, 404, v, "There is no alert rule named " + rule.name + ".");
    auto [status, refused] = alert_refusal_of(changed.error());
    return alert_rule_edit_page(v, res, status, alert_refusal_notice(changed.error(), refused), f, refused);
  }
  spdlog::info("console: {} changed the alert rule {}", v.agent.email, changed->name);
  redirect(res, "/admin/alert-rules?changed=" + text::url_encode(changed->name));
}

void alert_rules_add(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  Fields f;
  for (const char* n : kAlertFields) f[n] = form_value(req, n);
  auto [rule, errors] = alert_rule_from_form(f);
  if (!errors.empty())
    return alert_rules_page(ctx, v, res, 422, notice("", "The alert rule has invalid fields. Nothing was changed."),
                            f, errors);
  auto added = admin::add_alert_rule(ctx.store, std::move(rule), v.agent.email);
  if (!added) {
    auto [status, refused] = alert_refusal_of(added.error());
    return alert_rules_page(ctx, v, res, status, alert_refusal_notice(added.error(), refused), f, refused);
  }
  spdlog::info("console: {} added the alert rule {}", v.agent.email, added->name);
  redirect(res, "/admin/alert-rules?added=" + text::url_encode(added->name));
}

void alert_rules_remove(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  const std::string name = form_value(req, "name").substr(0, alerts::kMaxRuleNameBytes + 1);
  auto st = admin::remove_alert_rule(ctx.store, name, v.agent.email);
  if (!st) {
    const int status = st.error().code == ErrorCode::kNotFound ? 404 : 503;
    return alert_rules_page(ctx, v, res, status, notice("", failure_text(st.error())), {}, {});
  }
  spdlog::info("console: {} removed the alert rule {}", v.agent.email, name);
  redirect(res, "/admin/alert-rules?removed=" + text::url_encode(name));
}

}  // namespace

void mount_alert_rule_pages(web::HttpServer& server, Context& ctx) {
  using Rq = const httplib::Request&;
  using Rs = httplib::Response&;
  server.get("/admin/alert-rules", "/admin/alert-rules",
             page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { alert_rules_get(ctx, v, q, s); }));
  server.post("/admin/alert-rules", "/admin/alert-rules",
              page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { alert_rules_add(ctx, v, q, s); }));
  server.get(
      "/admin/alert-rules/edit", "/admin/alert-rules/edit",
      page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { alert_rule_edit_get(ctx, v, q, s); }));
  server.post(
      "/admin/alert-rules/change", "/admin/alert-rules/change",
      page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { alert_rules_change(ctx, v, q, s); }));
  server.post(
      "/admin/alert-rules/remove", "/admin/alert-rules/remove",
      page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { alert_rules_remove(ctx, v, q, s); }));
}

}  // namespace mailcase::console

// Contacts and accounts: who writes in (/contacts, /contacts/{id}) and the companies they
// write for (/accounts, /accounts/{id}), with their addresses, their account, their
// contacts and their cases. Agents find a contact by the start of a name or an address, add one, and correct
// a contact's name, addresses, language and account here. The same admin calls as the command line's `contact
// add` and `account add` and the REST API's contacts and accounts (admin/admin.h), so that a page and the API
// never disagree; the forms are read by people_forms.h (pure).

#include <map>

#include "admin/admin.h"
#include "console/case_logic.h"
#include "console/case_pages.h"
#include "console/people_forms.h"
#include "util/text.h"

namespace mailcase::console {
namespace {

constexpr int kPageSize = 50;
constexpr int kCasesShown = 25;
// The languages a contact's mail may be written in (outbound's templates); another tag
// typed elsewhere (the API, the command line) is kept and shown as it is.
constexpr const char* kLanguages[][2] = {
    {"", "The default"}, {"en", "English"}, {"fr", "French"}, {"pl", "Polish"}};

using Rq = const httplib::Request&;
using Rs = httplib::Response&;

Html addresses_html(const std::vector<std::string>& emails) {
  if (emails.empty()) return html("<span class=\"muted\">none</span>");
  std::vector<Html> items;
  for (size_t i = 0; i < emails.size(); ++i)
    items.push_back(
        i == 0 && emails.size() > 1
            ? html("<li>{} <span class=\"muted\">(mail to the contact goes here)</span></li>", emails[i])
            : html("<li>{}</li>", emails[i]));
  return html("<ul class=\"plain\">{}</ul>", join(items));
}

Html textarea(const char* name, const char* label, const char* hint, const Fields& values,
              const std::map<std::string, std::string>& errors) {
  const bool bad = errors.count(name) > 0;
  return html(
      "<label for=\"f-{}\">{} <span class=\"muted\">{}</span></label><textarea id=\"f-{}\" name=\"{}\" "
      "rows=\"3\"{}>{}</textarea>{}",
      name, label, hint, name, name,
      bad ? html(" aria-invalid=\"true\" aria-describedby=\"e-{}\"", name) : Html(), field(values, name),
      field_error(errors, name));
}

Html language_select(const Fields& values) {
  const std::string current = field(values, "language");
  std::vector<Html> options;
  bool listed = false;
  for (const auto& [tag, words] : kLanguages) {
    listed = listed || current == tag;
    options.push_back(current == tag ? html("<option value=\"{}\" selected>{}</option>", tag, words)
                                     : html("<option value=\"{}\">{}</option>", tag, words));
  }
  if (!listed) options.push_back(html("<option value=\"{}\" selected>{}</option>", current, current));
  return html(
      "<label for=\"f-language\">Language of our mail</label><select id=\"f-language\" "
      "name=\"language\">{}</select>",
      join(options));
}

// The contact form's fields, for a new contact (action "/contacts") or one to change.
Html contact_form(const Viewer& v, std::string_view action, std::string_view button, const Fields& values,
                  const std::map<std::string, std::string>& errors) {
  return html(
      "<form method=\"post\" action=\"{}\" class=\"card\" id=\"contact-form\">{}{}{}{}{}"
      "<div class=\"actions\"><button type=\"submit\">{}</button></div></form>",
      action, csrf_field(v), text_input("name", "Name", values, errors, " required maxlength=\"200\""),
      textarea("emails", "Addresses", "(one a line; the first is the one our mail goes to)", values, errors),
      language_select(values),
      text_input("account", "Account (its name; empty: none)", values, errors, " maxlength=\"200\""), button);
}

// Each account named by `ids`, read once each (a page's rows share few).
Result<std::map<store::Id, std::string>> account_names(store::UnitOfWork& unit,
                                                       const std::vector<store::Contact>& contacts) {
  std::map<store::Id, std::string> names;
  for (const auto& c : contacts) {
    if (!c.account_id || names.count(*c.account_id)) continue;
    MC_ASSIGN_OR_RETURN(auto a, unit.accounts().get_account(*c.account_id));
    names[*c.account_id] = a ? a->name : "";
  }
  return names;
}

Html contact_rows(const std::vector<store::Contact>& contacts,
                  const std::map<store::Id, std::string>& accounts, bool with_account) {
  std::vector<Html> rows;
  for (const auto& c : contacts) {
    Html account;
    if (with_account) {
      auto it = c.account_id ? accounts.find(*c.account_id) : accounts.end();
      account =
          html("<td class=\"optional\">{}</td>",
               it == accounts.end() ? html("<span class=\"muted\">none</span>")
                                    : html("<a href=\"/accounts/{}\">{}</a>", *c.account_id, it->second));
    }
    std::string addresses;
    for (const auto& e : c.emails) addresses += (addresses.empty() ? "" : ", ") + e;
    rows.push_back(html("<tr><td><a href=\"/contacts/{}\">{}</a></td><td>{}</td>{}</tr>", c.id,
                        c.name.empty() ? std::string("(no name)") : c.name, addresses, account));
  }
  return html(
      "<table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Addresses</th>{}</tr></thead>"
      "<tbody>{}</tbody></table>",
      with_account ? html("<th scope=\"col\" class=\"optional\">Account</th>") : Html(), join(rows));
}

// ---- contacts

// /contacts: the contacts by age, or those whose name, an address or an address's domain
// starts with what was searched (`q`; an address of a contact goes straight to them), and a form for a new
// one.
void contacts_page(Context& ctx, const Viewer& v, Rq req, Rs res, int status = 200, const Fields& typed = {},
                   const std::map<std::string, std::string>& errors = {}) {
  std::string q(text::trim(form_value(req, "q")));
  if (q.size() > 320) q.resize(320);
  q = text::make_valid_utf8(q);
  if (!text::is_clean_text(q, true)) q.clear();
  const store::PageRequest pr = page_request_of(req, kPageSize);
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_failure(res, v, unit.error());
  const bool searching = !q.empty() && req.method == "GET";
  // "@acme" is a domain's start, not an address to go to or add.
  const bool looks_like_address = q.find('@') != std::string::npos && !q.starts_with('@');
  if (searching && looks_like_address && !pr.cursor) {
    auto c = unit->accounts().find_contact_by_email(q);
    if (!c) return send_failure(res, v, c.error());
    if (*c) return redirect(res, "/contacts/" + std::to_string((*c)->id));
  }
  auto page = searching ? unit->accounts().find_contacts(q, pr) : unit->accounts().page_contacts(pr);
  if (!page) {
    if (page.error().code == ErrorCode::kInvalidInput)
      return send_error(res, 400, v, "This page link is not valid.");
    return send_failure(res, v, page.error());
  }
  auto accounts = account_names(*unit, page->items);
  if (!accounts) return send_failure(res, v, accounts.error());
  Fields values = typed;
  if (values.empty()) {
    // A search for an address nobody has: the form is ready to add it.
    if (searching && looks_like_address && page->items.empty()) values["emails"] = q;
    values["account"] = text::make_valid_utf8(form_value(req, "account").substr(0, 200));
  }
  Html list;
  if (page->items.empty())
    list = searching ? html(
                           "<p class=\"muted\" role=\"status\">No contact's address, address's domain "
                           "or word of their name starts with {}.{}</p>",
                           q, looks_like_address ? " The form below adds one with it." : "")
                     : html("<p class=\"muted\">No contacts yet.</p>");
  else
    list = contact_rows(page->items, *accounts, true);
  const std::string base = searching ? "/contacts?q=" + url_encode(q) : std::string("/contacts");
  const bool removed = form_value(req, "done") == "removed" && status == 200;
  Html body = html(
      "<h1>Contacts</h1>{}<form method=\"get\" action=\"/contacts\" class=\"filters\" role=\"search\"><div>"
      "<label for=\"find-q\">Find by name or address <span class=\"muted\">(the start of a word, of the "
      "address, or of its domain: @example.com)</span></label><input "
      "id=\"find-q\" name=\"q\" type=\"search\" maxlength=\"320\" required value=\"{}\"></div><button "
      "type=\"submit\">Find</button>{}</form>"
      "<section aria-labelledby=\"all-h\"><h2 id=\"all-h\">{}{}</h2>{}{}</section>"
      "<section aria-labelledby=\"new-h\"><h2 id=\"new-h\">Add a contact</h2>{}{}</section>",
      removed ? html("<p class=\"ok\" role=\"status\">The contact was removed, with their addresses.</p>")
              : Html(),
      q, searching ? html(" <a href=\"/contacts\">All contacts</a>") : Html(),
      searching ? "Contacts found" : "All contacts", page->total ? html(" ({})", *page->total) : Html(), list,
      pager_html(base, page->next_cursor, !pr.cursor.has_value()),
      errors.empty() ? Html() : html("<p class=\"error\" role=\"alert\">Nothing was changed: see below.</p>"),
      contact_form(v, "/contacts", "Add the contact", values, errors));
  send_page(res, status, v, "Contacts", "contacts", body);
}

// What the admin layer refused of a form, under the field it names: a field's check by
// that field (the API's account_id is the form's account), a clash under `conflict_field`
// (the field whose value is another's), an account named but missing under account. Empty:
// none of these, a failure to show as a page of its own.
std::map<std::string, std::string> refusal_errors(const Error& e, const char* conflict_field) {
  std::map<std::string, std::string> errors;
  if (auto bad = admin::invalid_of(e.message))
    errors[bad->field == "account_id" ? "account" : bad->field] = text::capitalized(bad->message) + ".";
  else if (e.code == ErrorCode::kConflict)
    errors[conflict_field] = text::capitalized(e.message) + ".";
  else if (e.code == ErrorCode::kNotFound)
    errors["account"] = text::capitalized(e.message) + " (leave it empty, or name one that exists).";
  return errors;
}

void add_contact(Context& ctx, const Viewer& v, Rq req, Rs res) {
  const Fields f = fields_of(req, {"name", "emails", "language", "account"});
  auto form = contact_from_form(f);
  if (!form.errors.empty()) return contacts_page(ctx, v, req, res, 422, f, form.errors);
  auto c = admin::add_contact(ctx.store, form.input, ctx.cfg.outbound.from_address);
  if (!c) {
    auto errors = refusal_errors(c.error(), "emails");
    if (errors.empty()) return send_failure(res, v, c.error());
    return contacts_page(ctx, v, req, res, c.error().code == ErrorCode::kConflict ? 409 : 422, f, errors);
  }
  redirect(res, "/contacts/" + std::to_string(c->id) + "?done=added");
}

// The form that merges contact `id` into another, named by an address or its number.
Html merge_form(const Viewer& v, store::Id id, const Fields& values,
                const std::map<std::string, std::string>& errors) {
  return html(
      "<form method=\"post\" action=\"/contacts/{}/merge\" class=\"card\" id=\"merge-form\">{}"
      "<p class=\"muted\">When one person is two contacts: this contact's addresses and cases go to the "
      "other, "
      "which keeps its name and takes this one's account and language where it has none; this contact is "
      "removed.</p>{}<div class=\"actions\"><button type=\"submit\">Merge</button></div></form>",
      id, csrf_field(v),
      text_input("into", "The contact that stays: one of their addresses, or their number", values, errors,
                 " required maxlength=\"320\""));
}

// The form that removes contact `id`: an admin's, for a contact without cases.
Html remove_form(const Viewer& v, store::Id id) {
  return html(
      "<form method=\"post\" action=\"/contacts/{}/remove\" class=\"card\" id=\"remove-form\">{}"
      "<p class=\"muted\">For a contact made by mistake, or a person who asked to be forgotten: the contact "
      "and "
      "their addresses are removed; the log keeps only that contact {} was removed, by you. Mail from one of "
      "the addresses afterwards makes a new contact.</p><div class=\"actions\"><button "
      "type=\"submit\">Remove "
      "the contact</button></div></form>",
      id, csrf_field(v), id);
}

// /contacts/{id}: the contact, their latest cases and the form that changes them.
void contact_page(Context& ctx, const Viewer& v, Rq req, Rs res, int status = 200, const Fields& typed = {},
                  const std::map<std::string, std::string>& errors = {}) {
  const store::Id id = row_id_of(req);
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_failure(res, v, unit.error());
  auto found = unit->accounts().get_contact(id);
  if (!found) return send_failure(res, v, found.error());
  if (!*found) return send_error(res, 404, v, "There is no such contact.");
  const store::Contact& c = **found;
  std::optional<store::Account> account;
  if (c.account_id) {
    auto a = unit->accounts().get_account(*c.account_id);
    if (!a) return send_failure(res, v, a.error());
    account = std::move(*a);
  }
  auto unverified = unit->accounts().contact_unverified(c.id);
  if (!unverified) return send_failure(res, v, unverified.error());

  Html cases = html("<p class=\"muted\">No cases.</p>");
  bool has_cases = false;
  if (!c.emails.empty()) {
    store::CaseQuery q;
    q.contact = c.emails.front();
    q.limit = kCasesShown;
    q.count = true;
    auto page = unit->cases().find_cases(q);
    if (!page) return send_unreadable(res, v, "The contact's cases", page.error());
    auto agents = read_agent_names(*unit);
    if (!agents) return send_unreadable(res, v, "The contact's cases", agents.error());
    ListForm all;
    all.contact = c.emails.front();
    has_cases = !page->items.empty();
    if (!page->items.empty())
      cases = html("{}<p><a href=\"{}\">All {} of their cases in the case list</a></p>",
                   case_table(page->items, *agents, false), list_link(all), page->total.value_or(0));
  }
  Fields values = typed;
  if (!values.count("name")) {  // not the contact form typed back (the merge form's, or none)
    values["name"] = c.name;
    for (const auto& e : c.emails) values["emails"] += e + "\n";
    values["language"] = c.language;
    values["account"] = account ? account->name : "";
  }
  static const std::map<std::string, std::string> kDone = {
      {"added", "The contact was added."},
      {"saved", "The contact was saved."},
      {"merged", "The other contact was merged into this one: its addresses and cases are this one's now."}};
  auto done = kDone.find(form_value(req, "done"));
  Html language = html("{}", c.language.empty() ? std::string("the default") : c.language);
  for (const auto& [tag, words] : kLanguages)
    if (c.language == tag && *tag) language = html("{}", words);
  Html body = html(
      "<h1>{}</h1>{}<p><a href=\"/contacts\">All contacts</a></p>"
      "<dl class=\"card facts\"><dt>Addresses</dt><dd>{}</dd><dt>Account</dt><dd>{}</dd>"
      "<dt>Language</dt><dd>{}</dd>{}</dl>"
      "<section aria-labelledby=\"cases-h\"><h2 id=\"cases-h\">Cases</h2>{}</section>"
      "<section aria-labelledby=\"edit-h\"><h2 id=\"edit-h\">Change the contact</h2>{}{}</section>"
      "<section aria-labelledby=\"merge-h\"><h2 id=\"merge-h\">Merge into another contact</h2>{}</section>{}",
      c.name.empty() ? std::string("(no name)") : c.name,
      done != kDone.end() && status == 200 ? html("<p class=\"ok\" role=\"status\">{}</p>", done->second)
                                           : Html(),
      addresses_html(c.emails),
      account ? html("<a href=\"/accounts/{}\">{}</a>", account->id, account->name)
              : html("<span class=\"muted\">none</span>"),
      language,
      *unverified
          ? html("<dt>Verified</dt><dd>No: made from a mail whose envelope sender did not vouch for its "
                 "From, so the loop guard does not count it known</dd>")
          : Html(),
      cases,
      errors.empty() ? Html() : html("<p class=\"error\" role=\"alert\">Nothing was changed: see below.</p>"),
      contact_form(v, "/contacts/" + std::to_string(c.id), "Save", values, errors),
      merge_form(v, c.id, values, errors),
      // A case keeps its contact: one with cases is merged, not removed.
      v.agent.role == store::AgentRole::kAdmin && !has_cases
          ? html("<section aria-labelledby=\"remove-h\"><h2 id=\"remove-h\">Remove the "
                 "contact</h2>{}</section>",
                 remove_form(v, c.id))
          : Html());
  send_page(res, status, v, c.name.empty() ? std::string("Contact") : c.name, "contacts", body);
}

void change_contact(Context& ctx, const Viewer& v, Rq req, Rs res) {
  const store::Id id = row_id_of(req);
  const Fields f = fields_of(req, {"name", "emails", "language", "account"});
  auto form = contact_from_form(f);
  if (!form.errors.empty()) return contact_page(ctx, v, req, res, 422, f, form.errors);
  admin::ContactPatch patch;
  patch.name = form.input.name;
  patch.emails = form.input.emails;
  patch.language = form.input.language;
  if (form.account.empty()) {
    patch.clear_account = true;
  } else {
    auto unit = ctx.store.open_unit(store::Access::kRead);
    if (!unit) return send_failure(res, v, unit.error());
    auto a = unit->accounts().find_account_by_name(form.account);
    if (!a) return send_failure(res, v, a.error());
    if (!*a)
      return contact_page(ctx, v, req, res, 422, f,
                          {{"account", "No account is named " + form.account +
                                           " (leave it empty, or name one that exists)."}});
    patch.account_id = (*a)->id;
  }
  auto c = admin::update_contact(ctx.store, id, patch, ctx.cfg.outbound.from_address);
  if (!c && c.error().code == ErrorCode::kNotFound)
    return send_error(res, 404, v, "There is no such contact.");
  if (!c) {
    auto errors = refusal_errors(c.error(), "emails");
    if (errors.empty()) return send_failure(res, v, c.error());
    return contact_page(ctx, v, req, res, c.error().code == ErrorCode::kConflict ? 409 : 422, f, errors);
  }
  redirect(res, "/contacts/" + std::to_string(id) + "?done=saved");
}

// "Merge A into B?": both contacts as they are, a button that merges and a way back.
// The form carries the number of the contact shown, not what was typed: an address that
// moves to another contact before the click does not take the merge there.
void merge_confirm_page(Context& ctx, const Viewer& v, Rs res, store::Id id, const store::Contact& into) {
  auto found = admin::contact_named(ctx.store, std::to_string(id));
  if (!found && found.error().code == ErrorCode::kNotFound)
    return send_error(res, 404, v, "There is no such contact.");
  if (!found) return send_failure(res, v, found.error());
  const store::Contact& gone = *found;
  auto name_of = [](const store::Contact& c) { return c.name.empty() ? std::string("(no name)") : c.name; };
  Html body = html(
      "<h1>Merge {} into {}?</h1>"
      "<dl class=\"card facts\"><dt>Merged and removed</dt><dd><a href=\"/contacts/{}\">{}</a> {}</dd>"
      "<dt>Stays, and takes its addresses and cases</dt><dd><a href=\"/contacts/{}\">{}</a> {}</dd></dl>"
      "<p>A merge cannot be undone: the other contact keeps its name, and takes this one's account and "
      "language where it has none.</p>"
      "<form method=\"post\" action=\"/contacts/{}/merge\" class=\"card\">{}"
      "<input type=\"hidden\" name=\"into\" value=\"{}\"><input type=\"hidden\" name=\"confirm\" "
      "value=\"yes\">"
      "<div class=\"actions\"><button type=\"submit\">Merge</button> <a "
      "href=\"/contacts/{}\">Cancel</a></div>"
      "</form>",
      name_of(gone), name_of(into), gone.id, name_of(gone), addresses_html(gone.emails), into.id,
      name_of(into), addresses_html(into.emails), gone.id, csrf_field(v), into.id, gone.id);
  send_page(res, 200, v, "Merge " + name_of(gone) + "?", "contacts", body);
}

void merge_contact(Context& ctx, const Viewer& v, Rq req, Rs res) {
  const store::Id id = row_id_of(req);
  const Fields f = fields_of(req, {"into"});
  const std::string named(text::trim(f.at("into")));
  if (named.empty())
    return contact_page(ctx, v, req, res, 422, f,
                        {{"into", "Name the contact that stays: one of their addresses, or their number."}});
  auto into = admin::contact_named(ctx.store, named);
  if (!into && into.error().code == ErrorCode::kNotFound)
    return contact_page(ctx, v, req, res, 422, f,
                        {{"into", "No contact has the address or number " + named + "."}});
  if (!into) return send_failure(res, v, into.error());
  // A merge cannot be undone: the agent sees whom the typed address or number names, both
  // contacts side by side, and confirms (a contact named as itself is refused below).
  if (form_value(req, "confirm") != "yes" && into->id != id)
    return merge_confirm_page(ctx, v, res, id, *into);
  auto c = admin::merge_contact(ctx.store, id, into->id, v.agent.email);
  if (!c && c.error().code == ErrorCode::kNotFound)
    return send_error(res, 404, v, "There is no such contact.");
  if (!c) {
    auto errors = refusal_errors(c.error(), "into");
    if (errors.empty()) return send_failure(res, v, c.error());
    return contact_page(ctx, v, req, res, 422, f, errors);
  }
  redirect(res, "/contacts/" + std::to_string(c->id) + "?done=merged");
}

void remove_contact(Context& ctx, const Viewer& v, Rq req, Rs res) {
  const store::Id id = row_id_of(req);
  auto st = admin::remove_contact(ctx.store, id, v.agent.email);
  if (!st && st.error().code == ErrorCode::kNotFound)
    return send_error(res, 404, v, "There is no such contact.");
  if (!st && st.error().code == ErrorCode::kConflict)
    return send_error(res, 409, v,
                      "This contact has cases, and a case keeps its contact: merge the contact into the one "
                      "that stays instead.");
  if (!st) return send_failure(res, v, st.error());
  redirect(res, "/contacts?done=removed");
}

// ---- accounts

// The account form's fields, for a new account (action "/accounts") or one to change.
Html account_form(const Viewer& v, std::string_view action, std::string_view button, const Fields& values,
                  const std::map<std::string, std::string>& errors) {
  return html(
      "<form method=\"post\" action=\"{}\" class=\"card\" id=\"account-form\">{}{}{}{}"
      "<div class=\"actions\"><button type=\"submit\">{}</button></div></form>",
      action, csrf_field(v), text_input("name", "Name", values, errors, " required maxlength=\"200\""),
      text_input("support_level", "Support level (optional)", values, errors, " maxlength=\"200\""),
      textarea("emails", "Its own addresses",
               "(optional; one a line: mail from them counts as the account's)", values, errors),
      button);
}

void accounts_page(Context& ctx, const Viewer& v, Rq req, Rs res, int status = 200, const Fields& typed = {},
                   const std::map<std::string, std::string>& errors = {}) {
  const store::PageRequest pr = page_request_of(req, kPageSize);
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_failure(res, v, unit.error());
  auto page = unit->accounts().page_accounts(pr);
  if (!page) {
    if (page.error().code == ErrorCode::kInvalidInput)
      return send_error(res, 400, v, "This page link is not valid.");
    return send_failure(res, v, page.error());
  }
  std::vector<Html> rows;
  for (const auto& a : page->items) {
    std::string addresses;
    for (const auto& e : a.emails) addresses += (addresses.empty() ? "" : ", ") + e;
    rows.push_back(
        html("<tr><td><a href=\"/accounts/{}\">{}</a></td><td>{}</td><td class=\"optional\">{}</td></tr>",
             a.id, a.name, a.support_level, addresses));
  }
  Html list = rows.empty() ? html("<p class=\"muted\">No accounts yet.</p>")
                           : html(
                                 "<table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Support "
                                 "level</th><th scope=\"col\" class=\"optional\">Addresses</th></tr></thead>"
                                 "<tbody>{}</tbody></table>",
                                 join(rows));
  Html body = html(
      "<h1>Accounts</h1>{}<section aria-labelledby=\"all-h\"><h2 id=\"all-h\">All "
      "accounts{}</h2>{}{}</section>"
      "<section aria-labelledby=\"new-h\"><h2 id=\"new-h\">Add an account</h2>{}{}</section>",
      form_value(req, "done") == "removed" && status == 200
          ? html("<p class=\"ok\" role=\"status\">The account was removed, with its addresses.</p>")
          : Html(),
      page->total ? html(" ({})", *page->total) : Html(), list,
      pager_html("/accounts", page->next_cursor, !pr.cursor.has_value()),
      errors.empty() ? Html() : html("<p class=\"error\" role=\"alert\">Nothing was changed: see below.</p>"),
      account_form(v, "/accounts", "Add the account", typed, errors));
  send_page(res, status, v, "Accounts", "accounts", body);
}

void add_account(Context& ctx, const Viewer& v, Rq req, Rs res) {
  const Fields f = fields_of(req, {"name", "support_level", "emails"});
  auto form = account_from_form(f);
  if (!form.errors.empty()) return accounts_page(ctx, v, req, res, 422, f, form.errors);
  auto a = admin::add_account(ctx.store, form.input, v.agent.email);
  if (!a) {
    auto errors = refusal_errors(a.error(), "name");
    if (errors.empty()) return send_failure(res, v, a.error());
    return accounts_page(ctx, v, req, res, a.error().code == ErrorCode::kConflict ? 409 : 422, f, errors);
  }
  redirect(res, "/accounts/" + std::to_string(a->id) + "?done=added");
}

// /accounts/{id}: the account, its addresses and its contacts, a page at a time, and the
// form that changes it.
void account_page(Context& ctx, const Viewer& v, Rq req, Rs res, int status = 200, const Fields& typed = {},
                  const std::map<std::string, std::string>& errors = {}) {
  const store::Id id = row_id_of(req);
  const store::PageRequest pr = page_request_of(req, kPageSize);
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_failure(res, v, unit.error());
  auto found = unit->accounts().get_account(id);
  if (!found) return send_failure(res, v, found.error());
  if (!*found) return send_error(res, 404, v, "There is no such account.");
  const store::Account& a = **found;
  auto contacts = unit->accounts().page_account_contacts(a.id, pr);
  if (!contacts) {
    if (contacts.error().code == ErrorCode::kInvalidInput)
      return send_error(res, 400, v, "This page link is not valid.");
    return send_failure(res, v, contacts.error());
  }
  const std::string self = "/accounts/" + std::to_string(a.id);
  Html list = contacts->items.empty() ? html("<p class=\"muted\">No contact belongs to this account.</p>")
                                      : contact_rows(contacts->items, {}, false);
  Fields values = typed;
  if (values.empty()) {
    values["name"] = a.name;
    values["support_level"] = a.support_level;
    for (const auto& e : a.emails) values["emails"] += e + "\n";
  }
  static const std::map<std::string, std::string> kDone = {{"added", "The account was added."},
                                                           {"saved", "The account was saved."}};
  auto done = kDone.find(form_value(req, "done"));
  Html body = html(
      "<h1>{}</h1>{}<p><a href=\"/accounts\">All accounts</a></p>"
      "<dl class=\"card facts\"><dt>Support level</dt><dd>{}</dd><dt>Its own addresses</dt><dd>{}</dd></dl>"
      "<section aria-labelledby=\"contacts-h\"><h2 id=\"contacts-h\">Contacts{}</h2>{}{}"
      "<p><a href=\"/contacts?account={}#contact-form\">Add a contact to this account</a></p></section>"
      "<section aria-labelledby=\"edit-h\"><h2 id=\"edit-h\">Change the account</h2>{}{}</section>{}",
      a.name,
      done != kDone.end() && status == 200 ? html("<p class=\"ok\" role=\"status\">{}</p>", done->second)
                                           : Html(),
      a.support_level.empty() ? html("<span class=\"muted\">none</span>") : html("{}", a.support_level),
      addresses_html(a.emails), contacts->total ? html(" ({})", *contacts->total) : Html(), list,
      pager_html(self, contacts->next_cursor, !pr.cursor.has_value()), url_encode(a.name),
      errors.empty() ? Html() : html("<p class=\"error\" role=\"alert\">Nothing was changed: see below.</p>"),
      account_form(v, self, "Save", values, errors),
      // Offered where no contact belongs to it; a case or an alert rule naming it is said
      // when the form is sent.
      v.agent.role == store::AgentRole::kAdmin && contacts->items.empty() && !pr.cursor
          ? html("<section aria-labelledby=\"remove-h\"><h2 id=\"remove-h\">Remove the account</h2>"
                 "<form method=\"post\" action=\"{}/remove\" class=\"card\" id=\"remove-form\">{}<p "
                 "class=\"muted\">For an account made by mistake, or a customer gone: the account and its "
                 "addresses are removed, and the log keeps its name. Not while a case or an alert rule names "
                 "it.</p><div class=\"actions\"><button type=\"submit\">Remove the "
                 "account</button></div></form>"
                 "</section>",
                 self, csrf_field(v))
          : Html());
  send_page(res, status, v, a.name, "accounts", body);
}

void remove_account(Context& ctx, const Viewer& v, Rq req, Rs res) {
  auto st = admin::remove_account(ctx.store, row_id_of(req), v.agent.email);
  if (!st && st.error().code == ErrorCode::kNotFound)
    return send_error(res, 404, v, "There is no such account.");
  if (!st && st.error().code == ErrorCode::kConflict)
    return send_error(res, 409, v, text::capitalized(st.error().message) + ".");
  if (!st) return send_failure(res, v, st.error());
  redirect(res, "/accounts?done=removed");
}

void change_account(Context& ctx, const Viewer& v, Rq req, Rs res) {
  const store::Id id = row_id_of(req);
  const Fields f = fields_of(req, {"name", "support_level", "emails"});
  auto form = account_from_form(f);
  if (!form.errors.empty()) return account_page(ctx, v, req, res, 422, f, form.errors);
  auto a = admin::update_account(
      ctx.store, id, {form.input.name, form.input.support_level, form.input.emails}, v.agent.email);
  if (!a && a.error().code == ErrorCode::kNotFound)
    return send_error(res, 404, v, "There is no such account.");
  if (!a) {
    auto errors = refusal_errors(a.error(), "name");
    if (errors.empty()) return send_failure(res, v, a.error());
    return account_page(ctx, v, req, res, a.error().code == ErrorCode::kConflict ? 409 : 422, f, errors);
  }
  redirect(res, "/accounts/" + std::to_string(id) + "?done=saved");
}

}  // namespace

void mount_people_pages(web::HttpServer& server, Context& ctx) {
  const std::string id = R"((\d{1,18}))";
  server.get("/contacts", "/contacts",
             page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { contacts_page(ctx, v, q, s); }));
  server.post("/contacts", "/contacts",
              page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { add_contact(ctx, v, q, s); }));
  server.get("/contacts/{id}", "/contacts/" + id,
             page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { contact_page(ctx, v, q, s); }));
  server.post("/contacts/{id}", "/contacts/" + id,
              page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { change_contact(ctx, v, q, s); }));
  server.post("/contacts/{id}/merge", "/contacts/" + id + "/merge",
              page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { merge_contact(ctx, v, q, s); }));
  server.post("/contacts/{id}/remove", "/contacts/" + id + "/remove",
              page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { remove_contact(ctx, v, q, s); }));
  server.get("/accounts", "/accounts",
             page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { accounts_page(ctx, v, q, s); }));
  server.post("/accounts", "/accounts",
              page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { add_account(ctx, v, q, s); }));
  server.get("/accounts/{id}", "/accounts/" + id,
             page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { account_page(ctx, v, q, s); }));
  server.post("/accounts/{id}", "/accounts/" + id,
              page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { change_account(ctx, v, q, s); }));
  server.post("/accounts/{id}/remove", "/accounts/" + id + "/remove",
              page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { remove_account(ctx, v, q, s); }));
}

}  // namespace mailcase::console

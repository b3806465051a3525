// Who and what mailcase works with: contacts and accounts (agents' work), and the admin's
// routing addresses, mailboxes, agents and API tokens. Every write goes through
// admin/admin.h, as the command line's do.
#include <algorithm>

#include "admin/admin.h"
#include "admin/queues.h"
#include "api/lists.h"
#include "api/routes.h"
#include "present/json.h"
#include "util/text.h"

namespace mailcase::api {
namespace {

constexpr size_t kMaxText = 1000;
constexpr size_t kMaxContactQuery = 256;  // GET /contacts?q=

// Fields a mailbox over HTTP never takes: a path on the server or a command to run there.
// Secrets are sent as values (password, ca_certificate) and kept by mailcase.
constexpr const char* kServerOnlyMailboxFields[] = {"password_file", "token_command", "ca_file"};

store::Id id_of(const httplib::Request& req) {
  return std::stoll(req.matches[1]);
}

// The problem of the first failed field check, in declaration order.
#define MC_API_FIELD(var, expr) \
  auto var = (expr);            \
  if (!var) return send_problem(res, std::move(var.error()))

// ---- contacts

// ?q=: only the contacts whose name, one of whose addresses or such an address's domain
// ("@acme", "acme.com") starts with it (letter case ignored); an index range each,
// whatever the number of contacts.
void list_contacts(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto q = single_param(req.params, "q");
  if (!q) return send_problem(res, q.error());
  std::string prefix(*q ? text::trim(**q) : std::string_view());
  if (prefix.size() > kMaxContactQuery || !text::is_clean_text(prefix, true))
    return send_problem(
        res, field_problem("q", "one line of at most " + std::to_string(kMaxContactQuery) + " bytes"));
  send_page_of(
      ctx, req, res,
      [&](store::UnitOfWork& u, const store::PageRequest& r) {
        return prefix.empty() ? u.accounts().page_contacts(r) : u.accounts().find_contacts(prefix, r);
      },
      present::contact_record_json);
}

void show_contact(Context& ctx, store::Id id, httplib::Response& res) {
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_error(res, unit.error());
  auto c = unit->accounts().get_contact(id);
  if (!c) return send_error(res, c.error());
  if (!*c) return send_problem(res, Problem{404, "no contact " + std::to_string(id), {}});
  send_tagged_json(res, 200, present::contact_record_json(**c));
}

// "emails": [...], or "email": "..." for the one address.
Checked<std::optional<std::vector<std::string>>> emails_of(const nlohmann::json& body) {
  auto list = string_list_field(body, "emails", admin::kMaxAddresses, 320);
  if (!list || *list) return list;
  auto one = string_field(body, "email", 320);
  if (!one) return tl::unexpected(one.error());
  if (!*one) return std::optional<std::vector<std::string>>{};
  return std::optional<std::vector<std::string>>{std::vector<std::string>{**one}};
}

void add_contact(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  MC_API_FIELD(body, body_of(req));
  MC_API_FIELD(name, string_field(*body, "name", kMaxText));
  MC_API_FIELD(emails, emails_of(*body));
  MC_API_FIELD(language, string_field(*body, "language", 35));
  MC_API_FIELD(account, int_field(*body, "account_id", 1, INT64_MAX));
  admin::ContactInput in{name->value_or(""), emails->value_or(std::vector<std::string>{}),
                         language->value_or(""), *account, std::nullopt};
  if (auto bad = admin::check_contact(in)) return send_problem(res, field_problem(bad->field, bad->message));
  auto c = admin::add_contact(ctx.store, in, ctx.cfg.outbound.from_address);
  if (!c) return send_failure(res, c.error());
  res.set_header("Location", "/api/v1/contacts/" + std::to_string(c->id));
  send_json(res, 201, present::contact_record_json(*c));
}

void patch_contact(Context& ctx, store::Id id, const httplib::Request& req, httplib::Response& res) {
  MC_API_FIELD(body, body_of(req));
  admin::ContactPatch p;
  MC_API_FIELD(name, string_field(*body, "name", kMaxText));
  MC_API_FIELD(emails, emails_of(*body));
  MC_API_FIELD(language, string_field(*body, "language", 35));
  MC_API_FIELD(account, int_field(*body, "account_id", 1, INT64_MAX));
  p.name = *name;
  p.emails = *emails;
  p.language = *language;
  p.account_id = *account;
  p.clear_account = body->contains("account_id") && body->at("account_id").is_null();
  if (auto bad = admin::check_contact_patch(p))
    return send_problem(res, field_problem(bad->field, bad->message));
  auto c = held_to_if_match<store::Contact>(
      req, res, "the contact", present::contact_record_json, [&](const auto& expect) {
        return admin::update_contact(ctx.store, id, p, ctx.cfg.outbound.from_address, expect);
      });
  if (!c) return;  // 412
  if (!*c) return send_failure(res, c->error());
  send_tagged_json(res, 200, present::contact_record_json(**c));
}

// Contact `id` made part of the one the body names ("into"), and removed.
void merge_contact(Context& ctx, const store::Agent& by, store::Id id, const httplib::Request& req,
                   httplib::Response& res) {
  MC_API_FIELD(body, body_of(req));
  MC_API_FIELD(into, int_field(*body, "into", 1, INT64_MAX));
  if (!*into) return send_problem(res, field_problem("into", "required: the id of the contact that stays"));
  auto c = admin::merge_contact(ctx.store, id, **into, by.email);
  if (!c) return send_failure(res, c.error());
  send_json(res, 200, present::contact_record_json(*c));
}

// Contact `id` removed: one without cases (409 otherwise).
void remove_contact(Context& ctx, const store::Agent& by, store::Id id, const httplib::Request& req,
                    httplib::Response& res) {
  auto st = held_to_if_match<store::Contact>(
      req, res, "the contact", present::contact_record_json,
      [&](const auto& expect) { return admin::remove_contact(ctx.store, id, by.email, expect); });
  if (!st) return;  // 412
  if (!*st) return send_failure(res, st->error());
  res.status = 204;
}

// Account `id` removed: one no contact, case or alert rule names (409 otherwise).
void remove_account(Context& ctx, const store::Agent& by, store::Id id, const httplib::Request& req,
                    httplib::Response& res) {
  auto st = held_to_if_match<store::Account>(
      req, res, "the account", present::account_record_json,
      [&](const auto& expect) { return admin::remove_account(ctx.store, id, by.email, expect); });
  if (!st) return;  // 412
  if (!*st) return send_failure(res, st->error());
  res.status = 204;
}

// The administration's log: the events of no case, newest first.
void list_admin_events(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  send_page_of(
      ctx, req, res,
      [](store::UnitOfWork& u, const store::PageRequest& r) { return u.events().page_admin_events(r); },
      present::event_json);
}

// ---- accounts

void list_accounts(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  send_page_of(
      ctx, req, res,
      [](store::UnitOfWork& u, const store::PageRequest& r) { return u.accounts().page_accounts(r); },
      present::account_record_json);
}

void show_account(Context& ctx, store::Id id, httplib::Response& res) {
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_error(res, unit.error());
  auto a = unit->accounts().get_account(id);
  if (!a) return send_error(res, a.error());
  if (!*a) return send_problem(res, Problem{404, "no account " + std::to_string(id), {}});
  send_tagged_json(res, 200, present::account_record_json(**a));
}

void patch_account(Context& ctx, const store::Agent& by, store::Id id, const httplib::Request& req,
                   httplib::Response& res) {
  MC_API_FIELD(body, body_of(req));
  admin::AccountPatch p;
  MC_API_FIELD(name, string_field(*body, "name", kMaxText));
  MC_API_FIELD(level, string_field(*body, "support_level", kMaxText));
  MC_API_FIELD(emails, string_list_field(*body, "emails", admin::kMaxAddresses, 320));
  p.name = *name;
  p.support_level = *level;
  p.emails = *emails;
  if (auto bad = admin::check_account_patch(p))
    return send_problem(res, field_problem(bad->field, bad->message));
  auto a = held_to_if_match<store::Account>(
      req, res, "the account", present::account_record_json,
      [&](const auto& expect) { return admin::update_account(ctx.store, id, p, by.email, expect); });
  if (!a) return;  // 412
  if (!*a) return send_failure(res, a->error());
  send_tagged_json(res, 200, present::account_record_json(**a));
}

// An account's contacts, a page at a time by id (an index range).
void list_account_contacts(Context& ctx, store::Id id, const httplib::Request& req, httplib::Response& res) {
  send_page_of(
      ctx, req, res,
      [id](store::UnitOfWork& u, const store::PageRequest& r) -> Result<store::Page<store::Contact>> {
        MC_ASSIGN_OR_RETURN(auto a, u.accounts().get_account(id));
        if (!a) return fail(ErrorCode::kNotFound, "no account " + std::to_string(id));
        return u.accounts().page_account_contacts(id, r);
      },
      present::contact_record_json);
}

void add_account(Context& ctx, const store::Agent& by, const httplib::Request& req, httplib::Response& res) {
  MC_API_FIELD(body, body_of(req));
  MC_API_FIELD(name, string_field(*body, "name", kMaxText));
  MC_API_FIELD(level, string_field(*body, "support_level", kMaxText));
  MC_API_FIELD(emails, string_list_field(*body, "emails", admin::kMaxAddresses, 320));
  admin::AccountInput in{name->value_or(""), level->value_or(""),
                         emails->value_or(std::vector<std::string>{})};
  if (auto bad = admin::check_account(in)) return send_problem(res, field_problem(bad->field, bad->message));
  auto a = admin::add_account(ctx.store, in, by.email);
  if (!a) return send_failure(res, a.error());
  res.set_header("Location", "/api/v1/accounts/" + std::to_string(a->id));
  send_json(res, 201, present::account_record_json(*a));
}

// ---- routing addresses

void list_addresses(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  send_page_of(
      ctx, req, res,
      [](store::UnitOfWork& u, const store::PageRequest& r) { return u.routing().page_addresses(r); },
      present::address_json);
}

void put_address(Context& ctx, const store::Agent& by, const httplib::Request& req, httplib::Response& res) {
  MC_API_FIELD(body, body_of(req));
  MC_API_FIELD(email, string_field(*body, "email", 320));
  MC_API_FIELD(queue, string_field(*body, "queue", kMaxText));
  MC_API_FIELD(product, string_field(*body, "product", kMaxText));
  MC_API_FIELD(priority, string_field(*body, "priority", kMaxText));
  MC_API_FIELD(prefix, string_field(*body, "subject_prefix", kMaxText));
  MC_API_FIELD(unknown, string_field(*body, "unknown_sender", kMaxText));
  MC_API_FIELD(creates, bool_field(*body, "creates_cases"));
  MC_API_FIELD(process, string_field(*body, "process", kMaxText));
  MC_API_FIELD(authserv_ids, string_list_field(*body, "authserv_ids", 20, 255));
  MC_API_FIELD(api, bool_field(*body, "api"));
  // An address there is keeps what the request does not give (as `address add` does).
  auto put = admin::change_routing_address(
      ctx.store, email->value_or(""),
      [&](store::RoutingAddress& a) {
        if (*queue) a.queue = **queue;
        if (*product) a.product = **product;
        if (*priority) a.priority = **priority;
        if (*prefix) a.subject_prefix = **prefix;
        if (*unknown) a.unknown_sender = **unknown;
        if (*creates) a.creates_cases = **creates;
        if (*process) a.process = **process;
        if (*authserv_ids) a.authserv_ids = **authserv_ids;
        if (*api) a.api = **api;
      },
      by.email);
  if (!put) return send_failure(res, put.error());
  // A new address is created (201, where it is); one there was is changed (200).
  res.set_header("Location", "/api/v1/routing-addresses/" + text::url_encode(put->address.email, "@"));
  send_json(res, put->added ? 201 : 200, present::address_json(put->address));
}

void show_address(Context& ctx, const std::string& email, httplib::Response& res) {
  auto found = admin::find_routing_address(ctx.store, email);
  if (!found) return send_failure(res, found.error());
  if (!*found) return send_problem(res, Problem{404, "no routing address " + email, {}});
  send_json(res, 200, present::address_json(**found));
}

void remove_address(Context& ctx, const store::Agent& by, const httplib::Request& req,
                    httplib::Response& res) {
  auto st = admin::remove_routing_address(ctx.store, req.matches[1].str(), by.email);
  if (!st) return send_failure(res, st.error());
  res.status = 204;
}

// ---- mailboxes

void list_mailboxes(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto r = page_request_of(req.params);
  if (!r) return send_problem(res, r.error());
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_error(res, unit.error());
  // Mailboxes are a handful (one per IMAP/POP3 account): read whole, paged by name.
  auto all = unit->mailboxes().list_mailboxes();
  if (!all) return send_error(res, all.error());
  std::string after;
  if (r->cursor) {
    auto key = store::decode_cursor("mailboxes", *r->cursor);
    if (!key) return send_failure(res, key.error());
    after = *key;
  }
  store::Page<nlohmann::json> page;
  for (const auto& m : *all) {
    if (m.name <= after) continue;
    if (page.items.size() == static_cast<size_t>(r->limit)) {
      page.next_cursor = store::encode_cursor("mailboxes", page.items.back()["name"].get<std::string>());
      break;
    }
    auto state = unit->mailboxes().mailbox_state(m.name);
    if (!state) return send_error(res, state.error());
    page.items.push_back(present::mailbox_json(m, *state));  // no password file, token command, CA file
  }
  if (r->count) page.total = static_cast<int64_t>(all->size());
  send_json(res, 200, page_json(page, [](const nlohmann::json& j) { return j; }));
}

void show_mailbox(Context& ctx, const std::string& name, httplib::Response& res) {
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_error(res, unit.error());
  auto all = unit->mailboxes().list_mailboxes();
  if (!all) return send_error(res, all.error());
  for (const auto& m : *all) {
    if (m.name != name) continue;
    auto state = unit->mailboxes().mailbox_state(m.name);
    if (!state) return send_error(res, state.error());
    return send_json(res, 200, present::mailbox_json(m, *state));
  }
  send_problem(res, Problem{404, "no mailbox named " + name, {}});
}

void add_mailbox(Context& ctx, const store::Agent& by, const httplib::Request& req, httplib::Response& res) {
  MC_API_FIELD(body, body_of(req));
  for (const char* field : kServerOnlyMailboxFields) {
    if (body->contains(field))
      return send_problem(
          res,
          field_problem(field,
                        "not over HTTP: a file or a command on the server is set with `mailcase mailbox "
                        "add`; send the password or the CA certificate itself (password, ca_certificate)"));
  }
  MC_API_FIELD(name, string_field(*body, "name", 64));
  MC_API_FIELD(protocol, string_field(*body, "protocol", 16));
  MC_API_FIELD(host, string_field(*body, "host", 253));
  MC_API_FIELD(port, int_field(*body, "port", 1, 65535));
  MC_API_FIELD(tls, string_field(*body, "tls", 16));
  MC_API_FIELD(user, string_field(*body, "user", kMaxText));
  MC_API_FIELD(password, string_field(*body, "password", admin::kMaxPasswordBytes));
  MC_API_FIELD(ca, string_field(*body, "ca_certificate", admin::kMaxCaPemBytes));
  MC_API_FIELD(folder, string_field(*body, "folder", kMaxText));
  MC_API_FIELD(poll, int_field(*body, "poll_interval_s", 1, 86400));
  MC_API_FIELD(idle, bool_field(*body, "idle"));
  MC_API_FIELD(after, string_field(*body, "after", kMaxText));
  MC_API_FIELD(address, string_field(*body, "address", 320));
  MC_API_FIELD(verify, bool_field(*body, "tls_verify"));
  MC_API_FIELD(auth, string_field(*body, "auth", 16));
  MC_API_FIELD(plaintext, bool_field(*body, "allow_plaintext_auth"));
  MC_API_FIELD(process, string_field(*body, "process", kMaxText));
  MC_API_FIELD(authserv_ids, string_list_field(*body, "authserv_ids", 20, 255));

  store::Mailbox m;
  std::vector<FieldError> errors;
  m.name = name->value_or("");
  if (auto p = domain::protocol_from(protocol->value_or("")))
    m.protocol = *p;
  else
    errors.push_back({"protocol", "imap or pop3"});
  m.host = host->value_or("");
  if (m.host.empty() || !text::is_clean_text(m.host, true))
    errors.push_back({"host", "the server's host name"});
  if (*port)
    m.port = static_cast<int>(**port);
  else
    errors.push_back({"port", "the server's port, 1 to 65535"});
  if (auto t = domain::tls_mode_from(tls->value_or("implicit")))
    m.tls = *t;
  else
    errors.push_back({"tls", "implicit, starttls or none"});
  m.user = user->value_or("");
  if (m.user.empty() || !text::is_clean_text(m.user, true))
    errors.push_back({"user", "the user name, one line"});
  if (*folder) m.folder = **folder;
  if (*poll) m.poll_interval_s = static_cast<int>(**poll);
  m.idle = idle->value_or(true);
  using domain::AfterAction;
  if (*after) {
    if (auto a = domain::after_fetch_from(**after))
      m.after = *a;
    else
      errors.push_back({"after", "delete, seen, move:FOLDER or keep"});
  } else {
    m.after = {m.protocol == domain::Protocol::kPop3 ? AfterAction::kDelete : AfterAction::kSeen, {}};
  }
  m.address = address->value_or("");
  m.tls_verify = verify->value_or(true);
  if (auto a = domain::auth_method_from(auth->value_or("password")); a && *a == domain::AuthMethod::kPassword)
    m.auth = *a;
  else
    errors.push_back(
        {"auth", "password (xoauth2 runs a token command on the server: `mailcase mailbox add` only)"});
  m.allow_plaintext_auth = plaintext->value_or(false);
  m.process = process->value_or("");
  m.authserv_ids = authserv_ids->value_or(std::vector<std::string>{});
  // Each goes into the protocol (a folder into an IMAP command): one line of text only.
  const std::pair<const char*, const std::optional<std::string>*> lines[] = {
      {"folder", &*folder}, {"after", &*after}, {"address", &*address}, {"process", &*process}};
  for (const auto& [field, value] : lines) {
    if (*value && !text::is_clean_text(**value, true)) errors.push_back({field, "one line of text"});
  }
  if (!*password) errors.push_back({"password", "the mailbox's password is needed"});
  admin::MailboxSecrets secrets{*password, *ca};
  if (auto bad = admin::check_mailbox_secrets(m.name, secrets)) errors.push_back({bad->field, bad->message});
  if (!errors.empty()) {
    Problem p;
    p.status = 422;
    p.detail = "the mailbox has invalid settings";
    p.errors = std::move(errors);
    return send_problem(res, p);
  }
  auto added = admin::add_mailbox(ctx.store, ctx.data_dir, m, secrets, by.email);
  if (!added) {
    // validate_mailbox's words name the command line's options: the field is in its text.
    if (added.error().code == ErrorCode::kInvalidInput)
      return send_problem(res, Problem{422, added.error().message, {{"mailbox", added.error().message}}});
    return send_failure(res, added.error());
  }
  res.set_header("Location", "/api/v1/mailboxes/" + added->name);
  send_json(res, 201, present::mailbox_json(*added, store::MailboxState{}));
}

void remove_mailbox(Context& ctx, const store::Agent& by, const httplib::Request& req,
                    httplib::Response& res) {
  auto st = admin::remove_mailbox(ctx.store, ctx.data_dir, req.matches[1].str(), by.email);
  if (!st) return send_failure(res, st.error());
  res.status = 204;
}

// ---- agents

void list_agents(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  send_page_of(
      ctx, req, res,
      [](store::UnitOfWork& u, const store::PageRequest& r) { return u.agents().page_agents(r); },
      present::agent_json);
}

void show_agent(Context& ctx, const std::string& email, httplib::Response& res) {
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_error(res, unit.error());
  auto a = unit->agents().find_agent_by_email(email);
  if (!a) return send_error(res, a.error());
  if (!*a) return send_problem(res, Problem{404, "no agent " + text::normalize_email(email), {}});
  send_tagged_json(res, 200, present::agent_json(**a));
}

void add_agent(Context& ctx, const store::Agent& by, const httplib::Request& req, httplib::Response& res) {
  MC_API_FIELD(body, body_of(req));
  MC_API_FIELD(name, string_field(*body, "name", kMaxText));
  MC_API_FIELD(email, string_field(*body, "email", 320));
  MC_API_FIELD(role, string_field(*body, "role", 16));
  std::vector<FieldError> errors;
  if (auto n = std::string(text::trim(name->value_or(""))); n.empty() || n.size() > admin::kMaxNameBytes)
    errors.push_back({"name", "1 to " + std::to_string(admin::kMaxNameBytes) + " bytes"});
  if (auto why = store::agent_email_problem(email->value_or("")); !why.empty())
    errors.push_back({"email", why});
  if (!store::parse_agent_role(role->value_or("agent"))) errors.push_back({"role", "agent or admin"});
  if (!errors.empty())
    return send_problem(res, Problem{422, "the agent has invalid fields", std::move(errors)});
  auto a = admin::agent_from(name->value_or(""), email->value_or(""), role->value_or("agent"));
  if (!a) return send_failure(res, a.error());
  auto added = admin::add_agent(ctx.store, *a, by.email, ctx.cfg.outbound.from_address);
  if (!added) return send_failure(res, added.error());
  res.set_header("Location", "/api/v1/agents/" + added->email);
  send_json(res, 201, present::agent_json(*added));
}

void patch_agent(Context& ctx, const store::Agent& by, const httplib::Request& req, httplib::Response& res) {
  MC_API_FIELD(body, body_of(req));
  MC_API_FIELD(active, bool_field(*body, "active"));
  MC_API_FIELD(role_text, string_field(*body, "role", 16));
  std::optional<store::AgentRole> role;
  if (*role_text) {
    auto r = store::parse_agent_role(**role_text);
    if (!r) return send_problem(res, field_problem("role", "agent or admin"));
    role = *r;
  }
  MC_API_FIELD(name, string_field(*body, "name", kMaxText));
  if (*name) {
    const std::string trimmed(text::trim(**name));
    if (trimmed.empty() || trimmed.size() > admin::kMaxNameBytes || !text::is_clean_text(trimmed, true))
      return send_problem(
          res, field_problem("name", "one line of 1 to " + std::to_string(admin::kMaxNameBytes) + " bytes"));
  }
  MC_API_FIELD(notify, notify_patch_of(*body));
  auto a =
      held_to_if_match<store::Agent>(req, res, "the agent", present::agent_json, [&](const auto& expect) {
        return admin::update_agent(ctx.store, req.matches[1].str(), {*active, role, *name, *notify}, by.email,
                                   expect);
      });
  if (!a) return;  // 412
  if (!*a) return send_failure(res, a->error());
  send_tagged_json(res, 200, present::agent_json(**a));
}

// ---- API tokens

void list_tokens(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto r = page_request_of(req.params);
  if (!r) return send_problem(res, r.error());
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_error(res, unit.error());
  // Tokens are few (a handful per agent): read whole, oldest first, paged by id.
  auto all = unit->agents().list_api_tokens();
  if (!all) return send_error(res, all.error());
  int64_t after = 0;
  if (r->cursor) {
    auto key = store::decode_id_cursor("tokens", *r->cursor);
    if (!key) return send_failure(res, key.error());
    after = *key;
  }
  store::Page<store::ApiToken> page;
  for (const auto& t : *all) {
    if (t.id <= after) continue;
    if (page.items.size() == static_cast<size_t>(r->limit)) {
      page.next_cursor = store::encode_cursor("tokens", std::to_string(page.items.back().id));
      break;
    }
    page.items.push_back(t);
  }
  if (r->count) page.total = static_cast<int64_t>(all->size());
  send_json(res, 200, page_json(page, present::api_token_json));
}

void create_token(Context& ctx, const store::Agent& by, const httplib::Request& req, httplib::Response& res) {
  MC_API_FIELD(body, body_of(req));
  MC_API_FIELD(agent, string_field(*body, "agent", 320));
  MC_API_FIELD(label, string_field(*body, "label", admin::kMaxNameBytes));
  if (!*agent) return send_problem(res, field_problem("agent", "the email of the agent the token is for"));
  auto made = admin::create_api_token(ctx.store, **agent, label->value_or(""), by.email);
  if (!made) {
    if (made.error().code == ErrorCode::kNotFound)
      return send_problem(res, field_problem("agent", made.error().message));
    return send_failure(res, made.error());
  }
  auto j = present::api_token_json(made->row);
  j["token"] = made->token;  // shown this once: mailcase keeps only its digest
  res.set_header("Cache-Control", "no-store");
  res.set_header("Location", "/api/v1/tokens/" + std::to_string(made->row.id));
  send_json(res, 201, j);
}

void show_token(Context& ctx, store::Id id, httplib::Response& res) {
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_error(res, unit.error());
  auto all = unit->agents().list_api_tokens();  // a handful
  if (!all) return send_error(res, all.error());
  for (const auto& t : *all)
    if (t.id == id) return send_json(res, 200, present::api_token_json(t));
  send_problem(res, Problem{404, "no token " + std::to_string(id), {}});
}

void revoke_token(Context& ctx, const store::Agent& by, const httplib::Request& req, httplib::Response& res) {
  auto done = admin::revoke_api_token(ctx.store, id_of(req), by.email);
  if (!done) return send_failure(res, done.error());
  res.status = 204;
}

template <typename F>
web::HttpServer::Handler agent_route(Context& ctx, Need need, F f) {
  return authed(ctx, need,
                [&ctx, f](const store::Agent& a, const httplib::Request& req, httplib::Response& res) {
                  f(ctx, a, req, res);
                });
}

}  // namespace

void mount_admin_routes(web::HttpServer& server, Context& ctx) {
  const std::string id = kIdPattern;
  const std::string segment = kSegmentPattern;
  using A = const store::Agent&;
  using Rq = const httplib::Request&;
  using Rs = httplib::Response&;

  // Contacts and accounts: every agent's work.
  server.get("/api/v1/contacts", "/api/v1/contacts",
             agent_route(ctx, Need::kAgent, [](Context& c, A, Rq q, Rs s) { list_contacts(c, q, s); }));
  server.post("/api/v1/contacts", "/api/v1/contacts",
              agent_route(ctx, Need::kAgent, [](Context& c, A, Rq q, Rs s) { add_contact(c, q, s); }));
  server.get("/api/v1/contacts/{id}", "/api/v1/contacts/" + id,
             agent_route(ctx, Need::kAgent, [](Context& c, A, Rq q, Rs s) { show_contact(c, id_of(q), s); }));
  server.patch(
      "/api/v1/contacts/{id}", "/api/v1/contacts/" + id,
      agent_route(ctx, Need::kAgent, [](Context& c, A, Rq q, Rs s) { patch_contact(c, id_of(q), q, s); }));
  server.post("/api/v1/contacts/{id}/merge", "/api/v1/contacts/" + id + "/merge",
              agent_route(ctx, Need::kAgent,
                          [](Context& c, A a, Rq q, Rs s) { merge_contact(c, a, id_of(q), q, s); }));
  // Removing one is an admin's: its addresses are forgotten.
  server.del("/api/v1/contacts/{id}", "/api/v1/contacts/" + id,
             agent_route(ctx, Need::kAdmin,
                         [](Context& c, A a, Rq q, Rs s) { remove_contact(c, a, id_of(q), q, s); }));
  server.get("/api/v1/accounts", "/api/v1/accounts",
             agent_route(ctx, Need::kAgent, [](Context& c, A, Rq q, Rs s) { list_accounts(c, q, s); }));
  server.post("/api/v1/accounts", "/api/v1/accounts",
              agent_route(ctx, Need::kAgent, [](Context& c, A a, Rq q, Rs s) { add_account(c, a, q, s); }));
  server.get("/api/v1/accounts/{id}", "/api/v1/accounts/" + id,
             agent_route(ctx, Need::kAgent, [](Context& c, A, Rq q, Rs s) { show_account(c, id_of(q), s); }));
  server.patch("/api/v1/accounts/{id}", "/api/v1/accounts/" + id,
               agent_route(ctx, Need::kAgent,
                           [](Context& c, A a, Rq q, Rs s) { patch_account(c, a, id_of(q), q, s); }));
  server.del("/api/v1/accounts/{id}", "/api/v1/accounts/" + id,
             agent_route(ctx, Need::kAdmin,
                         [](Context& c, A a, Rq q, Rs s) { remove_account(c, a, id_of(q), q, s); }));
  server.get("/api/v1/accounts/{id}/contacts", "/api/v1/accounts/" + id + "/contacts",
             agent_route(ctx, Need::kAgent,
                         [](Context& c, A, Rq q, Rs s) { list_account_contacts(c, id_of(q), q, s); }));

  // Where mail comes in and who works it: admins only.
  server.get("/api/v1/events", "/api/v1/events",
             agent_route(ctx, Need::kAdmin, [](Context& c, A, Rq q, Rs s) { list_admin_events(c, q, s); }));
  server.get("/api/v1/routing-addresses", "/api/v1/routing-addresses",
             agent_route(ctx, Need::kAdmin, [](Context& c, A, Rq q, Rs s) { list_addresses(c, q, s); }));
  server.post("/api/v1/routing-addresses", "/api/v1/routing-addresses",
              agent_route(ctx, Need::kAdmin, [](Context& c, A a, Rq q, Rs s) { put_address(c, a, q, s); }));
  server.get("/api/v1/routing-addresses/{email}", "/api/v1/routing-addresses/" + segment,
             agent_route(ctx, Need::kAdmin,
                         [](Context& c, A, Rq q, Rs s) { show_address(c, q.matches[1].str(), s); }));
  server.del("/api/v1/routing-addresses/{email}", "/api/v1/routing-addresses/" + segment,
             agent_route(ctx, Need::kAdmin, [](Context& c, A a, Rq q, Rs s) { remove_address(c, a, q, s); }));
  server.get("/api/v1/mailboxes", "/api/v1/mailboxes",
             agent_route(ctx, Need::kAdmin, [](Context& c, A, Rq q, Rs s) { list_mailboxes(c, q, s); }));
  server.post("/api/v1/mailboxes", "/api/v1/mailboxes",
              agent_route(ctx, Need::kAdmin, [](Context& c, A a, Rq q, Rs s) { add_mailbox(c, a, q, s); }));
  server.get("/api/v1/mailboxes/{name}", "/api/v1/mailboxes/" + segment,
             agent_route(ctx, Need::kAdmin,
                         [](Context& c, A, Rq q, Rs s) { show_mailbox(c, q.matches[1].str(), s); }));
  server.del("/api/v1/mailboxes/{name}", "/api/v1/mailboxes/" + segment,
             agent_route(ctx, Need::kAdmin, [](Context& c, A a, Rq q, Rs s) { remove_mailbox(c, a, q, s); }));
  server.get("/api/v1/agents", "/api/v1/agents",
             agent_route(ctx, Need::kAdmin, [](Context& c, A, Rq q, Rs s) { list_agents(c, q, s); }));
  server.post("/api/v1/agents", "/api/v1/agents",
              agent_route(ctx, Need::kAdmin, [](Context& c, A a, Rq q, Rs s) { add_agent(c, a, q, s); }));
  server.get("/api/v1/agents/{email}", "/api/v1/agents/" + segment,
             agent_route(ctx, Need::kAdmin,
                         [](Context& c, A, Rq q, Rs s) { show_agent(c, q.matches[1].str(), s); }));
  server.patch("/api/v1/agents/{email}", "/api/v1/agents/" + segment,
               agent_route(ctx, Need::kAdmin, [](Context& c, A a, Rq q, Rs s) { patch_agent(c, a, q, s); }));
  server.get("/api/v1/tokens", "/api/v1/tokens",
             agent_route(ctx, Need::kAdmin, [](Context& c, A, Rq q, Rs s) { list_tokens(c, q, s); }));
  server.post("/api/v1/tokens", "/api/v1/tokens",
              agent_route(ctx, Need::kAdmin, [](Context& c, A a, Rq q, Rs s) { create_token(c, a, q, s); }));
  server.get("/api/v1/tokens/{id}", "/api/v1/tokens/" + id,
             agent_route(ctx, Need::kAdmin, [](Context& c, A, Rq q, Rs s) { show_token(c, id_of(q), s); }));
  server.del("/api/v1/tokens/{id}", "/api/v1/tokens/" + id,
             agent_route(ctx, Need::kAdmin, [](Context& c, A a, Rq q, Rs s) { revoke_token(c, a, q, s); }));
}

}  // namespace mailcase::api

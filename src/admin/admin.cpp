#include "admin/admin.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "admin/processes.h"
#include "channels/mailbox_agent.h"
#include "services/our_addresses.h"
#include "trust/auth_results.h"
#include "util/text.h"

namespace mailcase::admin {
namespace {

bool too_long(std::string_view s, size_t max) {
  return s.size() > max;
}

// Each address trimmed, normalized and checked; `field` names them in the answer.
std::optional<Invalid> check_addresses(const std::vector<std::string>& emails, const std::string& field,
                                       bool required) {
  if (required && emails.empty()) return Invalid{field, "at least one address is needed"};
  if (emails.size() > kMaxAddresses)
    return Invalid{field, "at most " + std::to_string(kMaxAddresses) + " addresses"};
  for (const auto& e : emails) {
    if (!store::is_email_address(text::trim(e)))
      return Invalid{field, "not an e-mail address: " + text::make_valid_utf8(e.substr(0, 254))};
  }
  return std::nullopt;
}

std::vector<std::string> normalized(const std::vector<std::string>& emails) {
  std::vector<std::string> out;
  for (const auto& e : emails) {
    auto n = text::normalize_email(text::trim(e));
    bool seen = false;
    for (const auto& o : out) seen = seen || o == n;
    if (!seen) out.push_back(std::move(n));
  }
  return out;
}

std::optional<Invalid> check_name(std::string_view name, const std::string& field) {
  auto t = text::trim(name);
  if (t.empty()) return Invalid{field, "must not be empty"};
  if (too_long(t, kMaxNameBytes))
    return Invalid{field, "at most " + std::to_string(kMaxNameBytes) + " bytes"};
  if (!text::is_clean_text(t, true)) return Invalid{field, "must be one line of text"};
  return std::nullopt;
}

// "" or a language tag: 2-3 lower-case letters, optionally "-" and a region.
std::optional<Invalid> check_language(std::string_view l) {
  if (l.empty()) return std::nullopt;
  size_t i = 0;
  while (i < l.size() && l[i] >= 'a' && l[i] <= 'z') ++i;
  bool ok = i >= 2 && i <= 3;
  if (ok && i < l.size()) {
    ok = l[i] == '-' && l.size() - i - 1 >= 2 && l.size() - i - 1 <= 8;
    for (size_t k = i + 1; ok && k < l.size(); ++k) ok = std::isalnum(static_cast<unsigned char>(l[k])) != 0;
  }
  if (!ok) return Invalid{"language", "a language tag such as en, fr or pl"};
  return std::nullopt;
}

template <typename F>
Status in_unit(store::Store& st, F&& f) {
  MC_ASSIGN_OR_RETURN(auto unit, st.open_unit(store::Access::kWrite));
  MC_RETURN_IF_ERROR(f(unit));
  return unit.commit();
}

// A unique address violated: say so in words, not in SQLite's.
Error conflict_or(const Error& e, std::string message) {
  if (e.code == ErrorCode::kConflict) return Error{ErrorCode::kConflict, std::move(message)};
  return e;
}

// content into path, the service user's alone (0600), whole or not at all: a temporary
// file beside it, synced, then renamed over it.
Status write_secret(const std::filesystem::path& path, std::string_view content) {
  std::error_code ec;
  const auto dir = path.parent_path();
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::kTemporary, "cannot create " + dir.string() + ": " + ec.message());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace,
                               ec);
  if (ec) return fail(ErrorCode::kTemporary, "cannot make " + dir.string() + " private: " + ec.message());
  const auto tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return fail(ErrorCode::kTemporary, "cannot write " + tmp + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, 0600) == 0;
  size_t done = 0;
  while (ok && done < content.size()) {
    auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = ok ? errno : err;
    ::unlink(tmp.c_str());
    return fail(ErrorCode::kTemporary, "cannot write " + path.string() + ": " + std::strerror(e));
  }
  return {};
}

std::filesystem::path password_path(const std::filesystem::path& data_dir, std::string_view name) {
  return secrets_dir(data_dir) / ("mailbox-" + std::string(name) + ".password");
}
std::filesystem::path ca_path(const std::filesystem::path& data_dir, std::string_view name) {
  return secrets_dir(data_dir) / ("mailbox-" + std::string(name) + ".ca.pem");
}

}  // namespace

Error invalid_error(const Invalid& i) {
  return Error{ErrorCode::kInvalidInput, i.field + ": " + i.message};
}

std::optional<Invalid> invalid_of(std::string_view message) {
  const size_t start = message.starts_with("--") ? 2 : 0;
  const size_t colon = message.find(": ");
  if (colon == std::string_view::npos || colon <= start || colon > 40 ||
      message.find_first_not_of("abcdefghijklmnopqrstuvwxyz-", start) != colon)
    return std::nullopt;
  return Invalid{std::string(message.substr(start, colon - start)), std::string(message.substr(colon + 2))};
}

// ---- contacts and accounts

std::optional<Invalid> check_contact(const ContactInput& c) {
  if (auto n = check_name(c.name, "name")) return n;
  if (auto e = check_addresses(c.emails, "emails", true)) return e;
  if (auto l = check_language(c.language)) return l;
  return std::nullopt;
}

// kInvalidInput (field `field`) when one of `emails` is one of our own addresses (the
// outgoing one or a routing address, or a "+tag" sub-address of one): mail to such a
// contact (a confirmation, a reply) would come back to us as a mail from ourselves, and an
// agent's notices the same.
Status refuse_our_addresses(store::UnitOfWork& u, const std::vector<std::string>& emails, const char* field,
                            std::string_view outgoing_address) {
  for (const auto& e : emails) {
    MC_ASSIGN_OR_RETURN(const bool ours, services::is_our_address(u, e, outgoing_address));
    if (ours)
      return tl::unexpected(
          invalid_error({field, text::normalize_email(e) +
                                    " is one of our own addresses: mail to it would come back to us"}));
  }
  return {};
}

Result<store::Contact> add_contact(store::Store& st, const ContactInput& in,
                                   std::string_view outgoing_address) {
  if (auto bad = check_contact(in)) return tl::unexpected(invalid_error(*bad));
  store::Contact c;
  c.name = std::string(text::trim(in.name));
  c.emails = normalized(in.emails);
  c.language = in.language;
  c.account_id = in.account_id;
  auto done = in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_RETURN_IF_ERROR(refuse_our_addresses(u, c.emails, "emails", outgoing_address));
    if (in.account_name && !in.account_name->empty()) {
      MC_ASSIGN_OR_RETURN(auto a, u.accounts().find_account_by_name(*in.account_name));
      if (!a) return fail(ErrorCode::kNotFound, "no account named " + *in.account_name);
      c.account_id = a->id;
    } else if (c.account_id) {
      MC_ASSIGN_OR_RETURN(auto a, u.accounts().get_account(*c.account_id));
      if (!a)
        return tl::unexpected(invalid_error({"account_id", "no account " + std::to_string(*c.account_id)}));
    }
    auto id = u.accounts().add_contact(c);
    if (!id)
      return tl::unexpected(
          conflict_or(id.error(), "one of these addresses belongs to another contact already"));
    c.id = *id;
    return {};
  });
  MC_RETURN_IF_ERROR(done);
  return c;
}

std::optional<Invalid> check_contact_patch(const ContactPatch& p) {
  if (p.name)
    if (auto n = check_name(*p.name, "name")) return n;
  if (p.emails)
    if (auto e = check_addresses(*p.emails, "emails", true)) return e;
  if (p.language)
    if (auto l = check_language(*p.language)) return l;
  return std::nullopt;
}

Result<store::Contact> update_contact(store::Store& st, store::Id id, const ContactPatch& patch,
                                      std::string_view outgoing_address,
                                      const Expect<store::Contact>& expect) {
  if (auto bad = check_contact_patch(patch)) return tl::unexpected(invalid_error(*bad));
  store::Contact c;
  auto done = in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_ASSIGN_OR_RETURN(auto found, u.accounts().get_contact(id));
    if (!found) return fail(ErrorCode::kNotFound, "no contact " + std::to_string(id));
    MC_RETURN_IF_ERROR(check_expect(expect, *found));
    c = std::move(*found);
    if (patch.name) c.name = std::string(text::trim(*patch.name));
    if (patch.emails) {
      c.emails = normalized(*patch.emails);
      MC_RETURN_IF_ERROR(refuse_our_addresses(u, c.emails, "emails", outgoing_address));
    }
    if (patch.language) c.language = *patch.language;
    if (patch.clear_account) c.account_id.reset();
    if (patch.account_id) {
      MC_ASSIGN_OR_RETURN(auto a, u.accounts().get_account(*patch.account_id));
      if (!a)
        return tl::unexpected(
            invalid_error({"account_id", "no account " + std::to_string(*patch.account_id)}));
      c.account_id = patch.account_id;
    }
    auto up = u.accounts().update_contact(c);
    if (!up)
      return tl::unexpected(
          conflict_or(up.error(), "one of these addresses belongs to another contact already"));
    return {};
  });
  MC_RETURN_IF_ERROR(done);
  return c;
}

Result<store::Contact> contact_named(store::Store& st, std::string_view named) {
  const std::string_view n = text::trim(named);
  const bool number = !n.empty() && n.size() < 19 &&
                      std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; });
  std::optional<store::Contact> c;
  if (number) {
    MC_ASSIGN_OR_RETURN(c, st.get_contact(std::stoll(std::string(n))));
  } else if (!n.empty()) {
    MC_ASSIGN_OR_RETURN(c, st.find_contact_by_email(text::normalize_email(n)));
  }
  if (!c) return fail(ErrorCode::kNotFound, "no contact " + std::string(n));
  return std::move(*c);
}

Result<store::Account> account_named(store::Store& st, const std::string& name) {
  MC_ASSIGN_OR_RETURN(auto unit, st.open_unit(store::Access::kRead));
  MC_ASSIGN_OR_RETURN(auto a, unit.accounts().find_account_by_name(name));
  if (!a) return fail(ErrorCode::kNotFound, "no account named " + name);
  return std::move(*a);
}

Result<store::Contact> merge_contact(store::Store& st, store::Id from, store::Id into,
                                     std::string_view actor) {
  if (from == into) return tl::unexpected(invalid_error({"into", "a contact cannot be merged into itself"}));
  store::Contact merged;
  auto done = in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_ASSIGN_OR_RETURN(auto source, u.accounts().get_contact(from));
    if (!source) return fail(ErrorCode::kNotFound, "no contact " + std::to_string(from));
    MC_ASSIGN_OR_RETURN(auto target, u.accounts().get_contact(into));
    if (!target) return tl::unexpected(invalid_error({"into", "no contact " + std::to_string(into)}));
    MC_ASSIGN_OR_RETURN(auto moved, u.accounts().merge_contact(*source, into));
    auto named = [](const store::Contact& c) {
      return c.emails.empty() ? c.name : c.name + " <" + c.emails.front() + ">";
    };
    for (store::Id case_id : moved) {
      MC_RETURN_IF_ERROR(u.events().add_event(
          {.case_id = case_id,
           .actor_kind = store::ActorKind::kAgent,
           .actor = std::string(actor),
           .action = store::EventAction::kChanged,
           .details = {{"field", "contact"}, {"from", named(*source)}, {"to", named(*target)}}}));
    }
    MC_ASSIGN_OR_RETURN(auto now, u.accounts().get_contact(into));
    if (!now)
      return fail(ErrorCode::kInternal, "contact " + std::to_string(into) + " is gone after its merge");
    merged = std::move(*now);
    return {};
  });
  MC_RETURN_IF_ERROR(done);
  return merged;
}

Status remove_contact(store::Store& st, store::Id id, std::string_view actor,
                      const Expect<store::Contact>& expect) {
  return in_unit(st, [&](store::UnitOfWork& u) -> Status {
    if (expect) {
      MC_ASSIGN_OR_RETURN(auto found, u.accounts().get_contact(id));
      if (!found) return fail(ErrorCode::kNotFound, "no contact " + std::to_string(id));
      MC_RETURN_IF_ERROR(expect(*found));
    }
    MC_RETURN_IF_ERROR(u.accounts().remove_contact(id));
    return u.events().add_event({.actor_kind = store::ActorKind::kAgent,
                                 .actor = std::string(actor),
                                 .action = store::EventAction::kContactRemoved,
                                 .details = {{"contact", std::to_string(id)}}});
  });
}

Status remove_account(store::Store& st, store::Id id, std::string_view actor,
                      const Expect<store::Account>& expect) {
  return in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_ASSIGN_OR_RETURN(auto account, u.accounts().get_account(id));
    if (!account) return fail(ErrorCode::kNotFound, "no account " + std::to_string(id));
    MC_RETURN_IF_ERROR(check_expect(expect, *account));
    MC_RETURN_IF_ERROR(u.accounts().remove_account(id));
    return u.events().add_event({.actor_kind = store::ActorKind::kAgent,
                                 .actor = std::string(actor),
                                 .action = store::EventAction::kAccountRemoved,
                                 .details = {{"account", std::to_string(id)}, {"name", account->name}}});
  });
}

std::optional<Invalid> check_account(const AccountInput& a) {
  return check_account_patch({a.name, a.support_level, a.emails});
}

std::optional<Invalid> check_account_patch(const AccountPatch& p) {
  if (p.name)
    if (auto n = check_name(*p.name, "name")) return n;
  if (p.support_level &&
      (too_long(*p.support_level, kMaxNameBytes) || !text::is_clean_text(*p.support_level, true)))
    return Invalid{"support_level", "one line of at most " + std::to_string(kMaxNameBytes) + " bytes"};
  if (p.emails)
    if (auto e = check_addresses(*p.emails, "emails", false)) return e;
  return std::nullopt;
}

Status record_config_change(store::UnitOfWork& u, std::string_view actor, std::string_view what,
                            std::string_view name, std::string_view change,
                            std::map<std::string, std::string> more) {
  more["what"] = std::string(what);
  more["name"] = std::string(name);
  more["change"] = std::string(change);
  return u.events().add_event({.actor_kind = store::ActorKind::kAgent,
                               .actor = std::string(actor),
                               .action = store::EventAction::kConfigChanged,
                               .details = std::move(more)});
}

Result<store::Account> update_account(store::Store& st, store::Id id, const AccountPatch& patch,
                                      std::string_view actor, const Expect<store::Account>& expect) {
  if (auto bad = check_account_patch(patch)) return tl::unexpected(invalid_error(*bad));
  store::Account a;
  auto done = in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_ASSIGN_OR_RETURN(auto found, u.accounts().get_account(id));
    if (!found) return fail(ErrorCode::kNotFound, "no account " + std::to_string(id));
    MC_RETURN_IF_ERROR(check_expect(expect, *found));
    a = std::move(*found);
    if (patch.name) a.name = std::string(text::trim(*patch.name));
    if (patch.support_level) a.support_level = std::string(text::trim(*patch.support_level));
    if (patch.emails) a.emails = normalized(*patch.emails);
    auto up = u.accounts().update_account(a);
    if (!up)
      return tl::unexpected(conflict_or(up.error(), "an account with that name or address exists already"));
    return record_config_change(u, actor, "account", a.name, "changed", {{"account", std::to_string(a.id)}});
  });
  MC_RETURN_IF_ERROR(done);
  return a;
}

Result<store::Account> add_account(store::Store& st, const AccountInput& in, std::string_view actor) {
  if (auto bad = check_account(in)) return tl::unexpected(invalid_error(*bad));
  store::Account a;
  a.name = std::string(text::trim(in.name));
  a.support_level = in.support_level;
  a.emails = normalized(in.emails);
  auto done = in_unit(st, [&](store::UnitOfWork& u) -> Status {
    auto id = u.accounts().add_account(a);
    if (!id)
      return tl::unexpected(conflict_or(id.error(), "an account with that name or address exists already"));
    a.id = *id;
    return record_config_change(u, actor, "account", a.name, "added", {{"account", std::to_string(a.id)}});
  });
  MC_RETURN_IF_ERROR(done);
  return a;
}

// ---- routing addresses

// A routing address's or mailbox's own believed authserv-ids (--authserv-id).
static std::optional<Invalid> check_authserv_ids(const std::vector<std::string>& ids) {
  if (ids.size() > 20) return Invalid{"authserv_ids", "at most 20"};
  for (const auto& id : ids) {
    if (!trust::valid_authserv_id(id))
      return Invalid{"authserv_ids", "not an authserv-id (a host name such as mx.example.com): " +
                                         text::terminal_safe(id.substr(0, 255), true)};
  }
  return std::nullopt;
}

std::optional<Invalid> check_routing_address(const store::RoutingAddress& a) {
  const auto email = text::normalize_email(text::trim(a.email));
  if (email.find('@') == std::string::npos || !store::is_email_address(email))
    return Invalid{"email", "not an e-mail address: " + text::make_valid_utf8(email.substr(0, 254))};
  if (a.unknown_sender != "create" && a.unknown_sender != "hold")
    return Invalid{"unknown_sender", "must be create or hold"};
  const std::pair<const char*, const std::string*> texts[] = {{"queue", &a.queue},
                                                              {"product", &a.product},
                                                              {"subject_prefix", &a.subject_prefix},
                                                              {"priority", &a.priority},
                                                              {"process", &a.process}};
  for (const auto& [field, value] : texts) {
    if (too_long(*value, kMaxNameBytes) || !text::is_clean_text(*value, true))
      return Invalid{field, "one line of at most " + std::to_string(kMaxNameBytes) + " bytes"};
  }
  if (auto bad = check_authserv_ids(a.authserv_ids)) return bad;
  return std::nullopt;
}

Result<std::optional<store::RoutingAddress>> find_routing_address(store::Store& st, std::string_view email) {
  const std::string key = text::normalize_email(text::trim(email));
  MC_ASSIGN_OR_RETURN(auto all, st.list_addresses());
  for (auto& a : all)
    if (text::normalize_email(a.email) == key) return std::optional<store::RoutingAddress>(std::move(a));
  return std::optional<store::RoutingAddress>();
}

Result<PutRoutingAddress> change_routing_address(store::Store& st, std::string_view email,
                                                 const std::function<void(store::RoutingAddress&)>& change,
                                                 std::string_view actor) {
  const std::string key = text::normalize_email(text::trim(email));
  PutRoutingAddress put;
  MC_RETURN_IF_ERROR(in_unit(st, [&](store::UnitOfWork& u) -> Status {
    // Routing addresses are few (a help desk's): the list tells a new one from a change.
    MC_ASSIGN_OR_RETURN(auto all, u.routing().list_addresses());
    const auto there = std::find_if(all.begin(), all.end(), [&](const store::RoutingAddress& r) {
      return text::normalize_email(r.email) == key;
    });
    put.added = there == all.end();
    store::RoutingAddress a;
    if (put.added)
      a.email = std::string(text::trim(email));
    else
      a = std::move(*there);
    change(a);
    if (auto bad = check_routing_address(a)) return tl::unexpected(invalid_error(*bad));
    a.email = text::normalize_email(text::trim(a.email));
    if (a.email != key) return fail(ErrorCode::kInvalidInput, "email: a change may not give another address");
    MC_RETURN_IF_ERROR(check_process_exists(u, a.process));
    MC_RETURN_IF_ERROR(u.routing().put_address(a));
    put.address = a;
    return record_config_change(u, actor, "routing_address", a.email, put.added ? "added" : "changed",
                                {{"queue", a.queue}, {"unknown_sender", a.unknown_sender}});
  }));
  return put;
}

Result<PutRoutingAddress> put_routing_address(store::Store& st, const store::RoutingAddress& a,
                                              std::string_view actor) {
  return change_routing_address(
      st, a.email, [&](store::RoutingAddress& r) { r = a; }, actor);
}

Status remove_routing_address(store::Store& st, std::string_view email, std::string_view actor) {
  return in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_RETURN_IF_ERROR(u.routing().remove_address(email));
    return record_config_change(u, actor, "routing_address", text::normalize_email(email), "removed");
  });
}

// ---- mailboxes

// What the log says of a mailbox: where it reads from, never its secrets.
static std::map<std::string, std::string> mailbox_details(const store::Mailbox& m) {
  return {{"protocol", to_string(m.protocol)}, {"host", m.host}, {"user", m.user}, {"folder", m.folder}};
}

std::filesystem::path secrets_dir(const std::filesystem::path& data_dir) {
  return data_dir / "secrets";
}

std::optional<Invalid> check_mailbox_secrets(std::string_view name, const MailboxSecrets& s) {
  bool name_ok = !name.empty() && name.size() <= 64;
  for (char ch : name)
    name_ok =
        name_ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-');
  if (!name_ok || name.front() == '.')
    return Invalid{"name", "1 to 64 of A-Z a-z 0-9 . _ - (not starting with .)"};
  if (s.password) {
    if (s.password->empty()) return Invalid{"password", "must not be empty"};
    if (s.password->size() > kMaxPasswordBytes)
      return Invalid{"password", "at most " + std::to_string(kMaxPasswordBytes) + " bytes"};
    if (s.password->find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
      return Invalid{"password", "must be one line"};
  }
  if (s.ca_pem) {
    if (s.ca_pem->size() > kMaxCaPemBytes)
      return Invalid{"ca_certificate", "at most " + std::to_string(kMaxCaPemBytes) + " bytes"};
    if (s.ca_pem->find("-----BEGIN CERTIFICATE-----") == std::string::npos ||
        s.ca_pem->find('\0') != std::string::npos)
      return Invalid{"ca_certificate", "PEM text with at least one -----BEGIN CERTIFICATE----- block"};
  }
  return std::nullopt;
}

Result<store::Mailbox> add_mailbox(store::Store& st, const std::filesystem::path& data_dir, store::Mailbox m,
                                   const MailboxSecrets& secrets, std::string_view actor) {
  if (auto bad = check_mailbox_secrets(m.name, secrets)) return tl::unexpected(invalid_error(*bad));
  if (auto bad = check_authserv_ids(m.authserv_ids)) return tl::unexpected(invalid_error(*bad));
  if (secrets.password) m.password_file = password_path(data_dir, m.name).string();
  if (secrets.ca_pem) m.ca_file = ca_path(data_dir, m.name).string();
  MC_RETURN_IF_ERROR(channels::validate_mailbox(m));
  std::vector<std::filesystem::path> written;
  auto done = in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_RETURN_IF_ERROR(check_process_exists(u, m.process));
    // The row first: a name that exists already stops here, before its secrets are touched.
    if (auto added = u.mailboxes().add_mailbox(m); !added)
      return tl::unexpected(conflict_or(added.error(), "a mailbox named " + m.name + " exists"));
    // A new mailbox starts from nothing: a state left under its name (by a removed
    // mailbox's agent as it stopped) must not make it skip mail it never fetched.
    MC_RETURN_IF_ERROR(u.mailboxes().put_mailbox_state(store::MailboxState{.name = m.name}));
    if (secrets.password) {
      MC_RETURN_IF_ERROR(write_secret(m.password_file, *secrets.password + "\n"));
      written.emplace_back(m.password_file);
    }
    if (secrets.ca_pem) {
      MC_RETURN_IF_ERROR(write_secret(m.ca_file, *secrets.ca_pem));
      written.emplace_back(m.ca_file);
    }
    return record_config_change(u, actor, "mailbox", m.name, "added", mailbox_details(m));
  });
  if (!done) {
    std::error_code ec;
    for (const auto& p : written) std::filesystem::remove(p, ec);
    return tl::unexpected(done.error());
  }
  return m;
}

Result<store::Mailbox> change_mailbox(store::Store& st, const std::filesystem::path& data_dir,
                                      store::Mailbox m, const MailboxSecrets& secrets,
                                      std::string_view actor) {
  if (auto bad = check_mailbox_secrets(m.name, secrets)) return tl::unexpected(invalid_error(*bad));
  if (secrets.password) m.password_file = password_path(data_dir, m.name).string();
  if (secrets.ca_pem) m.ca_file = ca_path(data_dir, m.name).string();
  MC_RETURN_IF_ERROR(channels::validate_mailbox(m));
  // The row first: an unknown name stops here, before any file is touched. A secret is
  // replaced whole (written aside, then renamed over the old one).
  MC_RETURN_IF_ERROR(in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_ASSIGN_OR_RETURN(auto all, u.mailboxes().list_mailboxes());
    auto was =
        std::find_if(all.begin(), all.end(), [&](const store::Mailbox& b) { return b.name == m.name; });
    MC_RETURN_IF_ERROR(u.mailboxes().update_mailbox(m));
    MC_RETURN_IF_ERROR(check_process_exists(u, m.process));
    // Another server, account or folder: the UIDs fetched from the old one say nothing of
    // the new one, so its agent starts from nothing rather than skip mail.
    if (was != all.end() && (was->protocol != m.protocol || was->host != m.host || was->port != m.port ||
                             was->user != m.user || was->folder != m.folder))
      MC_RETURN_IF_ERROR(u.mailboxes().put_mailbox_state(store::MailboxState{.name = m.name}));
    if (secrets.password) MC_RETURN_IF_ERROR(write_secret(m.password_file, *secrets.password + "\n"));
    if (secrets.ca_pem) MC_RETURN_IF_ERROR(write_secret(m.ca_file, *secrets.ca_pem));
    auto details = mailbox_details(m);
    if (secrets.password) details["password"] = "replaced";  // that it changed, never what it is
    return record_config_change(u, actor, "mailbox", m.name, "changed", std::move(details));
  }));
  return m;
}

Status remove_mailbox(store::Store& st, const std::filesystem::path& data_dir, std::string_view name,
                      std::string_view actor) {
  MC_RETURN_IF_ERROR(in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_RETURN_IF_ERROR(u.mailboxes().remove_mailbox(name));
    return record_config_change(u, actor, "mailbox", name, "removed");
  }));
  // Only files of the name rule's shape are mailcase's: another name never reaches a path.
  if (!check_mailbox_secrets(name, {})) {
    std::error_code ec;
    std::filesystem::remove(password_path(data_dir, name), ec);
    std::filesystem::remove(ca_path(data_dir, name), ec);
  }
  return {};
}

// ---- agents

Result<store::Agent> agent_from(std::string_view name, std::string_view email, std::string_view role) {
  store::Agent a;
  a.name = std::string(text::trim(name));
  if (a.name.empty()) return fail(ErrorCode::kInvalidInput, "an agent needs a name (--name)");
  if (a.name.size() > kMaxNameBytes)
    return fail(ErrorCode::kInvalidInput,
                "the name is longer than " + std::to_string(kMaxNameBytes) + " bytes");
  // Shown in lists, on the terminal and in mail headers: one line, no control characters.
  if (!text::is_clean_text(a.name, true))
    return fail(ErrorCode::kInvalidInput, "the name must be one line of text without control characters");
  if (auto problem = store::agent_email_problem(email); !problem.empty())
    return fail(ErrorCode::kInvalidInput, problem);
  a.email = text::normalize_email(email);
  MC_ASSIGN_OR_RETURN(a.role, store::parse_agent_role(role));
  a.active = true;
  return a;
}

Result<store::Agent> add_agent(store::Store& st, const store::Agent& a, std::string_view actor,
                               std::string_view outgoing_address) {
  store::Agent out = a;
  auto done = in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_RETURN_IF_ERROR(refuse_our_addresses(u, {a.email}, "email", outgoing_address));
    MC_ASSIGN_OR_RETURN(out.id, u.agents().add_agent(a));
    return u.events().add_event({.actor_kind = store::ActorKind::kAgent,
                                 .actor = std::string(actor),
                                 .action = store::EventAction::kAgentAdded,
                                 .details = {{"email", a.email}}});
  });
  MC_RETURN_IF_ERROR(done);
  return out;
}

Result<store::Agent> update_agent(store::Store& st, std::string_view email, const AgentChange& change,
                                  std::string_view actor, const Expect<store::Agent>& expect) {
  const auto key = text::normalize_email(email);
  const auto& active = change.active;
  const auto& role = change.role;
  std::optional<std::string> name;
  if (change.name) {
    MC_ASSIGN_OR_RETURN(auto checked, agent_from(*change.name, key, "agent"));
    name = std::move(checked.name);
  }
  store::Agent out;
  auto done = in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_ASSIGN_OR_RETURN(auto found, u.agents().find_agent_by_email(key));
    if (!found) return fail(ErrorCode::kNotFound, "no agent " + key);
    MC_RETURN_IF_ERROR(check_expect(expect, *found));
    out = *found;
    const bool admin_now = out.active && out.role == store::AgentRole::kAdmin;
    const bool admin_after =
        active.value_or(out.active) && role.value_or(out.role) == store::AgentRole::kAdmin;
    if (admin_now && !admin_after) {
      // Agents are few (a team's): the whole list is read.
      MC_ASSIGN_OR_RETURN(auto all, u.agents().list_agents());
      const bool another = std::any_of(all.begin(), all.end(), [&](const store::Agent& a) {
        return a.email != key && a.active && a.role == store::AgentRole::kAdmin;
      });
      if (!another)
        return fail(ErrorCode::kConflict, key +
                                              " is the last active administrator: make another agent an "
                                              "administrator first (mailcase agent set EMAIL --role admin)");
    }
    if (name && *name != out.name) {
      MC_RETURN_IF_ERROR(u.agents().set_agent_name(key, *name));
      MC_RETURN_IF_ERROR(
          u.events().add_event({.actor_kind = store::ActorKind::kAgent,
                                .actor = std::string(actor),
                                .action = store::EventAction::kAgentRenamed,
                                .details = {{"email", key}, {"from", out.name}, {"to", *name}}}));
      out.name = *name;
    }
    if (active && *active != out.active) {
      MC_RETURN_IF_ERROR(u.agents().set_agent_active(key, *active));
      MC_RETURN_IF_ERROR(u.events().add_event(
          {.actor_kind = store::ActorKind::kAgent,
           .actor = std::string(actor),
           .action = *active ? store::EventAction::kAgentEnabled : store::EventAction::kAgentDisabled,
           .details = {{"email", key}}}));
      if (!*active) MC_RETURN_IF_ERROR(u.sessions().delete_agent_sessions(out.id).map([](int) {}));
      out.active = *active;
    }
    if (role && *role != out.role) {
      MC_RETURN_IF_ERROR(u.agents().set_agent_role(key, *role));
      // Who made whom an administrator (or took it back) is on record, as enabling is.
      MC_RETURN_IF_ERROR(u.events().add_event(
          {.actor_kind = store::ActorKind::kAgent,
           .actor = std::string(actor),
           .action = store::EventAction::kAgentRoleChanged,
           .details = {
               {"email", key}, {"from", store::to_string(out.role)}, {"to", store::to_string(*role)}}}));
      out.role = *role;
    }
    if (change.notify) {
      MC_RETURN_IF_ERROR(u.queues().set_agent_notify(key, *change.notify));
      MC_ASSIGN_OR_RETURN(auto now, u.agents().find_agent_by_email(key));
      if (now) out = *now;
    }
    return {};
  });
  MC_RETURN_IF_ERROR(done);
  return out;
}

Status set_agent_password(store::Store& st, std::string_view email, std::string_view hash,
                          std::string_view actor) {
  const auto key = text::normalize_email(email);
  return in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_ASSIGN_OR_RETURN(auto found, u.agents().find_agent_by_email(key));
    if (!found) return fail(ErrorCode::kNotFound, "no agent " + key);
    MC_RETURN_IF_ERROR(u.agents().set_agent_password(key, hash));
    MC_RETURN_IF_ERROR(u.events().add_event({.actor_kind = store::ActorKind::kAgent,
                                             .actor = std::string(actor),
                                             .action = store::EventAction::kAgentPasswordSet,
                                             .details = {{"email", key}}}));
    return u.sessions().delete_agent_sessions(found->id).map([](int) {});
  });
}

// ---- held mail

std::optional<Invalid> check_dismiss_reason(std::string_view reason) {
  auto t = text::trim(reason);
  if (too_long(t, kMaxDismissReasonBytes))
    return Invalid{"reason", "at most " + std::to_string(kMaxDismissReasonBytes) + " bytes"};
  if (!text::is_clean_text(t, true)) return Invalid{"reason", "must be one line of text"};
  return std::nullopt;
}

Result<Dismissal> dismiss_message(store::Store& st, store::Id id, std::string_view reason,
                                  std::string_view actor) {
  if (auto bad = check_dismiss_reason(reason)) return tl::unexpected(invalid_error(*bad));
  const std::string why(text::trim(reason));
  Dismissal d;
  store::RawMessage& m = d.message;
  auto done = in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_ASSIGN_OR_RETURN(auto found, u.raw_messages().get_raw(id));
    if (!found) return fail(ErrorCode::kNotFound, "no message " + std::to_string(id));
    m = std::move(*found);
    if (!store::may_dismiss(m.state))
      return fail(ErrorCode::kConflict, "message " + std::to_string(id) + " is " + store::to_string(m.state) +
                                            ": only held or failed messages can be dismissed");
    d.was = m.state;
    m.state = store::RawState::kDismissed;
    m.reason += std::string(m.reason.empty() ? "" : "; ") + "dismissed by " + std::string(actor) +
                (why.empty() ? "" : ": " + why);
    MC_RETURN_IF_ERROR(u.raw_messages().update_raw(m));
    std::map<std::string, std::string> details{{"message", std::to_string(id)},
                                               {"from", m.from},
                                               {"subject", m.subject},
                                               {"was", store::to_string(d.was)}};
    if (!why.empty()) details["reason"] = why;
    return u.events().add_event({.actor_kind = store::ActorKind::kAgent,
                                 .actor = std::string(actor),
                                 .action = store::EventAction::kMessageDismissed,
                                 .details = std::move(details)});
  });
  MC_RETURN_IF_ERROR(done);
  return d;
}

// ---- outbox

Result<store::OutboxMail> retry_outbox(store::Store& st, store::Id id, int64_t now) {
  store::OutboxMail m;
  auto done = in_unit(st, [&](store::UnitOfWork& u) -> Status {
    MC_ASSIGN_OR_RETURN(auto found, u.outbox().get_outbox(id));
    if (!found) return fail(ErrorCode::kNotFound, "no outbox mail " + std::to_string(id));
    m = std::move(*found);
    if (m.state == store::OutboxState::kSent)
      return fail(ErrorCode::kConflict, "outbox mail " + std::to_string(id) + " was sent already");
    // A queued row may be in a worker's hands right now (its lease and a retry's delay
    // look alike): due again at once, a second worker would send it a second time.
    if (m.state == store::OutboxState::kQueued)
      return fail(ErrorCode::kConflict,
                  "outbox mail " + std::to_string(id) + " is queued already; it is sent at its next attempt");
    m.state = store::OutboxState::kQueued;
    m.attempts = 0;
    m.next_attempt_at = now;
    return u.outbox().update_outbox(m);
  });
  MC_RETURN_IF_ERROR(done);
  return m;
}

}  // namespace mailcase::admin

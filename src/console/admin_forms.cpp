#include "console/admin_forms.h"

#include <algorithm>
#include <charconv>

#include "outbound/templates.h"
#include "util/text.h"

namespace mailcase::console {
namespace {

std::string get(const Fields& f, const std::string& name) {
  auto it = f.find(name);
  return it == f.end() ? std::string() : it->second;
}

bool checked(const Fields& f, const std::string& name) {
  return !get(f, name).empty();
}

// A whole number in [lo, hi], or nullopt.
std::optional<int> number(std::string_view s, int lo, int hi) {
  s = text::trim(s);
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

}  // namespace

AddressForm address_from_form(const Fields& f) {
  AddressForm out;
  auto& a = out.address;
  a.email = std::string(text::trim(get(f, "email")));
  a.queue = std::string(text::trim(get(f, "queue")));
  a.product = std::string(text::trim(get(f, "product")));
  a.priority = std::string(text::trim(get(f, "priority")));
  a.subject_prefix = get(f, "subject_prefix");
  a.process = std::string(text::trim(get(f, "process")));
  a.unknown_sender = get(f, "unknown_sender").empty() ? "create" : get(f, "unknown_sender");
  a.creates_cases = checked(f, "creates_cases");
  out.invalid = admin::check_routing_address(a);
  if (!out.invalid) a.email = text::normalize_email(a.email);
  return out;
}

MailboxForm mailbox_from_form(const Fields& f, const std::optional<store::Mailbox>& base) {
  MailboxForm out;
  store::Mailbox& m = out.mailbox;
  auto& errors = out.errors;
  if (base) {
    m = *base;
  } else {
    m.name = std::string(text::trim(get(f, "name")));
    m.auth = domain::AuthMethod::kPassword;
    m.password_file.clear();
    m.ca_file.clear();
    m.token_command.clear();
  }
  if (auto p = domain::protocol_from(get(f, "protocol")))
    m.protocol = *p;
  else
    errors.push_back({"protocol", "imap or pop3"});
  m.host = std::string(text::trim(get(f, "host")));
  if (m.host.empty() || m.host.size() > 253 || !text::is_clean_text(m.host, true))
    errors.push_back({"host", "the server's host name"});
  if (auto port = number(get(f, "port"), 1, 65535))
    m.port = *port;
  else
    errors.push_back({"port", "the server's port, 1 to 65535"});
  if (auto t = domain::tls_mode_from(get(f, "tls")))
    m.tls = *t;
  else
    errors.push_back({"tls", "implicit, starttls or none"});
  m.user = get(f, "user");
  if (m.user.empty() || m.user.size() > kMaxFieldBytes || !text::is_clean_text(m.user, true))
    errors.push_back({"user", "the user name, one line"});
  const std::string folder = std::string(text::trim(get(f, "folder")));
  m.folder = folder.empty() ? "INBOX" : folder;
  if (const std::string poll = get(f, "poll_interval_s"); !poll.empty()) {
    if (auto p = number(poll, 1, 86400))
      m.poll_interval_s = *p;
    else
      errors.push_back({"poll_interval_s", "seconds, 1 to 86400"});
  }
  m.idle = checked(f, "idle");
  const std::string after = std::string(text::trim(get(f, "after")));
  using domain::AfterAction;
  if (after.empty()) {
    m.after = {m.protocol == domain::Protocol::kPop3 ? AfterAction::kDelete : AfterAction::kSeen, {}};
  } else if (auto a = domain::after_fetch_from(after)) {
    m.after = *a;
  } else {
    errors.push_back({"after", "delete, seen, move:FOLDER or keep"});
  }
  m.address = std::string(text::trim(get(f, "address")));
  if (!m.address.empty() && !store::is_email_address(m.address))
    errors.push_back({"address", "a routing address (an e-mail address), or empty"});
  m.tls_verify = checked(f, "tls_verify");
  m.allow_plaintext_auth = checked(f, "allow_plaintext_auth");
  // Each goes into the protocol (a folder into an IMAP command): one line of text only.
  for (const auto& [field, value] :
       {std::pair<const char*, const std::string*>{"folder", &m.folder}, {"after", &after}}) {
    if (value->size() > kMaxFieldBytes || !text::is_clean_text(*value, true))
      errors.push_back({field, "one line of text"});
  }
  if (const std::string pw = get(f, "password"); !pw.empty())
    out.secrets.password = pw;
  else if (!base)
    errors.push_back({"password", "the mailbox's password is needed"});
  if (const std::string ca = get(f, "ca_certificate"); !std::string(text::trim(ca)).empty())
    out.secrets.ca_pem = ca;
  if (auto bad = admin::check_mailbox_secrets(m.name, out.secrets)) errors.push_back(*bad);
  return out;
}

std::string field(const Fields& f, const std::string& name) {
  auto it = f.find(name);
  return it == f.end() ? std::string() : it->second;
}

std::string form_name_of(std::string_view flag) {
  std::string name(flag);
  for (auto& c : name)
    if (c == '-') c = '_';
  return name;
}

std::string without_flag(std::string_view message) {
  const size_t colon = message.find(": ");
  if (!message.starts_with("--") || colon == std::string_view::npos || colon > 40 ||
      message.substr(0, colon).find(' ') != std::string_view::npos)
    return std::string(message);
  return text::capitalized(std::string(message.substr(colon + 2)));
}

bool is_template(const std::string& language, const std::string& kind) {
  const auto& langs = outbound::template_languages();
  const auto& kinds = outbound::template_kinds();
  return std::find(langs.begin(), langs.end(), language) != langs.end() &&
         std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

}  // namespace mailcase::console

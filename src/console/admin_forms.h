// The admin pages' forms read into what admin/admin.h writes: pure, so each rule is
// tested without a server. Each names the field at fault in words an admin can act on;
// the checks are the REST API's (src/api/admin_routes.cpp), on form fields instead of JSON.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/admin.h"
#include "store/model.h"

namespace mailcase::console {

// A form's fields by name; a field absent is "" (an unchecked checkbox is absent).
using Fields = std::map<std::string, std::string>;

// The field `name` of a form ("" when absent).
std::string field(const Fields& f, const std::string& name);
// The form field a command line flag is about: "if-subject" → "if_subject".
std::string form_name_of(std::string_view flag);

// A message of the admin layer without the command line flag it starts with, for a page:
// "--set-*: a rule must …" → "A rule must …"; any other message as it is.
std::string without_flag(std::string_view message);

// Bounds on what a form field may hold before anything looks at it.
inline constexpr size_t kMaxFieldBytes = 1000;

struct AddressForm {
  store::RoutingAddress address;
  std::optional<admin::Invalid> invalid;  // set: nothing may be written
};
// email, queue, product, priority, subject_prefix, unknown_sender (create|hold; "" is
// create) and creates_cases (a checkbox).
AddressForm address_from_form(const Fields& f);

struct MailboxForm {
  store::Mailbox mailbox;
  admin::MailboxSecrets secrets;
  std::vector<admin::Invalid> errors;  // not empty: nothing may be written
};
// A mailbox from its form: name (an add only), protocol, host, port, tls, user, password,
// folder, poll_interval_s, idle, after ("" is the protocol's default), address,
// tls_verify, allow_plaintext_auth (checkboxes) and ca_certificate (PEM text, optional).
// base: the mailbox as stored when this changes it (its name, its auth and the files it
// names stay; an empty password or CA keeps the one it has); nullopt when it is new (a
// password is needed, the auth is password: a token command is the command line's).
MailboxForm mailbox_from_form(const Fields& f, const std::optional<store::Mailbox>& base);

// The language and kind of a template, when they are among those mailcase has (the only
// paths a template page may touch).
bool is_template(const std::string& language, const std::string& kind);

}  // namespace mailcase::console

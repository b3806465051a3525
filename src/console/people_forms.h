// The contact and account forms of the console (people_pages.cpp) read into what
// admin/admin.h writes: pure, so that each rule is tested without a server. The checks are
// admin's own (the REST API's and the command line's); these only split and trim what a
// form holds and name the field at fault in a page's words.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/admin.h"
#include "console/admin_forms.h"

namespace mailcase::console {

// The addresses of a form's text area: one a line, or separated by commas, semicolons or
// spaces; trimmed, empty ones left out, in the order typed.
std::vector<std::string> split_addresses(std::string_view field);

// A contact's form: name, emails (a text area), language ("" for none) and account (an
// account's name as typed, "" for none).
struct ContactForm {
  admin::ContactInput input;                  // account_name set when an account was typed
  std::string account;                        // as typed, trimmed
  std::map<std::string, std::string> errors;  // by form field; not empty: nothing may be written
};
ContactForm contact_from_form(const Fields& f);

// An account's form: name, support_level, emails (a text area, may be empty).
struct AccountForm {
  admin::AccountInput input;
  std::map<std::string, std::string> errors;  // by form field
};
AccountForm account_from_form(const Fields& f);

}  // namespace mailcase::console

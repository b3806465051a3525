#include "console/people_forms.h"

#include "util/text.h"

namespace mailcase::console {
namespace {

// What a form says of an invalid field: admin's words as a sentence, under that field.
void refuse(std::map<std::string, std::string>& errors, const admin::Invalid& bad) {
  errors[bad.field] = text::capitalized(bad.message) + ".";
}

// A field bounded before it is looked at: at most kMaxFieldBytes (a text area of
// addresses: twenty of 320 bytes and their separators), cut where UTF-8 allows.
std::string bounded(const Fields& f, const std::string& name, size_t max = kMaxFieldBytes) {
  std::string v = field(f, name);
  if (v.size() > max) v.resize(max);
  return text::make_valid_utf8(v);
}

// A text area of addresses: admin's most, one more, each of the longest address and a
// separator; anything longer has one too many or one too long either way.
constexpr size_t kMaxAddressesBytes = (admin::kMaxAddresses + 1) * 321;

}  // namespace

std::vector<std::string> split_addresses(std::string_view field) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < field.size()) {
    const size_t end = field.find_first_of(",; \t\r\n", i);
    const std::string_view one = field.substr(i, end == std::string_view::npos ? field.npos : end - i);
    if (!one.empty()) out.emplace_back(one);
    if (end == std::string_view::npos) break;
    i = end + 1;
  }
  return out;
}

ContactForm contact_from_form(const Fields& f) {
  ContactForm out;
  out.input.name = std::string(text::trim(bounded(f, "name")));
  out.input.emails = split_addresses(bounded(f, "emails", kMaxAddressesBytes));
  out.input.language = std::string(text::trim(bounded(f, "language")));
  out.account = std::string(text::trim(bounded(f, "account")));
  if (!out.account.empty()) out.input.account_name = out.account;
  if (auto bad = admin::check_contact(out.input)) refuse(out.errors, *bad);
  if (out.account.size() > admin::kMaxNameBytes)
    out.errors["account"] =
        "An account's name has at most " + std::to_string(admin::kMaxNameBytes) + " bytes.";
  return out;
}

AccountForm account_from_form(const Fields& f) {
  AccountForm out;
  out.input.name = std::string(text::trim(bounded(f, "name")));
  out.input.support_level = std::string(text::trim(bounded(f, "support_level")));
  out.input.emails = split_addresses(bounded(f, "emails", kMaxAddressesBytes));
  if (auto bad = admin::check_account(out.input)) refuse(out.errors, *bad);
  return out;
}

}  // namespace mailcase::console

// Fuzz target for the API by mail's readers (mail_api/commands.h, mail_api/proof.h).
//
// Input: a first byte choosing what is read (even: the XML commands, after the text
// body's XML is found; odd: the X-Mailcase-Signature header and the raw body split).
// Contract under test: no crash, no sanitizer report, for any bytes; a document either
// gives commands or errors, never both; each command's required fields are set and
// within their bounds; a signature read has a 64-digit hex and a non-negative time.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "mail_api/commands.h"
#include "mail_api/proof.h"

using namespace mailcase;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    const auto c = mail_api::parse_commands(mail_api::xml_of_body(in));
    check(c.errors.empty() != c.commands.empty());
    check(c.commands.size() <= mail_api::kMaxCommands);
    for (const auto& e : c.errors) check(!mail_api::describe(e).empty());
    for (const auto& cmd : c.commands) {
      check(cmd.position >= 1 && cmd.position <= mail_api::kMaxCommands);
      if (const auto* cc = std::get_if<mail_api::CreateCase>(&cmd.body)) {
        check(!cc->subject.empty() && cc->subject.size() <= mail_api::kMaxFieldBytes);
        check(!cc->contact_email.empty());
        check(cc->description.size() <= mail_api::kMaxTextBytes);
      } else if (const auto* ac = std::get_if<mail_api::AddComment>(&cmd.body)) {
        check(!ac->case_number.empty() && !ac->text.empty());
      } else if (const auto* ct = std::get_if<mail_api::AddContact>(&cmd.body)) {
        check(!ct->emails.empty() && ct->emails.size() <= mail_api::kMaxEmails);
      }
    }
  } else {
    auto s = mail_api::parse_signature(in);
    if (s) check(s->hex.size() == 64 && s->t >= 0);
    const auto body = mail_api::raw_body(in);
    check(body.size() <= in.size());
  }
  return 0;
}

#include "outbound/loop_guard.h"

#include "util/text.h"

namespace mailcase::outbound {
namespace {

// "Name <a@b>" or "a@b" → a@b, lower-cased.
std::string bare_address(std::string_view s) {
  auto lt = s.rfind('<');
  if (lt != std::string_view::npos) {
    auto gt = s.find('>', lt);
    s = s.substr(lt + 1, gt == std::string_view::npos ? std::string_view::npos : gt - lt - 1);
  }
  return text::normalize_email(s);
}

}  // namespace

AutoReplyDecision may_auto_reply(const AutoReplyFacts& f) {
  const std::string from = bare_address(f.from);
  if (from.empty()) return {false, "no sender address"};
  const std::string local = from.substr(0, from.find('@'));
  // RFC 3834 section 2: not to "MAILER-DAEMON" and the like.
  for (const char* daemon :
       {"mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply", "donotreply"}) {
    if (local == daemon) return {false, "the sender is " + local};
  }
  for (const auto& ours : f.our_addresses) {
    if (bare_address(ours) == from) return {false, "the sender is one of our own addresses"};
  }
  // "Auto-Submitted: no" (with or without parameters) is a person; any other value a machine.
  const std::string as = text::ascii_lower(text::trim(f.auto_submitted));
  const std::string as_value(text::trim(std::string_view(as).substr(0, as.find(';'))));
  if (!as_value.empty() && as_value != "no") return {false, "Auto-Submitted: " + as_value};
  const std::string prec = text::ascii_lower(text::trim(f.precedence));
  if (prec == "bulk" || prec == "junk" || prec == "list") return {false, "Precedence: " + prec};
  if (f.has_list_id) return {false, "mail from a mailing list"};
  if (f.is_machine_mail) return {false, "an automatic mail (bounce or auto-reply)"};
  if (f.auto_replies_last_hour >= f.max_auto_replies_per_hour)
    return {false, "already " + std::to_string(f.auto_replies_last_hour) + " automatic replies to " + from +
                       " in the last hour"};
  return {true, "ok"};
}

}  // namespace mailcase::outbound

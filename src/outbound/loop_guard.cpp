#include "outbound/loop_guard.h"

#include <algorithm>

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

// a is b, or a subdomain of b ("x.example.org" of "example.org", not "badexample.org").
bool same_or_subdomain(std::string_view a, std::string_view b) {
  if (a == b) return true;
  return a.size() > b.size() + 1 && a.substr(a.size() - b.size()) == b && a[a.size() - b.size() - 1] == '.';
}

}  // namespace

std::string header_keyword(std::string_view value) {
  std::string out;
  int depth = 0;  // inside a comment; comments nest (RFC 5322 section 3.2.2)
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\\') {
      ++i;  // a quoted pair: the next character is text, never a delimiter
      if (depth == 0 && i < value.size()) out += value[i];
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (depth > 0) --depth;
    } else if (depth > 0 || c == '"') {
      continue;
    } else if (c == ';') {
      break;
    } else {
      out += c;
    }
  }
  return text::ascii_lower(text::trim(out));
}

bool is_null_sender(std::string_view envelope_sender) {
  const std::string env = bare_address(envelope_sender);
  return env.empty() || env == "mailer-daemon";
}

bool is_no_reply_address(std::string_view address) {
  const std::string key = text::mailbox_key(bare_address(address));
  const auto at = key.find('@');
  if (at == std::string::npos) return false;
  std::string local;
  for (char c : std::string_view(key).substr(0, at))
    if (c != '-' && c != '_' && c != '.') local += c;
  // At either end: "noreply-billing@", and "notifications-noreply@" as many services send.
  return local.starts_with("noreply") || local.starts_with("donotreply") || local.ends_with("noreply") ||
         local.ends_with("donotreply");
}

bool is_our_address(std::string_view address, const std::vector<std::string>& ours) {
  const std::string key = text::mailbox_key(bare_address(address));
  if (key.empty()) return false;
  for (const auto& o : ours)
    if (text::mailbox_key(bare_address(o)) == key) return true;
  return false;
}

bool envelope_matches_from(std::string_view envelope_sender, std::string_view from) {
  const std::string env = text::email_domain(bare_address(envelope_sender));
  const std::string hdr = text::email_domain(bare_address(from));
  if (env.empty() || hdr.empty()) return false;
  // Only this way round: "example.org" does not vouch for "victim.example.org", or "co.uk"
  // would vouch for every "x.co.uk".
  return same_or_subdomain(env, hdr);
}

std::vector<std::string> auto_response_suppress_values(std::string_view header) {
  std::vector<std::string> values;
  size_t start = 0;
  while (start <= header.size()) {
    size_t comma = header.find(',', start);
    if (comma == std::string_view::npos) comma = header.size();
    const std::string_view value = text::trim(header.substr(start, comma - start));
    if (!value.empty()) values.push_back(text::ascii_lower(value));
    start = comma + 1;
  }
  return values;
}

bool suppresses_auto_replies(std::string_view header) {
  const auto values = auto_response_suppress_values(header);
  return std::ranges::any_of(values, [](const std::string& v) { return v == "all" || v == "autoreply"; });
}

AutoReplyDecision may_auto_reply(const AutoReplyFacts& f) {
  const std::string from = bare_address(f.from);
  if (from.empty()) return {false, "no sender address"};
  const std::string local = from.substr(0, from.find('@'));
  // RFC 3834 section 2: not to "MAILER-DAEMON" and the like.
  for (const char* daemon : {"mailer-daemon", "postmaster"}) {
    if (local == daemon) return {false, "the sender is " + local};
  }
  if (is_no_reply_address(from)) return {false, "the sender is " + local + ", a mailbox nobody reads"};
  if (is_our_address(from, f.our_addresses)) return {false, "the sender is one of our own addresses"};
  // "Auto-Submitted: no" (with or without parameters or a comment) is a person; any other
  // value a machine.
  const std::string as_value = header_keyword(f.auto_submitted);
  if (!as_value.empty() && as_value != "no") return {false, "Auto-Submitted: " + as_value};
  const std::string prec = header_keyword(f.precedence);
  if (prec == "bulk" || prec == "junk" || prec == "list" || prec == "auto_reply" || prec == "auto-reply")
    return {false, "Precedence: " + prec};
  if (f.has_list_id) return {false, "mail from a mailing list"};
  if (f.auto_replies_suppressed)
    return {false, "the sender asks for no automatic answers (X-Auto-Response-Suppress)"};
  if (f.is_machine_mail) return {false, "an automatic mail (bounce or auto-reply)"};
  if (!f.from_contradicted.empty()) return {false, f.from_contradicted + " (the From may be forged)"};
  // RFC 3834 section 4: automatic replies go to the envelope sender; none to <>, and
  // none to a From that the envelope sender does not vouch for (a forged From would
  // turn us into a sender of unwanted mail to a stranger).
  if (f.envelope_sender) {
    if (is_null_sender(*f.envelope_sender)) return {false, "the envelope sender is empty (<>)"};
    const std::string env = bare_address(*f.envelope_sender);
    const std::string& author = f.header_from.empty() ? f.from : f.header_from;
    if (!envelope_matches_from(env, author) && !f.sender_is_known_contact && !f.confirm_unverified_senders)
      return {false, "the envelope sender " + env + " is not in the domain of " + bare_address(author) +
                         ", who is not a known contact"};
  }
  if (f.auto_replies_last_hour >= f.max_auto_replies_per_hour)
    return {false, "already " + std::to_string(f.auto_replies_last_hour) + " automatic replies to " +
                       text::mailbox_key(from) + " in the last hour"};
  if (f.auto_replies_total_last_hour >= f.max_auto_replies_total_per_hour)
    return {false, "already " + std::to_string(f.auto_replies_total_last_hour) +
                       " automatic replies in the last hour (outbound.max_auto_replies_total_per_hour)"};
  return {true, "ok"};
}

}  // namespace mailcase::outbound

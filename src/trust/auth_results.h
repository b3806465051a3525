// Proof of the sender (SF3): what a receiving server we trust said about a mail's
// authentication, read from its Authentication-Results header fields (RFC 8601). Pure.
//
// A sender proves nothing by its From line: only a header written by a server whose
// authserv-id is configured (trust.authserv_ids, a mailbox's or routing address's own)
// is believed, and of those only the topmost, the last one written before the mail
// reached us. Every header below it may have been written by anyone, the sender too.
// That server must remove Authentication-Results fields carrying its own authserv-id
// from arriving mail (RFC 8601 section 5), as Postfix with OpenDKIM/OpenDMARC,
// rspamd and the large providers do.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

namespace mailcase::trust {

// One resinfo: "dkim=pass (comment) header.d=example.com header.s=sel".
struct MethodResult {
  std::string method;  // lower-case: "dkim", "spf", "dmarc", "arc", "auth", "iprev", …
  std::string result;  // lower-case: "pass", "fail", "none", "softfail", "neutral", "temperror", …
  std::string reason;  // the reason= text, unquoted; empty when absent
  // ptype.property = value, in order; the name lower-case ("header.d", "header.from",
  // "smtp.mailfrom"), the value as written, unquoted.
  std::vector<std::pair<std::string, std::string>> properties;
  // The first property with this (lower-case) name, or nullptr.
  const std::string* property(std::string_view name) const;
};

struct AuthResults {
  std::string authserv_id;            // as written; compared ASCII case-insensitively
  std::vector<MethodResult> results;  // empty for "none"
};

// Bounds on one header field's value: longer values and more resinfos are refused.
inline constexpr size_t kMaxAuthResultsBytes = 64 * 1024;
inline constexpr size_t kMaxResinfos = 100;

// Reads one Authentication-Results field's value (unfolded). Comments (nested),
// quoted strings and a version after the authserv-id are understood. kInvalidInput,
// with what was wrong, for a value with no authserv-id, a resinfo that cannot be read,
// or one over the bounds above. Never throws, for any bytes.
[[nodiscard]] Result<AuthResults> parse_auth_results(std::string_view value);

// What the believed header says of the sender. Every text lower-case.
struct SenderProof {
  std::string authserv_id;       // of the header believed; empty: none was (nothing proven)
  std::string dkim, spf, dmarc;  // each method's result there; "" when it reports none
  // header.d of every dkim=pass result (a mail may carry several signatures), or the
  // domain of its header.i where it names no header.d; each once.
  std::vector<std::string> dkim_pass_domains;
  std::string dmarc_from;    // header.from of the dmarc result
  std::string spf_mailfrom;  // smtp.mailfrom of the spf result (an address or a domain)
  bool trusted() const { return !authserv_id.empty(); }
};

// headers: the values of a mail's Authentication-Results fields, topmost first (as
// mime::ParsedMessage::headers_named gives them). Reads the topmost one whose
// authserv-id is in trusted_ids (any letter case); none there, or none configured:
// an empty proof. A believed header that cannot be read proves nothing either, though
// its authserv_id is kept so that the mail is known to have come the trusted way.
// Where a method appears more than once, a pass wins for dkim (one good signature is
// enough); otherwise the first one counts.
SenderProof sender_proof(const std::vector<std::string_view>& headers,
                         const std::vector<std::string>& trusted_ids);

// Whether the proof vouches for the domain of from_email (the From address): dmarc=pass
// with header.from that domain, or a dkim=pass whose d= is aligned with it (relaxed
// alignment: the same domain, or one a subdomain of the other; without a public-suffix
// list, a domain of one label such as "com" aligns with nothing). Not from spf alone,
// which proves the envelope sender only.
bool from_verified(const SenderProof& proof, std::string_view from_email);

// Why the believed verdict speaks against the From read from the mail (from_email), or ""
// when it does not: DMARC failed for it; the DMARC result is for another domain than the
// From's (the server read another From than this one: two From addresses, or one written
// so that readers disagree); or the mail has no From line at all (from_email is then its
// Sender's, which DMARC does not check). An empty proof (no believed header) says nothing.
std::string from_contradicted(const SenderProof& proof, std::string_view from_email, bool has_from_line);

// The authserv-ids believed for one mail: the configured ones, then those of the
// routing address it came to and of the mailbox it was fetched from; each once.
std::vector<std::string> trusted_ids(const std::vector<std::string>& configured,
                                     const std::vector<std::string>& address_ids,
                                     const std::vector<std::string>& mailbox_ids);

// Whether id can be an authserv-id to trust (configured, or given with --authserv-id):
// 1 to 255 printable ASCII bytes without white space, ';', '(', ')', '"', '\\' or ','
// (a routing address keeps its ids comma-separated), as a host name is.
bool valid_authserv_id(std::string_view id);

}  // namespace mailcase::trust

// Small pure helpers on UTF-8 text and e-mail addresses.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailcase::text {

// ASCII lower-casing; bytes >= 0x80 are left as they are.
std::string ascii_lower(std::string_view s);
std::string_view trim(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
std::vector<std::string_view> split_lines(std::string_view s);

// Replaces invalid UTF-8 sequences with U+FFFD so the result is always valid UTF-8.
std::string make_valid_utf8(std::string_view s);

// Canonical form of an address for lookups: trimmed, angle brackets removed, lower-cased,
// and a quoted local part that needs no quotes unquoted ("support"@x is support@x, the same
// mailbox: RFC 5321 §4.1.2), so that no check of our own or a customer's address is passed
// by quoting it. A quoted part that needs its quotes ("a b"@x) keeps them.
std::string normalize_email(std::string_view address);

// The key automatic replies to an address are counted under: normalize_email, then the
// "+tag" of the local part dropped ("Anna+x@Example.org" → "anna@example.org"), so that
// the sub-addresses of one mailbox share one limit.
std::string mailbox_key(std::string_view address);

// The domain of an address (after its last '@'), lower-cased; empty when there is none.
std::string email_domain(std::string_view address);

// Text made safe inside HTML elements and attribute values (& < > " ').
std::string html_escape(std::string_view s);

// Percent-encodes everything but RFC 3986's unreserved characters (A-Z a-z 0-9 - _ . ~)
// and the characters in `keep` (e.g. "/" for a local path): a URL's query value or path.
std::string url_encode(std::string_view s, std::string_view keep = {});

// The parts one after the other with `separator` between them ("" for none).
std::string join(const std::vector<std::string>& parts, std::string_view separator);

// The text with each line ended by LF alone: CR LF and a lone CR become LF.
std::string lf_line_ends(std::string_view s);

// Removes the invisible characters that change how text around them is shown: the
// bidirectional embeddings, overrides and isolates (U+202A–202E, U+2066–2069), the
// direction marks (U+200E, U+200F, U+061C). "invoice\u202Efdp.exe" would otherwise show
// as "invoiceexe.pdf". Input must be valid UTF-8.
std::string strip_bidi_controls(std::string_view s);

// Text safe to write to a terminal: C0 controls (but for line feed and tab, or none of
// them when single_line), DEL and C1 controls (U+0080–U+009F, which some terminals read
// as escape sequences) become U+FFFD; invalid UTF-8 is replaced too.
std::string terminal_safe(std::string_view s, bool single_line = false);

// Text from a mail's header that is kept as one line (a subject, a sender's name): each
// run of control characters (C0, line breaks and tabs included; DEL; C1) becomes one
// space, and spaces at either end are dropped. Invalid UTF-8 is replaced first, so the
// result passes is_clean_text(result, true).
std::string one_line(std::string_view s);

// Whether s is valid UTF-8 without control characters other than line feed, carriage
// return and tab (or none of them when single_line): what a form or a command-line
// argument may carry.
bool is_clean_text(std::string_view s, bool single_line);

// Whether s is an RFC 6750 b64token, as a Bearer header carries it: one or more letters,
// digits or "-._~+/", then "=" padding only at its end.
bool is_b64token(std::string_view s);

// s with its first byte upper-cased (ASCII): a message that starts a sentence on a page.
std::string capitalized(std::string s);

// Lower-case hex of the bytes.
std::string hex(const unsigned char* data, size_t len);

}  // namespace mailcase::text

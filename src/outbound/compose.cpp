#include "outbound/compose.h"

#include <gmime/gmime.h>
#include <sodium.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "util/text.h"

namespace mailcase::outbound {
namespace {

void ensure_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// `bytes` random bytes (libsodium's generator) in lower-case hex.
std::string random_hex(size_t bytes) {
  unsigned char r[32];
  bytes = std::min(bytes, sizeof r);
  randombytes_buf(r, bytes);
  return text::hex(r, bytes);
}

// A new multipart boundary from libsodium's generator (GMime's own opens, reads and closes
// /dev/urandom for each).
std::string new_boundary() {
  return "=-mc-" + random_hex(16);
}

std::string take(char* s) {
  std::string out = s ? s : "";
  g_free(s);
  return out;
}

// The mail is written with LF line ends, as GMime writes with its default format options,
// and turned into CRLF once at the end (as GMime's DOS format does): every LF not already
// after a CR. A CR not before an LF (an agent's text may hold one; a 7-bit part keeps it
// as it is) ends its line too: RFC 5322 allows CR only in CRLF, strict servers refuse a
// bare one, and some take "CR . CR" for the end of the mail's data.
std::string to_crlf(const std::string& lf) {
  std::string out;
  out.reserve(lf.size() + lf.size() / 32 + 64);
  for (size_t i = 0; i < lf.size(); ++i) {
    if (lf[i] == '\n' && (i == 0 || lf[i - 1] != '\r')) out += '\r';
    out += lf[i];
    if (lf[i] == '\r' && (i + 1 == lf.size() || lf[i + 1] != '\n')) out += '\n';
  }
  return out;
}

// A value written in a header as it is (an address: GMime encodes only names; a message
// id): no control character, since a CR or LF would end the header and start another (a
// Bcc, say). Addresses are checked where they enter and message ids come from parsed
// mails, whose unfolded headers hold no line break; compose keeps the contract on its own.
bool writable_as_is(const std::string& value) {
  return std::none_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// A message id written in a header: as it is (above), and short enough that its line stays
// within RFC 5322's 998 bytes, which it cannot be folded into ("In-Reply-To: <" and ">"
// around it). A longer one (a mail may carry any) is left out: a strict server refuses a
// mail with a longer line.
constexpr size_t kMaxMessageIdBytes = 980;
bool writable_id(const std::string& id) {
  return id.size() <= kMaxMessageIdBytes && writable_as_is(id);
}

// "Name: mailbox, mailbox" folded as GMime folds an address header, its line end included;
// each mailbox a display name (may be empty) and an address. An address with a control
// character is left out (no header when none is left).
void address_header(std::string& out, GMimeFormatOptions* fmt, const char* name,
                    const std::vector<std::pair<std::string, std::string>>& mailboxes) {
  InternetAddressList* list = internet_address_list_new();
  for (const auto& [display, address] : mailboxes) {
    if (!writable_as_is(address)) continue;
    InternetAddress* a = internet_address_mailbox_new(display.c_str(), address.c_str());
    internet_address_list_add(list, a);
    g_object_unref(a);
  }
  if (internet_address_list_length(list) == 0) {
    g_object_unref(list);
    return;
  }
  GString* line = g_string_new(name);
  g_string_append(line, ": ");
  internet_address_list_encode(list, fmt, line);
  out.append(line->str, line->len);
  g_string_free(line, TRUE);
  g_object_unref(list);
}

// An unstructured header (RFC 2047 words for what is not ASCII), folded by GMime, with its
// line end.
void text_header(std::string& out, GMimeFormatOptions* fmt, const char* name, const std::string& value) {
  const std::string line =
      std::string(name) + ": " + take(g_mime_utils_header_encode_text(fmt, value.c_str(), "utf-8"));
  out += take(g_mime_utils_unstructured_header_fold(nullptr, fmt, line.c_str()));
  if (out.back() != '\n') out += '\n';
}

// References (none: no header): each message id whole, a new line (a tab) before one that
// would reach column 78, as GMime folds it.
void references_header(std::string& out, const std::vector<std::string>& ids) {
  std::string line = "References:";
  size_t column = line.size();
  bool first = true;
  for (const auto& each : ids) {
    if (!writable_id(each)) continue;
    const std::string id = "<" + each + ">";
    if (!first && column + 1 + id.size() >= 78) {
      line += "\n\t" + id;
      column = 1 + id.size();
    } else {
      line += " " + id;
      column += 1 + id.size();
    }
    first = false;
  }
  if (!first) out += line + "\n";
}

// Content-Type of a multipart, its boundary on a line of its own when the line would pass
// 78 columns.
void multipart_type(std::string& out, const char* subtype, const std::string& boundary) {
  const std::string type = std::string("Content-Type: multipart/") + subtype + ";";
  const std::string param = "boundary=\"" + boundary + "\"";
  out += type + (type.size() + 1 + param.size() > 78 ? "\n\t" : " ") + param + "\n";
}

// The delimiter before a multipart's next part, or (last) the one that closes it; the line
// end before it belongs to the delimiter (RFC 2046), not to the part before.
void delimiter(std::string& out, const std::string& boundary, bool last = false) {
  out += "\n--" + boundary + (last ? "--\n" : "\n");
}

// A UTF-8 text part, 7-bit safe on the wire: the content encoding GMime's best-encoding
// filter picks under the 7-bit constraint (7bit as it is, else quoted-printable or base64,
// whichever suits the text), then GMime's encoder.
void text_part(std::string& out, const char* subtype, const std::string& content) {
  GMimeFilter* best = g_mime_filter_best_new(GMIME_FILTER_BEST_ENCODING);
  char* filtered = nullptr;
  size_t filtered_len = 0, prespace = 0;
  g_mime_filter_complete(best, const_cast<char*>(content.data()), content.size(), 0, &filtered, &filtered_len,
                         &prespace);
  const GMimeContentEncoding encoding =
      g_mime_filter_best_encoding(GMIME_FILTER_BEST(best), GMIME_ENCODING_CONSTRAINT_7BIT);
  g_object_unref(best);
  out += std::string("Content-Type: text/") + subtype + "; charset=utf-8\n";
  // No encoding picked (an empty text): no Content-Transfer-Encoding, as GMime writes it.
  if (const char* name = g_mime_content_encoding_to_string(encoding))
    out += std::string("Content-Transfer-Encoding: ") + name + "\n";
  out += "\n";
  if (encoding != GMIME_CONTENT_ENCODING_BASE64 && encoding != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE) {
    out += content;
    return;
  }
  GMimeEncoding state;
  g_mime_encoding_init_encode(&state, encoding);
  std::string encoded(g_mime_encoding_outlen(&state, content.size()), '\0');
  encoded.resize(g_mime_encoding_flush(&state, content.data(), content.size(), encoded.data()));
  out += encoded;
}

// An attachment as GMime writes a part: its type, file name (RFC 2231 where not ASCII),
// disposition and base64 content.
void attachment_part(std::string& out, GMimeFormatOptions* fmt, const OutgoingAttachment& a) {
  GMimeContentType* ct = g_mime_content_type_parse(nullptr, a.content_type.c_str());
  GMimePart* part = g_mime_part_new_with_type(g_mime_content_type_get_media_type(ct),
                                              g_mime_content_type_get_media_subtype(ct));
  g_object_unref(ct);
  GMimeStream* stream = g_mime_stream_mem_new_with_buffer(a.bytes.data(), a.bytes.size());
  GMimeDataWrapper* content = g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);
  g_object_unref(stream);
  g_mime_part_set_content(part, content);
  g_object_unref(content);
  g_mime_part_set_filename(part, a.filename.c_str());
  g_mime_object_set_disposition(GMIME_OBJECT(part), "attachment");
  g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
  out += take(g_mime_object_to_string(GMIME_OBJECT(part), fmt));
  g_object_unref(part);
}

}  // namespace

std::string new_message_id(const std::string& from_address) {
  auto at = from_address.rfind('@');
  std::string domain = at == std::string::npos ? "mailcase.localhost" : from_address.substr(at + 1);
  return "mc." + random_hex(12) + "@" + domain;
}

// The mail's fixed shape is written here, each of its pieces by GMime (address lists, RFC 2047
// words, folding, the date, the content encodings): a whole GMimeMessage made, written and
// freed took ~100 us a notice, a tenth of an import whose rules assign owners.
std::string compose(const OutgoingMail& m) {
  ensure_gmime();
  GMimeFormatOptions* fmt = g_mime_format_options_new();
  std::string out;
  out.reserve(1024 + m.text.size() * 2 + m.html.size() * 2);
  GDateTime* now = g_date_time_new_now_utc();
  out += "Date: " + take(g_mime_utils_header_format_date(now)) + "\n";
  g_date_time_unref(now);
  address_header(out, fmt, "From", {{m.from_name, m.from_address}});
  text_header(out, fmt, "Subject", m.subject);
  address_header(out, fmt, "To", {{m.to_name, m.to_address}});
  std::vector<std::pair<std::string, std::string>> cc;
  for (const auto& c : m.cc) cc.emplace_back("", c);
  address_header(out, fmt, "Cc", cc);
  if (writable_id(m.message_id)) out += "Message-Id: <" + m.message_id + ">\n";
  if (!m.in_reply_to.empty() && writable_id(m.in_reply_to)) out += "In-Reply-To: <" + m.in_reply_to + ">\n";
  references_header(out, m.references);
  if (m.generated)  // a notice of our own: auto-generated, whether or not it also answers a mail
    out += "Auto-Submitted: auto-generated\nX-Auto-Response-Suppress: All\n";
  else if (m.automatic)
    out += "Auto-Submitted: auto-replied\n";
  out += "MIME-Version: 1.0\n";

  // multipart/alternative (text, then HTML), inside multipart/mixed with the attachments.
  std::string mixed;
  if (!m.attachments.empty()) {
    mixed = new_boundary();
    multipart_type(out, "mixed", mixed);
    delimiter(out, mixed);
  }
  const std::string alt = new_boundary();
  multipart_type(out, "alternative", alt);
  delimiter(out, alt);
  text_part(out, "plain", m.text);
  delimiter(out, alt);
  text_part(out, "html", m.html);
  delimiter(out, alt, true);
  if (!mixed.empty()) {
    for (const auto& a : m.attachments) {
      delimiter(out, mixed);
      attachment_part(out, fmt, a);
    }
    delimiter(out, mixed, true);
  }
  g_mime_format_options_free(fmt);
  return to_crlf(out);
}

}  // namespace mailcase::outbound

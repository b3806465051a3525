#include "outbound/compose.h"

#include <gmime/gmime.h>
#include <sodium.h>

#include <algorithm>
#include <mutex>

#include "util/text.h"

namespace mailcase::outbound {
namespace {

void ensure_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// Always UTF-8, and 7-bit safe on the wire (quoted-printable or base64, whichever is
// shorter): no relay has to support 8BITMIME.
GMimeTextPart* text_part(const char* subtype, const std::string& content) {
  GMimeTextPart* part = g_mime_text_part_new_with_subtype(subtype);
  GMimeStream* stream = g_mime_stream_mem_new_with_buffer(content.data(), content.size());
  GMimeDataWrapper* wrapper = g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);
  g_object_unref(stream);
  g_mime_part_set_content(GMIME_PART(part), wrapper);
  g_object_unref(wrapper);
  g_mime_text_part_set_charset(part, "utf-8");
  g_mime_part_set_content_encoding(GMIME_PART(part), g_mime_part_get_best_content_encoding(
                                                         GMIME_PART(part), GMIME_ENCODING_CONSTRAINT_7BIT));
  return part;
}

// `bytes` random bytes (libsodium's generator) in lower-case hex.
std::string random_hex(size_t bytes) {
  unsigned char r[32];
  bytes = std::min(bytes, sizeof r);
  randombytes_buf(r, bytes);
  return text::hex(r, bytes);
}

// A multipart with a boundary from libsodium's generator. g_mime_multipart_new_with_subtype
// makes its own by opening, reading and closing /dev/urandom: three system calls per
// multipart, a fifth of a notice's composition.
GMimeMultipart* new_multipart(const char* subtype) {
  auto* multipart = static_cast<GMimeMultipart*>(g_object_new(GMIME_TYPE_MULTIPART, nullptr));
  GMimeContentType* type = g_mime_content_type_new("multipart", subtype);
  g_mime_object_set_content_type(GMIME_OBJECT(multipart), type);
  g_object_unref(type);
  g_mime_multipart_set_boundary(multipart, ("=-mc-" + random_hex(16)).c_str());
  return multipart;
}

}  // namespace

std::string new_message_id(const std::string& from_address) {
  auto at = from_address.rfind('@');
  std::string domain = at == std::string::npos ? "mailcase.localhost" : from_address.substr(at + 1);
  return "mc." + random_hex(12) + "@" + domain;
}

std::string compose(const OutgoingMail& m) {
  ensure_gmime();
  GMimeMessage* msg = g_mime_message_new(TRUE);
  g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, m.from_name.c_str(), m.from_address.c_str());
  g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, m.to_name.c_str(), m.to_address.c_str());
  for (const auto& cc : m.cc) g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_CC, "", cc.c_str());
  g_mime_message_set_subject(msg, m.subject.c_str(), "utf-8");
  GDateTime* now = g_date_time_new_now_utc();
  g_mime_message_set_date(msg, now);
  g_date_time_unref(now);
  g_mime_message_set_message_id(msg, m.message_id.c_str());
  GMimeObject* obj = GMIME_OBJECT(msg);
  if (!m.in_reply_to.empty())
    g_mime_object_set_header(obj, "In-Reply-To", ("<" + m.in_reply_to + ">").c_str(), nullptr);
  if (!m.references.empty()) {
    std::string refs;
    for (const auto& r : m.references) refs += (refs.empty() ? "<" : " <") + r + ">";
    g_mime_object_set_header(obj, "References", refs.c_str(), nullptr);
  }
  if (m.automatic) g_mime_object_set_header(obj, "Auto-Submitted", "auto-replied", nullptr);
  if (m.generated) {
    g_mime_object_set_header(obj, "Auto-Submitted", "auto-generated", nullptr);
    g_mime_object_set_header(obj, "X-Auto-Response-Suppress", "All", nullptr);
  }

  GMimeMultipart* alt = new_multipart("alternative");
  GMimeTextPart* plain = text_part("plain", m.text);
  GMimeTextPart* html = text_part("html", m.html);
  g_mime_multipart_add(alt, GMIME_OBJECT(plain));
  g_mime_multipart_add(alt, GMIME_OBJECT(html));
  g_object_unref(plain);
  g_object_unref(html);

  if (m.attachments.empty()) {
    g_mime_message_set_mime_part(msg, GMIME_OBJECT(alt));
  } else {
    GMimeMultipart* mixed = new_multipart("mixed");
    g_mime_multipart_add(mixed, GMIME_OBJECT(alt));
    for (const auto& a : m.attachments) {
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
      g_mime_multipart_add(mixed, GMIME_OBJECT(part));
      g_object_unref(part);
    }
    g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));
    g_object_unref(mixed);
  }
  g_object_unref(alt);

  GMimeFormatOptions* fmt = g_mime_format_options_clone(nullptr);
  g_mime_format_options_set_newline_format(fmt, GMIME_NEWLINE_FORMAT_DOS);
  char* s = g_mime_object_to_string(obj, fmt);
  std::string out = s ? s : "";
  g_free(s);
  g_mime_format_options_free(fmt);
  g_object_unref(msg);
  return out;
}

}  // namespace mailcase::outbound

// GMime 3 adapter: a MIME tree in, a ParsedMessage out.
#include "mime/parser.h"

#include <fcntl.h>
#include <glib.h>
#include <gmime/gmime.h>
#include <re2/re2.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>

#include "mime/charset_modules.h"
#include "mime/filename.h"
#include "mime/html_text.h"
#include "mime/structure_scan.h"
#include "util/text.h"

namespace mailcase::mime {
namespace {

// RAII for GObject references.
template <typename T>
struct GObj {
  T* p = nullptr;
  GObj() = default;
  explicit GObj(T* x) : p(x) {}
  ~GObj() {
    if (p) g_object_unref(p);
  }
  GObj(const GObj&) = delete;
  GObj& operator=(const GObj&) = delete;
  T* get() const { return p; }
  explicit operator bool() const { return p != nullptr; }
};

struct GFree {
  void operator()(void* p) const { g_free(p); }
};
using GStr = std::unique_ptr<char, GFree>;

std::string str(const char* s) { return s ? std::string(s) : std::string(); }

void quiet_log(const gchar*, GLogLevelFlags, const gchar*, gpointer) {
  // GMime warns about broken input; broken input is normal here and reported via problems.
}

GMimeParserOptions* parser_options() {
  static GMimeParserOptions* opts = [] {
    GMimeParserOptions* o = g_mime_parser_options_new();
    static const char* fallback[] = {"utf-8", "windows-1252", nullptr};
    g_mime_parser_options_set_fallback_charsets(o, fallback);
    g_mime_parser_options_set_rfc2047_compliance_mode(o, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_address_compliance_mode(o, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(o, GMIME_RFC_COMPLIANCE_LOOSE);
    return o;
  }();
  return opts;
}

bool is_utf8_charset(std::string_view cs) {
  std::string c = text::ascii_lower(cs);
  return c.empty() || c == "utf-8" || c == "utf8" || c == "us-ascii" || c == "ascii" || c == "unicode-1-1-utf-8" ||
         c == "x-unknown" || c == "unknown-8bit" || c == "default";
}

// Bytes in a declared charset → valid UTF-8, trying the declaration, then windows-1252,
// then ISO-8859-1 (which maps every byte).
// Takes the bytes whole: valid UTF-8 in a UTF-8 charset (most bodies) is handed back as
// it is, not copied (a body of megabytes held twice at once).
std::string to_utf8(std::string bytes, std::string_view charset, const std::string& fallback,
                    std::vector<std::string>* problems) {
  auto valid = [](std::string_view s) { return g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr); };
  auto convert = [&](const char* from, std::string& out) {
    gsize written = 0;
    GError* err = nullptr;
    char* r = g_convert(bytes.data(), static_cast<gssize>(bytes.size()), "UTF-8", from, nullptr, &written, &err);
    if (err) g_error_free(err);
    if (!r) return false;
    out.assign(r, written);
    g_free(r);
    return true;
  };
  std::string out;
  if (is_utf8_charset(charset)) {
    if (valid(bytes)) return bytes;
  } else {
    std::string cs(charset);
    const char* iconv_name = g_mime_charset_iconv_name(cs.c_str());
    if (iconv_name) keep_charset_loaded(cs);
    if (iconv_name && convert(iconv_name, out)) return out;
    // The name is the sender's: one line, and short (ParsedMessage::problems).
    if (problems)
      problems->push_back("cannot decode charset " + text::one_line(std::string_view(cs).substr(0, 64)));
    if (valid(bytes)) return bytes;
  }
  if (!fallback.empty()) keep_charset_loaded(fallback);
  if (!fallback.empty() && convert(fallback.c_str(), out)) return out;
  if (convert("ISO-8859-1", out)) return out;
  return text::make_valid_utf8(bytes);
}

// Whether base64 text is well formed as it streams by: only the alphabet and white space,
// and nothing but '=' and white space after the first '='. GMime's decoder skips what is
// not base64 and stops at the padding, so such text loses bytes without a word.
class Base64Check {
 public:
  void feed(std::string_view s) {
    for (unsigned char c : s) {
      if (broken_) return;
      switch (kClass[c]) {
        case kLetter:
          broken_ = ended_;
          break;
        case kPad:
          ended_ = true;
          break;
        case kSpace:
          break;
        default:
          broken_ = true;
      }
    }
  }
  bool broken() const { return broken_; }

 private:
  enum : unsigned char { kOther, kLetter, kPad, kSpace };
  static constexpr auto kClass = [] {
    std::array<unsigned char, 256> t{};
    for (int c = 'A'; c <= 'Z'; ++c) t[c] = kLetter;
    for (int c = 'a'; c <= 'z'; ++c) t[c] = kLetter;
    for (int c = '0'; c <= '9'; ++c) t[c] = kLetter;
    t['+'] = t['/'] = kLetter;
    t['='] = kPad;
    t[' '] = t['\t'] = t['\r'] = t['\n'] = kSpace;
    return t;
  }();
  bool ended_ = false;
  bool broken_ = false;
};

// Streams the decoded content of a leaf part, a block at a time. broken_base64 (when
// given) tells whether a base64 part's text was malformed (Base64Check).
template <typename Sink>
bool decode_content(GMimePart* part, Sink&& sink, bool* broken_base64 = nullptr) {
  GMimeDataWrapper* wrapper = g_mime_part_get_content(part);
  if (!wrapper) return true;
  GMimeStream* encoded = g_mime_data_wrapper_get_stream(wrapper);
  if (!encoded) return true;
  g_mime_stream_reset(encoded);
  GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(wrapper);
  GObj<GMimeFilter> filter;
  if (enc == GMIME_CONTENT_ENCODING_BASE64 || enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
      enc == GMIME_CONTENT_ENCODING_UUENCODE)
    filter.p = g_mime_filter_basic_new(enc, FALSE);
  // GMime's uudecoding takes a CR for a character of its line and spoils the bytes after
  // it, and a mail from LMTP or IMAP has CR LF line ends: they become LF before it.
  GObj<GMimeFilter> lf;
  if (enc == GMIME_CONTENT_ENCODING_UUENCODE) lf.p = g_mime_filter_dos2unix_new(FALSE);
  static constexpr size_t kBlock = 64 * 1024;
  // Not zeroed: every byte handed on is read into it first (a vector's 64 KB of zeroes per
  // part was 2.4 % of an LMTP delivery's instructions).
  const auto block = std::make_unique_for_overwrite<char[]>(kBlock + 64);
  char* const buf = block.get();
  std::optional<Base64Check> check;
  if (broken_base64 && enc == GMIME_CONTENT_ENCODING_BASE64) check.emplace();
  bool more = true;
  while (more) {
    ssize_t n = g_mime_stream_read(encoded, buf + 32, kBlock);
    if (n <= 0) {
      more = false;
      n = 0;
    }
    if (check) {
      check->feed(std::string_view(buf + 32, static_cast<size_t>(n)));
      *broken_base64 = check->broken();
    }
    if (!filter) {
      if (n > 0 && !sink(std::string_view(buf + 32, static_cast<size_t>(n)))) return false;
      continue;
    }
    char* in = buf + 32;
    size_t inlen = static_cast<size_t>(n), inprespace = 32;
    if (lf && more)
      g_mime_filter_filter(lf.get(), in, inlen, inprespace, &in, &inlen, &inprespace);
    else if (lf)
      g_mime_filter_complete(lf.get(), in, 0, inprespace, &in, &inlen, &inprespace);
    char* out = nullptr;
    size_t outlen = 0, outprespace = 0;
    if (more)
      g_mime_filter_filter(filter.get(), in, inlen, inprespace, &out, &outlen, &outprespace);
    else
      g_mime_filter_complete(filter.get(), in, inlen, inprespace, &out, &outlen, &outprespace);
    if (outlen > 0 && !sink(std::string_view(out, outlen))) return false;
  }
  return true;
}

std::vector<std::string> ids_of(const char* header_value) {
  std::vector<std::string> out;
  if (!header_value) return out;
  GMimeReferences* refs = g_mime_references_parse(parser_options(), header_value);
  if (!refs) return out;
  int n = g_mime_references_length(refs);
  for (int i = 0; i < n; ++i) {
    const char* id = g_mime_references_get_message_id(refs, i);
    if (id && *id) out.emplace_back(text::make_valid_utf8(id));
  }
  g_mime_references_free(refs);
  return out;
}

// At most max addresses of one field (limits.max_addresses) go into out.
void add_addresses(InternetAddressList* list, std::vector<Address>& out, size_t max, int depth = 0) {
  if (!list || depth > 4) return;
  int n = internet_address_list_length(list);
  for (int i = 0; i < n && out.size() < max; ++i) {
    InternetAddress* a = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
      Address x;
      // A display name is one line, as a subject is: an encoded word may carry a CR LF
      // ("Eve\r\nBcc: ..."), which would otherwise reach the contact's name, the comment's
      // author and every place they are printed or written into a header.
      x.name = text::one_line(str(internet_address_get_name(a)));
      x.email = text::make_valid_utf8(str(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a))));
      out.push_back(std::move(x));
    } else if (INTERNET_ADDRESS_IS_GROUP(a)) {
      add_addresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)), out, max, depth + 1);
    }
  }
}

std::string lower_mime_type(GMimeObject* obj) {
  GMimeContentType* ct = g_mime_object_get_content_type(obj);
  if (!ct) return "application/octet-stream";
  std::string t = str(g_mime_content_type_get_media_type(ct));
  std::string s = str(g_mime_content_type_get_media_subtype(ct));
  if (t.empty()) t = "application";
  if (s.empty()) s = "octet-stream";
  return text::ascii_lower(t + "/" + s);
}

std::string extension_for(std::string_view type) {
  static const std::pair<const char*, const char*> known[] = {
      {"image/png", ".png"},        {"image/jpeg", ".jpg"},       {"image/gif", ".gif"},
      {"application/pdf", ".pdf"},  {"text/plain", ".txt"},       {"text/html", ".html"},
      {"message/rfc822", ".eml"},   {"text/calendar", ".ics"},    {"application/zip", ".zip"},
      {"message/delivery-status", ".txt"}, {"text/rfc822-headers", ".txt"}};
  for (auto& [t, e] : known)
    if (type == t) return e;
  return ".bin";
}

class Walker {
 public:
  Walker(spool::BlobSink& sink, const ParseLimits& limits, ParsedMessage& out)
      : sink_(sink), limits_(limits), out_(out) {}

  void walk(GMimeObject* obj, size_t depth, bool in_alternative, bool in_report) {
    if (!obj) return;
    if (++parts_ > limits_.max_parts) {
      if (parts_ == limits_.max_parts + 1) out_.problems.push_back("too many parts: the rest is not extracted");
      return;
    }
    if (depth > limits_.max_depth) {
      if (!depth_noted_) out_.problems.push_back("nested too deeply: inner parts not extracted");
      depth_noted_ = true;
      return;
    }
    if (GMIME_IS_MULTIPART(obj)) {
      GMimeMultipart* mp = GMIME_MULTIPART(obj);
      std::string type = lower_mime_type(obj);
      bool alt = type == "multipart/alternative";
      bool report = type == "multipart/report";
      if (report && !out_.report) {
        Report r;
        r.report_type = text::ascii_lower(
            str(g_mime_content_type_get_parameter(g_mime_object_get_content_type(obj), "report-type")));
        out_.report = r;
      }
      int n = g_mime_multipart_get_count(mp);
      for (int i = 0; i < n; ++i) walk(g_mime_multipart_get_part(mp, i), depth + 1, alt, report || in_report);
      // A multipart whose boundary is missing or never comes has no parts: GMime keeps all
      // of its content as the prologue. Taken as the text when the mail has none, rather
      // than a case with an empty description (the charset is not known: made valid UTF-8).
      const char* prologue = n == 0 ? g_mime_multipart_get_prologue(mp) : nullptr;
      if (prologue && *prologue && !body_seen_) {
        out_.problems.push_back(
            "a multipart without parts (its boundary is missing): its content taken as text");
        append(out_.text_body, text::make_valid_utf8(prologue));
        body_seen_ = true;
      }
      return;
    }
    if (GMIME_IS_MESSAGE_PART(obj)) {
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
      if (inner && (in_report || !out_.report)) {
        GStr headers(g_mime_object_get_headers(GMIME_OBJECT(inner), nullptr));
        if (!out_.report) out_.report = Report{};
        if (out_.report->original_headers.empty())
          out_.report->original_headers = text::make_valid_utf8(str(headers.get()));
      }
      attach_message(obj, inner);
      return;
    }
    if (!GMIME_IS_PART(obj)) return;
    GMimePart* part = GMIME_PART(obj);
    std::string type = lower_mime_type(obj);
    GMimeContentDisposition* disp = g_mime_object_get_content_disposition(obj);
    bool is_attachment_disp = disp && g_mime_content_disposition_is_attachment(disp);
    const char* fname = g_mime_part_get_filename(part);
    bool has_name = fname && *fname;

    if (in_report && (type == "message/delivery-status" || type == "message/feedback-report" ||
                      type == "message/disposition-notification" || type == "message/global-delivery-status")) {
      std::string bytes = read_text_bytes(part);
      if (out_.report)
        out_.report->status_fields = to_utf8(std::move(bytes), charset_of(obj), limits_.fallback_charset, nullptr);
    } else if (in_report && (type == "text/rfc822-headers" || type == "message/rfc822-headers")) {
      std::string bytes = read_text_bytes(part);
      if (out_.report && out_.report->original_headers.empty())
        out_.report->original_headers =
            to_utf8(std::move(bytes), charset_of(obj), limits_.fallback_charset, nullptr);
    }

    // After the body, further named parts and further HTML documents outside an
    // alternative are files the sender attached, not more body.
    bool body_candidate = (type == "text/plain" || type == "text/html") && !is_attachment_disp &&
                          !(has_name && !in_alternative && body_seen_) &&
                          !(type == "text/html" && !in_alternative && body_seen_);
    if (body_candidate) {
      std::string bytes = read_text_bytes(part);
      std::string text = to_utf8(std::move(bytes), charset_of(obj), limits_.fallback_charset, &out_.problems);
      if (type == "text/plain") {
        // format=flowed and other niceties are left as written; bodies of several
        // inline parts are joined in order.
        if (!in_alternative || !plain_in_alt_) append(out_.text_body, std::move(text));
        if (in_alternative) plain_in_alt_ = true;
      } else {
        append(out_.html_body, std::move(text));
      }
      body_seen_ = true;
      return;
    }
    store_attachment(part, type, fname, disp);
  }

  bool body_seen() const { return body_seen_; }

 private:
  static std::string charset_of(GMimeObject* obj) {
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    return ct ? str(g_mime_content_type_get_parameter(ct, "charset")) : std::string();
  }

  void append(std::string& dst, std::string&& s) {
    if (dst.empty() && s.size() <= limits_.max_text_bytes) {  // the first part: taken, not copied
      dst = std::move(s);
      return;
    }
    if (dst.size() >= limits_.max_text_bytes) return;
    if (!dst.empty() && dst.back() != '\n') dst += "\n";
    dst.append(s, 0, std::min(s.size(), limits_.max_text_bytes - dst.size()));
  }

  std::string read_text_bytes(GMimePart* part) {
    std::string out;
    // Room for the decoded bytes at once (base64 decodes to 3/4 of its length; other
    // encodings to at most theirs), instead of doubling in 64 KB steps: a 1.2 MB body
    // grew to 2 MB, copied at each step.
    if (GMimeDataWrapper* wrapper = g_mime_part_get_content(part)) {
      GMimeStream* encoded = g_mime_data_wrapper_get_stream(wrapper);
      const gint64 length = encoded ? g_mime_stream_length(encoded) : -1;
      if (length > 0) {
        auto expected = static_cast<uint64_t>(length);
        if (g_mime_data_wrapper_get_encoding(wrapper) == GMIME_CONTENT_ENCODING_BASE64)
          expected = expected / 4 * 3;
        out.reserve(static_cast<size_t>(std::min<uint64_t>(expected, limits_.max_text_bytes)));
      }
    }
    bool cut = false, broken = false;
    decode_content(
        part,
        [&](std::string_view b) {
          if (out.size() + b.size() > limits_.max_text_bytes) {
            out.append(b.substr(0, limits_.max_text_bytes - out.size()));
            cut = true;
            return false;
          }
          out.append(b);
          return true;
        },
        &broken);
    if (broken) note_broken_base64(part);
    if (cut) out_.problems.push_back("text cut at " + std::to_string(limits_.max_text_bytes) + " bytes");
    // Do not split a UTF-8 sequence at the cut.
    return out;
  }

  // Said once a part: which part, by its file name or its type.
  void note_broken_base64(GMimePart* part) {
    const char* name = g_mime_part_get_filename(part);
    const std::string which =
        name && *name
            ? "\u201c" + text::one_line(text::make_valid_utf8(std::string_view(name).substr(0, 200))) +
                  "\u201d"
            : lower_mime_type(GMIME_OBJECT(part));
    out_.problems.push_back(
        "the base64 of part " + which +
        " is broken (characters that are not base64, or text after its end): what could not "
        "be decoded is left out (the original keeps it)");
  }

  std::string unique_fallback(std::string_view type) {
    return "attachment-" + std::to_string(out_.attachments.size() + 1) + extension_for(type);
  }

  void store_attachment(GMimePart* part, const std::string& type, const char* fname, GMimeContentDisposition* disp) {
    auto w = sink_.open();
    if (!w) return storage_failed(w.error().message);
    Status written;
    bool broken = false;
    bool ok = decode_content(
        part, [&](std::string_view b) { return static_cast<bool>(written = (*w)->write(b)); }, &broken);
    if (broken) note_broken_base64(part);
    auto ref = (*w)->commit();
    if (!ok || !ref)
      return storage_failed(!written ? written.error().message : !ref ? ref.error().message : "");
    Attachment a;
    a.content_type = type;
    a.filename = safe_filename(text::make_valid_utf8(str(fname)), unique_fallback(type));
    a.content_id = text::make_valid_utf8(str(g_mime_object_get_content_id(GMIME_OBJECT(part))));
    a.is_inline = (disp && !g_mime_content_disposition_is_attachment(disp)) || (!disp && !a.content_id.empty());
    a.size = ref->size;
    a.sha256 = ref->sha256;
    a.location = ref->location;
    out_.attachments.push_back(std::move(a));
  }

  void attach_message(GMimeObject* obj, GMimeMessage* inner) {
    if (!inner) return;
    auto w = sink_.open();
    if (!w) return storage_failed(w.error().message);
    GObj<GMimeStream> mem(g_mime_stream_mem_new());
    g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, mem.get());
    GByteArray* arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
    if (arr && arr->len) {
      auto written = (*w)->write(std::string_view(reinterpret_cast<const char*>(arr->data), arr->len));
      if (!written) return storage_failed(written.error().message);
    }
    auto ref = (*w)->commit();
    if (!ref) return storage_failed(ref.error().message);
    Attachment a;
    a.content_type = lower_mime_type(obj);
    const char* fname = nullptr;
    GMimeContentDisposition* disp = g_mime_object_get_content_disposition(obj);
    if (disp) fname = g_mime_content_disposition_get_parameter(disp, "filename");
    std::string subject = text::make_valid_utf8(str(g_mime_message_get_subject(inner)));
    std::string name = fname && *fname ? text::make_valid_utf8(fname) : (subject.empty() ? "" : subject + ".eml");
    a.filename = safe_filename(name, unique_fallback("message/rfc822"));
    a.size = ref->size;
    a.sha256 = ref->sha256;
    out_.attachments.push_back(std::move(a));
  }

  // The first failure to keep an attachment is the one told (ParsedMessage::storage_error).
  void storage_failed(const std::string& why) {
    if (out_.storage_error.empty())
      out_.storage_error = "cannot store an attachment" + (why.empty() ? std::string() : ": " + why);
  }

  spool::BlobSink& sink_;
  const ParseLimits& limits_;
  ParsedMessage& out_;
  size_t parts_ = 0;
  bool depth_noted_ = false;
  bool body_seen_ = false;
  bool plain_in_alt_ = false;
};

// The subject decoded from its raw value: GMime's cached subject loses the words after
// an encoded word that itself contains a line break.
std::string decoded_subject(GMimeHeaderList* hl, GMimeMessage* msg) {
  GMimeHeader* h = g_mime_header_list_get_header(hl, "Subject");
  const char* raw = h ? g_mime_header_get_raw_value(h) : nullptr;
  if (!raw) return text::make_valid_utf8(str(g_mime_message_get_subject(msg)));
  GStr unfolded(g_mime_utils_header_unfold(raw));
  GStr decoded(g_mime_utils_header_decode_text(parser_options(), unfolded.get()));
  return text::make_valid_utf8(str(decoded.get()));
}

Result<ParsedMessage> parse_stream(GMimeStream* stream, spool::BlobSink& sink, const ParseLimits& limits) {
  GObj<GMimeParser> parser(g_mime_parser_new_with_stream(stream));
  g_mime_parser_set_persist_stream(parser.get(), TRUE);
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  GObj<GMimeMessage> msg(g_mime_parser_construct_message(parser.get(), parser_options()));
  if (!msg) return fail(ErrorCode::kInvalidInput, "no MIME message could be read");

  ParsedMessage out;
  GMimeObject* top = GMIME_OBJECT(msg.get());
  GMimeHeaderList* hl = g_mime_object_get_header_list(top);
  int count = hl ? g_mime_header_list_get_count(hl) : 0;
  if (count == 0) return fail(ErrorCode::kInvalidInput, "no header found: not a mail");
  for (int i = 0; i < count && static_cast<size_t>(i) < limits.max_kept_headers; ++i) {
    GMimeHeader* h = g_mime_header_list_get_header_at(hl, i);
    Header x;
    x.name = text::make_valid_utf8(str(g_mime_header_get_name(h)));
    x.value = text::make_valid_utf8(text::trim(str(g_mime_header_get_value(h))));
    out.headers.push_back(std::move(x));
  }
  // A subject is one line: an encoded word may carry line breaks and other controls.
  out.subject = text::one_line(decoded_subject(hl, msg.get()));
  if (auto ids = ids_of(g_mime_object_get_header(top, "Message-ID")); !ids.empty()) out.message_id = ids.front();
  out.in_reply_to = ids_of(g_mime_object_get_header(top, "In-Reply-To"));
  out.references = ids_of(g_mime_object_get_header(top, "References"));
  std::vector<Address> from;
  add_addresses(g_mime_message_get_from(msg.get()), from, limits.max_addresses);
  if (from.empty()) add_addresses(g_mime_message_get_sender(msg.get()), from, limits.max_addresses);
  if (!from.empty()) out.from = from.front();
  add_addresses(g_mime_message_get_reply_to(msg.get()), out.reply_to, limits.max_addresses);
  add_addresses(g_mime_message_get_to(msg.get()), out.to, limits.max_addresses);
  add_addresses(g_mime_message_get_cc(msg.get()), out.cc, limits.max_addresses);
  add_addresses(g_mime_message_get_bcc(msg.get()), out.bcc, limits.max_addresses);
  if (GDateTime* d = g_mime_message_get_date(msg.get())) out.date = g_date_time_to_unix(d);

  GMimeObject* body = g_mime_message_get_mime_part(msg.get());
  out.top_content_type = body ? lower_mime_type(body) : "text/plain";
  Walker walker(sink, limits, out);
  walker.walk(body, 0, false, false);
  if (out.text_body.empty() && !out.html_body.empty()) out.text_body = html_to_text(out.html_body);
  out.text_body = text::make_valid_utf8(out.text_body);
  out.html_body = text::make_valid_utf8(out.html_body);
  return out;
}

}  // namespace

void ensure_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_mime_init();
    g_log_set_handler("gmime", static_cast<GLogLevelFlags>(G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION),
                      quiet_log, nullptr);
    (void)parser_options();
  });
}

namespace {

// Where the headers start when a mail opens with lines that are no header (a pasted
// "---- Original message ----" line, say): the first "Name: value" line among the
// first lines, or 0.
gint64 header_start(GMimeStream* stream) {
  char buf[8192];
  g_mime_stream_reset(stream);
  ssize_t n = g_mime_stream_read(stream, buf, sizeof buf);
  g_mime_stream_reset(stream);
  if (n <= 0) return 0;
  static const RE2 header_line("^[!-9;-~]{1,76}:");
  std::string_view head(buf, static_cast<size_t>(n));
  size_t pos = 0;
  for (int line = 0; line < 20 && pos < head.size(); ++line) {
    size_t nl = head.find('\n', pos);
    if (nl == std::string_view::npos) break;
    std::string_view l = head.substr(pos, nl - pos);
    if (RE2::PartialMatch(re2::StringPiece(l.data(), l.size()), header_line)) return static_cast<gint64>(pos);
    pos = nl + 1;
  }
  return 0;
}

// The structure of the bytes from start on, before GMime sees them: from memory when
// the caller has them there, else read from the stream in blocks.
StructureScan scan_stream(GMimeStream* stream, std::optional<std::string_view> raw, gint64 start,
                          const ParseLimits& limits) {
  StructureLimits sl;
  sl.max_parts = limits.max_parts;
  sl.max_depth = limits.max_depth;
  sl.max_header_fields = limits.max_header_fields;
  sl.max_header_bytes = limits.max_header_bytes;
  StructureScanner scanner(sl);
  if (raw) {
    (void)scanner.feed(raw->substr(std::min(raw->size(), static_cast<size_t>(start))));
    return scanner.finish();
  }
  if (g_mime_stream_seek(stream, start, GMIME_STREAM_SEEK_SET) == start) {
    char buf[16 * 1024];  // on the stack: a heap block per mail costs more than the scan
    for (;;) {
      ssize_t n = g_mime_stream_read(stream, buf, sizeof buf);
      if (n <= 0 || !scanner.feed(std::string_view(buf, static_cast<size_t>(n)))) break;
    }
  }
  g_mime_stream_reset(stream);
  return scanner.finish();
}

std::string cut_problem(const StructureScan& scan, const ParseLimits& limits) {
  const std::string rest = ": the rest of the mail is not extracted (the original keeps it)";
  switch (scan.over) {
    case StructureScan::Over::kParts:
      return "more than " + std::to_string(limits.max_parts) + " MIME parts: the parts after the " +
             std::to_string(limits.max_parts) + "th are not extracted (the original keeps them)";
    case StructureScan::Over::kDepth:
      return "MIME parts nested deeper than " + std::to_string(limits.max_depth) + rest;
    case StructureScan::Over::kHeaderFields:
      return "more than " + std::to_string(limits.max_header_fields) + " header fields" + rest;
    case StructureScan::Over::kHeaderBytes:
      return "more than " + std::to_string(limits.max_header_bytes) + " bytes of headers" + rest;
    case StructureScan::Over::kContentType:
      return "a Content-Type longer than " + std::to_string(StructureScanner::kLineKeep) + " bytes" + rest;
    case StructureScan::Over::kNone:
      break;
  }
  return {};
}

// Parses the bytes of stream from start on, but gives GMime only what lies within the
// part, depth and header limits (GMime holds the whole tree in memory). A mail past
// them is cut at the first part beyond them rather than refused: the customer's text
// and the first attachments come first in every mail a person writes, so the help desk
// gets the case as it always did (parts past max_parts were never extracted), the note
// in problems says what was left out, and the original mail keeps every byte.
Result<ParsedMessage> parse_bounded(GMimeStream* stream, std::optional<std::string_view> raw, gint64 start,
                                    spool::BlobSink& sink, const ParseLimits& limits) {
  StructureScan scan = scan_stream(stream, raw, start, limits);
  GMimeStream* input = stream;
  GObj<GMimeStream> view;
  if (scan.cut || start > 0) {
    view.p = g_mime_stream_substream(stream, start, scan.cut ? start + static_cast<gint64>(*scan.cut) : -1);
    input = view.get();
  }
  auto r = parse_stream(input, sink, limits);
  if (r && scan.unclosed > 0)
    r->problems.push_back(
        "a multipart ends without its closing boundary: the mail may have been cut short "
        "in transit (the original keeps what came)");
  if (!scan.cut) return r;
  if (!r) return fail(ErrorCode::kInvalidInput, cut_problem(scan, limits));  // cut inside the first headers
  r->problems.push_back(cut_problem(scan, limits));
  return r;
}

// The encoded words of the mail's first 16 KiB (its top headers, as a rule) name the
// charsets GMime converts from as it builds the tree: their converters are loaded before
// it does (charset_modules.h), so that its opening and closing them costs no dlopen.
void keep_head_charsets_loaded(GMimeStream* stream, std::optional<std::string_view> raw) {
  constexpr size_t kHeadBytes = 16 * 1024;
  constexpr size_t kHeadCharsets = 4;
  char buf[kHeadBytes];
  std::string_view head;
  if (raw) {
    head = raw->substr(0, kHeadBytes);
  } else {
    g_mime_stream_reset(stream);
    ssize_t n = g_mime_stream_read(stream, buf, sizeof buf);
    g_mime_stream_reset(stream);
    if (n > 0) head = std::string_view(buf, static_cast<size_t>(n));
  }
  if (head.find("=?") == std::string_view::npos) return;
  for (const auto& cs : encoded_word_charsets(head, kHeadCharsets)) keep_charset_loaded(cs);
}

// raw: the stream's bytes when the caller has them in memory.
Result<ParsedMessage> parse_any(GMimeStream* stream, std::optional<std::string_view> raw,
                                spool::BlobSink& sink, const ParseLimits& limits) {
  keep_head_charsets_loaded(stream, raw);
  auto r = parse_bounded(stream, raw, 0, sink, limits);
  if (r || r.error().code != ErrorCode::kInvalidInput) return r;
  gint64 start = header_start(stream);
  if (start <= 0) return r;
  // Scanned again: the limits hold for exactly the bytes GMime is given.
  auto again = parse_bounded(stream, raw, start, sink, limits);
  if (again) again->problems.push_back("text before the headers was skipped");
  return again ? again : r;
}

}  // namespace

namespace {
constexpr size_t kSniffBytes = 16 * 1024;

// Where the top header block ends (the start of its empty line), or the end of raw.
size_t head_end(std::string_view raw) {
  for (size_t nl = raw.find('\n'); nl != std::string_view::npos; nl = raw.find('\n', nl + 1)) {
    const size_t next = nl + 1;
    if (next < raw.size() && raw[next] == '\n') return next;
    if (next + 1 < raw.size() && raw[next] == '\r' && raw[next + 1] == '\n') return next;
  }
  return raw.size();
}

// Lines that end in a bare CR (an old Mac's): more bare CRs than LFs in the first bytes.
// Read on every mail: the CRs are found with memchr (one a line in most mail, none in an
// mbox's) and the LFs counted only when there is a bare CR at all.
bool bare_cr_lines(std::string_view raw) {
  const std::string_view sniff = raw.substr(0, kSniffBytes);
  size_t bare = 0;
  for (size_t i = sniff.find('\r'); i != std::string_view::npos; i = sniff.find('\r', i + 1))
    if (i + 1 == sniff.size() || sniff[i + 1] != '\n') ++bare;
  return bare > 0 && bare > static_cast<size_t>(std::count(sniff.begin(), sniff.end(), '\n'));
}

Result<ParsedMessage> parse_memory(std::string_view raw, spool::BlobSink& sink, const ParseLimits& limits) {
  GObj<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  return parse_any(stream.get(), raw, sink, limits);
}

Result<ParsedMessage> parse_copy(const std::string& copy, std::vector<std::string> problems,
                                 spool::BlobSink& sink, const ParseLimits& limits) {
  auto r = parse_memory(copy, sink, limits);
  if (r) r->problems.insert(r->problems.begin(), problems.begin(), problems.end());
  return r;
}
}  // namespace

std::optional<std::string> readable_copy(std::string_view raw, std::vector<std::string>& problems) {
  std::optional<std::string> copy;
  if (bare_cr_lines(raw)) {
    copy.emplace();
    copy->reserve(raw.size() + raw.size() / 32);
    for (size_t i = 0; i < raw.size(); ++i) {
      copy->push_back(raw[i]);
      if (raw[i] == '\r' && (i + 1 == raw.size() || raw[i + 1] != '\n')) copy->push_back('\n');
    }
    problems.push_back("lines end in a bare CR: read as line ends");
  }
  const std::string_view now = copy ? std::string_view(*copy) : raw;
  const size_t end = head_end(now);
  if (end > 0 && std::memchr(now.data(), '\0', end) != nullptr) {
    std::string fixed;
    fixed.reserve(now.size() + 16);
    for (char c : now.substr(0, end)) {
      if (c == '\0')
        fixed += "\xEF\xBF\xBD";
      else
        fixed += c;
    }
    fixed.append(now.substr(end));
    copy = std::move(fixed);
    problems.push_back("a NUL byte in the headers: read as \uFFFD");
  }
  return copy;
}

Result<ParsedMessage> parse_file(const std::filesystem::path& path, spool::BlobSink& sink, const ParseLimits& limits) {
  ensure_initialized();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(ErrorCode::kTemporary, "cannot open the stored mail");
  GObj<GMimeStream> stream(g_mime_stream_fs_new(fd));  // owns fd
  // A mail GMime would misread (readable_copy) is read into memory to be mended, up to
  // kMendMax: over it, it is read as it is.
  constexpr gint64 kMendMax = 16 << 20;
  char head[kSniffBytes];
  const ssize_t n = g_mime_stream_read(stream.get(), head, sizeof head);
  g_mime_stream_reset(stream.get());
  const std::string_view sniff(head, n > 0 ? static_cast<size_t>(n) : 0);
  // readable_copy decides on the first kSniffBytes alone, so its answer on them is the whole's.
  std::vector<std::string> sniffed;
  const bool suspect = readable_copy(sniff, sniffed).has_value();
  if (suspect && g_mime_stream_length(stream.get()) <= kMendMax) {
    std::string whole;
    char buf[64 * 1024];
    for (ssize_t got; (got = g_mime_stream_read(stream.get(), buf, sizeof buf)) > 0;)
      whole.append(buf, static_cast<size_t>(got));
    g_mime_stream_reset(stream.get());
    std::vector<std::string> problems;
    if (auto copy = readable_copy(whole, problems))
      return parse_copy(*copy, std::move(problems), sink, limits);
  }
  auto r = parse_any(stream.get(), std::nullopt, sink, limits);
  if (suspect) {
    // Too big to mend in memory: read as it is, and said, whether it could be read or not
    // (the stored original keeps it all).
    for (const std::string& p : sniffed) {
      const std::string why = p.substr(0, p.find(':')) + ": not mended (over 16 MiB)";
      if (r)
        r->problems.insert(r->problems.begin(), why);
      else
        r.error().message += "; " + why;
    }
  }
  return r;
}

Result<ParsedMessage> parse_bytes(std::string_view raw, spool::BlobSink& sink, const ParseLimits& limits) {
  ensure_initialized();
  std::vector<std::string> problems;
  if (auto copy = readable_copy(raw, problems)) return parse_copy(*copy, std::move(problems), sink, limits);
  return parse_memory(raw, sink, limits);
}

}  // namespace mailcase::mime

// A mail as mailcase understands it: decoded, UTF-8, attachments stored as blobs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailcase::mime {

struct Address {
  std::string name;   // display name, decoded (RFC 2047), one line (text::one_line), may be empty
  std::string email;  // addr-spec as written (not lower-cased), may be empty when broken
};

struct Attachment {
  std::string filename;      // safe: no directories, no control characters, never empty
  std::string content_type;  // lower-case "type/subtype"
  std::string content_id;    // without angle brackets, empty when none
  bool is_inline = false;    // Content-Disposition inline or referenced by cid: from the HTML
  uint64_t size = 0;         // decoded size in bytes
  std::string sha256;        // the decoded bytes, stored in the BlobSink given to the parser
  std::string location;      // where that sink put them, when it says (spool::BlobRef::location)
};

struct Header {
  std::string name;   // as written
  std::string value;  // unfolded, RFC 2047 decoded, UTF-8
};

// The machine-readable parts of a multipart/report (RFC 3462/3464/5965), or of a
// bounce that returns the original mail, for bounce and feedback classification.
struct Report {
  std::string report_type;       // "delivery-status", "feedback-report", "disposition-notification" or ""
  std::string status_fields;     // the body of message/delivery-status (or feedback-report), UTF-8
  std::string original_headers;  // header block of the returned message (message/rfc822 or text/rfc822-headers)
};

struct ParsedMessage {
  std::string message_id;               // without angle brackets; empty when absent
  std::vector<std::string> in_reply_to;  // message ids without angle brackets
  std::vector<std::string> references;   // oldest first
  Address from;
  std::vector<Address> reply_to, to, cc, bcc;
  std::string subject;                  // decoded, UTF-8, one line (text::one_line)
  std::optional<int64_t> date;          // Unix seconds
  std::string text_body;                // UTF-8 text: the text/plain part, else the HTML as text
  std::string html_body;                // UTF-8 HTML when the mail had an HTML body
  std::vector<Attachment> attachments;  // includes inline images and attached messages
  std::vector<Header> headers;          // top-level headers in order
  std::vector<std::string> problems;    // non-fatal oddities met while parsing, one line each
  // Set when an attachment (or an attached mail) could not be written where the parse
  // keeps them (a full disk, an I/O error): the parse is then incomplete, and the mail is
  // to be taken again later rather than recorded without it.
  std::string storage_error;
  std::string top_content_type;         // lower-case "type/subtype" of the top part
  std::optional<Report> report;         // set for multipart/report and mails that return another mail

  // First header with this name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const;
  // Every header with this name, in order.
  std::vector<std::string_view> headers_named(std::string_view name) const;
};

}  // namespace mailcase::mime

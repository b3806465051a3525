// Builds an outgoing mail (RFC 5322, MIME) with GMime: text and HTML alternatives,
// attachments, threading headers, and Auto-Submitted for automatic mail (RFC 3834).
#pragma once

#include <string>
#include <vector>

namespace mailcase::outbound {

struct OutgoingAttachment {
  std::string filename;
  std::string content_type = "application/octet-stream";
  std::string bytes;
};

struct OutgoingMail {
  std::string from_name, from_address;
  std::string to_name, to_address;
  std::vector<std::string> cc;  // addresses copied (a Cc header), besides to_address
  std::string subject;
  std::string text, html;
  std::string message_id;               // without angle brackets
  std::string in_reply_to;              // without angle brackets; empty: none
  std::vector<std::string> references;  // oldest first, without angle brackets
  bool automatic = false;               // Auto-Submitted: auto-replied
  // A notice of our own, answering no mail (to an agent): Auto-Submitted: auto-generated
  // and X-Auto-Response-Suppress: All, so that no responder answers it.
  bool generated = false;
  std::vector<OutgoingAttachment> attachments;
};

// The complete mail, CRLF line ends.
std::string compose(const OutgoingMail& mail);

// A new Message-ID (without brackets) in the domain of from_address.
std::string new_message_id(const std::string& from_address);

}  // namespace mailcase::outbound

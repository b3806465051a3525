// MIME → ParsedMessage, with GMime 3.
//
// Contract: never crashes and never throws on any input; a message GMime cannot make
// sense of at all is an kInvalidInput error with a fixed reason. Everything else is
// parsed as well as it can be, with oddities listed in ParsedMessage::problems.
// Attachment bodies are streamed into the sink, so a huge attachment costs little memory.
// The part, depth and header limits hold before GMime reads the mail: a mail past them
// is parsed up to the first part (or header line) beyond them, the rest is left in
// the original, and ParsedMessage::problems says so.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string_view>

#include "config/config.h"
#include "mime/message.h"
#include "spool/blob_store.h"
#include "util/result.h"

namespace mailcase::mime {

// Every parser limit is a named setting (see mailcase.toml [limits]); the defaults are
// the settings' (config.h), so there is one of each.
struct ParseLimits {
  size_t max_depth = config::Limits{}.max_mime_depth;       // nesting of multiparts and message/rfc822
  size_t max_parts = config::Limits{}.max_mime_parts;       // parts beyond this are not extracted
  size_t max_text_bytes = config::Limits{}.max_text_bytes;  // text_body / html_body are cut at this size
  // Header fields and header bytes of all parts together (GMime holds every header in
  // memory; see structure_scan.h).
  size_t max_header_fields = config::Limits{}.max_header_fields;
  size_t max_header_bytes = config::Limits{}.max_header_bytes;
  size_t max_addresses = config::Limits{}.max_addresses;        // per address field; the rest are dropped
  size_t max_kept_headers = config::Limits{}.max_kept_headers;  // ParsedMessage::headers, at most
  std::string fallback_charset = "windows-1252";  // for undeclared 8-bit text that is not UTF-8
};

// Initialises GMime once per process; safe to call many times from any thread.
void ensure_initialized();

[[nodiscard]] Result<ParsedMessage> parse_file(const std::filesystem::path& path, spool::BlobSink& sink,
                                               const ParseLimits& limits = {});
[[nodiscard]] Result<ParsedMessage> parse_bytes(std::string_view raw, spool::BlobSink& sink,
                                                const ParseLimits& limits = {});

// The bytes of a mail as GMime can read them, for a mail it would misread (pure; the
// original is never changed): a mail whose lines end in a bare CR (more of them than
// LFs in its first 16 KiB) gets CR LF line ends, else it is one header line, its text lost; a NUL in
// its top header block (GMime's header values are C strings: a Subject ended at it)
// becomes U+FFFD. nullopt when neither is needed; otherwise each change is said in
// `problems`, one line each. parse_bytes and parse_file read mails through it.
std::optional<std::string> readable_copy(std::string_view raw, std::vector<std::string>& problems);

}  // namespace mailcase::mime

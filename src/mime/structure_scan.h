// A cheap first pass over a raw mail that measures its MIME structure before GMime
// builds the tree: GMime keeps every part, header and boundary of a mail in memory
// (1,000,000 one-byte parts, 50 MB of mail, cost 1.9 GB, and 5,000,000 header lines
// 2.5 GB), so the limits have to hold before it sees the bytes.
//
// The scan follows GMime's own reading of a mail, line by line: header blocks end at an
// empty line or at a boundary line; Content-Type (the last one, read as GMime reads it:
// see read_content_type) opens a multipart with its boundary, or an attached message
// (message/rfc822, news, global; and every part of a multipart/digest without a type);
// a boundary line is "--" + an open boundary (+ "--" at the end), then only blanks,
// matched innermost first, and it closes the multiparts inside it.
//
// Contract: feed() takes the bytes in order in chunks of any size and keeps at most a
// few kilobytes (a line's first bytes, a Content-Type value, the open boundaries); it
// never fails and never throws. It finds `cut`: the offset of the first line that
// would take the mail past a limit (the boundary line opening a part beyond max_parts
// or max_depth, the header line beyond the header budgets, a Content-Type longer than
// kLineKeep). Everything before the cut is a mail within the limits; GMime is given
// only that.
//
// Where the scan and GMime could disagree (a line longer than kLineKeep, a boundary
// longer than that), the scan sees fewer parts than GMime would build, but each such
// part costs more than kLineKeep bytes of mail, so the size limit still bounds them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace mailcase::mime {

// The defaults are the settings' ([limits] in config.h), so there is one of each.
struct StructureLimits {
  size_t max_parts = config::Limits{}.max_mime_parts;  // entities: the top one, each part, each attached mail
  size_t max_depth = config::Limits{}.max_mime_depth;  // multiparts and attached mails inside each other
  size_t max_header_fields = config::Limits{}.max_header_fields;  // header fields of all entities together
  size_t max_header_bytes = config::Limits{}.max_header_bytes;    // bytes of all header blocks together
};

struct StructureScan {
  enum class Over { kNone, kParts, kDepth, kHeaderFields, kHeaderBytes, kContentType };
  size_t parts = 0;  // entities seen before the cut (all of them without a cut)
  size_t depth = 0;  // the deepest entity seen before the cut
  Over over = Over::kNone;
  std::optional<uint64_t> cut;  // where the first line past a limit starts
  // Multiparts that had a part but never their closing boundary ("--b--") by the end of
  // the mail (without a cut): a mail cut short in transit, as a rule.
  size_t unclosed = 0;
};

class StructureScanner {
 public:
  // First bytes of a line kept to compare, and the longest Content-Type value read.
  static constexpr size_t kLineKeep = 16384;

  explicit StructureScanner(const StructureLimits& limits);

  // The next bytes of the mail. False once the cut is found: the rest need not be fed.
  bool feed(std::string_view bytes);
  // The mail ends here (a last line without a newline counts as a line).
  StructureScan finish();

 private:
  struct Open {  // an open multipart
    std::string boundary;
    size_t depth = 0;
    bool digest = false;
    bool had_part = false;  // a boundary line opened a part of it
  };

  void end_line();
  void header_line(std::string_view line);
  void end_headers();
  bool boundary_line(std::string_view line);
  void enter(size_t depth, bool digest_child, uint64_t at);
  void stop(StructureScan::Over why, uint64_t at);

  StructureLimits limits_;
  StructureScan result_;
  uint64_t pos_ = 0;        // offset of the start of the current line
  uint64_t line_len_ = 0;   // bytes of the current line so far
  std::string line_;        // its first kLineKeep bytes
  bool tail_blank_ = true;  // every byte past kLineKeep was a blank or CR
  bool in_headers_ = true;
  size_t depth_ = 0;  // of the entity whose headers or body is being read
  bool digest_child_ = false;
  std::string content_type_;  // the last Content-Type value of the current header block
  bool has_content_type_ = false;
  bool in_content_type_ = false;  // its continuation lines follow
  uint64_t field_pos_ = 0;        // where the current header field starts
  size_t header_fields_ = 0;
  uint64_t header_bytes_ = 0;
  std::vector<Open> open_;
  bool done_ = false;
};

// What the scan needs of a Content-Type value (unfolded, after the colon). The plain
// shape is read here; anything unusual by GMime's own parameter parser, so that the
// boundary is the one GMime's parser will look for. read_content_type_with_gmime is
// GMime's reading alone, for the tests and the fuzz target to compare.
struct ContentTypeFacts {
  bool multipart = false;
  bool digest = false;
  bool message = false;  // a mail inside (rfc822, news, global): GMime parses it in turn
  std::string boundary;  // of a multipart; empty when it has none
  bool operator==(const ContentTypeFacts&) const = default;
};
[[nodiscard]] ContentTypeFacts read_content_type(const std::string& value);
[[nodiscard]] ContentTypeFacts read_content_type_with_gmime(const std::string& value);

// The whole scan of bytes in memory.
[[nodiscard]] StructureScan scan_structure(std::string_view raw, const StructureLimits& limits);

}  // namespace mailcase::mime

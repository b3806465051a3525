// The structure pre-scan: a line state machine over raw bytes (see structure_scan.h).
#include "mime/structure_scan.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <cstring>

#include "mime/parser.h"
#include "util/text.h"

namespace mailcase::mime {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

std::string_view trim_blanks_right(std::string_view s) {
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// "Content-Type" followed by blanks and a colon, in any case: the value after the colon.
std::optional<std::string_view> content_type_value(std::string_view line) {
  static constexpr std::string_view kName = "content-type";
  if (line.size() <= kName.size() || !text::iequals(line.substr(0, kName.size()), kName)) return std::nullopt;
  size_t i = kName.size();
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i >= line.size() || line[i] != ':') return std::nullopt;
  return line.substr(i + 1);
}

// Whether s holds word, in any case.
bool icontains(std::string_view s, std::string_view word) {
  if (s.size() < word.size()) return false;
  for (size_t i = 0; i + word.size() <= s.size(); ++i)
    if (text::iequals(s.substr(i, word.size()), word)) return true;
  return false;
}

bool is_token_char(char c) {
  return c > ' ' && c < 127 && !std::strchr("()<>@,;:\\\"/[]?=", c);
}

ContentTypeFacts facts_of(std::string_view type, std::string_view subtype, std::string boundary) {
  ContentTypeFacts f;
  if (text::iequals(type, "multipart")) {
    f.multipart = true;
    f.digest = text::iequals(subtype, "digest");
    f.boundary = std::move(boundary);
  } else if (text::iequals(type, "message")) {
    f.message = text::iequals(subtype, "rfc822") || text::iequals(subtype, "news") ||
                text::iequals(subtype, "global");
  }
  return f;
}

// The plain shape every mail program writes: type/subtype; name=token; name="quoted".
// Anything else (comments, escapes, RFC 2231, stray characters) is nullopt: GMime reads it.
std::optional<ContentTypeFacts> read_plain(std::string_view v) {
  size_t i = 0;
  auto blanks = [&] {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
  };
  auto token = [&] {
    size_t from = i;
    while (i < v.size() && is_token_char(v[i])) ++i;
    return v.substr(from, i - from);
  };
  blanks();
  std::string_view type = token();
  blanks();
  if (type.empty() || i >= v.size() || v[i] != '/') return std::nullopt;
  ++i;
  blanks();
  std::string_view subtype = token();
  if (subtype.empty()) return std::nullopt;
  std::optional<std::string> boundary;
  for (;;) {
    blanks();
    if (i == v.size()) break;
    if (v[i] != ';') return std::nullopt;
    ++i;
    blanks();
    if (i == v.size()) break;
    std::string_view name = token();
    if (name.empty() || name.find('*') != std::string_view::npos) return std::nullopt;
    blanks();
    if (i >= v.size() || v[i] != '=') return std::nullopt;
    ++i;
    blanks();
    std::string_view value;
    if (i < v.size() && v[i] == '"') {
      size_t close = v.find('"', i + 1);
      if (close == std::string_view::npos) return std::nullopt;
      value = v.substr(i + 1, close - i - 1);
      if (value.find('\\') != std::string_view::npos) return std::nullopt;
      if (!value.empty() &&
          (value.front() == ' ' || value.back() == ' ' || value.front() == '\t' || value.back() == '\t'))
        return std::nullopt;
      i = close + 1;
    } else {
      value = token();
      if (value.empty()) return std::nullopt;
    }
    for (char c : value)
      if (static_cast<unsigned char>(c) < ' ' || c == 127) return std::nullopt;
    if (text::iequals(name, "boundary")) {
      if (boundary) return std::nullopt;  // which one wins is GMime's to say
      boundary = std::string(value);
    }
  }
  return facts_of(type, subtype, boundary.value_or(std::string()));
}

}  // namespace

ContentTypeFacts read_content_type_with_gmime(const std::string& value) {
  // Same parameter compliance mode as the parser's options in parser.cpp.
  static GMimeParserOptions* options = [] {
    GMimeParserOptions* o = g_mime_parser_options_new();
    g_mime_parser_options_set_parameter_compliance_mode(o, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_rfc2047_compliance_mode(o, GMIME_RFC_COMPLIANCE_LOOSE);
    return o;
  }();
  ensure_initialized();
  GMimeContentType* ct = g_mime_content_type_parse(options, value.c_str());
  if (!ct) return {};
  const char* b = g_mime_content_type_get_parameter(ct, "boundary");
  ContentTypeFacts f = facts_of(
      g_mime_content_type_get_media_type(ct) ? g_mime_content_type_get_media_type(ct) : "",
      g_mime_content_type_get_media_subtype(ct) ? g_mime_content_type_get_media_subtype(ct) : "", b ? b : "");
  g_object_unref(ct);
  return f;
}

ContentTypeFacts read_content_type(const std::string& value) {
  // GMime reads the media type as a plain token, so a value without either word is
  // neither; most parts are text or files.
  if (!icontains(value, "multipart") && !icontains(value, "message")) return {};
  // GMime's parse (a GObject made and freed) was half the cost of the scan.
  if (auto f = read_plain(value)) return *f;
  return read_content_type_with_gmime(value);
}

StructureScanner::StructureScanner(const StructureLimits& limits) : limits_(limits) {
  ensure_initialized();  // GMime reads the Content-Type values
  result_.parts = 1;     // the mail itself
  line_.reserve(256);
}

bool StructureScanner::feed(std::string_view bytes) {
  while (!done_ && !bytes.empty()) {
    const void* nl = std::memchr(bytes.data(), '\n', bytes.size());
    size_t n = nl ? static_cast<size_t>(static_cast<const char*>(nl) - bytes.data()) : bytes.size();
    std::string_view seg = bytes.substr(0, n);
    // In a body only lines that may be boundary lines ("--…") are looked at; their
    // first bytes are kept, and of the rest only whether it is all blanks.
    bool want = in_headers_ || (line_len_ == 0 ? (!seg.empty() && seg[0] == '-') : !line_.empty());
    if (want) {
      size_t keep = std::min(seg.size(), kLineKeep - std::min(kLineKeep, line_.size()));
      line_.append(seg.data(), keep);
      if (tail_blank_)
        for (char c : seg.substr(keep))
          if (!is_blank(c)) {
            tail_blank_ = false;
            break;
          }
    }
    line_len_ += n;
    if (!nl) break;
    end_line();
    pos_ += line_len_ + 1;
    line_len_ = 0;
    line_.clear();
    tail_blank_ = true;
    bytes.remove_prefix(n + 1);
  }
  return !done_;
}

StructureScan StructureScanner::finish() {
  if (!done_ && line_len_ > 0) end_line();
  if (!result_.cut)
    result_.unclosed = static_cast<size_t>(
        std::count_if(open_.begin(), open_.end(), [](const Open& o) { return o.had_part; }));
  done_ = true;
  return result_;
}

void StructureScanner::stop(StructureScan::Over why, uint64_t at) {
  result_.over = why;
  result_.cut = at;
  done_ = true;
}

void StructureScanner::enter(size_t depth, bool digest_child, uint64_t at) {
  if (result_.parts + 1 > limits_.max_parts) return stop(StructureScan::Over::kParts, at);
  if (depth > limits_.max_depth) return stop(StructureScan::Over::kDepth, at);
  ++result_.parts;
  result_.depth = std::max(result_.depth, depth);
  in_headers_ = true;
  depth_ = depth;
  digest_child_ = digest_child;
  content_type_.clear();
  has_content_type_ = false;
  in_content_type_ = false;
}

void StructureScanner::end_line() {
  std::string_view line = line_;
  bool dashes = line.size() >= 2 && line[0] == '-' && line[1] == '-';
  if (in_headers_) {
    if (dashes && !open_.empty() && boundary_line(line)) return;  // GMime ends headers there too
    if (line_len_ == 0 || (line_len_ == 1 && line == "\r")) return end_headers();
    return header_line(line);
  }
  if (dashes && !open_.empty()) (void)boundary_line(line);
}

bool StructureScanner::boundary_line(std::string_view line) {
  if (line_len_ > line.size() && !tail_blank_) return false;  // more than blanks past what was kept
  std::string_view t = trim_blanks_right(line).substr(2);
  for (size_t k = open_.size(); k-- > 0;) {
    const std::string& b = open_[k].boundary;
    if (t.size() < b.size() || t.compare(0, b.size(), b) != 0) continue;
    std::string_view rest = t.substr(b.size());
    if (rest == "--") {  // the end of this multipart and of every one inside it
      depth_ = open_[k].depth;
      open_.resize(k);
      in_headers_ = false;
      return true;
    }
    if (rest.empty()) {
      Open& o = open_[k];
      o.had_part = true;
      size_t depth = o.depth + 1;
      bool digest = o.digest;
      open_.resize(k + 1);
      enter(depth, digest, pos_);
      return true;
    }
  }
  return false;
}

void StructureScanner::header_line(std::string_view line) {
  bool continuation = line[0] == ' ' || line[0] == '\t';
  if (!continuation) {
    if (header_fields_ + 1 > limits_.max_header_fields) return stop(StructureScan::Over::kHeaderFields, pos_);
    ++header_fields_;
    field_pos_ = pos_;
  }
  if (header_bytes_ + line_len_ + 1 > limits_.max_header_bytes)
    return stop(StructureScan::Over::kHeaderBytes, pos_);
  header_bytes_ += line_len_ + 1;
  if (!continuation) {
    auto value = content_type_value(line);
    in_content_type_ = value.has_value();
    if (!value) return;
    content_type_.clear();  // the last Content-Type is the one GMime uses
    has_content_type_ = true;
    line = *value;
  } else if (!in_content_type_) {
    return;
  }
  // A value longer than the scan keeps could hide its boundary: such a header is
  // not one any mail program writes, and the entity is cut before it.
  if (line_len_ > line_.size() || content_type_.size() + line.size() > kLineKeep)
    return stop(StructureScan::Over::kContentType, field_pos_);
  content_type_.append(trim_blanks_right(line));
}

void StructureScanner::end_headers() {
  in_headers_ = false;
  ContentTypeFacts f;
  if (has_content_type_)
    f = read_content_type(content_type_);
  else
    f.message = digest_child_;  // in a digest a part without a type is a mail
  if (f.multipart && !f.boundary.empty()) {
    open_.push_back(Open{std::move(f.boundary), depth_, f.digest});
  } else if (f.message) {
    enter(depth_ + 1, false, pos_ + line_len_ + 1);  // its headers start on the next line
  }
}

StructureScan scan_structure(std::string_view raw, const StructureLimits& limits) {
  StructureScanner s(limits);
  (void)s.feed(raw);
  return s.finish();
}

}  // namespace mailcase::mime

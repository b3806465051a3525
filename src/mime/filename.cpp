#include "mime/filename.h"

#include <cctype>

#include "util/text.h"

namespace mailcase::mime {

std::string safe_filename(std::string_view name, std::string_view fallback) {
  std::string n = text::strip_bidi_controls(text::make_valid_utf8(name));
  // Only the last path component: a name is never a path.
  size_t slash = n.find_last_of("/\\");
  if (slash != std::string::npos) n = n.substr(slash + 1);
  std::string out;
  out.reserve(n.size());
  for (unsigned char c : n) {
    if (c < 0x20 || c == 0x7f) continue;
    if (c == ':' || c == '*' || c == '?' || c == '"' || c == '<' || c == '>' || c == '|') {
      out += '_';
      continue;
    }
    out += static_cast<char>(c);
  }
  size_t b = out.find_first_not_of(" .");
  out = b == std::string::npos ? std::string() : out.substr(b);
  while (!out.empty() && (out.back() == ' ' || out.back() == '.')) out.pop_back();
  if (out.empty()) return std::string(fallback);
  constexpr size_t kMax = 200;
  if (out.size() > kMax) {
    size_t dot = out.rfind('.');
    std::string ext = dot != std::string::npos && out.size() - dot <= 16 ? out.substr(dot) : "";
    size_t keep = kMax - ext.size();
    // Cut on a UTF-8 boundary.
    while (keep > 0 && (static_cast<unsigned char>(out[keep]) & 0xC0) == 0x80) --keep;
    out = out.substr(0, keep) + ext;
  }
  return out;
}

std::string attachment_disposition(std::string_view name) {
  std::string ascii;
  for (unsigned char ch : name)
    ascii += ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\' ? '_' : static_cast<char>(ch);
  static const char* hexd = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char ch : name) {
    if (std::isalnum(ch) ||
        std::string_view("!#$&+-.^_`|~").find(static_cast<char>(ch)) != std::string_view::npos)
      encoded += static_cast<char>(ch);
    else
      encoded += std::string("%") + hexd[ch >> 4] + hexd[ch & 15];
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

std::string harmless_content_type(std::string_view stored) {
  std::string t = text::ascii_lower(text::trim(stored.substr(0, stored.find(';'))));
  t = std::string(text::trim(t));
  static constexpr std::string_view kPrefixes[] = {"image/", "audio/", "video/"};
  static constexpr std::string_view kExact[] = {
      "application/pdf",
      "text/plain",
      "text/csv",
      "application/zip",
      "application/gzip",
      "application/msword",
      "application/vnd.ms-excel",
      "application/vnd.ms-powerpoint",
      "application/vnd.oasis.opendocument.text",
      "application/vnd.oasis.opendocument.spreadsheet",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "application/vnd.openxmlformats-officedocument.presentationml.presentation"};
  bool ok = false;
  for (auto p : kPrefixes) ok = ok || (t.starts_with(p) && t.size() > p.size());
  for (auto e : kExact) ok = ok || t == e;
  // SVG is an image that runs script, and XML may be shown as a page (the office formats'
  // names hold "openxml" and stay); anything with characters outside a token is not a type.
  if (t.find("svg") != std::string::npos || t.ends_with("xml")) ok = false;
  for (char c : t)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '-' || c == '+'))
      ok = false;
  return ok ? t : std::string("application/octet-stream");
}

}  // namespace mailcase::mime

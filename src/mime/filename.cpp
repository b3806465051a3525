#include "mime/filename.h"

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

}  // namespace mailcase::mime

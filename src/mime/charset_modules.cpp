#include "mime/charset_modules.h"

#include <glib.h>
#include <gmime/gmime.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "mime/parser.h"
#include "util/text.h"

namespace mailcase::mime {

namespace {

bool charset_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == ':' || c == '+' || c == '-';
}

constexpr size_t kMaxCharsetName = 40;

struct Kept {
  std::mutex mu;
  std::map<std::string, GIConv, std::less<>> open;  // by iconv name; never closed
};

Kept& kept() {
  // Never destroyed: the converters stay open until the process ends, and a thread still
  // decoding as the process exits must not find the set gone.
  static Kept* k = new Kept;
  return *k;
}

}  // namespace

std::vector<std::string> encoded_word_charsets(std::string_view head, size_t max_names) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (out.size() < max_names) {
    size_t at = head.find("=?", pos);
    if (at == std::string_view::npos) break;
    size_t begin = at + 2;
    size_t end = begin;
    while (end < head.size() && end - begin <= kMaxCharsetName && charset_byte(head[end])) ++end;
    pos = begin;
    // A charset ends at the '?' before the encoding, or at RFC 2231's '*' before a language.
    if (end == begin || end - begin > kMaxCharsetName || end >= head.size() ||
        (head[end] != '?' && head[end] != '*'))
      continue;
    std::string name = text::ascii_lower(head.substr(begin, end - begin));
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
    pos = end;
  }
  return out;
}

void keep_charset_loaded(std::string_view charset) {
  if (charset.empty() || charset.size() > kMaxCharsetName) return;
  const std::string name(charset);
  ensure_initialized();  // GMime's charset names
  // GMime's canonical iconv name: what GMime and the body's conversion both open.
  const char* iconv_name = g_mime_charset_iconv_name(name.c_str());
  if (!iconv_name) return;
  Kept& k = kept();
  std::lock_guard lock(k.mu);
  if (k.open.size() >= kMaxKeptCharsets || k.open.count(std::string_view(iconv_name)) > 0) return;
  GIConv cd = g_iconv_open("UTF-8", iconv_name);
  if (cd != reinterpret_cast<GIConv>(-1)) k.open.emplace(iconv_name, cd);
}

size_t kept_charset_count() {
  Kept& k = kept();
  std::lock_guard lock(k.mu);
  return k.open.size();
}

}  // namespace mailcase::mime

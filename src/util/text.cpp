#include "util/text.h"

#include <algorithm>
#include <cctype>

namespace mailcase::text {

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n\f\v";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string_view::npos) {
      if (start < s.size()) lines.push_back(s.substr(start));
      break;
    }
    size_t end = nl;
    if (end > start && s[end - 1] == '\r') --end;
    lines.push_back(s.substr(start, end - start));
    start = nl + 1;
  }
  return lines;
}

std::string make_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  while (i < s.size()) {
    unsigned char c = p[i];
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      // A run of ASCII at once: mail text is mostly ASCII, and every body passes here.
      size_t end = i + 1;
      while (end < s.size() && p[end] < 0x80) ++end;
      out.append(s.substr(i, end - i));
      i = end;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    }
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80)
        ok = false;
      else
        cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (ok) {
      // Reject overlong forms, surrogates and out-of-range code points.
      if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
          cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        ok = false;
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

namespace {

// RFC 5322 §3.2.3: the characters of an atom.
bool is_atext(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (std::isalnum(u) != 0) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// Whether s is a dot-atom: atoms joined by single dots.
bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (s[i + 1] == '.') return false;
    } else if (!is_atext(s[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string normalize_email(std::string_view address) {
  std::string_view a = trim(address);
  if (!a.empty() && a.front() == '<') a.remove_prefix(1);
  if (!a.empty() && a.back() == '>') a.remove_suffix(1);
  std::string out = ascii_lower(trim(a));
  // "local"@domain: the quotes go when what they hold (its \-escapes read) is a dot-atom.
  const size_t at = out.rfind('@');
  if (at != std::string::npos && at >= 2 && out.front() == '"' && out[at - 1] == '"') {
    std::string local;
    bool escaped = false, ok = true;
    for (size_t i = 1; i + 1 < at && ok; ++i) {
      const char c = out[i];
      if (!escaped && c == '\\') {
        escaped = true;
        continue;
      }
      if (!escaped && c == '"') ok = false;  // a quote inside: not one quoted string
      local += c;
      escaped = false;
    }
    if (ok && !escaped && is_dot_atom(local)) out = local + out.substr(at);
  }
  return out;
}

std::string mailbox_key(std::string_view address) {
  std::string a = normalize_email(address);
  const auto at = a.rfind('@');
  const auto plus = a.find('+');
  if (plus == std::string::npos || plus == 0 || (at != std::string::npos && plus > at)) return a;
  return a.substr(0, plus) + (at == std::string::npos ? std::string() : a.substr(at));
}

std::string email_domain(std::string_view address) {
  std::string a = normalize_email(address);
  const auto at = a.rfind('@');
  return at == std::string::npos ? std::string() : a.substr(at + 1);
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string hex(const unsigned char* data, size_t len) {
  static const char* digits = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (size_t i = 0; i < len; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0xF];
  }
  return out;
}

namespace {

// Decodes the UTF-8 sequence at s[i] (valid input assumed); returns its length.
size_t decode_at(std::string_view s, size_t i, char32_t& cp) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 1;
  if (i + len > s.size()) len = 1;
  cp = len == 1 ? b : b & (0xFF >> (len + 1));
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return len;
}

bool is_bidi_control(char32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F ||
         cp == 0x061C;
}

bool is_control(char32_t cp, bool single_line) {
  if (cp == '\n' || cp == '\t') return single_line;
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

}  // namespace

std::string strip_bidi_controls(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    size_t len = decode_at(s, i, cp);
    if (!is_bidi_control(cp)) out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

std::string terminal_safe(std::string_view s, bool single_line) {
  const std::string valid = make_valid_utf8(s);
  std::string out;
  out.reserve(valid.size());
  for (size_t i = 0; i < valid.size();) {
    char32_t cp = 0;
    size_t len = decode_at(valid, i, cp);
    if (is_control(cp, single_line))
      out += "\xEF\xBF\xBD";
    else
      out.append(valid, i, len);
    i += len;
  }
  return out;
}

std::string one_line(std::string_view s) {
  const std::string valid = make_valid_utf8(s);
  std::string out;
  out.reserve(valid.size());
  for (size_t i = 0; i < valid.size();) {
    char32_t cp = 0;
    size_t len = decode_at(valid, i, cp);
    if (!is_control(cp, true))
      out.append(valid, i, len);
    else if (out.empty() || out.back() != ' ')
      out += ' ';
    i += len;
  }
  return std::string(trim(out));
}

bool is_b64token(std::string_view s) {
  const size_t end = s.find_last_not_of('=');
  if (end == std::string_view::npos) return false;
  return std::all_of(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(end) + 1, [](char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
           ch == '.' || ch == '_' || ch == '~' || ch == '+' || ch == '/';
  });
}

std::string capitalized(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

bool is_clean_text(std::string_view s, bool single_line) {
  if (make_valid_utf8(s) != s) return false;
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    size_t len = decode_at(s, i, cp);
    if (cp != '\r' && is_control(cp, single_line)) return false;
    if (cp == '\r' && single_line) return false;
    i += len;
  }
  return true;
}

std::string lf_line_ends(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\r') {
      out += s[i];
      continue;
    }
    out += '\n';
    if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

std::string url_encode(std::string_view s, std::string_view keep) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (c != 0 && keep.find(static_cast<char>(c)) != std::string_view::npos)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace mailcase::text

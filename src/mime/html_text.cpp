#include "mime/html_text.h"

#include <gumbo.h>

#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include "util/text.h"

namespace mailcase::mime {
namespace {

bool is_block(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_P:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_FORM:
      return true;
    default:
      return false;
  }
}

bool is_skipped(GumboTag t) {
  return t == GUMBO_TAG_SCRIPT || t == GUMBO_TAG_STYLE || t == GUMBO_TAG_HEAD || t == GUMBO_TAG_TITLE ||
         t == GUMBO_TAG_TEMPLATE || t == GUMBO_TAG_NOSCRIPT;
}

class Writer {
 public:
  void text(std::string_view s, bool pre) {
    for (char c : s) {
      if (!pre && (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f')) {
        pending_space_ = !out_.empty() && out_.back() != '\n';
        continue;
      }
      if (pending_space_) out_ += ' ';
      pending_space_ = false;
      out_ += c;
    }
  }
  void newline(int want) {
    pending_space_ = false;
    while (!out_.empty() && out_.back() == ' ') out_.pop_back();
    if (out_.empty()) return;
    int have = 0;
    for (auto it = out_.rbegin(); it != out_.rend() && *it == '\n'; ++it) ++have;
    for (; have < want; ++have) out_ += '\n';
  }
  void raw(std::string_view s) {
    if (pending_space_) out_ += ' ';
    pending_space_ = false;
    out_ += s;
  }
  std::string take() { return std::string(text::trim(out_)); }
  const std::string& current() const { return out_; }

 private:
  std::string out_;
  bool pending_space_ = false;
};

std::string inner_text(const GumboNode* node) {
  std::string s;
  std::vector<const GumboNode*> stack{node};
  while (!stack.empty() && s.size() < 4096) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE)
      s += n->v.text.text;
    else if (n->type == GUMBO_NODE_ELEMENT) {
      const GumboVector& ch = n->v.element.children;
      for (unsigned i = ch.length; i > 0; --i) stack.push_back(static_cast<const GumboNode*>(ch.data[i - 1]));
    }
  }
  return std::string(text::trim(s));
}

// Collapses runs of more than one blank line.
std::string collapse_blank_lines(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  int newlines = 0;
  for (char c : s) {
    if (c == '\n') {
      if (++newlines > 2) continue;
    } else {
      newlines = 0;
    }
    out += c;
  }
  return out;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == ':' ||
         c == '_';
}

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool name_in(std::string_view name, std::initializer_list<std::string_view> set) {
  for (auto s : set)
    if (text::iequals(name, s)) return true;
  return false;
}

// Elements that never hold children (void) or whose end tag is optional and usually
// left out (p, li, td...): they do not deepen the tree as the pre-scan counts it, so
// ordinary sloppy mail HTML is not mistaken for hostile nesting.
bool adds_no_depth(std::string_view name) {
  return name_in(name,
                 {"area",    "base",  "br",     "col",    "embed",    "hr",    "img",   "input", "link",
                  "meta",    "param", "source", "track",  "wbr",      "p",     "li",    "dt",    "dd",
                  "tr",      "td",    "th",     "option", "optgroup", "tbody", "thead", "tfoot", "colgroup",
                  "caption", "rb",    "rt",     "rp",     "html",     "head",  "body"});
}

bool is_raw_text(std::string_view name) {
  return name_in(name, {"script", "style", "textarea", "title", "xmp"});
}

// A tag at s[i] == '<': its name (empty for comments, doctypes and stray '<'), whether
// it closes, and where scanning resumes. Attribute values are not quote-aware: a '>'
// inside one ends the tag early, which only makes the estimate (and the stripped text)
// slightly off, never unbounded.
struct TagAt {
  std::string_view name;
  bool closing = false;
  bool self_closing = false;
  size_t next = 0;
};

TagAt scan_tag(std::string_view s, size_t i) {
  TagAt t;
  size_t j = i + 1;
  if (s.substr(i, 4) == "<!--") {
    auto end = s.find("-->", i + 4);
    t.next = end == std::string_view::npos ? s.size() : end + 3;
    return t;
  }
  if (j < s.size() && (s[j] == '!' || s[j] == '?')) {
    auto end = s.find('>', j);
    t.next = end == std::string_view::npos ? s.size() : end + 1;
    return t;
  }
  if (j < s.size() && s[j] == '/') {
    t.closing = true;
    ++j;
  }
  if (j >= s.size() || !is_alpha(s[j])) {
    t.next = i + 1;  // a lone '<' is text
    return t;
  }
  size_t k = j;
  while (k < s.size() && is_name_char(s[k])) ++k;
  t.name = s.substr(j, k - j);
  auto end = s.find('>', k);
  if (end == std::string_view::npos) {
    t.next = s.size();
  } else {
    t.self_closing = end > k && s[end - 1] == '/';
    t.next = end + 1;
  }
  return t;
}

// Where the raw-text element `name` opened before `from` ends (after its end tag).
size_t skip_raw_text(std::string_view s, size_t from, std::string_view name) {
  for (size_t i = s.find("</", from); i != std::string_view::npos; i = s.find("</", i + 2)) {
    if (text::istarts_with(s.substr(i + 2), name)) {
      auto end = s.find('>', i);
      return end == std::string_view::npos ? s.size() : end + 1;
    }
  }
  return s.size();
}

// Bounds on what gumbo is given. gumbo 0.10 has no depth limit and its cost grows with
// the square of the nesting depth (100,000 nested <div>: half a minute); real mail HTML
// nests a few dozen levels.
constexpr size_t kMaxGumboDepth = 400;
constexpr size_t kMaxGumboBytes = 8 * 1024 * 1024;
constexpr size_t kMaxGumboTags = 200000;

// gumbo re-opens the formatting elements (a, b, font...) left open when a block ends,
// copying them with their attributes into each new block (HTML's "reconstruct the
// active formatting elements"): one <a href="...32 KB..."> and 8,000 <p> made 250 MB of
// copies, and as many link addresses in the text. Bound on the bytes those copies may
// take, estimated as below; real mail stays far under it.
constexpr size_t kMaxGumboCopyBytes = 16 * 1024 * 1024;

// The formatting elements of the HTML standard, each with its index in open_formatting.
int formatting_index(std::string_view name) {
  static constexpr std::string_view kNames[] = {"a",    "b", "big",   "code",   "em",     "font", "i",
                                                "nobr", "s", "small", "strike", "strong", "tt",   "u"};
  for (size_t k = 0; k < std::size(kNames); ++k)
    if (text::iequals(name, kNames[k])) return static_cast<int>(k);
  return -1;
}

// One linear pass: whether gumbo may parse this document within the bounds above.
bool fits_gumbo(std::string_view s) {
  if (s.size() > kMaxGumboBytes) return false;
  size_t depth = 0, tags = 0;
  // Formatting elements not closed yet (per name, the size of each start tag plus a
  // node's overhead) and their total: what any other tag may make gumbo copy.
  std::vector<size_t> open_formatting[14];
  size_t open_bytes = 0, copy_bytes = 0;
  for (size_t i = s.find('<'); i != std::string_view::npos; i = s.find('<', i)) {
    const size_t start = i;
    TagAt t = scan_tag(s, i);
    i = t.next;
    if (t.name.empty()) continue;
    if (++tags > kMaxGumboTags) return false;
    // "<b/>" opens a b like "<b>": HTML ignores the slash on elements that are not void.
    if (const int f = formatting_index(t.name); f >= 0) {
      auto& open = open_formatting[f];
      if (!t.closing) {
        open.push_back(t.next - start + 64);
        open_bytes += open.back();
      } else if (!open.empty()) {
        open_bytes -= open.back();
        open.pop_back();
      }
    } else if ((copy_bytes += open_bytes) > kMaxGumboCopyBytes) {
      return false;
    }
    if (t.closing) {
      if (!adds_no_depth(t.name) && depth > 0) --depth;
      continue;
    }
    if (is_raw_text(t.name) && !t.self_closing) {
      i = skip_raw_text(s, i, t.name);
      continue;
    }
    if (t.self_closing || adds_no_depth(t.name)) continue;
    if (++depth > kMaxGumboDepth) return false;
  }
  return true;
}

// "&amp;" and friends at s[i] == '&': appends the character(s) and returns the length
// consumed, or 0 when this is no entity we know (the '&' is then kept as text).
size_t decode_entity(std::string_view s, size_t i, std::string& out) {
  static constexpr std::pair<std::string_view, std::string_view> kNamed[] = {
      {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&nbsp;", " "}};
  for (const auto& [name, value] : kNamed) {
    if (text::istarts_with(s.substr(i), name)) {
      out += value;
      return name.size();
    }
  }
  if (i + 2 < s.size() && s[i + 1] == '#') {
    size_t j = i + 2;
    bool hex = j < s.size() && (s[j] == 'x' || s[j] == 'X');
    if (hex) ++j;
    uint32_t cp = 0;
    size_t digits = 0;
    for (; j < s.size() && digits < 8; ++j, ++digits) {
      char c = s[j];
      int v = (c >= '0' && c <= '9')          ? c - '0'
              : hex && (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : hex && (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                              : -1;
      if (v < 0) break;
      cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
    }
    if (digits == 0 || j >= s.size() || s[j] != ';') return 0;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return j + 1 - i;
  }
  return 0;
}

// The fallback for HTML too deep or too large for gumbo: tags stripped in one linear
// pass, block tags as line breaks, scripts, styles and comments dropped, common
// entities decoded. Coarser than the tree walk, but every word of text is kept.
std::string strip_tags(std::string_view s) {
  Writer w;
  std::string chunk;
  size_t i = 0;
  while (i < s.size()) {
    size_t lt = s.find('<', i);
    size_t stop = lt == std::string_view::npos ? s.size() : lt;
    chunk.clear();
    for (size_t k = i; k < stop;) {
      if (s[k] == '&') {
        if (size_t n = decode_entity(s, k, chunk); n > 0) {
          k += n;
          continue;
        }
      }
      chunk += s[k++];
    }
    w.text(chunk, false);
    if (lt == std::string_view::npos) break;
    TagAt t = scan_tag(s, lt);
    i = t.next;
    if (t.name.empty()) {
      if (t.next == lt + 1) w.text("<", false);  // a lone '<'
      continue;
    }
    if (!t.closing && !t.self_closing && name_in(t.name, {"script", "style", "title", "template"})) {
      i = skip_raw_text(s, i, t.name);
      continue;
    }
    if (text::iequals(t.name, "br")) {
      w.newline(1);
    } else if (text::iequals(t.name, "li") && !t.closing) {
      w.newline(1);
      w.raw("- ");
    } else if (name_in(t.name,
                       {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol"})) {
      w.newline(2);
    } else if (name_in(t.name, {"div", "tr", "li", "hr", "pre", "section", "article", "header", "footer",
                                "address", "dl", "dt", "dd", "center", "form"})) {
      w.newline(1);
    } else if (name_in(t.name, {"td", "th"}) && t.closing) {
      w.raw("\t");
    }
  }
  return collapse_blank_lines(w.take());
}

}  // namespace

std::string html_to_text(std::string_view html) {
  if (!fits_gumbo(html)) return strip_tags(html);
  GumboOptions opts = kGumboDefaultOptions;
  opts.max_errors = 100;
  GumboOutput* doc = gumbo_parse_with_options(&opts, html.data(), html.size());
  if (!doc) return std::string(html);
  Writer w;
  // Iterative walk: hostile nesting depth cannot exhaust the stack.
  struct Frame {
    const GumboNode* node;
    bool closing;
    int pre;
  };
  std::vector<Frame> stack{{doc->root, false, 0}};
  while (!stack.empty()) {
    Frame f = stack.back();
    stack.pop_back();
    const GumboNode* n = f.node;
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE || n->type == GUMBO_NODE_CDATA) {
      w.text(n->v.text.text, f.pre > 0);
      continue;
    }
    if (n->type != GUMBO_NODE_ELEMENT) continue;
    GumboTag tag = n->v.element.tag;
    if (f.closing) {
      if (tag == GUMBO_TAG_A) {
        GumboAttribute* href = gumbo_get_attribute(&n->v.element.attributes, "href");
        if (href && href->value && *href->value && std::string_view(href->value).rfind("mailto:", 0) != 0) {
          std::string label = inner_text(n);
          if (label != href->value) w.raw(std::string(" <") + href->value + ">");
        }
      } else if (tag == GUMBO_TAG_P || (tag >= GUMBO_TAG_H1 && tag <= GUMBO_TAG_H6) ||
                 tag == GUMBO_TAG_TABLE || tag == GUMBO_TAG_BLOCKQUOTE || tag == GUMBO_TAG_UL ||
                 tag == GUMBO_TAG_OL) {
        w.newline(2);
      } else if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH) {
        w.raw("\t");
      } else if (is_block(tag)) {
        w.newline(1);
      }
      continue;
    }
    if (is_skipped(tag)) continue;
    if (tag == GUMBO_TAG_BR) {
      w.newline(1);
      continue;
    }
    if (tag == GUMBO_TAG_HR) {
      w.newline(1);
      w.raw("----");
      w.newline(1);
      continue;
    }
    if (tag == GUMBO_TAG_IMG) {
      GumboAttribute* alt = gumbo_get_attribute(&n->v.element.attributes, "alt");
      if (alt && alt->value && *alt->value) w.raw(std::string("[") + alt->value + "]");
      continue;
    }
    if (tag == GUMBO_TAG_LI) {
      w.newline(1);
      w.raw("- ");
    } else if (is_block(tag)) {
      w.newline(tag == GUMBO_TAG_P || tag == GUMBO_TAG_BLOCKQUOTE ? 2 : 1);
    }
    int pre = f.pre + (tag == GUMBO_TAG_PRE ? 1 : 0);
    stack.push_back({n, true, pre});
    const GumboVector& ch = n->v.element.children;
    for (unsigned i = ch.length; i > 0; --i)
      stack.push_back({static_cast<const GumboNode*>(ch.data[i - 1]), false, pre});
  }
  gumbo_destroy_output(&opts, doc);
  // Collapse runs of blank lines left by nested blocks.
  return collapse_blank_lines(w.take());
}

bool html_fits_parser(std::string_view html) {
  return fits_gumbo(html);
}

}  // namespace mailcase::mime

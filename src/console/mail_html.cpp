#include "console/mail_html.h"

#include <gumbo.h>

#include <cctype>
#include <vector>

#include "mime/html_text.h"
#include "util/text.h"

namespace mailcase::console {
namespace {

enum class Action { kKeep, kUnwrap, kDrop };

// What is done with an element of the HTML namespace (any other namespace, svg and
// math, is dropped whole: Gmail shows neither).
Action action_of(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_HTML:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_BODY:
    case GUMBO_TAG_A:
    case GUMBO_TAG_ABBR:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_AREA:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_B:
    case GUMBO_TAG_BDI:
    case GUMBO_TAG_BDO:
    case GUMBO_TAG_BIG:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_CITE:
    case GUMBO_TAG_CODE:
    case GUMBO_TAG_COL:
    case GUMBO_TAG_COLGROUP:
    case GUMBO_TAG_DATA:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DEL:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_DFN:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_EM:
    case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FONT:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_HGROUP:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_I:
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_INS:
    case GUMBO_TAG_KBD:
    case GUMBO_TAG_LABEL:
    case GUMBO_TAG_LEGEND:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_MAP:
    case GUMBO_TAG_MARK:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_NOBR:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_P:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_Q:
    case GUMBO_TAG_RP:
    case GUMBO_TAG_RT:
    case GUMBO_TAG_RUBY:
    case GUMBO_TAG_S:
    case GUMBO_TAG_SAMP:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_SMALL:
    case GUMBO_TAG_SPAN:
    case GUMBO_TAG_STRIKE:
    case GUMBO_TAG_STRONG:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_SUB:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_SUP:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_TH:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TIME:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_TT:
    case GUMBO_TAG_U:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_VAR:
    case GUMBO_TAG_WBR:
      return Action::kKeep;
    // Active content, what loads or submits, what changes the document's base or
    // refreshes it, and what only scripts would fill.
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_FRAME:
    case GUMBO_TAG_FRAMESET:
    case GUMBO_TAG_NOFRAMES:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_APPLET:
    case GUMBO_TAG_PARAM:
    case GUMBO_TAG_BASE:
    case GUMBO_TAG_META:
    case GUMBO_TAG_LINK:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_FOREIGNOBJECT:
    case GUMBO_TAG_INPUT:
    case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_OPTION:
    case GUMBO_TAG_OPTGROUP:
    case GUMBO_TAG_DATALIST:
    case GUMBO_TAG_KEYGEN:
    case GUMBO_TAG_OUTPUT:
    case GUMBO_TAG_CANVAS:
    case GUMBO_TAG_AUDIO:
    case GUMBO_TAG_VIDEO:
    case GUMBO_TAG_SOURCE:
    case GUMBO_TAG_TRACK:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_NOEMBED:
    case GUMBO_TAG_BGSOUND:
    case GUMBO_TAG_ISINDEX:
    case GUMBO_TAG_MENUITEM:
    case GUMBO_TAG_IMAGE:
      return Action::kDrop;
    default:
      return Action::kUnwrap;  // form, unknown elements: their text stays
  }
}

bool is_void(GumboTag t) {
  return t == GUMBO_TAG_AREA || t == GUMBO_TAG_BR || t == GUMBO_TAG_COL || t == GUMBO_TAG_HR ||
         t == GUMBO_TAG_IMG || t == GUMBO_TAG_WBR;
}

// Presentational attributes, safe on any kept element (no URL, no script).
bool plain_attribute(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "abbr",     "align",   "alt",     "axis",   "bgcolor", "border",   "cellpadding", "cellspacing",
      "char",     "charoff", "class",   "clear",  "color",   "cols",     "colspan",     "compact",
      "datetime", "dir",     "face",    "frame",  "headers", "height",   "hspace",      "id",
      "lang",     "name",    "noshade", "nowrap", "open",    "reversed", "role",        "rowspan",
      "rules",    "scope",   "shape",   "coords", "size",    "span",     "start",       "summary",
      "title",    "type",    "valign",  "value",  "vspace",  "width"};
  for (auto n : kNames)
    if (name == n) return true;
  return name.starts_with("aria-") && name.size() < 40;
}

bool url_attribute(GumboTag t, std::string_view name, UrlUse* use) {
  if (name == "href" && (t == GUMBO_TAG_A || t == GUMBO_TAG_AREA)) {
    *use = UrlUse::kLink;
    return true;
  }
  if ((name == "src" && t == GUMBO_TAG_IMG) ||
      (name == "background" && (t == GUMBO_TAG_BODY || t == GUMBO_TAG_TABLE || t == GUMBO_TAG_TD ||
                                t == GUMBO_TAG_TH || t == GUMBO_TAG_TR))) {
    *use = UrlUse::kImage;
    return true;
  }
  return false;
}

// Text for a double-quoted attribute value or an element's text.
void append_escaped(std::string& out, std::string_view s) { out += text::html_escape(s); }

// Replaces every case-insensitive occurrence of `what` in s by `with`.
void replace_all_i(std::string& s, std::string_view what, std::string_view with) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (text::istarts_with(std::string_view(s).substr(i), what)) {
      out += with;
      i += what.size();
    } else {
      out += s[i++];
    }
  }
  s = std::move(out);
}

std::string percent_decode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The URL as a browser reads it: leading and trailing C0 controls and spaces stripped,
// tabs and newlines anywhere removed ("java\tscript:" is "javascript:").
std::string browser_form(std::string_view url) {
  size_t b = 0, e = url.size();
  while (b < e && static_cast<unsigned char>(url[b]) <= 0x20) ++b;
  while (e > b && static_cast<unsigned char>(url[e - 1]) <= 0x20) --e;
  std::string out;
  for (size_t i = b; i < e; ++i)
    if (url[i] != '\t' && url[i] != '\n' && url[i] != '\r') out += url[i];
  return out;
}

// The scheme, lower-case, or "" for a relative URL.
std::string scheme_of(std::string_view url) {
  const size_t colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) return "";
  for (size_t i = 0; i < colon; ++i) {
    const char c = url[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
    if (!ok) return "";
  }
  return text::ascii_lower(url.substr(0, colon));
}

bool raster_data_image(std::string_view url) {
  for (std::string_view p : {"data:image/png;", "data:image/gif;", "data:image/jpeg;", "data:image/jpg;",
                             "data:image/webp;", "data:image/png,", "data:image/gif,", "data:image/jpeg,"})
    if (text::istarts_with(url, p)) return true;
  return false;
}

class Cleaner {
 public:
  Cleaner(const MailHtmlOptions& opt, std::string note) : opt_(opt), note_(std::move(note)) {}

  std::string run(const GumboNode* root) {
    out_ = "<!doctype html>";
    // Iterative walk: an entry is a node to write, or (node null) an end tag to write.
    struct Entry {
      const GumboNode* node;
      std::string close;
    };
    std::vector<Entry> stack{{root, {}}};
    while (!stack.empty()) {
      Entry e = std::move(stack.back());
      stack.pop_back();
      if (!e.node) {
        out_ += e.close;
        continue;
      }
      const GumboNode* n = e.node;
      if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE || n->type == GUMBO_NODE_CDATA) {
        append_escaped(out_, n->v.text.text);
        continue;
      }
      if (n->type != GUMBO_NODE_ELEMENT) continue;  // comments, the document node's doctype
      const GumboElement& el = n->v.element;
      Action a = el.tag_namespace == GUMBO_NAMESPACE_HTML ? action_of(el.tag) : Action::kDrop;
      if (a == Action::kDrop) continue;
      if (a == Action::kKeep && el.tag == GUMBO_TAG_STYLE) {
        write_style(el);
        continue;
      }
      if (a == Action::kKeep) {
        write_start(el);
        if (el.tag == GUMBO_TAG_BODY) write_note();
        if (!is_void(el.tag))
          stack.push_back({nullptr, std::string("</") + gumbo_normalized_tagname(el.tag) + ">"});
      }
      if (is_void(el.tag)) continue;
      for (unsigned i = el.children.length; i > 0; --i)
        stack.push_back({static_cast<const GumboNode*>(el.children.data[i - 1]), {}});
    }
    if (!note_written_ && !note_.empty()) write_note();
    return std::move(out_);
  }

  int remote_images() const { return remote_images_; }

 private:
  void write_note() {
    note_written_ = true;
    if (note_.empty()) return;
    out_ += "<p>";
    append_escaped(out_, note_);
    out_ += "</p>";
  }

  void write_style(const GumboElement& el) {
    std::string css;
    for (unsigned i = 0; i < el.children.length; ++i) {
      const auto* c = static_cast<const GumboNode*>(el.children.data[i]);
      if (c->type == GUMBO_NODE_TEXT || c->type == GUMBO_NODE_WHITESPACE) css += c->v.text.text;
    }
    css = clean_mail_css(css, opt_.remote_images);
    // No "<" at all: the style element cannot be closed early nor anything opened.
    std::string safe;
    for (char c : css) safe += c == '<' ? std::string("\\3c ") : std::string(1, c);
    out_ += "<style>" + safe + "</style>";
  }

  void write_start(const GumboElement& el) {
    out_ += '<';
    out_ += gumbo_normalized_tagname(el.tag);
    bool link = false, fragment = false;
    for (unsigned i = 0; i < el.attributes.length; ++i) {
      const auto* at = static_cast<const GumboAttribute*>(el.attributes.data[i]);
      if (at->attr_namespace != GUMBO_ATTR_NAMESPACE_NONE) continue;  // xlink:href, xml:base...
      const std::string name = text::ascii_lower(at->name);
      const std::string_view value = at->value ? at->value : "";
      UrlUse use{};
      std::string kept;
      if (url_attribute(el.tag, name, &use)) {
        CheckedUrl u = check_mail_url(value, use, opt_);
        if (u.verdict == UrlVerdict::kRemoteImage) ++remote_images_;
        if (u.verdict != UrlVerdict::kKeep) continue;
        if (use == UrlUse::kLink) (u.url.starts_with("#") ? fragment : link) = true;
        kept = std::move(u.url);
      } else if (name == "style") {
        kept = clean_mail_css(value, opt_.remote_images);
      } else if (plain_attribute(name)) {
        kept = std::string(value);
      } else {
        continue;  // on*, srcdoc, action, formaction, srcset, target, rel...
      }
      out_ += ' ';
      out_ += name;
      out_ += "=\"";
      append_escaped(out_, kept);
      out_ += '"';
    }
    if (link && !fragment) out_ += " target=\"_blank\" rel=\"noopener noreferrer\"";
    out_ += '>';
  }

  const MailHtmlOptions& opt_;
  std::string note_;
  bool note_written_ = false;
  std::string out_;
  int remote_images_ = 0;
};

std::string cut_utf8(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n));
}

}  // namespace

std::string encode_content_id(std::string_view cid) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : cid) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

CheckedUrl check_mail_url(std::string_view url, UrlUse use, const MailHtmlOptions& opt) {
  const std::string u = browser_form(url);
  const std::string scheme = scheme_of(u);
  if (use == UrlUse::kLink) {
    if (u.size() > 1 && u[0] == '#' && scheme.empty()) return {UrlVerdict::kKeep, u};
    if (scheme == "http" || scheme == "https" || scheme == "mailto" || scheme == "tel")
      return {UrlVerdict::kKeep, u};
    return {};  // javascript:, vbscript:, data:, file:, relative (into the console)...
  }
  if (scheme == "cid") {
    const std::string id = percent_decode(std::string_view(u).substr(4));
    if (id.empty() || opt.cid_prefix.empty()) return {};
    return {UrlVerdict::kKeep, opt.cid_prefix + encode_content_id(id) + opt.cid_query};
  }
  if (scheme == "data") return raster_data_image(u) ? CheckedUrl{UrlVerdict::kKeep, u} : CheckedUrl{};
  if (scheme == "https" && opt.remote_images) return {UrlVerdict::kKeep, u};
  if ((scheme == "https" || scheme == "http") && !opt.remote_images) return {UrlVerdict::kRemoteImage, {}};
  return {};
}

std::string clean_mail_css(std::string_view css, bool remote_images) {
  std::string s(css);
  if (remote_images) return s;
  // A CSS escape may spell a function's name ("u\72 l(" is url(): none is kept.
  for (char& c : s)
    if (c == '\\') c = ' ';
  replace_all_i(s, "url(", "blocked(");
  replace_all_i(s, "image-set(", "blocked(");
  replace_all_i(s, "@import", "@blocked");
  return s;
}

CleanMailHtml clean_mail_html(std::string_view html, const MailHtmlOptions& opt,
                              std::string_view extra_note) {
  CleanMailHtml r;
  std::string note(extra_note);
  std::string body;
  if (html.size() > kMaxMailHtmlBytes) {
    r.cut = true;
    body = cut_utf8(html, kMaxMailHtmlBytes);
    if (!note.empty()) note += " ";
    note += "This mail's HTML is longer than " + std::to_string(kMaxMailHtmlBytes / (1024 * 1024)) +
            " MB: only its beginning is shown.";
  } else {
    body = std::string(html);
  }
  if (!mime::html_fits_parser(body)) {
    r.as_text = true;
    std::string out = "<!doctype html><html><body><p>";
    append_escaped(out, note.empty()
                            ? std::string("This mail's HTML is nested too deeply to show; here is its text.")
                            : note + " Its HTML is nested too deeply to show; here is its text.");
    out += "</p><pre>";
    append_escaped(out, mime::html_to_text(body));
    out += "</pre></body></html>";
    r.html = std::move(out);
    return r;
  }
  GumboOptions opts = kGumboDefaultOptions;
  opts.max_errors = 100;
  GumboOutput* doc = gumbo_parse_with_options(&opts, body.data(), body.size());
  Cleaner c(opt, note);
  r.html = doc ? c.run(doc->root) : "<!doctype html><html><body></body></html>";
  r.remote_images = c.remote_images();
  if (doc) gumbo_destroy_output(&opts, doc);
  return r;
}

}  // namespace mailcase::console

// Fuzz target for the cleaner of mail HTML (console/mail_html.h), which every mail's HTML
// passes before the console shows it. Contract under test: any bytes give a document in
// bounded time, stack and size, with no sanitizer report; and that document, parsed again
// as a browser would, holds no script, no element that loads or submits, no event
// handler, no srcdoc, and no link or image URL with a script or data scheme (but raster
// data: images).
#include <gumbo.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "console/mail_html.h"
#include "util/text.h"

namespace {

bool forbidden_tag(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_FRAME:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_APPLET:
    case GUMBO_TAG_BASE:
    case GUMBO_TAG_META:
    case GUMBO_TAG_LINK:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_INPUT:
    case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_TEMPLATE:
      return true;
    default:
      return false;
  }
}

// The scheme a browser reads: tabs, newlines and leading controls do not count.
std::string scheme_of(std::string_view v) {
  std::string s;
  for (char c : v)
    if (c != '\t' && c != '\n' && c != '\r' && !(s.empty() && static_cast<unsigned char>(c) <= 0x20)) s += c;
  auto colon = s.find(':');
  return colon == std::string::npos ? "" : mailcase::text::ascii_lower(s.substr(0, colon));
}

void check(const std::string& doc) {
  GumboOutput* out = gumbo_parse_with_options(&kGumboDefaultOptions, doc.data(), doc.size());
  if (!out) return;
  std::vector<const GumboNode*> stack{out->root};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type != GUMBO_NODE_ELEMENT) continue;
    const GumboElement& el = n->v.element;
    if (forbidden_tag(el.tag)) std::abort();
    for (unsigned i = 0; i < el.attributes.length; ++i) {
      const auto* a = static_cast<const GumboAttribute*>(el.attributes.data[i]);
      const std::string name = mailcase::text::ascii_lower(a->name);
      if (name.starts_with("on") || name == "srcdoc" || name == "action" || name == "formaction")
        std::abort();
      if (name == "href" || name == "src" || name == "background") {
        const std::string scheme = scheme_of(a->value);
        if (scheme == "javascript" || scheme == "vbscript") std::abort();
        if (scheme == "data" && (name == "href" || !mailcase::text::istarts_with(a->value, "data:image/")))
          std::abort();
      }
    }
    for (unsigned i = 0; i < el.children.length; ++i)
      stack.push_back(static_cast<const GumboNode*>(el.children.data[i]));
  }
  gumbo_destroy_output(&kGumboDefaultOptions, out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view html(reinterpret_cast<const char*>(data), size);
  for (bool remote : {false, true}) {
    auto clean = mailcase::console::clean_mail_html(html, {"/messages/1/cid/", remote, "?e=1&s=ab"});
    // Escaping (at most 6 bytes for one), the link attributes added and the formatting
    // elements gumbo copies (bounded by the parser check to 16 MiB) bound the output.
    if (clean.html.size() > 8 * size + 1024 + 64 * 1024 * 1024) std::abort();
    check(clean.html);
  }
  return 0;
}

#include "mime/html_text.h"

#include <gumbo.h>

#include <string>
#include <vector>

#include "util/text.h"

namespace mailcase::mime {
namespace {

bool is_block(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3:
    case GUMBO_TAG_H4: case GUMBO_TAG_H5: case GUMBO_TAG_H6: case GUMBO_TAG_UL: case GUMBO_TAG_OL:
    case GUMBO_TAG_TABLE: case GUMBO_TAG_TR: case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_PRE:
    case GUMBO_TAG_HR: case GUMBO_TAG_SECTION: case GUMBO_TAG_ARTICLE: case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER: case GUMBO_TAG_ADDRESS: case GUMBO_TAG_LI: case GUMBO_TAG_DL: case GUMBO_TAG_DT:
    case GUMBO_TAG_DD: case GUMBO_TAG_CENTER: case GUMBO_TAG_FORM:
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
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE) s += n->v.text.text;
    else if (n->type == GUMBO_NODE_ELEMENT) {
      const GumboVector& ch = n->v.element.children;
      for (unsigned i = ch.length; i > 0; --i) stack.push_back(static_cast<const GumboNode*>(ch.data[i - 1]));
    }
  }
  return std::string(text::trim(s));
}

}  // namespace

std::string html_to_text(std::string_view html) {
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
      } else if (tag == GUMBO_TAG_P || (tag >= GUMBO_TAG_H1 && tag <= GUMBO_TAG_H6) || tag == GUMBO_TAG_TABLE ||
                 tag == GUMBO_TAG_BLOCKQUOTE || tag == GUMBO_TAG_UL || tag == GUMBO_TAG_OL) {
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
    for (unsigned i = ch.length; i > 0; --i) stack.push_back({static_cast<const GumboNode*>(ch.data[i - 1]), false, pre});
  }
  gumbo_destroy_output(&opts, doc);
  // Collapse runs of blank lines left by nested blocks.
  std::string s = w.take(), out;
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

}  // namespace mailcase::mime

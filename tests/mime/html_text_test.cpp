// HTML → text on hostile input: deep nesting and huge documents take the linear
// tag-stripping path; ordinary mail HTML keeps the tree walk.
#include "mime/html_text.h"

#include <gtest/gtest.h>

#include <string>

namespace mailcase::mime {
namespace {

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

TEST(HtmlText, HalfAMillionNestedDivsKeepTheirText) {
  std::string html = repeat("<div>", 500000) + "deep words &amp; more" + repeat("</div>", 500000);
  EXPECT_EQ(html_to_text(html), "deep words & more");
}

TEST(HtmlText, DeepUnclosedFormattingTagsKeepTheirText) {
  // Formatting elements left open make gumbo's adoption agency work per tag as well.
  std::string html = "<p>start</p>" + repeat("<b><span>", 200000) + "end";
  EXPECT_EQ(html_to_text(html), "start\n\nend");
}

TEST(HtmlText, FallbackDropsScriptsAndDecodesEntities) {
  std::string html = repeat("<div>", 1000) + "<script>alert('<b>')</script><style>p{}</style>" +
                     "<p>Caf&#233; &lt;ok&gt;&#x21;</p><p>two<br>lines</p><ul><li>one<li>two</ul>" +
                     repeat("</div>", 1000);
  EXPECT_EQ(html_to_text(html), "Café <ok>!\n\ntwo\nlines\n\n- one\n- two");
}

TEST(HtmlText, HugeDocumentIsStrippedNotParsed) {
  std::string html = repeat("<p>word</p>", 1000000);  // 11 MB
  std::string text = html_to_text(html);
  EXPECT_EQ(text.substr(0, 12), "word\n\nword\n\n");
  EXPECT_EQ(text.size(), 1000000 * 6 - 2);
}

TEST(HtmlText, OrdinaryNestingAndUnclosedParagraphsStillGetTheTreeWalk) {
  // Links as "text <url>" come from the tree walk only: these stay under the bounds.
  std::string html = repeat("<div><table><tr><td>", 40) + repeat("<p>para", 2000) +
                     "<a href=\"https://example.org/x\">the site</a>" +
                     repeat("</td></tr></table></div>", 40);
  std::string text = html_to_text(html);
  EXPECT_NE(text.find("the site <https://example.org/x>"), std::string::npos)
      << text.substr(text.size() - 200);
}

}  // namespace
}  // namespace mailcase::mime

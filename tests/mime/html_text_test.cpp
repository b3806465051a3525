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

// A link left open across paragraphs is copied by gumbo into each of them, with its
// address: a 62 KB document gave 240 MB of text (and as much memory in gumbo), a
// mail of a few megabytes could take the server's memory.
TEST(HtmlText, LinkLeftOpenAcrossParagraphsIsNotCopiedWithoutBound) {
  const std::string url = "https://example.org/" + std::string(30000, 'u');
  std::string html = "<p><a href=\"" + url + "\">x" + repeat("<p>y", 8000);
  std::string text = html_to_text(html);
  EXPECT_LT(text.size(), 4 * html.size());
  EXPECT_EQ(text.substr(0, 4), "x\n\ny");
  EXPECT_EQ(text.find("yy"), std::string::npos);  // every paragraph kept apart
  // The same with the tag written as self-closing, which HTML reads as an open <a>.
  html = "<p><a href=\"" + url + "\"/>x" + repeat("<p>y", 8000);
  EXPECT_LT(html_to_text(html).size(), 4 * html.size());
}

// Ordinary mail leaves a <font> or <a> open over a few paragraphs: still the tree walk,
// which writes a link as "text <address>" (the stripping fallback drops addresses).
TEST(HtmlText, FormattingLeftOpenInOrdinaryMailKeepsTheTreeWalk) {
  std::string html =
      "<font face=\"Arial\" size=\"2\"><p>See <a href=\"https://example.org/case\">your case</a>" +
      repeat("<p>more text", 500) + "<p><a href=\"https://example.org/x\">open" + repeat("<p>z", 20);
  std::string text = html_to_text(html);
  EXPECT_NE(text.find("your case <https://example.org/case>"), std::string::npos) << text.substr(0, 200);
}

}  // namespace
}  // namespace mailcase::mime

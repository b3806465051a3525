// The pure parts of the case list: cursors, the user's words as FTS5, snippets as HTML.
#include "store/case_query.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace mailcase::store::case_query {
namespace {

using Sort = CaseQuery::Sort;

CaseQuery open_in_support() {
  CaseQuery q;
  q.status = CaseStatus::kOpen;
  q.queue = "Support";
  return q;
}

TEST(CaseCursorTest, RoundTripsItsKey) {
  auto q = open_in_support();
  CursorKey k{"2026-12-01T10:00:00Z", 42, 0};
  auto c = encode_cursor(q, Sort::kUpdatedDesc, k);
  auto back = decode_cursor(c, q, Sort::kUpdatedDesc);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->key, "2026-12-01T10:00:00Z");
  EXPECT_EQ(back->id, 42);
  EXPECT_EQ(back->max_id, 0);
}

TEST(CaseCursorTest, IsUrlSafe) {
  CaseQuery q;
  q.text = "facture <janvier> \"x\"";
  auto c = encode_cursor(q, Sort::kRelevance, {"-1.2345678901234567e-06", 7, 99});
  for (char ch : c) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') << c;
  auto back = decode_cursor(c, q, Sort::kRelevance);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->key, "-1.2345678901234567e-06");
  EXPECT_EQ(back->max_id, 99);
}

TEST(CaseCursorTest, RefusesOtherFilters) {
  auto q = open_in_support();
  auto c = encode_cursor(q, Sort::kUpdatedDesc, {"2026-12-01T10:00:00Z", 42, 0});
  auto other = q;
  other.queue = "Sales";
  auto r = decode_cursor(c, other, Sort::kUpdatedDesc);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(r.error().message.find("other filters"), std::string::npos) << r.error().message;
  auto no_status = q;
  no_status.status.reset();
  EXPECT_FALSE(decode_cursor(c, no_status, Sort::kUpdatedDesc));
  auto text = q;
  text.text = "printer";
  EXPECT_FALSE(decode_cursor(c, text, Sort::kUpdatedDesc));
}

TEST(CaseCursorTest, RefusesAnotherSort) {
  auto q = open_in_support();
  auto c = encode_cursor(q, Sort::kUpdatedDesc, {"2026-12-01T10:00:00Z", 42, 0});
  auto r = decode_cursor(c, q, Sort::kUpdatedAsc);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(r.error().message.find("sort"), std::string::npos) << r.error().message;
}

TEST(CaseCursorTest, RefusesTamperingAndGarbage) {
  auto q = open_in_support();
  auto c = encode_cursor(q, Sort::kCreatedDesc, {"", 42, 0});
  // Every single-character change of the cursor is refused.
  const std::string alphabet = "AQgw";
  for (size_t i = 0; i < c.size(); ++i) {
    for (char repl : alphabet) {
      if (repl == c[i]) continue;
      auto t = c;
      t[i] = repl;
      auto r = decode_cursor(t, q, Sort::kCreatedDesc);
      if (r) ADD_FAILURE() << "accepted " << t << " (from " << c << ")";
    }
  }
  for (const std::string& bad :
       std::vector<std::string>{"", "!!!", "abc", std::string(600, 'A'), std::string("\0\x01", 2)}) {
    auto r = decode_cursor(bad, q, Sort::kCreatedDesc);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  }
}

TEST(FtsMatchExpressionTest, QuotesEachWord) {
  EXPECT_EQ(fts_match_expression("printer jammed"), "\"printer\" \"jammed\"");
  EXPECT_EQ(fts_match_expression("  Facturé\tjanvier\n"), "\"Facturé\" \"janvier\"");
}

TEST(FtsMatchExpressionTest, NeverPassesSyntaxThrough) {
  EXPECT_EQ(fts_match_expression("NEAR(a b)"), "\"NEAR(a\" \"b)\"");
  EXPECT_EQ(fts_match_expression("say\"hi\""), "\"say\"\"hi\"\"\"");
  EXPECT_EQ(fts_match_expression("subject:x OR y*"), "\"subject:x\" AND (\"OR\" OR \"øR\") AND \"y*\"");
  EXPECT_EQ(fts_match_expression("-x ^y"), "\"-x\" \"^y\"");
}

TEST(FtsMatchExpressionTest, ControlCharactersSeparateWords) {
  // FTS5 reads a query as a C string: a NUL kept inside a quoted word cut the query there.
  EXPECT_EQ(fts_match_expression(std::string("print\0er\x01jam\x7f", 13)), "\"print\" \"er\" \"jam\"");
  EXPECT_EQ(fts_prefix_expression(std::string("\0smi", 4)), "\"smi\"*");
}

TEST(FtsMatchExpressionTest, DropsWordsWithoutLettersOrDigits) {
  EXPECT_EQ(fts_match_expression("* \" ( ) … — «»"), "");
  EXPECT_EQ(fts_match_expression(""), "");
  // A word typed in ASCII also stands for its spellings with ł, ø, ß, æ, œ (which the index
  // keeps as written); a word with such letters already is taken as typed.
  EXPECT_EQ(fts_match_expression("Michal"), "(\"Michal\" OR \"Michał\")");
  EXPECT_EQ(fts_match_expression("strasse"), "(\"strasse\" OR \"straße\")");
  EXPECT_EQ(fts_prefix_expression("lec"), "(\"lec\"* OR \"łec\"*)");
  EXPECT_EQ(fts_match_expression("Michał"), "\"Michał\"");
  EXPECT_EQ(fts_match_expression("print"), "\"print\"");
  // At most five places vary: 32 spellings.
  const std::string many = fts_match_expression("lollollol");
  EXPECT_EQ(std::count(many.begin(), many.end(), '"') / 2, 32) << many;
  EXPECT_EQ(fts_match_expression("   "), "");
  EXPECT_EQ(fts_match_expression("* printer"), "\"printer\"");
  EXPECT_EQ(fts_match_expression("żółć 東京"), "\"żółć\" \"東京\"");
}

TEST(FtsMatchExpressionTest, APrefixExpressionLooksForWordsStartingWithEachWord) {
  EXPECT_EQ(fts_prefix_expression("ann sm"), "\"ann\"* \"sm\"*");
  EXPECT_EQ(fts_prefix_expression("O\"Brien"), "(\"O\"\"Brien\"* OR \"ø\"\"Brien\"*)");
  EXPECT_EQ(fts_prefix_expression("NEAR(x) *"), "\"NEAR(x)\"*");
  EXPECT_EQ(fts_prefix_expression("@ -- ..."), "");
  EXPECT_EQ(fts_prefix_expression(""), "");
}

// What a contact search names as the start of a domain: after a leading "@", or a text
// with a dot and no "@" or space; nothing else.
TEST(CaseQueryText, ContactDomainPrefix) {
  EXPECT_EQ(contact_domain_prefix("@acme"), "acme");
  EXPECT_EQ(contact_domain_prefix("@ACME.Com"), "acme.com");
  EXPECT_EQ(contact_domain_prefix("acme.com"), "acme.com");
  EXPECT_EQ(contact_domain_prefix("Corp.Example"), "corp.example");
  EXPECT_EQ(contact_domain_prefix("acme"), "");  // a name's start, or an address's
  EXPECT_EQ(contact_domain_prefix("ann@acme.com"), "");
  EXPECT_EQ(contact_domain_prefix("@"), "");
  EXPECT_EQ(contact_domain_prefix("@a@b"), "");
  EXPECT_EQ(contact_domain_prefix("ann s.mith"), "");
  EXPECT_EQ(contact_domain_prefix(std::string("@a\0b", 4)), "");
  EXPECT_EQ(contact_domain_prefix("@bücher.de"), "bücher.de");
}

TEST(SnippetHtmlTest, EscapesTextAndMarksMatches) {
  std::string s = std::string("<script>") + std::string(kMarkOpen) + "alert" + std::string(kMarkClose) +
                  "(\"x\") & 'y'</script>";
  EXPECT_EQ(snippet_html(s),
            "&lt;script&gt;<mark>alert</mark>(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;");
}

TEST(SnippetHtmlTest, BalancesMarks) {
  std::string open = std::string(kMarkOpen);
  std::string close = std::string(kMarkClose);
  EXPECT_EQ(snippet_html(open + "a"), "<mark>a</mark>");
  EXPECT_EQ(snippet_html(close + "a"), "a");
  EXPECT_EQ(snippet_html(open + open + "a" + close + close), "<mark>a</mark>");
}

TEST(EffectiveSortTest, DefaultsByText) {
  CaseQuery q;
  EXPECT_EQ(effective_sort(q, false), Sort::kUpdatedDesc);
  EXPECT_EQ(effective_sort(q, true), Sort::kRelevance);
  q.sort = Sort::kCreatedAsc;
  EXPECT_EQ(effective_sort(q, true), Sort::kCreatedAsc);
  q.sort = Sort::kRelevance;
  EXPECT_EQ(effective_sort(q, false), Sort::kUpdatedDesc);
}

TEST(Iso8601PrefixTest, AcceptsStoredShapesOnly) {
  EXPECT_TRUE(is_iso8601_prefix("2026-12-01T10:00:00Z"));
  EXPECT_TRUE(is_iso8601_prefix("2026-12-01"));
  EXPECT_TRUE(is_iso8601_prefix("2026"));
  EXPECT_FALSE(is_iso8601_prefix("yesterday"));
  EXPECT_FALSE(is_iso8601_prefix("2026/12/01"));
  EXPECT_FALSE(is_iso8601_prefix("2026-12-01T10:00:00Z'; DROP"));
  EXPECT_FALSE(is_iso8601_prefix(""));
}

}  // namespace
}  // namespace mailcase::store::case_query

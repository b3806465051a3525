// Pure text helpers and the secret key file.
#include "util/text.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "mime/filename.h"
#include "support/test_support.h"
#include "util/secret_file.h"

namespace mailcase {
namespace {

TEST(Text, JoinPutsTheSeparatorBetweenPartsOnly) {
  EXPECT_EQ(text::join({}, ", "), "");
  EXPECT_EQ(text::join({"a@x.org"}, ", "), "a@x.org");
  EXPECT_EQ(text::join({"a@x.org", "b@y.org", "c@z.org"}, ", "), "a@x.org, b@y.org, c@z.org");
  EXPECT_EQ(text::join({"a", "b"}, ""), "ab");
}

// A quoted local part that needs no quotes is the same mailbox unquoted.
TEST(Text, NormalizeEmailUnquotesALocalPartThatNeedsNoQuotes) {
  EXPECT_EQ(text::normalize_email(" <Support@Corp.Example> "), "support@corp.example");
  EXPECT_EQ(text::normalize_email("\"support\"@corp.example"), "support@corp.example");
  EXPECT_EQ(text::normalize_email("\"SUPPORT\"@corp.example"), "support@corp.example");
  EXPECT_EQ(text::normalize_email("\"first.last\"@corp.example"), "first.last@corp.example");
  EXPECT_EQ(text::normalize_email("\"s\\upport\"@corp.example"), "support@corp.example");
  EXPECT_EQ(text::normalize_email("\"a b\"@corp.example"), "\"a b\"@corp.example");
  EXPECT_EQ(text::normalize_email("\"a..b\"@corp.example"), "\"a..b\"@corp.example");
  EXPECT_EQ(text::normalize_email("\"\"@corp.example"), "\"\"@corp.example");
  EXPECT_EQ(text::normalize_email("\"a\"b\"@corp.example"), "\"a\"b\"@corp.example");
  EXPECT_EQ(text::normalize_email("\"@x"), "\"@x");
}

TEST(Text, LfLineEndsTurnsCrLfAndALoneCrIntoLf) {
  EXPECT_EQ(text::lf_line_ends("a\r\nb\rc\nd\r\n\r\n"), "a\nb\nc\nd\n\n");
  EXPECT_EQ(text::lf_line_ends(""), "");
  EXPECT_EQ(text::lf_line_ends("\r"), "\n");
  EXPECT_EQ(text::lf_line_ends("Dzień dobry,\r\nproszę"), "Dzień dobry,\nproszę");
}

TEST(Text, BidiControlsAreStripped) {
  // "invoice" RLO "fdp.exe" shows as "invoiceexe.pdf" in a right-to-left override.
  EXPECT_EQ(text::strip_bidi_controls("invoice\u202Efdp.exe"), "invoicefdp.exe");
  EXPECT_EQ(text::strip_bidi_controls("a\u202Ab\u202Bc\u202Cd\u202De"), "abcde");
  EXPECT_EQ(text::strip_bidi_controls("\u2066x\u2067y\u2068z\u2069"), "xyz");
  EXPECT_EQ(text::strip_bidi_controls("l\u200Er\u200Fm\u061C"), "lrm");
  // Other text, Arabic and Polish letters included, is kept.
  EXPECT_EQ(text::strip_bidi_controls("Zażółć \u0645\u0631\u062D\u0628\u0627.pdf"),
            "Zażółć \u0645\u0631\u062D\u0628\u0627.pdf");
}

TEST(Text, AttachmentNamesLoseBidiControls) {
  EXPECT_EQ(mime::safe_filename("invoice\u202Efdp.exe", "f"), "invoicefdp.exe");
  EXPECT_EQ(mime::safe_filename("\u202E\u2066", "fallback.bin"), "fallback.bin");
}

TEST(Text, TerminalSafeReplacesControls) {
  EXPECT_EQ(text::terminal_safe("red \x1b[31mX\x1b[0m"), "red \uFFFD[31mX\uFFFD[0m");
  EXPECT_EQ(text::terminal_safe("csi \u009b2J"), "csi \uFFFD2J");  // C1 CSI
  EXPECT_EQ(text::terminal_safe("bell\a del\x7f"), "bell\uFFFD del\uFFFD");
  EXPECT_EQ(text::terminal_safe("two\nlines\tand tab"), "two\nlines\tand tab");
  EXPECT_EQ(text::terminal_safe("two\nlines", true), "two\uFFFDlines");
  EXPECT_EQ(text::terminal_safe("bad \xff byte"), "bad \uFFFD byte");
  EXPECT_EQ(text::terminal_safe("Zażółć €"), "Zażółć €");
}

TEST(Text, OneLineTurnsEachRunOfControlsIntoOneSpace) {
  EXPECT_EQ(text::one_line("Eve\r\nBcc: victim2@evil.example"), "Eve Bcc: victim2@evil.example");
  EXPECT_EQ(text::one_line("a\tb\x01"
                           "c\x7f d\u0085e"),
            "a b c  d e");  // C0, DEL, C1 (NEL)
  EXPECT_EQ(text::one_line("\r\n  Printer \x1b[2J\n"), "Printer [2J");
  EXPECT_EQ(text::one_line("bad \xff byte"), "bad \uFFFD byte");
  EXPECT_EQ(text::one_line("Zażółć €"), "Zażółć €");
  EXPECT_EQ(text::one_line("\r\n\t"), "");
  EXPECT_TRUE(text::is_clean_text(text::one_line("x\ry\u009bz\x01w"), true));
}

// The one HTML escaper (customer pages, the HTML part of our mails): the five characters
// that can end a text or an attribute value, and nothing else.
TEST(Text, HtmlEscapeEscapesTheFiveMarkupCharactersOnly) {
  EXPECT_EQ(text::html_escape(R"(<a href="x" title='y'>Q&A</a>)"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Q&amp;A&lt;/a&gt;");
  // Already escaped text is escaped again: the escaper never guesses what was meant.
  EXPECT_EQ(text::html_escape("&amp; &#39;"), "&amp;amp; &amp;#39;");
  // Everything else is kept byte for byte: slashes, '=', '`', UTF-8 and even bytes that
  // are not UTF-8 (they cannot start markup).
  EXPECT_EQ(text::html_escape("https://h/c?t=x=`y` Zażółć \xff"), "https://h/c?t=x=`y` Zażółć \xff");
  EXPECT_EQ(text::html_escape(""), "");
  EXPECT_EQ(text::html_escape(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(Text, CleanTextRefusesBadBytesAndControls) {
  EXPECT_TRUE(text::is_clean_text("Hello, Zażółć", true));
  EXPECT_TRUE(text::is_clean_text("line\r\nline\tx", false));
  EXPECT_FALSE(text::is_clean_text("line\nline", true));
  EXPECT_FALSE(text::is_clean_text("bad \xc3\x28", false));
  EXPECT_FALSE(text::is_clean_text("esc \x1b[2J", false));
  EXPECT_FALSE(text::is_clean_text(std::string("nul \0x", 6), false));
  EXPECT_FALSE(text::is_clean_text("c1 \u0085", false));
}

TEST(Text, B64TokenIsRfc6750s) {
  EXPECT_TRUE(text::is_b64token("mct_AZaz09-._~+/"));
  EXPECT_TRUE(text::is_b64token("abc=="));
  EXPECT_FALSE(text::is_b64token(""));
  EXPECT_FALSE(text::is_b64token("=="));
  EXPECT_FALSE(text::is_b64token("a=b"));
  EXPECT_FALSE(text::is_b64token("a b"));
  EXPECT_FALSE(text::is_b64token("zażółć"));
}

TEST(Text, CapitalizedUpperCasesTheFirstAsciiLetterOnly) {
  EXPECT_EQ(text::capitalized("no account Acme"), "No account Acme");
  EXPECT_EQ(text::capitalized(""), "");
  EXPECT_EQ(text::capitalized("żółw"), "żółw");
}

TEST(SecretKey, CreatedOnceWithOwnerOnlyMode) {
  testing::TempDir dir;
  const auto file = dir.path() / "secret.key";
  auto k = load_or_create_key(file, 32);
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(k->size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = load_or_create_key(file, 32);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *k);
  // No temporary file is left beside it.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(SecretKey, ConcurrentStartsAgreeOnOneKey) {
  testing::TempDir dir;
  const auto file = dir.path() / "secret.key";
  std::vector<std::string> keys(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < keys.size(); ++i)
    threads.emplace_back([&, i] {
      auto k = load_or_create_key(file, 32);
      if (k) keys[i] = *k;
    });
  for (auto& t : threads) t.join();
  for (const auto& k : keys) EXPECT_EQ(k, keys[0]);
  EXPECT_EQ(keys[0].size(), 32u);
}

TEST(SecretKey, ShortOrEmptyKeyIsAnErrorThatSaysWhatToDo) {
  testing::TempDir dir;
  const auto file = dir.path() / "secret.key";
  for (const std::string& content : {std::string(), std::string(5, 'x'), std::string(40, 'y')}) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << content;
    auto k = load_or_create_key(file, 32);
    ASSERT_FALSE(k);
    EXPECT_EQ(k.error().code, ErrorCode::kInvalidInput);
    EXPECT_NE(k.error().message.find("remove it to make a new key"), std::string::npos) << k.error().message;
    // The file is left as it was: a key is never replaced behind the administrator's back.
    EXPECT_EQ(testing::read_file(file), content);
  }
}

TEST(SecretFile, GroupOrWorldReadableFileIsReported) {
  testing::TempDir dir;
  const auto file = dir.path() / "pw";
  std::ofstream(file) << "secret\n";
  ::chmod(file.c_str(), 0600);
  EXPECT_FALSE(secret_file_exposure(file));
  ::chmod(file.c_str(), 0644);
  auto w = secret_file_exposure(file);
  ASSERT_TRUE(w);
  EXPECT_NE(w->find("0644"), std::string::npos);
  EXPECT_EQ(w->find("secret\n"), std::string::npos);
}

// Each byte of an ill-formed sequence becomes U+FFFD; ASCII and well-formed UTF-8 around it
// are kept byte for byte, at the start, the end and between.
TEST(Text, MakeValidUtf8ReplacesOnlyIllFormedSequences) {
  EXPECT_EQ(text::make_valid_utf8(""), "");
  EXPECT_EQ(text::make_valid_utf8("plain ascii\r\n\t"), "plain ascii\r\n\t");
  EXPECT_EQ(text::make_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80!"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80!");
  EXPECT_EQ(text::make_valid_utf8("a\xFF-z"), "a\xEF\xBF\xBD-z");
  EXPECT_EQ(text::make_valid_utf8("\xC0\xAFx"), "\xEF\xBF\xBD\xEF\xBF\xBDx");                  // overlong "/"
  EXPECT_EQ(text::make_valid_utf8("x\xED\xA0\x80"), "x\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(text::make_valid_utf8("end\xE2\x82"), "end\xEF\xBF\xBD\xEF\xBF\xBD");              // cut short
}


// The one percent-encoder of the console's links: unreserved characters stay, everything
// else (a '+' of an address, '&', '=', a space, UTF-8, NUL) is encoded, so that a value
// cannot add a parameter or end the URL; `keep` lets a path keep its slashes.
TEST(Text, UrlEncodeLeavesOnlyUnreservedCharactersAndThoseKept) {
  EXPECT_EQ(text::url_encode("jan+tag@example.com"), "jan%2Btag%40example.com");
  EXPECT_EQ(text::url_encode("a b&c=d/e?f#g"), "a%20b%26c%3Dd%2Fe%3Ff%23g");
  EXPECT_EQ(text::url_encode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(text::url_encode("zó"), "z%C3%B3");
  EXPECT_EQ(text::url_encode(std::string("a\0b", 3)), "a%00b");
  EXPECT_EQ(text::url_encode("/cases?q=a b", "/"), "/cases%3Fq%3Da%20b");
  EXPECT_EQ(text::url_encode(""), "");
}

}  // namespace
}  // namespace mailcase

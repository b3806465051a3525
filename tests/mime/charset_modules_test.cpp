// The charsets a mail names keep their converters loaded (mime/charset_modules.h): read off
// the encoded words of a head, kept once each, bounded in count, and the mail's text
// decoded as before.
#include "mime/charset_modules.h"

#include <glib.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "mime/parser.h"
#include "spool/blob_store.h"

namespace mailcase::mime {
namespace {

// Whether this process has a file whose path ends in `name` mapped (/proc/self/maps).
bool mapped(const std::string& name) {
  std::ifstream in("/proc/self/maps");
  std::stringstream all;
  all << in.rdbuf();
  return all.str().find("/" + name + "\n") != std::string::npos;
}

// One conversion from charset, opened and closed as glib's g_convert does.
void convert_once(const char* charset) {
  gsize written = 0;
  g_free(g_convert("\xe0", 1, "UTF-8", charset, nullptr, &written, nullptr));
}

// glibc unloads a module nobody holds only after a few later closes of other converters:
// these are such closes.
void close_other_converters() {
  for (int i = 0; i < 4; ++i) convert_once("CP1251");
}

TEST(EncodedWordCharsets, NamesEachCharsetOnceLowercasedInOrder) {
  auto names = encoded_word_charsets(
      "From: =?ISO-8859-2?Q?Pawe=B3?= <p@example.pl>\r\n"
      "Subject: =?iso-8859-2?B?WmG/8w==?= =?KOI8-R?Q?=F0=D2?= =?utf-8*pl?Q?x?=\r\n\r\nbody =?\r\n",
      8);
  EXPECT_EQ(names, (std::vector<std::string>{"iso-8859-2", "koi8-r", "utf-8"}));
}

TEST(EncodedWordCharsets, SkipsWhatIsNoCharsetAndStopsAtTheBound) {
  EXPECT_TRUE(encoded_word_charsets("", 4).empty());
  EXPECT_TRUE(encoded_word_charsets("=?", 4).empty());
  EXPECT_TRUE(encoded_word_charsets("=??Q?x?=", 4).empty());                              // no name
  EXPECT_TRUE(encoded_word_charsets("=?iso 8859?Q?x?=", 4).empty());                      // a space
  EXPECT_TRUE(encoded_word_charsets("=?" + std::string(41, 'a') + "?Q?x?=", 4).empty());  // too long
  EXPECT_TRUE(encoded_word_charsets("=?iso-8859-2", 4).empty());                          // cut short
  EXPECT_EQ(encoded_word_charsets("=?=?latin2?Q?x?=", 4), (std::vector<std::string>{"latin2"}));
  std::string many;
  for (int i = 0; i < 100; ++i) many += "=?cs" + std::to_string(i) + "?Q?x?= ";
  EXPECT_EQ(encoded_word_charsets(many, 4).size(), 4u);
}

TEST(CharsetModules, AMailsCharsetsStayLoadedAfterItIsParsed) {
  spool::MemoryBlobStore blobs;
  auto m = parse_bytes(
      "From: =?KOI8-U?Q?=F0=C5=D4=D2=CF?= <p@example.ua>\r\n"
      "Subject: =?ISO-8859-13?Q?=DE=E6?=\r\n"
      "Content-Type: text/plain; charset=iso-8859-2\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
      "Za\xbf\xf3\xb3\xe6 g\xea\x9cl\xb9 ja\xbc\xf1\r\n",
      blobs, ParseLimits{});
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->from.name, "Петро");
  EXPECT_EQ(m->subject, "Žę");
  EXPECT_NE(m->text_body.find("Zażółć"), std::string::npos) << m->text_body;
  // A charset used once and not kept is unloaded by the closes that follow; the mail's
  // are not.
  convert_once("ISO-8859-5");
  close_other_converters();
  EXPECT_FALSE(mapped("ISO8859-5.so"));
  EXPECT_TRUE(mapped("KOI8-U.so"));
  EXPECT_TRUE(mapped("ISO8859-13.so"));
  EXPECT_TRUE(mapped("ISO8859-2.so"));
}

TEST(CharsetModules, KeepsEachOnceAndNoMoreThanTheBound) {
  keep_charset_loaded("windows-1250");
  const size_t once = kept_charset_count();
  keep_charset_loaded("WINDOWS-1250");
  keep_charset_loaded("Windows-1250");
  EXPECT_EQ(kept_charset_count(), once);
  keep_charset_loaded("no-such-charset-at-all");  // not remembered
  keep_charset_loaded("");
  EXPECT_EQ(kept_charset_count(), once);
  // Far more real charsets than the bound: the IBM code pages glibc converts.
  for (int page = 1; page < 1200; ++page) keep_charset_loaded("IBM" + std::to_string(page));
  EXPECT_EQ(kept_charset_count(), kMaxKeptCharsets);
}

}  // namespace
}  // namespace mailcase::mime

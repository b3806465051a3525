// The structure pre-scan on hand-written mails: where it cuts, and where it must not.
#include "mime/structure_scan.h"

#include <gtest/gtest.h>

#include <string>

namespace mailcase::mime {
namespace {

// A multipart/mixed with n text parts: 1 + n entities.
std::string flat(int n, const std::string& boundary = "b") {
  std::string raw = "From: a@example.org\r\nSubject: flat\r\nContent-Type: multipart/mixed; boundary=\"" +
                    boundary + "\"\r\n\r\n";
  for (int i = 0; i < n; ++i)
    raw += "--" + boundary + "\r\nContent-Type: text/plain\r\n\r\npart " + std::to_string(i) + "\r\n";
  return raw + "--" + boundary + "--\r\n";
}

// Multiparts nested n deep: the innermost text part is at depth n + 1.
std::string nested(int n) {
  std::string raw =
      "From: a@example.org\r\nSubject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n";
  for (int i = 0; i < n; ++i)
    raw += "--b" + std::to_string(i) + "\r\nContent-Type: multipart/mixed; boundary=b" +
           std::to_string(i + 1) + "\r\n\r\n";
  raw += "--b" + std::to_string(n) + "\r\nContent-Type: text/plain\r\n\r\nbottom\r\n";
  for (int i = n; i >= 0; --i) raw += "--b" + std::to_string(i) + "--\r\n";
  return raw;
}

StructureLimits limits(size_t parts, size_t depth) {
  StructureLimits l;
  l.max_parts = parts;
  l.max_depth = depth;
  return l;
}

TEST(StructureScan, MailExactlyAtThePartLimitIsNotCut) {
  auto s = scan_structure(flat(9), limits(10, 32));
  EXPECT_EQ(s.parts, 10u);
  EXPECT_FALSE(s.cut.has_value());
  EXPECT_EQ(s.over, StructureScan::Over::kNone);
}

TEST(StructureScan, OnePartMoreIsCutAtItsBoundaryLine) {
  std::string raw = flat(10);
  auto s = scan_structure(raw, limits(10, 32));
  ASSERT_TRUE(s.cut.has_value());
  EXPECT_EQ(s.over, StructureScan::Over::kParts);
  EXPECT_EQ(s.parts, 10u);
  EXPECT_EQ(*s.cut, raw.find("--b\r\nContent-Type: text/plain\r\n\r\npart 9"));
}

TEST(StructureScan, NestingExactlyAtTheDepthLimitIsNotCut) {
  auto s = scan_structure(nested(15), limits(1000, 16));
  EXPECT_FALSE(s.cut.has_value());
  EXPECT_EQ(s.depth, 16u);
}

TEST(StructureScan, NestingOneDeeperIsCutWhereTheTooDeepPartStarts) {
  std::string raw = nested(16);
  auto s = scan_structure(raw, limits(1000, 16));
  ASSERT_TRUE(s.cut.has_value());
  EXPECT_EQ(s.over, StructureScan::Over::kDepth);
  EXPECT_EQ(*s.cut, raw.find("--b16\r\n"));
}

TEST(StructureScan, TenThousandNestedMultipartsStopAtTheLimit) {
  std::string raw = nested(10000);
  auto s = scan_structure(raw, {});
  ASSERT_TRUE(s.cut.has_value());
  EXPECT_EQ(s.over, StructureScan::Over::kDepth);
  EXPECT_LT(*s.cut, 4000u);  // a few lines per level, 33 levels
}

TEST(StructureScan, AttachedMailsCountAsPartsAndAsNesting) {
  // A chain of attached mails with no boundary at all: each is a level GMime descends.
  std::string raw = "From: a@example.org\r\nSubject: chain\r\n";
  for (int i = 0; i < 100; ++i) raw += "Content-Type: message/rfc822\r\n\r\n";
  raw += "hi\r\n";
  auto s = scan_structure(raw, limits(1000, 32));
  ASSERT_TRUE(s.cut.has_value());
  EXPECT_EQ(s.over, StructureScan::Over::kDepth);
  EXPECT_EQ(s.depth, 32u);
}

TEST(StructureScan, PartsOfADigestWithoutATypeAreMails) {
  std::string raw =
      "Subject: digest\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n"
      "--d\r\n\r\nSubject: one\r\n\r\nfirst\r\n"
      "--d\r\n\r\nSubject: two\r\n\r\nsecond\r\n--d--\r\n";
  auto s = scan_structure(raw, {});
  EXPECT_EQ(s.parts, 5u);  // the digest, two parts, two mails in them
  EXPECT_EQ(s.depth, 2u);
}

TEST(StructureScan, OddBoundariesDoNotCountPartsThatAreNotThere) {
  // Quoted with spaces, prefix of the inner one, a look-alike in the preamble and in a
  // body, trailing blanks after a real boundary, a final boundary of the inner one
  // that must not end the outer one.
  std::string raw =
      "Subject: odd\r\nContent-Type: multipart/mixed;\r\n\tboundary=\"outer part\"\r\n\r\n"
      "This is a preamble.\r\n--outer part is what separates the parts below\r\n--outer\r\n--outer "
      "part--x\r\n"
      "--outer part   \t\r\nContent-Type: multipart/alternative; boundary=\"outer part2\"\r\n\r\n"
      "--outer part2\r\n\r\ntext\r\n--outer part--ish\r\n--outer part2--\r\n"
      "epilogue\r\n"
      "--outer part\r\nContent-Type: text/plain\r\n\r\n-- \r\nsignature\r\n--outer part--\r\n";
  auto s = scan_structure(raw, limits(4, 32));
  EXPECT_FALSE(s.cut.has_value());
  EXPECT_EQ(s.parts, 4u);  // mixed, alternative, its text, the last text
  EXPECT_EQ(s.depth, 2u);
}

TEST(StructureScan, AnOuterBoundaryClosesTheInnerMultipart) {
  std::string raw =
      "Subject: x\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n"
      "--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n--i\r\n\r\nin\r\n"
      "--o\r\n\r\nnot inside i\r\n--i\r\n\r\nnot a part: i is closed\r\n--o--\r\n";
  auto s = scan_structure(raw, {});
  EXPECT_EQ(s.parts, 4u);
  EXPECT_EQ(s.depth, 2u);
}

TEST(StructureScan, BytesFedOneAtATimeScanLikeTheWhole) {
  std::string raw = flat(30) + nested(5);
  StructureScanner one(limits(20, 32));
  for (char c : raw)
    if (!one.feed(std::string_view(&c, 1))) break;
  auto a = one.finish();
  auto b = scan_structure(raw, limits(20, 32));
  EXPECT_EQ(a.parts, b.parts);
  EXPECT_EQ(a.cut, b.cut);
  EXPECT_EQ(a.over, b.over);
}

TEST(StructureScan, HeaderFloodIsCutAtTheFirstFieldPastTheBudget) {
  std::string raw = "Subject: flood\r\n";
  for (int i = 0; i < 200; ++i) raw += "X-A: b\r\n";
  raw += "\r\nbody\r\n";
  StructureLimits l;
  l.max_header_fields = 100;
  auto s = scan_structure(raw, l);
  ASSERT_TRUE(s.cut.has_value());
  EXPECT_EQ(s.over, StructureScan::Over::kHeaderFields);
  EXPECT_EQ(*s.cut, std::string("Subject: flood\r\n").size() + 99 * 8);
}

TEST(StructureScan, FoldedHeaderPastTheByteBudgetIsCut) {
  std::string raw = "Subject: flood\r\nX-Long: a\r\n";
  for (int i = 0; i < 1000; ++i) raw += " y\r\n";
  raw += "\r\nbody\r\n";
  StructureLimits l;
  l.max_header_bytes = 1000;
  auto s = scan_structure(raw, l);
  ASSERT_TRUE(s.cut.has_value());
  EXPECT_EQ(s.over, StructureScan::Over::kHeaderBytes);
}

TEST(StructureScan, ContentTypeLongerThanTheScanKeepsIsCutBeforeIt) {
  std::string raw = "Subject: x\r\nContent-Type: multipart/mixed; x=\"" +
                    std::string(StructureScanner::kLineKeep, 'a') +
                    "\"; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n";
  auto s = scan_structure(raw, {});
  ASSERT_TRUE(s.cut.has_value());
  EXPECT_EQ(s.over, StructureScan::Over::kContentType);
  EXPECT_EQ(*s.cut, std::string("Subject: x\r\n").size());
}

TEST(StructureScan, ContentTypeIsReadAsGMimeReadsIt) {
  for (std::string v : {" multipart/mixed; boundary=\"----=_Part_1\"",
                        " Multipart/Mixed;\tBoundary=abc",
                        " multipart/digest; boundary=d",
                        " multipart/alternative; boundary=----=_NextPart_000",
                        " multipart/mixed; boundary=\"a\\\"b\"",
                        " multipart/mixed (comment); boundary=x",
                        " multipart/mixed; boundary*=utf-8''x%20y",
                        " multipart/mixed; boundary*0=a; boundary*1=b",
                        " multipart/mixed; boundary=a; boundary=b",
                        " multipart/mixed; boundary=\" spaced \"",
                        " multipart/mixed; boundary=",
                        " multipart/mixed;;; boundary=z;",
                        " message/rfc822",
                        " message/RFC822; x=y",
                        " message/news",
                        " message/global",
                        " message/partial; id=1",
                        " message/delivery-status",
                        " text/plain; charset=utf-8",
                        " multipart",
                        " /mixed",
                        ""}) {
    EXPECT_EQ(read_content_type(v), read_content_type_with_gmime(v)) << v;
  }
  EXPECT_EQ(read_content_type(" multipart/mixed; boundary=\"x y\"").boundary, "x y");
  EXPECT_TRUE(read_content_type(" message/rfc822").message);
}

TEST(StructureScan, GarbageIsNeverACrash) {
  for (std::string raw : {std::string(), std::string("\0\0\0", 3), std::string("--\r\n--\r\n"),
                          std::string("Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n--\r\n"),
                          std::string("Content-Type: multipart/mixed; boundary=-\r\n\r\n---\r\n-----\r\n"),
                          std::string(100000, '\n'), std::string(100000, '-')}) {
    auto s = scan_structure(raw, {});
    EXPECT_GE(s.parts, 1u);
  }
}

}  // namespace
}  // namespace mailcase::mime

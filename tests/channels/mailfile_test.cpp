#include "channels/mailfile.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/test_support.h"

namespace mailcase::channels {
namespace {

std::vector<std::string> read_all(const std::filesystem::path& p) {
  auto r = MboxReader::open(p);
  EXPECT_TRUE(r);
  spool::MemoryBlobStore sink;
  std::vector<std::string> shas;
  while (true) {
    auto ref = (*r)->next(sink);
    EXPECT_TRUE(ref);
    if (!ref || !*ref) break;
    shas.push_back((*ref)->blob.sha256);
  }
  std::vector<std::string> out;
  auto blobs = sink.blobs();
  for (const auto& s : shas) out.push_back(blobs[s]);
  return out;
}

TEST(MboxReader, SplitsOnFromLinesAndUnquotes) {
  mailcase::testing::TempDir dir;
  auto p = dir.path() / "box";
  std::ofstream(p) << "From a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\n>From here\n\n"
                      "From b@x Mon Jan  1 00:00:00 2024\nSubject: two\n\nbody\nFrom inside a paragraph is "
                      "not a separator\n";
  auto mails = read_all(p);
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[0], "Subject: one\n\nbody\nFrom here\n");
  EXPECT_EQ(mails[1], "Subject: two\n\nbody\nFrom inside a paragraph is not a separator\n");
}

TEST(MboxReader, FileWithoutSeparatorIsOneMail) {
  mailcase::testing::TempDir dir;
  auto p = dir.path() / "one.eml";
  std::ofstream(p) << "Subject: x\r\n\r\nhi\r\n";
  auto mails = read_all(p);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0], "Subject: x\r\n\r\nhi\r\n");
}

TEST(MboxReader, EmptyFileHasNoMail) {
  mailcase::testing::TempDir dir;
  auto p = dir.path() / "empty";
  std::ofstream(p) << "";
  EXPECT_TRUE(read_all(p).empty());
}

// The copy handed back is the mail as spooled (unquoted, without the mbox's separator
// and blank line), so that it may be parsed in place of the spooled bytes; a mail
// past the copy limit hands back none.
TEST(MboxReader, HandsBackACopyOfEachMailUpToTheLimit) {
  mailcase::testing::TempDir dir;
  auto p = dir.path() / "box";
  const std::string big(MboxReader::kCopyLimit + 10, 'x');
  std::ofstream(p) << "From a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\n>From here\n\n"
                   << "From b@x Mon Jan  1 00:00:00 2024\nSubject: big\n\n"
                   << big << "\n\n"
                   << "From c@x Mon Jan  1 00:00:00 2024\nSubject: three\n\nbody\n";
  auto r = MboxReader::open(p);
  ASSERT_TRUE(r);
  spool::MemoryBlobStore sink;
  std::vector<std::pair<std::string, std::string>> got;  // sha256, copy
  std::string copy = "left over";
  while (true) {
    auto ref = (*r)->next(sink, &copy);
    ASSERT_TRUE(ref);
    if (!*ref) break;
    got.emplace_back((*ref)->blob.sha256, copy);
  }
  ASSERT_EQ(got.size(), 3u);
  auto blobs = sink.blobs();
  EXPECT_EQ(got[0].second, "Subject: one\n\nFrom here\n");
  EXPECT_EQ(got[0].second, blobs[got[0].first]);
  EXPECT_EQ(got[1].second, "");
  EXPECT_EQ(blobs[got[1].first].size(), std::string("Subject: big\n\n").size() + big.size() + 1);
  EXPECT_EQ(got[2].second, "Subject: three\n\nbody\n");
  EXPECT_EQ(got[2].second, blobs[got[2].first]);
}

// A line longer than a piece is read a piece at a time: its rest is never a separator,
// a blank line or un-quoted, and the mail holds it byte for byte.
TEST(MboxReader, ALineLongerThanAPieceIsNeverTakenForASeparator) {
  mailcase::testing::TempDir dir;
  auto p = dir.path() / "box";
  const std::string long_line = std::string(MboxReader::kMaxPiece, 'a') + "From here on\n";
  const std::string ends_at_piece = std::string(MboxReader::kMaxPiece, 'b') + "\n";  // its rest: "\n"
  const std::string quoted = std::string(MboxReader::kMaxPiece - 2, 'c') + ">From x\n";
  std::ofstream(p) << "From a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\n"
                   << long_line << "\n"
                   << ends_at_piece << quoted << "\n"
                   << "From b@x Mon Jan  1 00:00:00 2024\nSubject: two\n\nbody\n";
  auto mails = read_all(p);
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[0], "Subject: one\n\n" + long_line + "\n" + ends_at_piece + quoted);
  EXPECT_EQ(mails[1], "Subject: two\n\nbody\n");
}

// A separator line longer than a piece is all separator: the mail starts after it.
TEST(MboxReader, ALongSeparatorLineIsNotPartOfTheMail) {
  mailcase::testing::TempDir dir;
  auto p = dir.path() / "box";
  std::ofstream(p) << "From a@x " << std::string(3 * MboxReader::kMaxPiece, 'z') << "\nSubject: one\n\nbody\n";
  auto mails = read_all(p);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0], "Subject: one\n\nbody\n");
}

// Past the bound, a mail keeps its head only and says how big it was; the copy is left
// empty and the next mail is read whole, with or without a copy asked for.
TEST(MboxReader, AMailPastItsBoundKeepsItsHeadAndItsSize) {
  mailcase::testing::TempDir dir;
  auto p = dir.path() / "box";
  std::string big = "Subject: big\n\n";
  for (int i = 0; i < 2000; ++i) big += std::string(99, 'x') + "\n";
  const std::string one_line = "Subject: line\n\n" + std::string(300000, 'y') + "\n";
  std::ofstream(p) << "From a@x Mon Jan  1 00:00:00 2024\n"
                   << big << "\nFrom b@x Mon Jan  1 00:00:00 2024\n"
                   << one_line << "\nFrom c@x Mon Jan  1 00:00:00 2024\nSubject: small\n\nbody\n";
  for (bool with_copy : {true, false}) {
    SCOPED_TRACE(with_copy ? "with a copy" : "without a copy");
    auto r = MboxReader::open(p);
    ASSERT_TRUE(r);
    spool::MemoryBlobStore sink;
    std::string copy;
    const MboxBound bound{100000, 1000};
    std::vector<MboxMail> got;
    std::vector<std::string> copies;
    while (true) {
      auto m = (*r)->next(sink, with_copy ? &copy : nullptr, bound);
      ASSERT_TRUE(m) << m.error().message;
      if (!*m) break;
      got.push_back(**m);
      copies.push_back(copy);
    }
    ASSERT_EQ(got.size(), 3u);
    auto blobs = sink.blobs();
    EXPECT_EQ(got[0].full_size, big.size());
    EXPECT_EQ(blobs[got[0].blob.sha256], big.substr(0, 1000));
    EXPECT_EQ(got[1].full_size, one_line.size());
    EXPECT_EQ(blobs[got[1].blob.sha256], one_line.substr(0, 1000));
    EXPECT_EQ(got[2].full_size, 0u);
    EXPECT_EQ(blobs[got[2].blob.sha256], "Subject: small\n\nbody\n");
    if (with_copy) {
      EXPECT_EQ(copies[0], "");
      EXPECT_EQ(copies[1], "");
      EXPECT_EQ(copies[2], "Subject: small\n\nbody\n");
    }
    // Nothing of the large mails stays in the sink but their heads.
    EXPECT_EQ(blobs.size(), 3u);
  }
}

// The reader takes any stream: the same mails from memory as from a file.
TEST(MboxReader, ReadsAStreamItIsHanded) {
  const std::string box = "From a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\n";
  FILE* f = fmemopen(const_cast<char*>(box.data()), box.size(), "rb");
  ASSERT_NE(f, nullptr);
  auto r = MboxReader::adopt(f);
  spool::MemoryBlobStore sink;
  auto m = r->next(sink);
  ASSERT_TRUE(m);
  ASSERT_TRUE(*m);
  EXPECT_EQ(sink.blobs()[(*m)->blob.sha256], "Subject: one\n\nbody\n");
  auto end = r->next(sink);
  ASSERT_TRUE(end);
  EXPECT_FALSE(*end);
}

TEST(Maildir, ListsNewCurAndSubfolders) {
  mailcase::testing::TempDir dir;
  for (auto sub : {"new", "cur", "tmp", ".Sent/cur", ".Sent/new"}) std::filesystem::create_directories(dir.path() / sub);
  std::ofstream(dir.path() / "new" / "1") << "a";
  std::ofstream(dir.path() / "cur" / "2:2,S") << "b";
  std::ofstream(dir.path() / "tmp" / "3") << "c";
  std::ofstream(dir.path() / ".Sent" / "cur" / "4") << "d";
  auto files = maildir_files(dir.path());
  ASSERT_TRUE(files);
  EXPECT_EQ(files->size(), 3u);
  EXPECT_FALSE(maildir_files(dir.path() / "new"));
}

}  // namespace
}  // namespace mailcase::channels

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
    shas.push_back((*ref)->sha256);
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
    got.emplace_back((*ref)->sha256, copy);
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

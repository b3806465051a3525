// RawSpool::put_bounded: a mail within its limit is kept whole; past it only its head
// is kept and no whole copy stays on disk.
#include <gtest/gtest.h>

#include <sstream>

#include "spool/raw_spool.h"
#include "support/test_support.h"

namespace mailcase::spool {
namespace {

uint64_t bytes_on_disk(const std::filesystem::path& root) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root))
    if (e.is_regular_file()) total += e.file_size();
  return total;
}

TEST(BoundedSpool, AMailWithinTheLimitIsKeptWhole) {
  testing::TempDir dir;
  FileBlobStore blobs(dir.path() / "blobs", false);
  RawSpool spool(dir.path() / "spool", blobs);
  for (size_t size : {size_t{100}, RawSpool::kPackLimit + 10}) {  // packed, and a file of its own
    std::string mail(size, 'x');
    std::istringstream in(mail);
    auto r = spool.put_bounded(in, size, 64);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->size, size);
    EXPECT_EQ(*spool.read(r->ref), mail);
  }
}

TEST(BoundedSpool, PastTheLimitOnlyTheHeadIsKept) {
  testing::TempDir dir;
  FileBlobStore blobs(dir.path() / "blobs", false);
  RawSpool spool(dir.path() / "spool", blobs);
  std::string mail = "From: a@example.org\r\n\r\n" + std::string(3 * RawSpool::kPackLimit, 'y');
  std::istringstream in(mail);
  auto r = spool.put_bounded(in, RawSpool::kPackLimit * 2, 1000);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->size, mail.size());
  EXPECT_EQ(*spool.read(r->ref), mail.substr(0, 1000));
  EXPECT_LT(bytes_on_disk(dir.path()), 10000u) << "a spilled copy was left behind";
}

}  // namespace
}  // namespace mailcase::spool

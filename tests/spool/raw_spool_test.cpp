// The raw-mail spool: small mails packed, large ones in files, both read back.
#include "spool/raw_spool.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <sstream>
#include <thread>
#include <vector>

#include "support/test_support.h"

namespace mailcase::spool {
namespace {

TEST(RawSpool, SmallMailsArePackedAndReadBack) {
  testing::TempDir dir;
  FileBlobStore blobs(dir.path() / "blobs", false);
  RawSpool spool(dir.path() / "spool", blobs);
  auto a = spool.put("From: a@example.org\r\n\r\none\r\n");
  auto b = spool.put("From: b@example.org\r\n\r\ntwo\r\n");
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(a->location.empty());
  EXPECT_NE(a->location, b->location);
  ASSERT_TRUE(spool.sync());
  EXPECT_EQ(*spool.read(*a), "From: a@example.org\r\n\r\none\r\n");
  EXPECT_EQ(*spool.read(*b), "From: b@example.org\r\n\r\ntwo\r\n");
  EXPECT_TRUE(spool.contains(*a));
  EXPECT_TRUE(spool.file_of(*a).empty());
  // Same hash as a blob of the same bytes: the dedupe key does not depend on where.
  EXPECT_EQ(a->sha256, blobs.put("From: a@example.org\r\n\r\none\r\n")->sha256);
}

TEST(RawSpool, LargeMailSpillsIntoAFileOfItsOwn) {
  testing::TempDir dir;
  FileBlobStore blobs(dir.path() / "blobs", false);
  RawSpool spool(dir.path() / "spool", blobs);
  std::string big(RawSpool::kPackLimit + 10, 'x');
  std::istringstream in(big);
  auto r = spool.put_stream(in);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->location.empty());
  EXPECT_EQ(r->size, big.size());
  EXPECT_TRUE(std::filesystem::exists(spool.file_of(*r)));
  EXPECT_EQ(*spool.read(*r), big);
}

TEST(RawSpool, TwoSpoolsOnOneFolderNeverOverlap) {
  // Two processes delivering at once: each mail keeps its own bytes.
  testing::TempDir dir;
  FileBlobStore blobs(dir.path() / "blobs", false);
  RawSpool one(dir.path() / "spool", blobs);
  RawSpool two(dir.path() / "spool", blobs);
  std::vector<std::pair<BlobRef, std::string>> all;
  for (int i = 0; i < 50; ++i) {
    std::string m1 = "mail one " + std::to_string(i) + std::string(static_cast<size_t>(i), 'a');
    std::string m2 = "mail two " + std::to_string(i);
    all.emplace_back(*one.put(m1), m1);
    all.emplace_back(*two.put(m2), m2);
  }
  for (const auto& [ref, bytes] : all) EXPECT_EQ(*one.read(ref), bytes);
}

TEST(RawSpool, SpoolsAppendingAtTheSameTimeKeepEveryMailWhole) {
  // Processes spooling at once, as concurrent deliveries do (each spool its own
  // descriptor of the segment, no lock between them): every mail reads back whole.
  testing::TempDir dir;
  FileBlobStore blobs(dir.path() / "blobs", false);
  constexpr int kSpools = 4, kMails = 300;
  std::vector<std::vector<std::pair<BlobRef, std::string>>> put(kSpools);
  std::vector<std::thread> writers;
  for (int k = 0; k < kSpools; ++k) {
    writers.emplace_back([&, k] {
      RawSpool spool(dir.path() / "spool", blobs);
      for (int i = 0; i < kMails; ++i) {
        std::string m = "spool " + std::to_string(k) + " mail " + std::to_string(i) + " " +
                        std::string(static_cast<size_t>((i * 7919 + k * 104729) % 20000), static_cast<char>('a' + k));
        auto ref = spool.put(m);
        if (!ref) {
          ADD_FAILURE() << ref.error().message;
          return;
        }
        put[static_cast<size_t>(k)].emplace_back(*ref, std::move(m));
      }
    });
  }
  for (auto& t : writers) t.join();
  RawSpool reader(dir.path() / "spool", blobs);
  for (const auto& mails : put) {
    ASSERT_EQ(mails.size(), static_cast<size_t>(kMails));
    for (const auto& [ref, bytes] : mails) EXPECT_EQ(*reader.read(ref), bytes);
  }
}

TEST(RawSpool, MissingBytesAreReported) {
  testing::TempDir dir;
  FileBlobStore blobs(dir.path() / "blobs", false);
  RawSpool spool(dir.path() / "spool", blobs);
  BlobRef ghost{"00", 10, "1:999999"};
  EXPECT_FALSE(spool.contains(ghost));
  EXPECT_FALSE(spool.read(ghost).has_value());
  EXPECT_FALSE(spool.read(BlobRef{"00", 1, "garbage"}).has_value());
}

// Downloads read a kept blob by its row alone: packed in a segment (attachments since
// they are spooled), or a file of its own (large ones, and rows written before).
TEST(RawSpool, KeptBlobsAreReadFromTheDataDirectoryWhereverTheyAre) {
  testing::TempDir dir;
  FileBlobStore blobs(dir.path() / "blobs", false);
  RawSpool spool(dir.path() / "spool", blobs);
  auto packed = spool.put("%PDF-1.4 a small attachment");
  auto own_file = blobs.put("an attachment stored before segments held them");
  ASSERT_TRUE(packed && own_file);
  ASSERT_FALSE(packed->location.empty());
  EXPECT_EQ(*read_kept(dir.path(), *packed), "%PDF-1.4 a small attachment");
  EXPECT_EQ(*read_kept(dir.path(), *own_file), "an attachment stored before segments held them");
  auto gone = read_kept(dir.path(), BlobRef{packed->sha256, packed->size, "1:999999"});
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(read_kept(dir.path(), BlobRef{"", 3, ""}).error().code, ErrorCode::kNotFound);
}

// Pages of the file at `path` in the page cache, of its whole pages before `bytes`.
size_t resident_pages(const std::filesystem::path& path, uint64_t bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return SIZE_MAX;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE)), pages = bytes / page;
  void* map = ::mmap(nullptr, pages * page, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return SIZE_MAX;
  std::vector<unsigned char> in_core(pages);
  size_t resident = ::mincore(map, pages * page, in_core.data()) == 0 ? 0 : SIZE_MAX;
  for (unsigned char c : in_core) resident += c & 1;
  ::munmap(map, pages * page);
  return resident;
}

// A mail's raw bytes, once synced, are not kept in the page cache (an import of 300,000
// mails would otherwise add 3 GB to it and push out the store's pages), and they are
// still read back whole from the disk; what a later sync covers is let go of too.
TEST(RawSpool, SyncedBytesLeaveThePageCacheAndAreStillReadBack) {
  testing::TempDir dir;
  struct statfs fs {};
  ASSERT_EQ(::statfs(dir.path().c_str(), &fs), 0);
  if (fs.f_type == TMPFS_MAGIC) GTEST_SKIP() << "the temporary directory is in memory (tmpfs)";
  FileBlobStore blobs(dir.path() / "blobs", false);
  RawSpool spool(dir.path() / "spool", blobs);
  std::vector<BlobRef> refs;
  for (int i = 0; i < 200; ++i) {
    auto r = spool.put("From: a@example.org\r\n\n" + std::string(10000, static_cast<char>('a' + i % 26)));
    ASSERT_TRUE(r);
    refs.push_back(*r);
  }
  const auto segment = dir.path() / "spool" / "00000001.pack";
  const uint64_t first = std::filesystem::file_size(segment);
  EXPECT_GT(resident_pages(segment, first), 400u) << "written, not yet synced: in the page cache";
  ASSERT_TRUE(spool.sync());
  EXPECT_EQ(resident_pages(segment, first), 0u);
  for (int i = 0; i < 200; ++i) {
    auto r = spool.put("From: b@example.org\r\n\n" + std::string(10000, 'z'));
    ASSERT_TRUE(r);
    refs.push_back(*r);
  }
  ASSERT_TRUE(spool.sync());
  EXPECT_EQ(resident_pages(segment, std::filesystem::file_size(segment)), 0u);
  EXPECT_EQ(*spool.read(refs[7]), "From: a@example.org\r\n\n" + std::string(10000, 'h'));
  EXPECT_EQ(*spool.read(refs.back()), "From: b@example.org\r\n\n" + std::string(10000, 'z'));
}

}  // namespace
}  // namespace mailcase::spool

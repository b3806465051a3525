// util::sync_path: a file, its data alone, or a directory synced by its path; a missing
// one is kNotFound, told apart from a failure to sync.
#include "util/file_sync.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/test_support.h"

namespace mailcase::util {
namespace {

TEST(SyncPath, AFileItsDataOrADirectoryIsSynced) {
  mailcase::testing::TempDir dir;
  const auto file = dir.path() / "f";
  std::ofstream(file) << "bytes";
  EXPECT_TRUE(sync_path(file, SyncOf::kFile));
  EXPECT_TRUE(sync_path(file, SyncOf::kFileData));
  EXPECT_TRUE(sync_path(dir.path(), SyncOf::kDirectory));
}

TEST(SyncPath, NothingThereIsNotFoundAndNamesThePath) {
  mailcase::testing::TempDir dir;
  auto s = sync_path(dir.path() / "gone", SyncOf::kFileData);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  EXPECT_NE(s.error().message.find("gone"), std::string::npos) << s.error().message;
}

TEST(SyncPath, AFileIsNotSyncedAsADirectory) {
  mailcase::testing::TempDir dir;
  const auto file = dir.path() / "f";
  std::ofstream(file) << "bytes";
  auto s = sync_path(file, SyncOf::kDirectory);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kTemporary);
}

}  // namespace
}  // namespace mailcase::util

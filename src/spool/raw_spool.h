// The spool of raw mails: small mails appended to pack segments, large ones in files
// of their own.
//
// Why: one file per mail costs an inode creation each (most of the kernel time of a
// bulk import on ext4); appending to a segment costs a write. A mail up to
// kPackLimit bytes is buffered and appended to the current segment in one O_APPEND
// write (several mailcase processes may spool at once, without a lock); a larger one spills
// into the FileBlobStore as it streams, so memory stays bounded whatever its size.
//
// Contract: the bytes of a committed BlobRef are durable once sync() has returned (an
// fdatasync of the segment written, an fsync of a directory that gained a file, and the
// large mails' files: never a whole-filesystem syncfs);
// BlobRef::location says where they are and is recorded with the raw message. A
// segment is append-only; bytes of a mail whose row never committed are left unused.
#pragma once

#include <filesystem>
#include <istream>
#include <mutex>
#include <set>

#include "spool/blob_store.h"

namespace mailcase::spool {

class RawSpool final : public BlobSink {
 public:
  static constexpr size_t kPackLimit = 1024 * 1024;
  static constexpr uint64_t kSegmentBytes = 256ull * 1024 * 1024;

  // Segments live under root (created when missing); large mails go to `large`.
  RawSpool(std::filesystem::path root, FileBlobStore& large);
  ~RawSpool() override;
  RawSpool(const RawSpool&) = delete;
  RawSpool& operator=(const RawSpool&) = delete;

  Result<std::unique_ptr<BlobWriter>> open() override;

  // The bytes of a mail, from its segment or its own file.
  [[nodiscard]] Result<std::string> read(const BlobRef& ref) const;
  bool contains(const BlobRef& ref) const;
  // A file holding exactly these bytes when the mail has one, else empty (read() it).
  std::filesystem::path file_of(const BlobRef& ref) const;
  // Makes everything committed so far durable.
  [[nodiscard]] Status sync();

  // A mail read from a stream with a size limit: `ref` holds all of it when size <=
  // limit; past the limit it holds only the first head_bytes (the rest is read and
  // counted, never stored, so an oversized mail leaves no whole copy on disk).
  struct Bounded {
    BlobRef ref;
    uint64_t size = 0;  // bytes the stream had
  };
  [[nodiscard]] Result<Bounded> put_bounded(std::istream& in, uint64_t limit, size_t head_bytes);

  // Appends a complete small mail; used by the writer.
  [[nodiscard]] Result<std::string> append(std::string_view bytes);

 private:
  // fdatasync of fd (a duplicate of the segment's, closed here; -1: none), then the
  // directories that gained an entry; the segment's bytes before synced_end are then let
  // go of from the page cache.
  Status sync_segment(int fd, uint64_t synced_end);
  [[nodiscard]] Status open_segment_locked();

  std::filesystem::path root_;
  FileBlobStore& large_;
  std::mutex mu_;
  int seg_fd_ = -1;
  uint64_t seg_end_ = 0;  // where the segment ended after this process's last write
  int seg_no_ = 0;
  bool dirty_ = false;
  // Directories that gained an entry (a new segment, the spool itself), synced by sync().
  std::set<std::filesystem::path> dirty_dirs_;
};

// The bytes of a blob kept in a data directory as the runtime lays it out (runtime.cpp:
// segments under spool/, files under blobs/), for readers outside the runtime (the
// console's and the API's attachment downloads). kNotFound when they were not kept.
[[nodiscard]] Result<std::string> read_kept(const std::filesystem::path& data_dir, const BlobRef& ref);

}  // namespace mailcase::spool

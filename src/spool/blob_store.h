// Content-addressed storage of raw mails and attachment bodies.
//
// A blob is named by the SHA-256 of its bytes and written once: putting the same
// bytes again is a no-op that returns the same reference. Writers stream, so a blob
// of any size is stored without being held in memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <istream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

namespace mailcase::spool {

struct BlobRef {
  std::string sha256;  // lower-case hex
  uint64_t size = 0;
  // Empty: a file of its own in the FileBlobStore, named by sha256. "<segment>:<offset>":
  // where a RawSpool packed it (raw_spool.h). "db:<id>": kept in the store, written with
  // its mail's commit (store::RawMessageRepository::keep_bytes). "held:<n>": in memory,
  // the n-th blob of a HeldBlobs, until that commit gives it a "db:" location.
  std::string location;
};

// The store's id of a "db:<id>" location; nullopt for any other.
std::optional<int64_t> kept_in_store(std::string_view location);
std::string store_location(int64_t id);
// The index of a "held:<n>" location; nullopt for any other.
std::optional<size_t> held_index(std::string_view location);

// One blob being written. Dropping it without commit() discards what was written.
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;
  [[nodiscard]] virtual Status write(std::string_view bytes) = 0;
  // Stores the blob under its hash. The writer may not be used afterwards.
  [[nodiscard]] virtual Result<BlobRef> commit() = 0;
};

// Where blobs go. Thread-safe: open() may be called from several threads.
class BlobSink {
 public:
  virtual ~BlobSink() = default;
  [[nodiscard]] virtual Result<std::unique_ptr<BlobWriter>> open() = 0;

  [[nodiscard]] Result<BlobRef> put(std::string_view bytes);
  // Copies the whole stream into a blob, in bounded memory.
  [[nodiscard]] Result<BlobRef> put_stream(std::istream& in);
};

// Blobs as files under root/ab/cdef…; durable once sync() returned (or at once when
// fsync_each is set).
//
// Why not syncfs: it flushes the whole filesystem, whatever other programs wrote to it,
// so its cost grows with the machine's load. The store remembers instead the blob files
// it committed (written or found already there) and the directories that gained an entry,
// and sync() fsyncs exactly those. Past kMaxPending remembered paths a commit syncs them at
// once, so a process that never calls sync() (storage.sync = "normal") holds bounded memory.
class FileBlobStore final : public BlobSink {
 public:
  static constexpr size_t kMaxPending = 4096;

  FileBlobStore(std::filesystem::path root, bool fsync_each);
  Result<std::unique_ptr<BlobWriter>> open() override;

  std::filesystem::path path_of(std::string_view sha256) const;
  bool contains(std::string_view sha256) const;
  [[nodiscard]] Result<std::string> read(std::string_view sha256) const;
  // Makes every blob committed so far by this store durable: an fsync of each of its
  // files and of each directory that gained one.
  [[nodiscard]] Status sync();
  // Whether a committed blob or a directory that gained one waits for sync(): a caller
  // syncing other files beside this store need not set anything up for it when not.
  bool has_pending();

  const std::filesystem::path& root() const { return root_; }

 private:
  friend class FileWriter;
  // A committed blob at `file`; `new_dirs`: directories that gained an entry for it.
  // file_synced: the writer fsynced it already.
  [[nodiscard]] Status committed(const std::filesystem::path& file,
                                 std::vector<std::filesystem::path> new_dirs, bool file_synced);

  std::filesystem::path root_;
  bool fsync_each_;
  std::mutex mu_;  // guards the pending sets (writers commit from several threads)
  std::set<std::filesystem::path> pending_files_;
  std::set<std::filesystem::path> pending_dirs_;
};

// Blobs in memory, for tests and for parsing where nothing must be kept.
class MemoryBlobStore final : public BlobSink {
 public:
  Result<std::unique_ptr<BlobWriter>> open() override;
  std::map<std::string, std::string> blobs() const;

 private:
  friend class MemoryWriter;
  mutable std::mutex mu_;
  std::map<std::string, std::string> blobs_;
};

// The blobs of one small mail taken whole into memory (an LMTP delivery), held until its
// commit keeps them in the store (location "held:<n>", n an index into take()), so that
// they reach the disk with that commit's one sync instead of a spool segment's sync
// before it. Once `budget` bytes are held, further blobs go to `overflow` as usual
// (their location says so, and the caller syncs it): memory stays bounded per mail.
// Not thread-safe: one mail's parse writes into it.
class HeldBlobs final : public BlobSink {
 public:
  HeldBlobs(BlobSink& overflow, size_t budget) : overflow_(&overflow), budget_(budget) {}
  Result<std::unique_ptr<BlobWriter>> open() override;
  // The held blobs, by index; the sink is empty afterwards.
  std::vector<std::string> take() { return std::exchange(held_, {}); }

 private:
  friend class HeldWriter;
  BlobSink* overflow_;
  size_t budget_;
  size_t held_bytes_ = 0;
  std::vector<std::string> held_;
};

// Discards the bytes, keeps only the hash and size.
class NullBlobSink final : public BlobSink {
 public:
  Result<std::unique_ptr<BlobWriter>> open() override;
};

}  // namespace mailcase::spool

// Reading mails from mbox files and Maildir folders, for `mailcase import`.
//
// Each mail is streamed into a BlobWriter a block at a time, so a mail of any size
// costs bounded memory.
#pragma once

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spool/blob_store.h"
#include "util/result.h"

namespace mailcase::channels {

// Splits an mbox file ("From " separator lines; ">From " lines un-quoted one level, as in
// mboxrd). A file that does not start with "From " is read as one single mail.
class MboxReader {
 public:
  [[nodiscard]] static Result<std::unique_ptr<MboxReader>> open(const std::filesystem::path& path);
  ~MboxReader();
  // A mail up to this size is also handed back whole by next(sink, copy).
  static constexpr size_t kCopyLimit = 1024 * 1024;

  // Writes the next mail into a new blob of `sink`; nullopt at the end of the file.
  // With `copy`, a mail of at most kCopyLimit bytes is also left there whole (a larger
  // one leaves it empty), so that the caller parses it without reading it back.
  [[nodiscard]] Result<std::optional<spool::BlobRef>> next(spool::BlobSink& sink,
                                                           std::string* copy = nullptr);
  // Bytes of the file consumed so far, for progress.
  uint64_t position() const { return position_; }

 private:
  explicit MboxReader(FILE* f) : f_(f) {}
  // stdio reads the file through this (glibc sizes a buffer of its own by the disk's
  // block, 4 KiB, whatever setvbuf asks, unless given one).
  static constexpr size_t kReadBuffer = 256 * 1024;
  std::unique_ptr<char[]> read_buffer_;
  FILE* f_;
  std::string pending_;  // a line read ahead
  bool has_pending_ = false;
  bool started_ = false;
  bool eof_ = false;
  uint64_t position_ = 0;
  char* line_ = nullptr;
  size_t cap_ = 0;
};

// The message files of a Maildir (new/ and cur/, and Maildir++ subfolders), sorted.
// Returns kInvalidInput when `dir` is no Maildir.
[[nodiscard]] Result<std::vector<std::filesystem::path>> maildir_files(const std::filesystem::path& dir);

bool is_maildir(const std::filesystem::path& dir);

}  // namespace mailcase::channels

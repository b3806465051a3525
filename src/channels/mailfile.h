// Reading mails from mbox files and Maildir folders, for `mailcase import`.
//
// Each mail is streamed into a BlobWriter a block at a time, so a mail of any size
// costs bounded memory.
#pragma once

#include <cstdint>
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

// A mail as MboxReader::next() read it. full_size > 0: the mail had that many bytes,
// over the bound it was read under, and `blob` holds only its head.
struct MboxMail {
  spool::BlobRef blob;
  uint64_t full_size = 0;
};

// How much of one mail is kept: past max_bytes, only its first head_bytes are, and the
// rest is read and counted (the mail is then recorded as too large, as a delivered one is).
struct MboxBound {
  uint64_t max_bytes = UINT64_MAX;
  size_t head_bytes = 0;
};

// Splits an mbox file ("From " separator lines; ">From " lines un-quoted one level, as in
// mboxrd). A file that does not start with "From " is read as one single mail.
//
// Bounded memory whatever the file holds: it is read kMaxPiece bytes of a line at most at
// a time (a line of 40 MB, base64 without line breaks, held the whole line: a 135 MB
// peak), and a mail past its bound keeps only its head.
class MboxReader {
 public:
  [[nodiscard]] static Result<std::unique_ptr<MboxReader>> open(const std::filesystem::path& path);
  // Reads `f` (a stream of the caller's, fmemopen say), which it closes, in pieces of
  // at most `max_piece` bytes (1 to kMaxPiece: a fuzzer's inputs are smaller than a piece).
  [[nodiscard]] static std::unique_ptr<MboxReader> adopt(FILE* f, size_t max_piece = kMaxPiece);
  ~MboxReader();
  MboxReader(const MboxReader&) = delete;
  MboxReader& operator=(const MboxReader&) = delete;
  // A mail up to this size is also handed back whole by next(sink, copy).
  static constexpr size_t kCopyLimit = 1024 * 1024;
  // The longest piece of a line held at once; a longer line is taken a piece at a time.
  static constexpr size_t kMaxPiece = 64 * 1024;

  // Writes the next mail into a new blob of `sink`; nullopt at the end of the file.
  // With `copy`, a mail of at most kCopyLimit bytes (and within `bound`) is also left
  // there whole (another leaves it empty), so that the caller parses it without reading
  // it back.
  [[nodiscard]] Result<std::optional<MboxMail>> next(spool::BlobSink& sink, std::string* copy = nullptr,
                                                     MboxBound bound = {});
  // Bytes of the file consumed so far, for progress.
  uint64_t position() const { return position_; }

 private:
  MboxReader(FILE* f, size_t max_piece);
  // The next piece of the file into `out` (valid until the next call): the rest of a line
  // through its '\n' when that is at most max_piece_ bytes on, else max_piece_ bytes of it
  // (a line's first piece: at least its run of '>' and 5 bytes more, up to half of
  // kReadBuffer). `line_start`: the piece begins a line. False at the end of the file (or
  // an error).
  bool read_piece(std::string_view& out, bool& line_start);

  static constexpr size_t kReadBuffer = 256 * 1024;
  FILE* f_;
  const size_t max_piece_;
  std::unique_ptr<char[]> buf_;  // [begin_, end_) read from f_, not yet handed out
  size_t begin_ = 0;
  size_t end_ = 0;
  bool file_ended_ = false;
  bool at_line_start_ = true;
  std::string pending_;  // a separator line read ahead (it starts a line)
  bool has_pending_ = false;
  bool started_ = false;
  bool eof_ = false;
  uint64_t position_ = 0;
};

// The message files of a Maildir (new/ and cur/, and Maildir++ subfolders), sorted.
// Returns kInvalidInput when `dir` is no Maildir.
[[nodiscard]] Result<std::vector<std::filesystem::path>> maildir_files(const std::filesystem::path& dir);

bool is_maildir(const std::filesystem::path& dir);

// Opens `file`, listed by maildir_files(root), for reading: a descriptor of a regular file
// inside `root`. A symbolic link (the file's own, or a directory's on its way that leads
// out of `root`), a FIFO or a device is refused (kInvalidInput): a Maildir handed over
// for import may be someone else's, who must not make it read the service user's files.
[[nodiscard]] Result<int> open_maildir_file(const std::filesystem::path& root,
                                            const std::filesystem::path& file);

}  // namespace mailcase::channels

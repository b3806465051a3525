// Which of SQLite's writes to a WAL file are gathered, and when they go out: the rule the
// WAL-gathering VFS (wal_vfs.h) applies, with no I/O of its own, so that it is tested
// write by write (tests/store/wal_gather_test.cpp).
//
// Rule: a write that continues the gathered bytes joins them; one that does not first
// sends them out. Everything goes out once the page of a commit frame (a frame header
// whose bytes 4..7, the database's size after the commit, are not 0) has joined, and
// every later write of the same transaction at once, until a frame header that is not a
// commit's starts the next transaction; and once kWalGatherBytes are gathered. Bytes go
// out in runs of at most kMaxWriteBytes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

namespace mailcase::store::sqlite {

// 1 MB: a commit of any size still reaches the file in runs of kMaxWriteBytes (the same
// number of writes), and the buffer, kept between commits, is not an import batch's whole
// WAL (8 MB here made 8 MB of an import's peak memory).
constexpr int64_t kWalGatherBytes = 1024 * 1024;

class WalGather {
 public:
  // WAL_FRAME_HDRSIZE: page number, commit size, salts, checksums.
  static constexpr size_t kFrameHeaderBytes = 24;
  // The most the unix VFS writes in one call: it keeps only the low 17 bits of a write's
  // size (a larger one comes back short, as SQLITE_FULL). 31 pages of 4 KB.
  static constexpr size_t kMaxWriteBytes = 0x1f000;
  // What the buffer keeps between commits: as much as is gathered before it goes out, so
  // that each commit does not grow a new buffer, copying what it holds at each doubling
  // and touching fresh memory (page faults; measured, a sixth of the committing thread's
  // time). A buffer grown past it (one write larger than the rest) is given back.
  static constexpr size_t kKeptCapacity = kWalGatherBytes + 64 * 1024;

  // Takes a write SQLite made at `offset`. out(offset, bytes) -> int (0: written) is called
  // for each run that must reach the file now, in order; the first error it returns is
  // returned, and what was gathered is dropped either way (the caller hears of it once).
  template <typename Out>
  int write(int64_t offset, std::string_view bytes, Out&& out) {
    const bool header = bytes.size() == kFrameHeaderBytes;
    const bool commit_header = header && (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
    if (header) committing_ = commit_header;
    if (!gathered_.empty() && offset != at_ + static_cast<int64_t>(gathered_.size())) {
      if (int rc = write_out(out); rc != 0) return rc;
    }
    if (gathered_.empty()) at_ = offset;
    gathered_.append(bytes);
    if (commit_header) return 0;  // its page follows
    if (committing_ || static_cast<int64_t>(gathered_.size()) >= kWalGatherBytes) return write_out(out);
    return 0;
  }

  // Sends out everything gathered (before a read, sync, size, truncate, close…).
  template <typename Out>
  int write_out(Out&& out) {
    int rc = 0;
    for (size_t done = 0; done < gathered_.size() && rc == 0; done += kMaxWriteBytes)
      rc = out(at_ + static_cast<int64_t>(done),
               std::string_view(gathered_).substr(done, std::min(kMaxWriteBytes, gathered_.size() - done)));
    if (gathered_.capacity() > kKeptCapacity)
      std::string().swap(gathered_);
    else
      gathered_.clear();
    return rc;
  }

  size_t gathered() const { return gathered_.size(); }

 private:
  std::string gathered_;
  int64_t at_ = 0;          // the file offset of gathered_'s first byte
  bool committing_ = false;  // a commit frame's header went by in this transaction
};

}  // namespace mailcase::store::sqlite

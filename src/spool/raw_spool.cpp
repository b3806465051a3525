#include "spool/raw_spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <future>

#include "spool/sha256.h"
#include "util/beside.h"
#include "util/text.h"

namespace mailcase::spool {
namespace {

Error io_error(const std::string& what) {
  return Error{ErrorCode::kTemporary, what + ": " + std::strerror(errno)};
}

std::string segment_name(int n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08d.pack", n);
  return buf;
}

// "<segment>:<offset>" → numbers; false when malformed.
bool parse_location(std::string_view loc, int& segment, uint64_t& offset) {
  auto colon = loc.find(':');
  if (colon == std::string_view::npos) return false;
  auto r1 = std::from_chars(loc.data(), loc.data() + colon, segment);
  auto r2 = std::from_chars(loc.data() + colon + 1, loc.data() + loc.size(), offset);
  return r1.ec == std::errc() && r2.ec == std::errc() && r2.ptr == loc.data() + loc.size() && segment > 0;
}

// Buffers up to kPackLimit; past it, everything so far and the rest stream into a
// blob file.
class PackWriter final : public BlobWriter {
 public:
  PackWriter(RawSpool& spool, FileBlobStore& large) : spool_(spool), large_(large) {}
  Status write(std::string_view bytes) override {
    if (spill_) return spill_->write(bytes);
    if (buf_.size() + bytes.size() <= RawSpool::kPackLimit) {
      sha_.update(bytes);
      buf_.append(bytes);
      return {};
    }
    MC_ASSIGN_OR_RETURN(spill_, large_.open());
    MC_RETURN_IF_ERROR(spill_->write(buf_));
    buf_.clear();
    buf_.shrink_to_fit();
    return spill_->write(bytes);
  }
  Result<BlobRef> commit() override {
    if (spill_) return spill_->commit();
    MC_ASSIGN_OR_RETURN(auto loc, spool_.append(buf_));
    return BlobRef{sha_.hex(), buf_.size(), std::move(loc)};
  }

 private:
  RawSpool& spool_;
  FileBlobStore& large_;
  std::string buf_;
  Sha256 sha_;
  std::unique_ptr<BlobWriter> spill_;
};

// A mail's raw bytes are read again only when it is retried or downloaded whole, so once
// on disk (the caller has synced the segment up to `end`) their pages are given back
// rather than kept in the page cache, where they would push out the store's. An import of
// 300,000 mails otherwise grows the cache by 3 GB, every page of it newly allocated (and
// zeroed) by the kernel: a write's copy took 17% of the import's CPU by its end against
// 1.4% at its start. The kernel drops only the whole pages of the range, so the page the
// next mail goes on stays; pages already dropped cost nothing to name again. A hint: its
// failure is no error.
void release_synced(int fd, uint64_t end) {
  if (end > 0) ::posix_fadvise(fd, 0, static_cast<off_t>(end), POSIX_FADV_DONTNEED);
}

}  // namespace

RawSpool::RawSpool(std::filesystem::path root, FileBlobStore& large)
    : root_(std::move(root)), large_(large) {}

RawSpool::~RawSpool() {
  if (seg_fd_ >= 0) ::close(seg_fd_);
}

Result<std::unique_ptr<BlobWriter>> RawSpool::open() {
  return std::unique_ptr<BlobWriter>(new PackWriter(*this, large_));
}

// Called with mu_ held: opens the newest segment, or a new one when the newest is full,
// and learns where it ends. Processes that do so at once may each start a new segment
// or share one (O_APPEND keeps their mails whole either way); a segment may run past
// kSegmentBytes by what others appended meanwhile.
Status RawSpool::open_segment_locked() {
  int newest = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(root_, ec)) {
    const std::string name = e.path().filename().string();
    int n = 0;
    if (name.size() == 13 && name.ends_with(".pack") &&
        std::from_chars(name.data(), name.data() + 8, n).ec == std::errc())
      newest = std::max(newest, n);
  }
  if (ec) return fail(ErrorCode::kTemporary, "cannot list the spool: " + ec.message());
  if (newest == 0) newest = 1;
  struct stat st {};
  if (::stat((root_ / segment_name(newest)).c_str(), &st) == 0 &&
      static_cast<uint64_t>(st.st_size) >= kSegmentBytes)
    ++newest;
  if (seg_fd_ >= 0 && newest == seg_no_) return {};
  if (seg_fd_ >= 0) {
    if (dirty_ && ::fdatasync(seg_fd_) != 0) return tl::unexpected(io_error("cannot sync the spool"));
    dirty_ = false;
    release_synced(seg_fd_, seg_end_);
    ::close(seg_fd_);
  }
  const auto seg = root_ / segment_name(newest);
  seg_fd_ = ::open(seg.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (seg_fd_ < 0 && errno == ENOENT) {
    // A new segment: its name reaches the disk with the spool directory's sync.
    seg_fd_ = ::open(seg.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (seg_fd_ >= 0) dirty_dirs_.insert(root_);
  }
  if (seg_fd_ < 0) return tl::unexpected(io_error("cannot open spool segment"));
  seg_no_ = newest;
  struct stat opened {};
  if (::fstat(seg_fd_, &opened) != 0) return tl::unexpected(io_error("cannot read the spool segment"));
  seg_end_ = static_cast<uint64_t>(opened.st_size);
  return {};
}

Result<std::string> RawSpool::append(std::string_view bytes) {
  std::lock_guard lock(mu_);
  if (seg_fd_ < 0) {
    std::error_code ec;
    if (!std::filesystem::exists(root_, ec) && root_.has_parent_path())
      dirty_dirs_.insert(root_.parent_path());
    std::filesystem::create_directories(root_, ec);
  }
  if (seg_fd_ < 0 || seg_end_ >= kSegmentBytes) MC_RETURN_IF_ERROR(open_segment_locked());
  // One write(2) of the whole mail on a descriptor opened O_APPEND: the kernel puts it at
  // the file's end in one piece, whichever other process appends to the segment at the
  // same time (no lock taken), and leaves this descriptor's offset at its end, which says
  // where it began. A short write (a full disk) leaves a torn piece nothing will name, as
  // a mail whose row never commits does: the mail is refused, and taken again later.
  ssize_t n = 0;
  do {
    n = ::write(seg_fd_, bytes.data(), bytes.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return tl::unexpected(io_error("cannot write the spool"));
  dirty_ = true;
  const off_t end = ::lseek(seg_fd_, 0, SEEK_CUR);
  if (end < 0) return tl::unexpected(io_error("cannot tell where the spool's write ended"));
  seg_end_ = static_cast<uint64_t>(end);
  if (static_cast<size_t>(n) != bytes.size())
    return fail(ErrorCode::kTemporary, "cannot write the spool: " + std::to_string(n) + " of " +
                                           std::to_string(bytes.size()) + " bytes written");
  return std::to_string(seg_no_) + ":" + std::to_string(seg_end_ - bytes.size());
}

Result<RawSpool::Bounded> RawSpool::put_bounded(std::istream& in, uint64_t limit, size_t head_bytes) {
  MC_ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> writer, open());
  std::string head;
  uint64_t total = 0;
  std::string buf(65536, '\0');
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    const std::string_view chunk(buf.data(), n);
    if (head.size() < head_bytes) head.append(chunk.substr(0, head_bytes - head.size()));
    total += n;
    if (!writer) continue;
    if (total > limit) {
      writer.reset();  // drops what it had spooled (an uncommitted blob file is removed)
      continue;
    }
    MC_RETURN_IF_ERROR(writer->write(chunk));
  }
  if (in.bad()) return fail(ErrorCode::kTemporary, "cannot read the mail");
  if (writer) {
    MC_ASSIGN_OR_RETURN(auto ref, writer->commit());
    return Bounded{std::move(ref), total};
  }
  MC_ASSIGN_OR_RETURN(auto ref, put(head));
  return Bounded{std::move(ref), total};
}

Status RawSpool::sync() {
  // The segment's fdatasync runs outside the lock, on a duplicate of its descriptor, so
  // that a thread appending the next mails (import's reader) is not held for the disk's
  // time: what was appended before this call is covered all the same, and what comes
  // during it marks the segment dirty again for the next sync.
  int fd = -1;
  uint64_t synced_end = 0;
  {
    std::lock_guard lock(mu_);
    if (dirty_ && seg_fd_ >= 0) {
      fd = ::fcntl(seg_fd_, F_DUPFD_CLOEXEC, 0);
      if (fd < 0) return tl::unexpected(io_error("cannot sync the spool"));
      dirty_ = false;
      synced_end = seg_end_;
    }
  }
  // The blob files (large mails, attachments) and the segment are independent: their
  // syncs wait on the disk at the same time, not one after the other (a group of LMTP
  // mails waits for the slower one instead of the sum). Both are done before this returns.
  // Most mails have no blob file: then no thread is started for a sync with nothing to do
  // (a clone per commit otherwise).
  std::future<Status> blobs;
  if (fd >= 0 && large_.has_pending()) blobs = util::run_beside([this] { return large_.sync(); });
  Status segment = sync_segment(fd, synced_end);
  Status blob_status = blobs.valid() ? blobs.get() : large_.sync();
  return segment ? blob_status : segment;
}

Status RawSpool::sync_segment(int fd, uint64_t synced_end) {
  if (fd >= 0) {
    const bool ok = ::fdatasync(fd) == 0;
    const Error e = ok ? Error{} : io_error("cannot sync the spool");
    if (ok) release_synced(fd, synced_end);
    ::close(fd);
    if (!ok) {
      std::lock_guard lock(mu_);
      dirty_ = true;
      return tl::unexpected(e);
    }
  }
  {
    std::lock_guard lock(mu_);
    // After the segment: a directory's entry must not name bytes that are not there.
    while (!dirty_dirs_.empty()) {
      const auto dir = *dirty_dirs_.begin();
      const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      const bool ok = fd >= 0 && ::fsync(fd) == 0;
      if (fd >= 0) ::close(fd);
      if (!ok) return tl::unexpected(io_error("cannot sync " + dir.string()));
      dirty_dirs_.erase(dirty_dirs_.begin());
    }
  }
  return {};
}

std::filesystem::path RawSpool::file_of(const BlobRef& ref) const {
  return ref.location.empty() ? large_.path_of(ref.sha256) : std::filesystem::path();
}

bool RawSpool::contains(const BlobRef& ref) const {
  if (ref.location.empty()) return large_.contains(ref.sha256);
  int seg = 0;
  uint64_t off = 0;
  if (!parse_location(ref.location, seg, off)) return false;
  struct stat st {};
  return ::stat((root_ / segment_name(seg)).c_str(), &st) == 0 &&
         off + ref.size <= static_cast<uint64_t>(st.st_size);
}

Result<std::string> RawSpool::read(const BlobRef& ref) const {
  if (ref.location.empty()) return large_.read(ref.sha256);
  int seg = 0;
  uint64_t off = 0;
  if (!parse_location(ref.location, seg, off))
    return fail(ErrorCode::kInvalidInput, "bad spool location " + ref.location);
  int fd = ::open((root_ / segment_name(seg)).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return tl::unexpected(io_error("cannot open spool segment " + segment_name(seg)));
  std::string out(ref.size, '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::pread(fd, out.data() + got, out.size() - got, static_cast<off_t>(off + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got != out.size()) return fail(ErrorCode::kNotFound, "the message's bytes are missing from the spool");
  return out;
}

Result<std::string> read_kept(const std::filesystem::path& data_dir, const BlobRef& ref) {
  FileBlobStore blobs(data_dir / "blobs", false);
  const RawSpool spool(data_dir / "spool", blobs);
  if (ref.sha256.empty() || !spool.contains(ref))
    return fail(ErrorCode::kNotFound, "the bytes were not kept");
  return spool.read(ref);
}

}  // namespace mailcase::spool

#include "spool/blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "spool/sha256.h"
#include "util/file_sync.h"
#include "util/text.h"

namespace mailcase::spool {
namespace {

class Hasher {
 public:
  void update(std::string_view b) {
    sha_.update(b);
    size_ += b.size();
  }
  BlobRef finish() { return BlobRef{sha_.hex(), size_}; }

 private:
  Sha256 sha_;
  uint64_t size_ = 0;
};

Error io_error(const std::string& what) {
  // Disk full, permissions, I/O errors: the caller may retry once fixed.
  return Error{ErrorCode::kTemporary, what + ": " + std::strerror(errno)};
}

std::string temp_name() {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return "tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(rng() % 1000000);
}

}  // namespace

class FileWriter final : public BlobWriter {
 public:
  FileWriter(FileBlobStore& store, int fd, std::filesystem::path tmp, bool fsync_each)
      : store_(store), fd_(fd), tmp_(std::move(tmp)), fsync_each_(fsync_each) {}
  ~FileWriter() override {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }
  Status write(std::string_view bytes) override {
    hasher_.update(bytes);
    if (!buf_.empty() && buf_.size() + bytes.size() > kBuffer) {
      MC_RETURN_IF_ERROR(flush());
    }
    if (bytes.size() >= kBuffer) return write_all(bytes);
    buf_.append(bytes);
    return {};
  }
  Result<BlobRef> commit() override {
    MC_RETURN_IF_ERROR(flush());
    BlobRef ref = hasher_.finish();
    if (fsync_each_ && ::fsync(fd_) != 0) return tl::unexpected(io_error("cannot sync blob"));
    ::close(fd_);
    fd_ = -1;
    auto dest = store_.path_of(ref.sha256);
    std::vector<std::filesystem::path> new_dirs;  // directories that gain an entry
    std::error_code ec;
    if (!std::filesystem::exists(dest.parent_path(), ec)) {
      std::filesystem::create_directories(dest.parent_path(), ec);
      if (ec) return fail(ErrorCode::kTemporary, "cannot create blob directory");
      new_dirs.push_back(store_.root());
    }
    bool written = false;
    if (std::filesystem::exists(dest, ec)) {
      ::unlink(tmp_.c_str());  // same bytes already stored
    } else if (::rename(tmp_.c_str(), dest.c_str()) != 0) {
      return tl::unexpected(io_error("cannot store blob"));
    } else {
      written = true;
      new_dirs.push_back(dest.parent_path());
    }
    committed_ = true;
    // Found already there: another writer's, maybe not yet synced; its sync is ours too.
    MC_RETURN_IF_ERROR(store_.committed(dest, std::move(new_dirs), fsync_each_ && written));
    return ref;
  }

 private:
  static constexpr size_t kBuffer = 64 * 1024;
  Status flush() {
    if (buf_.empty()) return {};
    auto s = write_all(buf_);
    buf_.clear();
    return s;
  }
  Status write_all(std::string_view b) {
    while (!b.empty()) {
      ssize_t n = ::write(fd_, b.data(), b.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return tl::unexpected(io_error("cannot write blob"));
      }
      b.remove_prefix(static_cast<size_t>(n));
    }
    return {};
  }

  FileBlobStore& store_;
  int fd_;
  std::filesystem::path tmp_;
  bool fsync_each_;
  bool committed_ = false;
  Hasher hasher_;
  std::string buf_;
};

class MemoryWriter final : public BlobWriter {
 public:
  explicit MemoryWriter(MemoryBlobStore* store) : store_(store) {}
  Status write(std::string_view bytes) override {
    hasher_.update(bytes);
    if (store_) data_.append(bytes);
    return {};
  }
  Result<BlobRef> commit() override {
    BlobRef ref = hasher_.finish();
    if (store_) {
      std::lock_guard lock(store_->mu_);
      store_->blobs_.emplace(ref.sha256, std::move(data_));
    }
    return ref;
  }

 private:
  MemoryBlobStore* store_;
  Hasher hasher_;
  std::string data_;
};

// Holds a blob in memory while the sink's budget allows; past it, hands what it has and
// the rest to the overflow sink's writer.
class HeldWriter final : public BlobWriter {
 public:
  explicit HeldWriter(HeldBlobs* sink) : sink_(sink) {}
  Status write(std::string_view bytes) override {
    if (spilled_) return spilled_->write(bytes);
    if (sink_->held_bytes_ + data_.size() + bytes.size() > sink_->budget_) {
      MC_ASSIGN_OR_RETURN(spilled_, sink_->overflow_->open());
      MC_RETURN_IF_ERROR(spilled_->write(data_));
      data_.clear();
      data_.shrink_to_fit();
      return spilled_->write(bytes);
    }
    hasher_.update(bytes);
    data_.append(bytes);
    return {};
  }
  Result<BlobRef> commit() override {
    if (spilled_) return spilled_->commit();
    BlobRef ref = hasher_.finish();
    ref.location = "held:" + std::to_string(sink_->held_.size());
    sink_->held_bytes_ += data_.size();
    sink_->held_.push_back(std::move(data_));
    return ref;
  }

 private:
  HeldBlobs* sink_;
  Hasher hasher_;
  std::string data_;
  std::unique_ptr<BlobWriter> spilled_;
};

Result<std::unique_ptr<BlobWriter>> HeldBlobs::open() {
  return std::unique_ptr<BlobWriter>(new HeldWriter(this));
}

namespace {
std::optional<uint64_t> number_after(std::string_view location, std::string_view prefix) {
  if (location.size() <= prefix.size() || location.substr(0, prefix.size()) != prefix) return std::nullopt;
  uint64_t n = 0;
  for (char c : location.substr(prefix.size())) {
    if (c < '0' || c > '9' || n > (std::numeric_limits<uint64_t>::max() - 9) / 10) return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}
}  // namespace

std::optional<int64_t> kept_in_store(std::string_view location) {
  auto n = number_after(location, "db:");
  if (!n || *n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return static_cast<int64_t>(*n);
}

std::string store_location(int64_t id) { return "db:" + std::to_string(id); }

std::optional<size_t> held_index(std::string_view location) {
  auto n = number_after(location, "held:");
  if (!n) return std::nullopt;
  return static_cast<size_t>(*n);
}

Result<BlobRef> BlobSink::put(std::string_view bytes) {
  MC_ASSIGN_OR_RETURN(auto w, open());
  MC_RETURN_IF_ERROR(w->write(bytes));
  return w->commit();
}

Result<BlobRef> BlobSink::put_stream(std::istream& in) {
  MC_ASSIGN_OR_RETURN(auto w, open());
  std::string buf(64 * 1024, '\0');
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    MC_RETURN_IF_ERROR(w->write(std::string_view(buf.data(), n)));
  }
  if (in.bad()) return fail(ErrorCode::kTemporary, "cannot read the message");
  return w->commit();
}

FileBlobStore::FileBlobStore(std::filesystem::path root, bool fsync_each)
    : root_(std::move(root)), fsync_each_(fsync_each) {}

std::filesystem::path FileBlobStore::path_of(std::string_view sha256) const {
  std::string s(sha256);
  return root_ / s.substr(0, 2) / s.substr(2);
}

bool FileBlobStore::contains(std::string_view sha256) const {
  std::error_code ec;
  return std::filesystem::exists(path_of(sha256), ec);
}

Result<std::unique_ptr<BlobWriter>> FileBlobStore::open() {
  std::error_code ec;
  auto tmpdir = root_ / "tmp";
  std::filesystem::create_directories(tmpdir, ec);
  auto tmp = tmpdir / temp_name();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return tl::unexpected(io_error("cannot create blob"));
  return std::unique_ptr<BlobWriter>(new FileWriter(*this, fd, tmp, fsync_each_));
}

Result<std::string> FileBlobStore::read(std::string_view sha256) const {
  std::ifstream in(path_of(sha256), std::ios::binary);
  if (!in) return fail(ErrorCode::kNotFound, "blob not found");
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return data;
}

Status FileBlobStore::committed(const std::filesystem::path& file,
                                std::vector<std::filesystem::path> new_dirs, bool file_synced) {
  if (fsync_each_) {
    if (!file_synced) MC_RETURN_IF_ERROR(util::sync_path(file, util::SyncOf::kFile));
    for (const auto& d : new_dirs) MC_RETURN_IF_ERROR(util::sync_path(d, util::SyncOf::kDirectory));
    return {};
  }
  bool full = false;
  {
    std::lock_guard lock(mu_);
    pending_files_.insert(file);
    for (auto& d : new_dirs) pending_dirs_.insert(std::move(d));
    full = pending_files_.size() + pending_dirs_.size() > kMaxPending;
  }
  return full ? sync() : Status{};
}

namespace {

// fsyncs every path, on a few threads at once: the filesystem's journal commits syncs that
// wait together in one go (ext4: one jbd2 commit), so a batch of new blobs costs about a
// few sync latencies instead of one per file. Returns the paths that failed and the first
// error.
std::pair<std::vector<std::filesystem::path>, Status> fsync_all(const std::set<std::filesystem::path>& paths,
                                                                bool directories) {
  constexpr size_t kThreads = 8;
  const std::vector<std::filesystem::path> all(paths.begin(), paths.end());
  std::vector<std::filesystem::path> failed;
  Status first;
  std::mutex mu;
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < all.size(); i = next++) {
      auto st = util::sync_path(all[i], directories ? util::SyncOf::kDirectory : util::SyncOf::kFile);
      if (st) continue;
      std::lock_guard lock(mu);
      failed.push_back(all[i]);
      if (first) first = st;
    }
  };
  // A thread for each 4 paths, up to kThreads, this one among them.
  std::vector<std::thread> helpers;
  for (size_t k = 1; k < std::min(kThreads, (all.size() + 3) / 4); ++k) helpers.emplace_back(work);
  work();
  for (auto& t : helpers) t.join();
  return {std::move(failed), first};
}

}  // namespace

bool FileBlobStore::has_pending() {
  std::lock_guard lock(mu_);
  return !pending_files_.empty() || !pending_dirs_.empty();
}

Status FileBlobStore::sync() {
  std::set<std::filesystem::path> files, dirs;
  {
    std::lock_guard lock(mu_);
    files.swap(pending_files_);
    dirs.swap(pending_dirs_);
  }
  // Files before the directories that name them; what failed stays pending for the next try.
  auto [failed, st] = fsync_all(files, false);
  if (!st) {
    std::lock_guard lock(mu_);
    pending_files_.insert(failed.begin(), failed.end());
    pending_dirs_.insert(dirs.begin(), dirs.end());
    return st;
  }
  auto [failed_dirs, dst] = fsync_all(dirs, true);
  if (!dst) {
    std::lock_guard lock(mu_);
    pending_dirs_.insert(failed_dirs.begin(), failed_dirs.end());
  }
  return dst;
}

Result<std::unique_ptr<BlobWriter>> MemoryBlobStore::open() {
  return std::unique_ptr<BlobWriter>(new MemoryWriter(this));
}

std::map<std::string, std::string> MemoryBlobStore::blobs() const {
  std::lock_guard lock(mu_);
  return blobs_;
}

Result<std::unique_ptr<BlobWriter>> NullBlobSink::open() {
  return std::unique_ptr<BlobWriter>(new MemoryWriter(nullptr));
}

}  // namespace mailcase::spool

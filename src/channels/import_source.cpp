#include "channels/import_source.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "channels/mailfile.h"
#include "util/beside.h"

namespace mailcase::channels {

namespace {

// What the reading thread hands the committing one, in the order it happened.
struct Item {
  enum class Kind { kMail, kProblem, kError, kEnd };
  Kind kind = Kind::kEnd;
  ingest::Spooled mail;                  // kMail: spooled and parsed
  std::optional<ImportProblem> problem;  // kProblem
  std::optional<Error> error;            // kError: the run ends on it
};

// A queue bounded in mails and in their bytes: the reader waits while it is full, so
// that what is read ahead of the commits costs bounded memory whatever the import's
// size. One mail is always let in, however big (its parse is bounded by the limits).
class ItemQueue {
 public:
  ItemQueue(size_t max_items, uint64_t max_bytes) : max_items_(max_items), max_bytes_(max_bytes) {}

  // False when the queue was closed (the committing side gave up): drop the item.
  bool push(Item item) {
    const uint64_t bytes = item.kind == Item::Kind::kMail ? item.mail.blob.size : 0;
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] {
      return closed_ || items_.empty() || (items_.size() < max_items_ && bytes_ + bytes <= max_bytes_);
    });
    if (closed_) return false;
    bytes_ += bytes;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }

  Item pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !items_.empty(); });
    Item item = std::move(items_.front());
    items_.pop_front();
    if (item.kind == Item::Kind::kMail) bytes_ -= item.mail.blob.size;
    not_full_.notify_one();
    return item;
  }

  // Wakes and turns away the reader; what is queued is dropped.
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    items_.clear();
    bytes_ = 0;
    not_full_.notify_all();
  }

  bool closed() {
    std::lock_guard lock(mu_);
    return closed_;
  }

 private:
  const size_t max_items_;
  const uint64_t max_bytes_;
  std::mutex mu_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<Item> items_;
  uint64_t bytes_ = 0;
  bool closed_ = false;
};

// Raw bytes read ahead of the commits at most (besides one mail of any size): with the
// batch being committed, well inside the import's memory bound.
constexpr uint64_t kReadAheadBytes = 16ull * 1024 * 1024;

}  // namespace

namespace {

// The whole of a file of `size` bytes into `out`. False when it holds another count of
// bytes now (it changed since it was listed): `in` is then back at its start, to be
// streamed like a large file.
bool read_whole(std::ifstream& in, uint64_t size, std::string& out) {
  out.resize(size);
  in.read(out.data(), static_cast<std::streamsize>(size));
  if (static_cast<uint64_t>(in.gcount()) == size && in.peek() == std::char_traits<char>::eof()) return true;
  in.clear();
  in.seekg(0);
  return false;
}

// The reading thread: every path in turn into the queue, ending with kEnd or kError.
void read_all(ingest::Pipeline& pipeline, const ImportOptions& opt, ItemQueue& queue,
              const std::atomic<bool>& stop) {
  auto halted = [&] { return stop.load() || queue.closed(); };
  // `at_hand`: the mail's bytes when the reader kept them, parsed without a read back.
  auto mail = [&](ingest::Spooled s, std::string_view at_hand = {}) {
    pipeline.parse_ahead(s, at_hand);
    Item item;
    item.kind = Item::Kind::kMail;
    item.mail = std::move(s);
    return queue.push(std::move(item));
  };
  auto problem = [&](ImportProblem::Kind kind, const std::filesystem::path& path, Error error) {
    Item item;
    item.kind = Item::Kind::kProblem;
    item.problem = ImportProblem{kind, path, std::move(error)};
    return queue.push(std::move(item));
  };
  auto failed = [&](Error error) {
    Item item;
    item.kind = Item::Kind::kError;
    item.error = std::move(error);
    queue.push(std::move(item));
  };

  const uint64_t max_bytes = pipeline.max_message_bytes();
  for (const auto& path : opt.paths) {
    if (halted()) break;
    ingest::Envelope env{"import:" + path.string(), opt.recipients};
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      auto files = maildir_files(path);
      if (!files) {
        if (!problem(ImportProblem::Kind::kUnreadable, path, files.error())) return;
        continue;
      }
      std::string bytes;
      for (const auto& f : *files) {
        if (halted()) break;
        std::ifstream in(f, std::ios::binary);
        // Not flushed: what is spooled but not recorded is read again by the next run.
        // A small file is read whole and parsed from memory; a larger one streams into
        // the spool (bounded by the size limit) and is parsed from there.
        const auto size = std::filesystem::file_size(f, ec);
        const bool small = !ec && size <= std::min<uint64_t>(MboxReader::kCopyLimit, max_bytes);
        if (!small || !read_whole(in, size, bytes)) bytes.clear();
        auto s = !bytes.empty() ? pipeline.spool(std::string_view(bytes), env) : pipeline.spool(in, env);
        if (!s) return failed(s.error());
        if (!mail(std::move(*s), bytes)) return;
      }
    } else {
      auto reader = MboxReader::open(path);
      if (!reader) {
        if (!problem(ImportProblem::Kind::kUnreadable, path, reader.error())) return;
        continue;
      }
      std::string bytes;
      while (!halted()) {
        auto ref = (*reader)->next(pipeline.raw_spool(), &bytes);
        if (!ref) {
          if (!problem(ImportProblem::Kind::kReadFailed, path, ref.error())) return;
          break;
        }
        if (!*ref) break;
        if (!mail(ingest::Spooled{**ref, env}, bytes)) return;
      }
    }
  }
  queue.push(Item{});  // kEnd
}

}  // namespace

ImportSource::ImportSource(ingest::Pipeline& pipeline, ImportOptions options, ImportObserver observer)
    : pipeline_(pipeline), opt_(std::move(options)), observer_(std::move(observer)) {
  opt_.batch = std::max<size_t>(opt_.batch, 1);
}

Result<SourceReport> ImportSource::run(const std::atomic<bool>& stop) {
  MC_ASSIGN_OR_RETURN(auto report, import(stop));
  return static_cast<SourceReport>(report);
}

// Two threads: a reader spools and parses the mails (the mbox's split, GMime, SHA-256,
// the attachments' blobs) while this thread commits them a batch at a time, so that
// parsing and SQLite each have a core. The reader runs at most a batch (and
// kReadAheadBytes) ahead; the commits, outcomes, problems and observer calls stay on
// this thread and in the files' order, as with one thread. Each batch's wait for the disk
// (its blobs', then its commit's) runs on a short-lived thread beside the statements of
// the batch or of the next, so that this thread does not sit idle in fdatasync. What the
// reader spooled but this thread did not record is read again by a later run
// (content-addressed: no copy).
Result<ImportReport> ImportSource::import(const std::atomic<bool>& stop) {
  ImportReport report;
  // Mails left half-done by an interrupted run come first.
  MC_ASSIGN_OR_RETURN(report.resumed, pipeline_.finish_interrupted());
  if (report.resumed > 0 && observer_.resumed) observer_.resumed(report.resumed);

  ItemQueue queue(opt_.batch, kReadAheadBytes);
  std::thread reader([&] {
    try {
      read_all(pipeline_, opt_, queue, stop);
    } catch (const std::exception& e) {  // out of memory, say: the run ends on it
      Item item;
      item.kind = Item::Kind::kError;
      item.error = Error{ErrorCode::kInternal, std::string("import: ") + e.what()};
      queue.push(std::move(item));
    }
  });
  struct Join {
    ItemQueue& queue;
    std::thread& reader;
    ~Join() {
      queue.close();
      reader.join();
    }
  } join{queue, reader};

  // Each batch is one commit that does not wait for the disk; its sync runs on another
  // thread while the next batch is applied, and its outcomes are reported (counted, shown)
  // once that sync has returned: nothing is said done before it is on disk. A run killed
  // before leaves its mails to be read again by the next (the same bytes: no copy).
  std::vector<ingest::Spooled> batch;
  std::vector<Result<ingest::Outcome>> unsynced;  // the last batch's outcomes
  std::future<Status> synced;                     // that batch's sync
  auto report_synced = [&]() -> Status {
    if (!synced.valid()) return {};
    MC_RETURN_IF_ERROR(synced.get());
    for (auto& r : unsynced) {
      report.add(r);
      if (observer_.mail) observer_.mail(r);
    }
    unsynced.clear();
    return {};
  };
  // Whatever ends the run, the sync in flight is waited for: `synced` (util::run_beside)
  // waits as it goes, before the pipeline it borrows.
  auto flush = [&]() -> Status {
    auto results = pipeline_.process_unsynced(batch);
    batch.clear();
    MC_RETURN_IF_ERROR(report_synced());
    unsynced = std::move(results);
    synced = util::run_beside([this] { return pipeline_.sync_commits(); });
    return {};
  };
  // The batch in hand committed and every batch's outcomes said.
  auto drain = [&]() -> Status {
    if (!batch.empty()) MC_RETURN_IF_ERROR(flush());
    return report_synced();
  };
  // Checked between mails, as the reader is: the batch in hand is committed, what was
  // read ahead of it is left for a later run.
  auto stopped = [&] {
    if (stop.load()) report.stopped = true;
    return report.stopped;
  };
  while (!stopped()) {
    Item item = queue.pop();
    if (item.kind == Item::Kind::kEnd) break;
    if (item.kind == Item::Kind::kError) {
      MC_RETURN_IF_ERROR(report_synced());  // what was committed is said so before the error
      return tl::unexpected(std::move(*item.error));
    }
    if (item.kind == Item::Kind::kProblem) {
      // Said in the files' order: after the mails before it (committed and synced first).
      MC_RETURN_IF_ERROR(drain());
      ++report.source_errors;
      report.problems.push_back(std::move(*item.problem));
      if (observer_.problem) observer_.problem(report.problems.back());
      continue;
    }
    batch.push_back(std::move(item.mail));
    if (batch.size() >= opt_.batch) MC_RETURN_IF_ERROR(flush());
  }
  MC_RETURN_IF_ERROR(drain());
  return report;
}

}  // namespace mailcase::channels

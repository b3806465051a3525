#include "channels/import_source.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <fstream>
#include <functional>
#include <future>
#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <streambuf>
#include <system_error>
#include <thread>
#include <utility>

#include "channels/mailfile.h"
#include "util/beside.h"

namespace mailcase::channels {

namespace {

// A mail read and spooled, parsed by whichever thread gets to it first (below).
struct Slot {
  enum class State { kWaiting, kParsing, kParsed };
  ingest::Spooled mail;
  std::string bytes;  // the mail whole when the reader kept it (parsed without a read back)
  State state = State::kWaiting;
  // What the queue counts it as holding: its size until parsed, then what its parse holds
  // (Pipeline::held_bytes).
  uint64_t weight = 0;
};

// What the reading thread hands the committing one, in the order it happened.
struct Item {
  enum class Kind { kMail, kProblem, kError, kEnd };
  Kind kind = Kind::kEnd;
  std::shared_ptr<Slot> slot;            // kMail: spooled; parsed once popped
  std::optional<ImportProblem> problem;  // kProblem
  std::optional<Error> error;            // kError: the run ends on it
};

// A queue bounded in mails and in the bytes they hold (a mail's size until parsed, then
// its parse's): the reader waits while it is full, so that what is read ahead of the
// commits costs bounded memory whatever the import's size and its mails'. One mail is
// always let in, however big (its parse is bounded by the limits).
//
// A mail goes in spooled but not yet parsed, and either thread parses it: the reader
// parses the oldest waiting mail once it has spooled kSpoolAhead ahead (or the queue is
// full), the committing thread the mail it needs next, or, while the reader parses that
// one, another waiting mail, instead of sitting idle. The parse (GMime, the reply's split,
// the attachments' blobs) is most of a mail's cost off SQLite: shared so, it goes to
// whichever core is free, where a fixed split left the committing thread waiting for the
// reader 0.10-0.14 s of a 1.1 s import (0.07-0.10 s so: that thread's SQLite is the
// bound). Pipeline::parse_ahead is safe on both threads at once (the spool appends under
// its lock; the rest is the mail's own).
class ItemQueue {
 public:
  // Parses the slot's mail; returns what it holds then.
  using Parse = std::function<uint64_t(Slot&)>;

  ItemQueue(size_t max_items, uint64_t max_bytes, Parse parse)
      : max_items_(max_items), max_bytes_(max_bytes), parse_(std::move(parse)) {}

  // False when the queue was closed (the committing side gave up): drop the item.
  bool push(Item item) {
    const uint64_t bytes = item.kind == Item::Kind::kMail ? ingest::Pipeline::held_bytes(item.slot->mail) : 0;
    if (item.kind == Item::Kind::kMail) item.slot->weight = bytes;
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] {
      return closed_ || items_.empty() || (items_.size() < max_items_ && bytes_ + bytes <= max_bytes_);
    });
    if (closed_) return false;
    bytes_ += bytes;
    if (item.kind == Item::Kind::kMail) waiting_.push_back(item.slot);
    items_.push_back(std::move(item));
    changed_.notify_one();
    return true;
  }

  // The reader, after each mail it pushed: parses the oldest waiting mails while it is
  // kSpoolAhead ahead or the queue is full (it would only wait), then goes on reading.
  void parse_behind() {
    std::unique_lock lock(mu_);
    while (!closed_ && (waiting_count_locked() >= kSpoolAhead || full_locked())) {
      if (!parse_one_locked(lock, claim_oldest_locked())) return;
    }
  }

  // The reader, at the end: every mail still waiting parsed (the committing thread may
  // take some of them).
  void parse_rest() {
    std::unique_lock lock(mu_);
    while (!closed_ && parse_one_locked(lock, claim_oldest_locked())) {
    }
  }

  // The next item, a mail parsed.
  Item pop() {
    std::unique_lock lock(mu_);
    for (;;) {
      changed_.wait(lock, [&] { return !items_.empty(); });
      Item& head = items_.front();
      if (head.kind != Item::Kind::kMail || head.slot->state == Slot::State::kParsed) break;
      // Not parsed yet: this one if nobody took it, else another while the reader parses it.
      auto slot = head.slot->state == Slot::State::kWaiting ? claim_locked(head.slot) : claim_oldest_locked();
      if (parse_one_locked(lock, std::move(slot))) continue;
      changed_.wait(lock);  // woken by a parse done or a mail pushed
    }
    Item item = std::move(items_.front());
    items_.pop_front();
    if (item.kind == Item::Kind::kMail) bytes_ -= item.slot->weight;
    not_full_.notify_one();
    return item;
  }

  // Wakes and turns away the reader; what is queued is dropped.
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    items_.clear();
    waiting_.clear();
    bytes_ = 0;
    not_full_.notify_all();
  }

  bool closed() {
    std::lock_guard lock(mu_);
    return closed_;
  }

 private:
  // Mails spooled ahead of the one the reader parses, for the committing thread to take
  // when it would otherwise wait. With two, it often found none and waited while the
  // reader parsed; with 16 (still bounded by the queue's bytes), an import of 10,000 mails
  // ran 1.04 to 1.10 times as fast in four series of 5 or 6 rounds alternating with two
  // (medians; one more series was even), 8 and 32 within 2% of 16, at the same peak RSS.
  static constexpr size_t kSpoolAhead = 16;

  bool full_locked() const { return items_.size() >= max_items_ || bytes_ >= max_bytes_; }

  size_t waiting_count_locked() {
    drop_taken_locked();
    return std::count_if(waiting_.begin(), waiting_.end(),
                         [](const auto& s) { return s->state == Slot::State::kWaiting; });
  }

  // Slots the committing thread took out of turn leave the front of `waiting_` here.
  void drop_taken_locked() {
    while (!waiting_.empty() && waiting_.front()->state != Slot::State::kWaiting) waiting_.pop_front();
  }

  // `slot` (waiting) marked as being parsed by the caller; it leaves `waiting_` when it
  // reaches its front.
  static std::shared_ptr<Slot> claim_locked(std::shared_ptr<Slot> slot) {
    slot->state = Slot::State::kParsing;
    return slot;
  }

  // The oldest mail nobody parses yet, claimed; null when there is none.
  std::shared_ptr<Slot> claim_oldest_locked() {
    drop_taken_locked();
    if (waiting_.empty()) return nullptr;
    auto slot = std::move(waiting_.front());
    waiting_.pop_front();
    return claim_locked(std::move(slot));
  }

  // Parses `slot` (claimed by the caller) outside the lock; false when there was none.
  bool parse_one_locked(std::unique_lock<std::mutex>& lock, std::shared_ptr<Slot> slot) {
    if (!slot) return false;
    lock.unlock();
    const uint64_t held = parse_(*slot);
    lock.lock();
    slot->state = Slot::State::kParsed;
    if (!closed_) {  // still counted (close() dropped every count)
      bytes_ = bytes_ - slot->weight + held;
      slot->weight = held;
    }
    changed_.notify_all();
    not_full_.notify_one();
    return true;
  }

  const size_t max_items_;
  const uint64_t max_bytes_;
  const Parse parse_;
  std::mutex mu_;
  std::condition_variable not_full_;
  std::condition_variable changed_;  // a mail pushed or parsed
  std::deque<Item> items_;
  std::deque<std::shared_ptr<Slot>> waiting_;  // pushed, in order; some maybe taken out of turn
  uint64_t bytes_ = 0;
  bool closed_ = false;
};

// What the mails read ahead of the commits hold at most (besides one mail of any size),
// and what a batch's mails hold at most (it is committed once past it, whatever
// storage.import_batch says), as Pipeline::held_bytes counts them. A batch's bound is a
// little over what 512 of the generated corpus's mails hold (4.8 KB each, 2.4 MB), so that
// such batches are still cut by their count, while mails of a megabyte of text or more
// (each holds its text twice: the body and its new text) go one or two a batch. The
// figures behind both bounds: README, "Mails of megabytes of text in bounded memory".
constexpr uint64_t kReadAheadBytes = 4ull * 1024 * 1024;
constexpr uint64_t kBatchBytes = 2560ull * 1024;

}  // namespace

namespace {

// At most `left` bytes of another stream buffer.
class BoundedBuf final : public std::streambuf {
 public:
  BoundedBuf(std::streambuf& in, uint64_t left) : in_(in), left_(left) {}

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (left_ == 0) return traits_type::eof();
    const auto n = in_.sgetn(buf_, static_cast<std::streamsize>(std::min<uint64_t>(sizeof buf_, left_)));
    if (n <= 0) return traits_type::eof();
    left_ -= static_cast<uint64_t>(n);
    setg(buf_, buf_, buf_ + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::streambuf& in_;
  uint64_t left_;
  char buf_[64 * 1024];
};

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
  // `at_hand`: the mail's bytes when the reader kept them, parsed without a read back
  // (copied at their size: the reader's buffer keeps its capacity for the next mail).
  auto mail = [&](ingest::Spooled s, std::string_view at_hand) {
    Item item;
    item.kind = Item::Kind::kMail;
    item.slot = std::make_shared<Slot>();
    item.slot->mail = std::move(s);
    if (at_hand.size() == item.slot->mail.blob.size) item.slot->bytes.assign(at_hand);
    if (!queue.push(std::move(item))) return false;
    queue.parse_behind();
    return true;
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
        auto fd = open_maildir_file(path, f);
        if (!fd) {
          if (!problem(ImportProblem::Kind::kUnreadable, f, fd.error())) return;
          continue;
        }
        // The file opened (not what its name may lead to by now), read by its descriptor.
        struct stat st {};
        const bool sized = ::fstat(*fd, &st) == 0;
        std::ifstream in("/proc/self/fd/" + std::to_string(*fd), std::ios::binary);
        ::close(*fd);
        // Not flushed: what is spooled but not recorded is read again by the next run.
        // A small file is read whole and parsed from memory; a larger one streams into
        // the spool (bounded by the size limit) and is parsed from there.
        const auto size = static_cast<uint64_t>(st.st_size);
        const bool small = sized && size <= std::min<uint64_t>(MboxReader::kCopyLimit, max_bytes);
        if (!small || !read_whole(in, size, bytes)) bytes.clear();
        // A file past the limit is read one byte past it, no further: a sparse file of
        // terabytes, or one that grows while it is read, would hold the import for hours.
        // The size it had when opened is the size its record names.
        BoundedBuf limited(*in.rdbuf(), max_bytes + 1);
        std::istream bounded(&limited);
        auto s = !bytes.empty() ? pipeline.spool(std::string_view(bytes), env) : pipeline.spool(bounded, env);
        if (!s) return failed(s.error());
        if (s->full_size > 0 && sized) s->full_size = std::max(s->full_size, size);
        if (!mail(std::move(*s), bytes)) return;
      }
    } else {
      auto reader = MboxReader::open(path);
      if (!reader) {
        if (!problem(ImportProblem::Kind::kUnreadable, path, reader.error())) return;
        continue;
      }
      std::string bytes;
      // A mail past the size limit keeps its head only, as one delivered does.
      const MboxBound bound{max_bytes, ingest::oversize_head_bytes(max_bytes)};
      while (!halted()) {
        auto got = (*reader)->next(pipeline.raw_spool(), &bytes, bound);
        if (!got) {
          if (!problem(ImportProblem::Kind::kReadFailed, path, got.error())) return;
          break;
        }
        if (!*got) break;
        ingest::Spooled s{std::move((*got)->blob), env};
        s.full_size = (*got)->full_size;
        if (!mail(std::move(s), bytes)) return;
      }
    }
  }
  queue.push(Item{});  // kEnd
  queue.parse_rest();
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

  ItemQueue queue(opt_.batch, kReadAheadBytes, [this](Slot& slot) {
    // Never throws (out of memory, say): a mail left unparsed here is parsed again
    // where it is committed, as a mail of any other source is.
    try {
      pipeline_.parse_ahead(slot.mail, slot.bytes);
    } catch (const std::exception&) {
      slot.mail.parsed.reset();
    }
    std::string().swap(slot.bytes);  // parsed: its copy of the bytes is not needed again
    return ingest::Pipeline::held_bytes(slot.mail);
  });
  std::thread reader([&] {
    try {
      read_all(pipeline_, opt_, queue, stop);
      // Everything is read: what is committed so far is copied where it stays (the store's
      // upkeep) on this core, which has nothing left to do, beside the last batches' commits.
      pipeline_.maintain_store_now();
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
  uint64_t batch_bytes = 0;                       // what its mails hold (kBatchBytes)
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
    batch_bytes = 0;
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
    batch_bytes += item.slot->weight;
    batch.push_back(std::move(item.slot->mail));
    if (batch.size() >= opt_.batch || batch_bytes >= kBatchBytes) MC_RETURN_IF_ERROR(flush());
  }
  MC_RETURN_IF_ERROR(drain());
  return report;
}

}  // namespace mailcase::channels

// SQLite implementation of Store: one database file, WAL, prepared statements cached per
// connection. The SQL of each aggregate is in its repository (src/store/sqlite/*.cpp);
// this file opens the database, migrates it, and answers Store by handing each call to
// the repository of its aggregate.
#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/migrations.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/repositories.h"
#include "store/sqlite/wal_vfs.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/file_sync.h"

namespace mailcase::store {

std::string now_iso8601() {
  return clock::iso8601(clock::unix_now());
}

namespace {

using sqlite::Connection;
using sqlite::Query;
using sqlite::RepositorySet;

// How many connections a store's pool lends at once, beside its default connection: a
// few threads' units, not one per request of a flood.
constexpr size_t kMaxPooledConnections = 8;

// How long a unit asked for while every pooled connection is lent waits for one to come
// back before it is refused (kTemporary): units are short, so a burst (many HTTP requests
// at once) queues for a moment instead of failing; a connection held for longer than
// this means something is stuck, and the caller hears so.
constexpr std::chrono::milliseconds kPoolWait{5000};

constexpr int kBusyTimeoutMs = 10000;

// The WAL hook of a connection in a process without a checkpointing thread (a `deliver`
// committing alone, the CLI; `serve` replaces it with Checkpointer::after_commit below).
// SQLite's own (a PASSIVE checkpoint past 1,000 pages) copies the whole WAL, yet where each
// commit is a process of its own the next writer does not start the WAL again from its
// beginning (measured with SQLite 3.40 alone, one process per commit: the WAL grew without
// end, and every commit past 1,000 pages checkpointed, two syncs more each). A TRUNCATE
// checkpoint empties the WAL file once it is copied, so the next commit starts it afresh.
// It is tried without waiting for other connections (busy timeout 0 for its duration);
// busy, a PASSIVE one copies what it can, as SQLite's would.
int bounded_checkpoint(void*, sqlite3* db, const char* schema, int pages) {
  static constexpr int kCheckpointPages = 1000;
  if (pages < kCheckpointPages) return SQLITE_OK;
  sqlite3_busy_timeout(db, 0);
  const int rc = sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  if (rc == SQLITE_BUSY) (void)sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  return SQLITE_OK;
}

// Opens a connection to `file` as every connection of a store is set up: WAL, foreign
// keys, the store's sync level, and a busy timeout so a unit waits for the write lock
// rather than failing at once.
Result<sqlite3*> open_handle(const std::filesystem::path& file, const SqliteOptions& options) {
  // No memory statistics: with them on, SQLite takes one process-wide mutex on every
  // allocation and free of every connection (a few percent of a commit's CPU, and
  // contended between the threads that commit and those that read). Nothing here reads
  // them. Only possible before SQLite first initializes; later it is refused, harmlessly.
  static const bool no_memstatus = [] { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK; }();
  (void)no_memstatus;
  sqlite3* db = nullptr;
  // The WAL-gathering VFS (wal_vfs.h): one write per commit to the WAL instead of two a page.
  int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           sqlite::wal_gathering_vfs());
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open database " + file.string() + ": " + sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return fail(ErrorCode::kTemporary, msg);
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  sqlite3_wal_hook(db, &bounded_checkpoint, nullptr);
  // No checkpoint when the last connection closes: a `deliver` per mail would pay one
  // each (two syncs, and the WAL made anew by the next). SQLite's automatic checkpoint,
  // past wal_autocheckpoint pages at a commit, bounds the WAL instead, and the size limit
  // truncates it when it restarts after a big transaction.
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  // temp_store=MEMORY: the statement journals of a write transaction's statements and
  // savepoints (and sorts too large for the cache) stay in memory instead of a new
  // /var/tmp file each (an inode made and unlinked per mail, every page written to it),
  // and customers' mail is not copied outside the data directory.
  // secure_delete=FAST: a deleted row's bytes are still zeroed on the pages that hold it,
  // but a page freed whole is not written again full of zeros. Debian's SQLite erases
  // freed pages by default, and the search index's merges free pages by the thousand:
  // each was one more page in the WAL, and in the in-memory journal of the statement
  // that merged (14 of the 84 MB an mbox of 300 mails of 1.2 MB of text took). The store
  // erases no mail; what a page freed whole keeps is mostly the search index's old
  // segments, of text the store holds anyway.
  std::string pragmas =
      "PRAGMA journal_size_limit=67108864; PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
      "PRAGMA temp_store=MEMORY; PRAGMA secure_delete=FAST; PRAGMA synchronous=";
  pragmas += options.synchronous_full ? "FULL;" : "NORMAL;";
  char* err = nullptr;
  if (sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = std::string("database: ") + (err ? err : sqlite3_errmsg(db));
    sqlite3_free(err);
    sqlite3_close_v2(db);
    return fail(ErrorCode::kTemporary, msg);
  }
  return db;
}

// The WAL's checkpoints on a thread of their own (Store::maintain_in_background). By
// default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: that
// commit (and every mail waiting for it) then also copies the WAL's pages into the
// database file and waits for its sync. Here every committing connection's WAL hook only
// wakes this thread, which checkpoints on its own connection in PASSIVE mode (it never
// waits for, nor blocks, a reader or the writer) while the writer goes on. A bound keeps
// the WAL from growing without end: the next writer starts the WAL again from its
// beginning only when a checkpoint has copied all of it, which a thread running beside a
// steady stream of commits seldom manages; so a commit that finds the WAL past
// kInlineCheckpointPages checkpoints itself, as SQLite would have, copying only what the
// thread has not copied yet. A checkpoint that failed (busy, an I/O error) or left pages
// uncopied is tried again once commits have stopped for kRetryAfter: the pages a burst
// left in the WAL do not wait there for the next burst.
//
// Bulk writes (an import, expect_bulk_writes()) checkpoint 16 times less often. A large
// store's random keys (then raw_messages.sha256, a contact's cases by date) each dirty a leaf
// page of their own per mail, and every checkpoint writes each such page once, however
// many commits wrote it since the last: into a store of 300,000 mails, 10,000 more took
// 1.79 s with a checkpoint every 1,000 pages and 1.30 s with one every 16,000 (median of
// 3 each, alternating; 0.93 against 0.83 s into a fresh store). LMTP's small commits did
// not gain (0.97 times the rate), and serve keeps its WAL short for its readers. What the
// last batches left below the bound is copied once commits have stopped for kRetryAfter.
class Checkpointer {
 public:
  // Pages written to the WAL since the last checkpoint before the thread is woken.
  static constexpr int kWakePages = 1000;
  // Pages in the WAL past which a commit checkpoints inline (16 MB with 4 KB pages).
  static constexpr int kInlineCheckpointPages = 4000;
  // The same under bulk writes: a checkpoint every 64 MB of WAL, inline past 256 MB.
  static constexpr int kBulkWakePages = 16000;
  static constexpr int kBulkInlineCheckpointPages = 64000;
  // How long commits must have stopped before a checkpoint that left work is tried again.
  static constexpr std::chrono::milliseconds kRetryAfter{200};

  explicit Checkpointer(sqlite3* db) : db_(db), thread_([this] { run(); }) {}
  ~Checkpointer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
    sqlite3_close_v2(db_);
  }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // From now on, checkpoints as for bulk writes (see above). Any thread.
  void expect_bulk_writes() {
    wake_pages_.store(kBulkWakePages, std::memory_order_relaxed);
    inline_pages_.store(kBulkInlineCheckpointPages, std::memory_order_relaxed);
  }

  // A checkpoint now, on the thread, whatever the WAL holds. Any thread.
  void wake_now() {
    {
      std::lock_guard lock(mu_);  // so the thread cannot miss the wake between its check and its wait
      due_ = true;
    }
    wake_.notify_one();
  }

  // sqlite3_wal_hook's callback, called after each commit with the WAL's size in pages.
  static int after_commit(void* self, sqlite3* db, const char* schema, int pages) {
    auto* c = static_cast<Checkpointer*>(self);
    c->commits_.fetch_add(1, std::memory_order_relaxed);
    if (pages >= c->inline_pages_.load(std::memory_order_relaxed)) {
      (void)sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      return SQLITE_OK;
    }
    int copied = c->copied_.load(std::memory_order_relaxed);
    if (pages < copied) {  // the WAL started again from its beginning since
      copied = 0;
      c->copied_.store(0, std::memory_order_relaxed);
    }
    const int wake = c->wake_pages_.load(std::memory_order_relaxed);
    if (pages - copied >= wake && !c->due_.load()) {
      c->wake_now();
    } else if (wake > kWakePages && pages > copied && !c->settling_.load()) {
      // Bulk writes: up to 64 MB would otherwise wait in the WAL for the next burst.
      {
        std::lock_guard lock(c->mu_);
        c->settling_ = true;
      }
      c->wake_.notify_one();
    }
    return SQLITE_OK;
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    const auto woken = [&] { return stop_ || due_.load(); };
    bool work_left = false;  // the last checkpoint failed or left pages in the WAL
    while (true) {
      if (!work_left && !settling_.load()) wake_.wait(lock, [&] { return woken() || settling_.load(); });
      if (!woken() && (work_left || settling_.load())) {
        // Until woken, or until no commit came for kRetryAfter (a stream of commits keeps
        // waking the thread by itself).
        uint64_t seen = 0;
        do {
          seen = commits_.load(std::memory_order_relaxed);
        } while (!wake_.wait_for(lock, kRetryAfter, woken) && commits_.load(std::memory_order_relaxed) != seen);
      }
      if (stop_) return;
      settling_ = false;  // a commit from now on asks again
      lock.unlock();
      int log = 0, copied = 0;
      // SQLITE_BUSY (another checkpoint is running) or an I/O error: tried again as said
      // above, or by a commit past the inline bound; nothing is lost meanwhile.
      const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
      if (rc == SQLITE_OK) copied_.store(copied, std::memory_order_relaxed);
      work_left = rc != SQLITE_OK || copied < log;
      lock.lock();
      due_ = false;
    }
  }

  sqlite3* db_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;                   // guarded by mu_
  std::atomic<bool> due_{false};        // a commit asked for a checkpoint not yet begun
  std::atomic<bool> settling_{false};   // bulk writes: a commit left pages to copy once commits stop
  std::atomic<int> copied_{0};          // the WAL's pages the last checkpoint had copied
  std::atomic<uint64_t> commits_{0};    // commits seen by after_commit, to tell idleness
  std::atomic<int> wake_pages_{kWakePages};
  std::atomic<int> inline_pages_{kInlineCheckpointPages};
  std::thread thread_;                  // last: starts once the rest is made
};

// A pooled connection with the repositories made on it (declared after it: they borrow it).
struct PooledConnection {
  explicit PooledConnection(sqlite3* db) : conn(db) {}
  Connection conn;
  RepositorySet repos{conn};
  Checkpointer* hooked_to = nullptr;  // whose after_commit its WAL hook calls
};

// The connections a store lends to units of work: idle ones are reused (with their
// prepared statements), new ones opened up to kMaxPooledConnections lent at once; past
// that, take() waits up to kPoolWait for one to be given back. Thread-safe.
// A savepoint statement; the name was checked by UnitOfWork (a-z, 0-9, _). Only inside
// an open transaction: outside one, SQLite's SAVEPOINT would begin a transaction itself.
Status savepoint_sql(Connection& c, const char* verb, std::string_view name) {
  if (sqlite3_get_autocommit(c.db()) != 0)
    return fail(ErrorCode::kInternal, "database: a savepoint outside a transaction");
  return c.run(std::string(verb) + std::string(name));
}

class Pool {
 public:
  Pool(std::filesystem::path file, SqliteOptions options) : file_(std::move(file)), options_(options) {}

  Result<std::unique_ptr<PooledConnection>> take() {
    {
      std::unique_lock lock(mu_);
      if (!returned_.wait_for(lock, kPoolWait, [&] { return lent_ < kMaxPooledConnections; }))
        return fail(ErrorCode::kTemporary, "database: all " + std::to_string(kMaxPooledConnections) +
                                               " pooled connections stayed in use for " +
                                               std::to_string(kPoolWait.count() / 1000) + " s");
      ++lent_;
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        hook(*c);
        return c;
      }
    }
    auto db = open_handle(file_, options_);  // outside the lock: opening may wait on disk
    if (!db) {
      {
        std::lock_guard lock(mu_);
        --lent_;
      }
      returned_.notify_one();
      return tl::unexpected(db.error());
    }
    auto c = std::make_unique<PooledConnection>(*db);
    hook(*c);
    return c;
  }

  // From now on, connections lent call checkpointer's after_commit after each commit (null:
  // bounded_checkpoint, as a store without one).
  void hook_commits(Checkpointer* checkpointer) { checkpointer_ = checkpointer; }

  const std::filesystem::path& file() const { return file_; }

  // A connection set up as the pool's are, outside the pool (the checkpointing thread's).
  Result<sqlite3*> open_apart() const { return open_handle(file_, options_); }

  // Statements of the idle connections prepared again (Connection::reprepares).
  int64_t idle_reprepares() {
    std::lock_guard lock(mu_);
    int64_t n = 0;
    for (const auto& c : idle_) n += c->conn.reprepares();
    return n;
  }

  void give_back(std::unique_ptr<PooledConnection> c) {
    {
      std::lock_guard lock(mu_);
      --lent_;
      idle_.push_back(std::move(c));
    }
    returned_.notify_one();  // one waiting take() may go on
  }

 private:
  void hook(PooledConnection& c) {
    Checkpointer* cp = checkpointer_.load();
    if (c.hooked_to == cp) return;
    if (cp)
      sqlite3_wal_hook(c.conn.db(), &Checkpointer::after_commit, cp);
    else
      sqlite3_wal_hook(c.conn.db(), &bounded_checkpoint, nullptr);
    c.hooked_to = cp;
  }

  const std::filesystem::path file_;
  const SqliteOptions options_;
  std::atomic<Checkpointer*> checkpointer_{nullptr};
  std::mutex mu_;
  std::condition_variable returned_;  // a lent connection came back (lent_ went down)
  size_t lent_ = 0;
  std::vector<std::unique_ptr<PooledConnection>> idle_;
};

// A pooled connection lent to one unit of work; gives it back when destroyed, with no
// transaction left open on it.
class Lease final : public UnitConnection {
 public:
  Lease(Pool& pool, std::unique_ptr<PooledConnection> c) : pool_(pool), c_(std::move(c)) {}
  ~Lease() override {
    if (sqlite3_get_autocommit(c_->conn.db()) == 0) (void)c_->conn.exec("ROLLBACK");
    c_->conn.abandon_deferred_search();
    pool_.give_back(std::move(c_));
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  Status begin(Access access, int schema_version) {
    c_->conn.refuse_writes(access == Access::kRead);
    MC_RETURN_IF_ERROR(c_->conn.run(access == Access::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"));
    c_->conn.enable_deferred_search(schema_version);
    if (access == Access::kWrite) return c_->conn.begin_deferred_search();
    return {};
  }
  Status commit() override {
    MC_RETURN_IF_ERROR(c_->conn.end_deferred_search());
    return c_->conn.run("COMMIT");
  }
  void rollback() override {
    if (sqlite3_get_autocommit(c_->conn.db()) == 0) (void)c_->conn.exec("ROLLBACK");
    c_->conn.abandon_deferred_search();
  }
  AccountRepository& accounts() override { return *c_->repos.accounts; }
  RoutingRepository& routing() override { return *c_->repos.routing; }
  RawMessageRepository& raw_messages() override { return *c_->repos.raw_messages; }
  CaseRepository& cases() override { return *c_->repos.cases; }
  MailboxRepository& mailboxes() override { return *c_->repos.mailboxes; }
  OutboxRepository& outbox() override { return *c_->repos.outbox; }
  SurveyRepository& surveys() override { return *c_->repos.surveys; }
  EventRepository& events() override { return *c_->repos.events; }
  AgentRepository& agents() override { return *c_->repos.agents; }
  IdempotencyRepository& idempotency() override { return *c_->repos.idempotency; }
  SessionRepository& sessions() override { return *c_->repos.sessions; }
  QueueRepository& queues() override { return *c_->repos.queues; }
  RuleRepository& rules() override { return *c_->repos.rules; }
  ProcessRepository& processes() override { return *c_->repos.processes; }
  AlertRepository& alerts() override { return *c_->repos.alerts; }
  ApiSenderRepository& api_senders() override { return *c_->repos.api_senders; }
  Status savepoint(std::string_view name) override { return savepoint_sql(c_->conn, "SAVEPOINT ", name); }
  Status release_savepoint(std::string_view name) override {
    return savepoint_sql(c_->conn, "RELEASE SAVEPOINT ", name);
  }
  Status rollback_to_savepoint(std::string_view name) override {
    return savepoint_sql(c_->conn, "ROLLBACK TO SAVEPOINT ", name);
  }

 private:
  Pool& pool_;
  std::unique_ptr<PooledConnection> c_;
};

class SqliteStore final : public Store {
 public:
  // Takes the handle: the connection closes it. The pool opens `file` as `options` say.
  SqliteStore(sqlite3* db, const std::filesystem::path& file, const SqliteOptions& options)
      : conn_(db), pool_(file, options), full_sync_(options.synchronous_full) {}

  // A process that kept the WAL's upkeep (serve, import) leaves the WAL empty as it closes
  // the store. Otherwise the next process to open the store alone rebuilds the WAL's index
  // by reading the whole WAL file, and so does every command after it until a commit
  // empties it: after an import of 10,000 mails, an 87 MB WAL read in 21,000 preads by
  // each `case list` (50 ms instead of 10). Tried without waiting: busy (a connection of
  // another process reading), the WAL is left as it is.
  ~SqliteStore() override {
    if (!checkpointer_) return;
    sqlite3_wal_hook(conn_.db(), &bounded_checkpoint, nullptr);
    pool_.hook_commits(nullptr);
    checkpointer_.reset();  // its thread joined, its connection closed
    sqlite3_busy_timeout(conn_.db(), 0);
    (void)sqlite3_wal_checkpoint_v2(conn_.db(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  }
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // SQLite's NORMAL in WAL mode: a commit is in the WAL, not yet synced; a later FULL
  // commit's sync carries it too (the WAL is synced as a whole).
  Status set_commits_wait(bool wait) override {
    if (!full_sync_) return {};
    return conn_.run(wait ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  }

  // SQLite's commits write the WAL; one not waited for is made durable by a sync of the
  // WAL file as a whole (any descriptor of it: a sync is of the file, not of the
  // descriptor). A frame no longer in the WAL was checkpointed into the database file,
  // which the checkpoint synced before the WAL could be written over. The directory is
  // synced once too: a WAL the commits created was never synced by SQLite itself (its
  // first sync of a new WAL syncs the directory; a commit that does not wait makes none).
  Status sync_commits() override {
    if (!full_sync_) return {};
    auto wal = pool_.file();
    wal += "-wal";
    if (auto s = util::sync_path(wal, util::SyncOf::kFileData); !s) {
      // No WAL: every commit is in the database file, which its checkpoint synced.
      if (s.error().code == ErrorCode::kNotFound) return {};
      return fail(ErrorCode::kTemporary, "database: " + s.error().message);
    }
    if (!wal_directory_synced_.exchange(true)) {
      if (auto s = util::sync_path(pool_.file().parent_path(), util::SyncOf::kDirectory); !s) {
        wal_directory_synced_ = false;
        return fail(ErrorCode::kTemporary, "database: " + s.error().message);
      }
    }
    return {};
  }

  // An import's batch (256 mails, 3 to 5 MB of pages) with SQLite's 2 MB cache spilled its
  // dirty pages into the WAL before its commit and read them back: an import of 10,000
  // mails made 24,000 preads and 13,000 more pwrites of the WAL. 6 MB holds most of a
  // batch, on the default connection (begin_work's, the batches'); pages are allocated as
  // they are used. (Batches of 512 mails with 8 MB: 62-63 MB of peak RSS over 300,000
  // mails; with 6 MB, 59-60 MB and the same rate.) The checkpoints, made or to be made by
  // maintain_in_background(), come less often.
  Status expect_bulk_writes() override {
    MC_RETURN_IF_ERROR(conn_.run("PRAGMA cache_size=-6144"));
    bulk_writes_ = true;
    if (checkpointer_) checkpointer_->expect_bulk_writes();
    return {};
  }

  // Under bulk writes the WAL holds up to 64 MB between checkpoints; whatever the last one
  // left is copied by the TRUNCATE checkpoint of the close, on the closing thread (~0.1 s
  // of an import of 10,000 mails, the other core idle). Started here, most of it is copied
  // while the last batches are committed.
  void maintain_now() override {
    if (checkpointer_) checkpointer_->wake_now();
  }

  Status maintain_in_background() override {
    if (checkpointer_) return {};
    MC_ASSIGN_OR_RETURN(sqlite3 * db, pool_.open_apart());
    checkpointer_ = std::make_unique<Checkpointer>(db);
    if (bulk_writes_) checkpointer_->expect_bulk_writes();
    sqlite3_wal_hook(conn_.db(), &Checkpointer::after_commit, checkpointer_.get());
    pool_.hook_commits(checkpointer_.get());
    return {};
  }

  Result<UnitOfWork> open_unit(Access access) override {
    MC_ASSIGN_OR_RETURN(auto c, pool_.take());
    auto lease = std::make_unique<Lease>(pool_, std::move(c));
    MC_RETURN_IF_ERROR(lease->begin(access, schema_version_));
    return make_unit(std::move(lease));
  }

  Status exec(const char* sql) { return conn_.exec(sql); }
  Result<std::unique_ptr<Query>> q(const char* sql) { return conn_.q(sql); }

  Status migrate(int max_version) {
    MC_RETURN_IF_ERROR(exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
    int current = 0;
    {
      MC_ASSIGN_OR_RETURN(auto qq, q("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
      MC_RETURN_IF_ERROR(qq->step());
      current = static_cast<int>(qq->integer(0));
    }
    int reached = current;
    for (const auto& m : sqlite_migrations()) {
      if (m.version <= current) continue;
      if (max_version > 0 && m.version > max_version) break;
      // Foreign keys can be turned off only outside a transaction; on again whatever the
      // migration's end. Its commit is refused unless every key still finds its row.
      if (m.rebuilds_table) MC_RETURN_IF_ERROR(exec("PRAGMA foreign_keys=OFF"));
      struct KeysBackOn {
        SqliteStore* self;
        bool on;
        ~KeysBackOn() {
          if (on) (void)self->exec("PRAGMA foreign_keys=ON");
        }
      } keys_back_on{this, m.rebuilds_table};
      MC_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
      // Another process may have applied it while this one waited for the lock (the first
      // deliveries after an upgrade start together): the version is read again under it.
      {
        auto qq = q("SELECT COALESCE(MAX(version), 0) FROM schema_version");
        auto step = qq ? (*qq)->step() : Result<bool>(tl::unexpected(qq.error()));
        if (!step) {
          (void)exec("ROLLBACK");
          return tl::unexpected(step.error());
        }
        current = static_cast<int>((*qq)->integer(0));
      }
      if (m.version <= current) {
        MC_RETURN_IF_ERROR(exec("COMMIT"));
        reached = current;
        continue;
      }
      std::string sql(m.sql);
      sql += "\nINSERT INTO schema_version (version) VALUES (" + std::to_string(m.version) + ");";
      if (auto s = exec(sql.c_str()); !s) {
        (void)exec("ROLLBACK");
        return fail(ErrorCode::kInternal,
                    "migration " + std::to_string(m.version) + " failed: " + s.error().message);
      }
      if (auto s = after_migration(m); !s) {
        (void)exec("ROLLBACK");
        return fail(ErrorCode::kInternal,
                    "migration " + std::to_string(m.version) + " failed: " + s.error().message);
      }
      MC_RETURN_IF_ERROR(exec("COMMIT"));
      reached = m.version;
    }
    // Units write the search index once per transaction from migration 28 on; a file
    // migrated only up to max_version below it does not (Connection::enable_deferred_search).
    schema_version_ = reached;
    conn_.enable_deferred_search(schema_version_);
    return {};
  }
  std::vector<std::string> prepared_sql() const { return conn_.prepared_sql(); }
  int64_t pooled_reprepares() { return pool_.idle_reprepares(); }

  // AccountRepository
  Result<Id> add_account(const Account& a) override { return repos_.accounts->add_account(a); }
  Result<std::optional<Account>> find_account_by_name(std::string_view name) override {
    return repos_.accounts->find_account_by_name(name);
  }
  Result<std::optional<Account>> find_account_by_email(std::string_view email) override {
    return repos_.accounts->find_account_by_email(email);
  }
  Result<std::optional<Account>> get_account(Id id) override { return repos_.accounts->get_account(id); }
  Result<Id> add_contact(const Contact& c) override { return repos_.accounts->add_contact(c); }
  Result<std::optional<Contact>> find_contact_by_email(std::string_view email) override {
    return repos_.accounts->find_contact_by_email(email);
  }
  Result<std::optional<Contact>> get_contact(Id id) override { return repos_.accounts->get_contact(id); }
  Status mark_contact_unverified(Id contact_id) override {
    return repos_.accounts->mark_contact_unverified(contact_id);
  }
  Result<bool> contact_unverified(Id contact_id) override {
    return repos_.accounts->contact_unverified(contact_id);
  }
  Result<Page<Contact>> page_contacts(const PageRequest& r) override {
    return repos_.accounts->page_contacts(r);
  }
  Result<Page<Account>> page_accounts(const PageRequest& r) override {
    return repos_.accounts->page_accounts(r);
  }
  Result<Page<Contact>> page_account_contacts(Id account_id, const PageRequest& r) override {
    return repos_.accounts->page_account_contacts(account_id, r);
  }
  Result<Page<Contact>> find_contacts(std::string_view prefix, const PageRequest& r) override {
    return repos_.accounts->find_contacts(prefix, r);
  }
  Status update_contact(const Contact& c) override { return repos_.accounts->update_contact(c); }
  Result<std::vector<Id>> merge_contact(const Contact& from, Id into) override {
    return repos_.accounts->merge_contact(from, into);
  }
  Status remove_contact(Id id) override { return repos_.accounts->remove_contact(id); }
  Status remove_account(Id id) override { return repos_.accounts->remove_account(id); }
  Status update_account(const Account& a) override { return repos_.accounts->update_account(a); }

  // RoutingRepository
  Status put_address(const RoutingAddress& a) override { return repos_.routing->put_address(a); }
  Result<std::vector<RoutingAddress>> list_addresses() override { return repos_.routing->list_addresses(); }
  Result<Page<RoutingAddress>> page_addresses(const PageRequest& r) override {
    return repos_.routing->page_addresses(r);
  }
  Status remove_address(std::string_view email) override { return repos_.routing->remove_address(email); }

  // RawMessageRepository
  Result<std::optional<RawMessage>> find_copy_by_sha(std::string_view sha256) override {
    return repos_.raw_messages->find_copy_by_sha(sha256);
  }
  Result<std::optional<RawMessage>> find_raw_by_dedupe_key(std::string_view key) override {
    return repos_.raw_messages->find_raw_by_dedupe_key(key);
  }
  Result<std::optional<RawMessage>> get_raw(Id id) override { return repos_.raw_messages->get_raw(id); }
  Result<Id> insert_raw(const RawMessage& m) override { return repos_.raw_messages->insert_raw(m); }
  Status update_raw(const RawMessage& m) override { return repos_.raw_messages->update_raw(m); }
  Result<std::vector<RawMessage>> list_raw(const MessageFilter& f) override {
    return repos_.raw_messages->list_raw(f);
  }
  Result<Page<RawMessage>> page_raw(std::optional<RawState> state, const PageRequest& r) override {
    return repos_.raw_messages->page_raw(state, r);
  }
  Status allow_spam_sender(std::string_view email, std::string_view by) override {
    return repos_.raw_messages->allow_spam_sender(email, by);
  }
  Result<bool> spam_sender_allowed(std::string_view email) override {
    return repos_.raw_messages->spam_sender_allowed(email);
  }
  Result<Id> keep_bytes(std::string_view bytes) override { return repos_.raw_messages->keep_bytes(bytes); }
  Result<std::optional<std::string>> kept_bytes(Id id) override { return repos_.raw_messages->kept_bytes(id); }

  // CaseRepository
  Result<Case> insert_case(Case c, std::string_view prefix, int digits) override {
    return repos_.cases->insert_case(std::move(c), prefix, digits);
  }
  Result<std::optional<Case>> get_case(Id id) override { return repos_.cases->get_case(id); }
  Result<std::optional<Case>> find_case_by_number(std::string_view number) override {
    return repos_.cases->find_case_by_number(number);
  }
  Status update_case(const Case& c) override { return repos_.cases->update_case(c); }
  Result<std::vector<CaseSummary>> list_cases(int limit) override { return repos_.cases->list_cases(limit); }
  Result<CasePage> find_cases(const CaseQuery& q) override { return repos_.cases->find_cases(q); }
  Status add_message_id(std::string_view message_id, Id case_id, std::string_view direction) override {
    return repos_.cases->add_message_id(message_id, case_id, direction);
  }
  Status add_solution_message_id(std::string_view message_id, Id case_id, Id proposal) override {
    return repos_.cases->add_solution_message_id(message_id, case_id, proposal);
  }
  Result<std::optional<MessageRef>> find_message_id(std::string_view message_id) override {
    return repos_.cases->find_message_id(message_id);
  }
  Result<std::vector<std::string>> latest_message_ids(Id case_id, std::string_view direction,
                                                      int64_t limit) override {
    return repos_.cases->latest_message_ids(case_id, direction, limit);
  }
  Result<std::vector<std::string>> message_ids_of(Id case_id, std::string_view direction) override {
    return repos_.cases->message_ids_of(case_id, direction);
  }
  Result<Id> add_comment(const Comment& c) override { return repos_.cases->add_comment(c); }
  Result<std::vector<Comment>> comments_of(Id case_id) override { return repos_.cases->comments_of(case_id); }
  Result<std::vector<Comment>> comments_after(Id case_id, Id after) override {
    return repos_.cases->comments_after(case_id, after);
  }
  Result<Page<Comment>> page_comments(Id case_id, const PageRequest& r) override {
    return repos_.cases->page_comments(case_id, r);
  }
  Result<Id> add_attachment(const Attachment& a) override { return repos_.cases->add_attachment(a); }
  Result<std::vector<Attachment>> attachments_of(Id case_id) override {
    return repos_.cases->attachments_of(case_id);
  }
  Status add_participant(Id case_id, std::string_view email, std::string_view source) override {
    return repos_.cases->add_participant(case_id, email, source);
  }
  Result<std::vector<Participant>> participants_of(Id case_id) override {
    return repos_.cases->participants_of(case_id);
  }
  Status remove_participant(Id case_id, std::string_view email) override {
    return repos_.cases->remove_participant(case_id, email);
  }
  Result<bool> is_participant(Id case_id, std::string_view email) override {
    return repos_.cases->is_participant(case_id, email);
  }
  Result<std::optional<Attachment>> get_attachment(Id id) override {
    return repos_.cases->get_attachment(id);
  }
  Result<std::vector<QueueCount>> count_open_by_queue() override {
    return repos_.cases->count_open_by_queue();
  }

  // MailboxRepository
  Status add_mailbox(const Mailbox& m) override { return repos_.mailboxes->add_mailbox(m); }
  Result<std::vector<Mailbox>> list_mailboxes() override { return repos_.mailboxes->list_mailboxes(); }
  Status remove_mailbox(std::string_view name) override { return repos_.mailboxes->remove_mailbox(name); }
  Result<MailboxState> mailbox_state(std::string_view name) override {
    return repos_.mailboxes->mailbox_state(name);
  }
  Status put_mailbox_state(const MailboxState& s) override { return repos_.mailboxes->put_mailbox_state(s); }
  Result<bool> pop3_seen(std::string_view mailbox, std::string_view uidl) override {
    return repos_.mailboxes->pop3_seen(mailbox, uidl);
  }
  Status add_pop3_seen(std::string_view mailbox, std::string_view uidl) override {
    return repos_.mailboxes->add_pop3_seen(mailbox, uidl);
  }
  Status add_left_mail(const LeftMail& m) override { return repos_.mailboxes->add_left_mail(m); }
  Status update_mailbox(const Mailbox& m) override { return repos_.mailboxes->update_mailbox(m); }
  Result<std::vector<std::string>> left_mail_keys(std::string_view mailbox) override {
    return repos_.mailboxes->left_mail_keys(mailbox);
  }
  Result<std::optional<LeftMail>> left_mail_of(Id raw_id) override {
    return repos_.mailboxes->left_mail_of(raw_id);
  }

  // OutboxRepository
  Result<Id> add_outbox(const OutboxMail& m) override { return repos_.outbox->add_outbox(m); }
  Result<std::vector<OutboxMail>> claim_due(std::string_view worker, int64_t now, int limit,
                                            int64_t lease_seconds) override {
    return repos_.outbox->claim_due(worker, now, limit, lease_seconds);
  }
  Result<std::vector<std::pair<Id, std::string>>> list_queued_claims(int64_t now) override {
    return repos_.outbox->list_queued_claims(now);
  }
  Result<bool> release_claim(Id id, std::string_view claimed_by, int64_t now) override {
    return repos_.outbox->release_claim(id, claimed_by, now);
  }
  Result<std::vector<OutboxMail>> list_outbox(std::optional<Id> case_id, int limit) override {
    return repos_.outbox->list_outbox(case_id, limit);
  }
  Result<std::optional<OutboxMail>> find_outbox_by_message_id(std::string_view message_id) override {
    return repos_.outbox->find_outbox_by_message_id(message_id);
  }
  Status update_outbox(const OutboxMail& m) override { return repos_.outbox->update_outbox(m); }
  Result<int> count_automatic_since(std::string_view to, std::string_view since) override {
    return repos_.outbox->count_automatic_since(to, since);
  }
  Result<int> count_all_automatic_since(std::string_view since) override {
    return repos_.outbox->count_all_automatic_since(since);
  }
  Result<int64_t> count_by_state(OutboxState state) override { return repos_.outbox->count_by_state(state); }
  Result<Page<OutboxMail>> page_outbox(std::optional<OutboxState> state, const PageRequest& r) override {
    return repos_.outbox->page_outbox(state, r);
  }
  Result<std::optional<OutboxMail>> get_outbox(Id id) override { return repos_.outbox->get_outbox(id); }

  // SurveyRepository
  Status put_survey(const Survey& s) override { return repos_.surveys->put_survey(s); }
  Result<std::optional<Survey>> get_survey(Id case_id) override {
    return repos_.surveys->get_survey(case_id);
  }

  // EventRepository
  Status add_event(const Event& e) override { return repos_.events->add_event(e); }
  Result<std::vector<Event>> events_of(Id case_id) override { return repos_.events->events_of(case_id); }
  Result<EventCount> count_events(Id case_id, EventAction action) override {
    return repos_.events->count_events(case_id, action);
  }
  Result<Id> last_event_id(Id case_id) override { return repos_.events->last_event_id(case_id); }
  Result<Page<Event>> page_admin_events(const PageRequest& r) override {
    return repos_.events->page_admin_events(r);
  }
  Result<Page<Event>> page_events(Id case_id, const PageRequest& r) override {
    return repos_.events->page_events(case_id, r);
  }

  // AgentRepository
  Result<Id> add_agent(const Agent& a) override { return repos_.agents->add_agent(a); }
  Result<std::optional<Agent>> find_agent_by_email(std::string_view email) override {
    return repos_.agents->find_agent_by_email(email);
  }
  Result<std::vector<Agent>> list_agents() override { return repos_.agents->list_agents(); }
  Status set_agent_active(std::string_view email, bool active) override {
    return repos_.agents->set_agent_active(email, active);
  }
  Status set_agent_password(std::string_view email, std::string_view hash) override {
    return repos_.agents->set_agent_password(email, hash);
  }
  Result<std::optional<std::string>> agent_password_hash(std::string_view email) override {
    return repos_.agents->agent_password_hash(email);
  }
  Result<Id> add_api_token(const ApiToken& t) override { return repos_.agents->add_api_token(t); }
  Result<std::optional<ApiToken>> find_api_token(std::string_view digest) override {
    return repos_.agents->find_api_token(digest);
  }
  Result<std::vector<ApiToken>> list_api_tokens() override { return repos_.agents->list_api_tokens(); }
  Status revoke_api_token(Id id) override { return repos_.agents->revoke_api_token(id); }
  Status touch_api_token(Id id, std::string_view at) override {
    return repos_.agents->touch_api_token(id, at);
  }
  Result<Page<Agent>> page_agents(const PageRequest& r) override { return repos_.agents->page_agents(r); }
  Status set_agent_role(std::string_view email, AgentRole role) override {
    return repos_.agents->set_agent_role(email, role);
  }
  Status set_agent_name(std::string_view email, std::string_view name) override {
    return repos_.agents->set_agent_name(email, name);
  }

  IdempotencyRepository& idempotency() override { return *repos_.idempotency; }
  SessionRepository& sessions() override { return *repos_.sessions; }
  QueueRepository& queues() override { return *repos_.queues; }
  RuleRepository& rules() override { return *repos_.rules; }
  ProcessRepository& processes() override { return *repos_.processes; }
  AlertRepository& alerts() override { return *repos_.alerts; }
  ApiSenderRepository& api_senders() override { return *repos_.api_senders; }

 protected:
  Status begin() override {
    MC_RETURN_IF_ERROR(conn_.run("BEGIN IMMEDIATE"));
    if (auto s = conn_.begin_deferred_search(); !s) {
      rollback();
      return s;
    }
    return {};
  }
  Status commit() override {
    MC_RETURN_IF_ERROR(conn_.end_deferred_search());
    return conn_.run("COMMIT");
  }
  void rollback() override {
    (void)exec("ROLLBACK");
    conn_.abandon_deferred_search();
  }
  Status savepoint(std::string_view name) override { return savepoint_sql(conn_, "SAVEPOINT ", name); }
  Status release_savepoint(std::string_view name) override {
    return savepoint_sql(conn_, "RELEASE SAVEPOINT ", name);
  }
  Status rollback_to_savepoint(std::string_view name) override {
    return savepoint_sql(conn_, "ROLLBACK TO SAVEPOINT ", name);
  }

 private:
  // Whether every foreign key finds its row (PRAGMA foreign_key_check names none).
  Status foreign_keys_hold() {
    MC_ASSIGN_OR_RETURN(auto qq, q("PRAGMA foreign_key_check"));
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (row) return fail(ErrorCode::kInternal, "a row of " + qq->text(0) + " names a missing " + qq->text(2));
    return {};
  }

  // Steps of a migration that SQL alone cannot do; run inside its transaction, after its SQL.
  Status after_migration(const Migration& m) {
    if (m.rebuilds_table) MC_RETURN_IF_ERROR(foreign_keys_hold());  // checked, as they were off
    if (m.version == 9) return migrate_free_text_owners();
    return {};
  }

  // Migration 9: each case's free-text owner becomes an agent's email, or an internal note
  // on the case with the owner emptied (plan_owner_migration decides which).
  Status migrate_free_text_owners() {
    std::vector<std::pair<Id, std::string>> owned;
    {
      MC_ASSIGN_OR_RETURN(auto qq, q("SELECT id, owner FROM cases WHERE owner <> '' ORDER BY id"));
      while (true) {
        MC_ASSIGN_OR_RETURN(auto row, qq->step());
        if (!row) break;
        owned.emplace_back(qq->integer(0), qq->text(1));
      }
    }
    const std::string now = now_iso8601();
    for (const auto& [case_id, owner] : owned) {
      auto plan = plan_owner_migration(owner);
      std::string new_owner;
      if (plan.agent) {
        // The first case of an address makes its agent; the later ones join it.
        MC_ASSIGN_OR_RETURN(
            auto ins,
            q("INSERT OR IGNORE INTO agents (name, email, role, active, created_at) VALUES (?, ?, ?, 1, ?)"));
        ins->bind(1, plan.agent->name)
            .bind(2, plan.agent->email)
            .bind(3, to_string(plan.agent->role))
            .bind(4, now);
        MC_RETURN_IF_ERROR(ins->run());
        new_owner = plan.agent->email;
      } else {
        Comment note;
        note.case_id = case_id;
        note.direction = Direction::kNote;
        note.author = "mailcase";
        note.body = plan.note;
        note.visibility = Visibility::kInternal;
        note.created_at = now;
        MC_RETURN_IF_ERROR(add_comment(note));
      }
      MC_ASSIGN_OR_RETURN(auto up, q("UPDATE cases SET owner = ? WHERE id = ?"));
      up->bind(1, new_owner).bind(2, case_id);
      MC_RETURN_IF_ERROR(up->run());
    }
    return {};
  }

  // Declared first: every connection's WAL hook may call it until the connection closes.
  std::unique_ptr<Checkpointer> checkpointer_;
  // Declared before the repositories: they borrow it, so it must be made before and
  // closed after them.
  Connection conn_;
  Pool pool_;
  RepositorySet repos_{conn_};
  const bool full_sync_;
  std::atomic<bool> wal_directory_synced_{false};  // sync_commits() synced the WAL's directory
  bool bulk_writes_ = false;  // expect_bulk_writes() was called
  // Whether the schema has migration 28: set once by migrate(), before any unit.
  int schema_version_ = 0;  // the migration the file has reached
};

}  // namespace

// The primary key (case_id, email) answers it; its NOCASE collation matches the column's.
const char* const kSqliteIsParticipantSql = "SELECT 1 FROM case_participants WHERE case_id = ? AND email = ?";
// The UNIQUE index of api_tokens.digest answers it; the agent by its primary key.
const char* const kSqliteFindApiTokenSql =
    "SELECT t.id, t.agent_id, a.email, t.label, t.digest, t.created_at, t.last_used_at, t.revoked_at "
    "FROM api_tokens t JOIN agents a ON a.id = t.agent_id WHERE t.digest = ?";

std::vector<std::string> sqlite_prepared_sql(Store& store) {
  auto* s = dynamic_cast<SqliteStore*>(&store);
  return s ? s->prepared_sql() : std::vector<std::string>();
}

int64_t sqlite_pooled_reprepares(Store& store) {
  auto* s = dynamic_cast<SqliteStore*>(&store);
  return s ? s->pooled_reprepares() : 0;
}

Result<std::unique_ptr<Store>> open_sqlite(const std::filesystem::path& file, const SqliteOptions& options) {
  MC_ASSIGN_OR_RETURN(sqlite3 * db, open_handle(file, options));
  auto store = std::make_unique<SqliteStore>(db, file, options);
  MC_RETURN_IF_ERROR(store->migrate(options.max_schema_version));
  return std::unique_ptr<Store>(std::move(store));
}

// The counts the triggers of migration 20 keep: a row per queue and open status, never
// the cases themselves.
const char* const kSqliteOpenCaseCountsSql =
    "SELECT queue, status, n FROM open_case_counts WHERE n > 0 ORDER BY queue, status";

}  // namespace mailcase::store

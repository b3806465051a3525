// The one interface to mailcase's data. SQLite (embedded default) implements it; a
// PostgreSQL implementation joins behind the same interface.
//
// Threading: a Store is used by one thread at a time; open one per thread or guard it.
// open_unit() alone may be called from any thread: each unit it opens has a connection of
// its own, used by one thread at a time.
// Every write happens inside a unit of work (UnitOfWork below); reads may happen
// outside one. Errors: kTemporary for busy/locked/disk problems (retry), kConflict for
// unique violations, kNotFound for missing rows (an update of an id that is no row's, a
// write naming a case, contact… that does not exist), kInternal otherwise.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/agents.h"
#include "store/model.h"
#include "store/repositories.h"
#include "util/result.h"

namespace mailcase::store {

class UnitOfWork;

// What a unit of work opened with Store::open_unit() reads and writes through: a
// connection of its own, lent by the store's pool, with the repositories bound to it and
// the end of its transaction. Made only by a backend and owned by one UnitOfWork;
// destroying it gives the connection back to the pool.
class UnitConnection {
 public:
  virtual ~UnitConnection() = default;
  [[nodiscard]] virtual Status commit() = 0;
  virtual void rollback() = 0;
  virtual AccountRepository& accounts() = 0;
  virtual RoutingRepository& routing() = 0;
  virtual RawMessageRepository& raw_messages() = 0;
  virtual CaseRepository& cases() = 0;
  virtual MailboxRepository& mailboxes() = 0;
  virtual OutboxRepository& outbox() = 0;
  virtual SurveyRepository& surveys() = 0;
  virtual EventRepository& events() = 0;
  virtual AgentRepository& agents() = 0;
  virtual IdempotencyRepository& idempotency() = 0;
  virtual SessionRepository& sessions() = 0;
  virtual QueueRepository& queues() = 0;
  virtual RuleRepository& rules() = 0;
  virtual ProcessRepository& processes() = 0;
  virtual AlertRepository& alerts() = 0;
  virtual ApiSenderRepository& api_senders() = 0;
  // Savepoints inside the open transaction (SQL SAVEPOINT, which PostgreSQL has too):
  // see UnitOfWork::savepoint.
  [[nodiscard]] virtual Status savepoint(std::string_view name) = 0;
  [[nodiscard]] virtual Status release_savepoint(std::string_view name) = 0;
  [[nodiscard]] virtual Status rollback_to_savepoint(std::string_view name) = 0;
};

// What a unit opened with Store::open_unit() may do: only read (kRead), or read and write
// (kWrite: it takes the database's one write lock when it begins).
enum class Access { kRead, kWrite };

// The unit a case query runs in: a search (a text) may first bring the search index up to
// date, which writes (migration 31); the list alone only reads. See find_cases_in.
inline Access access_for(const CaseQuery& q) { return q.text ? Access::kWrite : Access::kRead; }

// The sum of the repositories (store/repositories.h), opened on one database. New code
// takes the repository it needs from the accessors below (`store.cases()`…); the
// repositories' methods stay callable on the store itself for the code that predates them.
class Store : public AccountRepository,
              public RoutingRepository,
              public RawMessageRepository,
              public CaseRepository,
              public MailboxRepository,
              public OutboxRepository,
              public SurveyRepository,
              public EventRepository,
              public AgentRepository {
 public:
  ~Store() override = default;

  // Opens a unit of work (below): the writes that follow, through this store or any of
  // its repositories, become durable together when it commits, or not at all. Nesting is
  // not supported: a second one while one is open fails and leaves the first usable.
  [[nodiscard]] Result<UnitOfWork> begin_work();

  // Opens a unit of work on a connection of its own from the store's pool, so that units
  // on different threads share no connection. Read and write through the unit's
  // repositories (`work->cases()`…): the store's own methods use its default connection,
  // outside the unit. A unit sees the database as committed when it first reads, plus its
  // own writes; many units read beside one writing unit. A kWrite unit takes the write
  // lock as it begins and waits up to the busy timeout for it (then kTemporary); a kRead
  // unit's writes fail. Callable from any thread; the store must outlive the unit.
  // When every pooled connection is lent out it waits for one to come back, and is
  // kTemporary when none does within a few seconds (SQLite: 5 s).
  [[nodiscard]] virtual Result<UnitOfWork> open_unit(Access access) = 0;

  // Whether the commits of units from begin_work() wait for the disk (the default: as
  // the store's sync level says). Off, a commit returns once every process sees it: it
  // survives the process's death, and reaches the disk with the next commit that waits.
  // For writes nothing is acknowledged on before such a commit (ingest's "received" rows).
  // A store whose commits never wait ignores it.
  [[nodiscard]] virtual Status set_commits_wait(bool wait) {
    (void)wait;
    return {};
  }

  // Readies the store for transactions much larger than a mail's, from begin_work() units,
  // for as long as it is open (`import`: a batch of import_batch mails per commit), at the
  // cost of more memory and disk (the SQLite store: a larger page cache on that connection,
  // and a WAL of up to 64 MB between checkpoints instead of 4 MB).
  [[nodiscard]] virtual Status expect_bulk_writes() { return {}; }

  // Makes every commit made so far by this store's connections durable: those made while
  // set_commits_wait(false) was in force, whose writes are acknowledged on nothing until
  // this returns. Callable from any thread, beside a unit being written on another (import
  // syncs one batch while it writes the next). A store whose commits always wait, or that
  // is not asked to sync (storage.sync = "normal"), returns at once.
  [[nodiscard]] virtual Status sync_commits() { return {}; }

  // A process that runs long (serve, import) asks its store to do its upkeep on a thread
  // of its own instead of inside the commits on a mail's path (SQLite: the WAL's
  // checkpoints). Call once, from the thread that opened the store, before units are
  // opened on other threads; the upkeep stops when the store is closed.
  [[nodiscard]] virtual Status maintain_in_background() { return {}; }

  // The writes of such a run are about to end (import: its input is all read, the last
  // batches are being committed): the upkeep it defers starts now, beside those commits,
  // rather than all of it as the store closes (SQLite: a checkpoint of what is committed so
  // far). Any thread; nothing without maintain_in_background().
  virtual void maintain_now() {}

  // The repositories of this store. Each is this store seen through one aggregate: it
  // shares the store's connection, transaction and thread.
  AccountRepository& accounts() { return *this; }
  RoutingRepository& routing() { return *this; }
  RawMessageRepository& raw_messages() { return *this; }
  CaseRepository& cases() { return *this; }
  MailboxRepository& mailboxes() { return *this; }
  OutboxRepository& outbox() { return *this; }
  SurveyRepository& surveys() { return *this; }
  EventRepository& events() { return *this; }
  AgentRepository& agents() { return *this; }
  // Not part of the store's sum: reached through this accessor only.
  virtual IdempotencyRepository& idempotency() = 0;
  virtual SessionRepository& sessions() = 0;
  virtual QueueRepository& queues() = 0;
  virtual RuleRepository& rules() = 0;
  virtual ProcessRepository& processes() = 0;
  virtual AlertRepository& alerts() = 0;
  virtual ApiSenderRepository& api_senders() = 0;

 protected:
  // The transaction primitives a backend implements and only UnitOfWork drives (through
  // begin_work()), so no caller can leave a transaction open or end one it does not own.
  // Nesting is not supported. commit() makes every write durable.
  [[nodiscard]] virtual Status begin() = 0;
  [[nodiscard]] virtual Status commit() = 0;
  virtual void rollback() = 0;
  // Savepoints in the transaction begin_work() opened (UnitOfWork::savepoint).
  [[nodiscard]] virtual Status savepoint(std::string_view name) = 0;
  [[nodiscard]] virtual Status release_savepoint(std::string_view name) = 0;
  [[nodiscard]] virtual Status rollback_to_savepoint(std::string_view name) = 0;
  // For a backend's open_unit(): the unit that owns `c`.
  static UnitOfWork make_unit(std::unique_ptr<UnitConnection> c);

 private:
  friend class UnitOfWork;
};

// A unit of work: the writes made between its opening and commit(), either through its
// store (Store::begin_work(): the store's default connection) or through its own
// repositories (Store::open_unit(): a pooled connection of its own). Move-only.
// Destroyed without a commit it rolls back, so an early return or a failed write never
// leaves a transaction open nor half of its writes behind. A moved-from unit owns
// nothing: destroying or committing it touches no transaction.
class UnitOfWork {
 public:
  UnitOfWork(UnitOfWork&& other) noexcept
      : store_(std::exchange(other.store_, nullptr)), own_(std::move(other.own_)) {}
  UnitOfWork& operator=(UnitOfWork&& other) noexcept {
    if (this != &other) {
      rollback();
      store_ = std::exchange(other.store_, nullptr);
      own_ = std::move(other.own_);
    }
    return *this;
  }
  UnitOfWork(const UnitOfWork&) = delete;
  UnitOfWork& operator=(const UnitOfWork&) = delete;
  ~UnitOfWork() { rollback(); }

  // Makes every write of the unit durable. When the commit fails the writes are rolled
  // back. Either way the unit is closed after it; committing a closed (committed, rolled
  // back or moved-from) unit is kInternal and touches no transaction.
  [[nodiscard]] Status commit() {
    if (own_) {
      auto c = own_->commit();
      if (!c) own_->rollback();
      own_.reset();  // the connection goes back to the pool
      return c;
    }
    if (!store_) return fail(ErrorCode::kInternal, "database: no open unit of work to commit");
    Store* s = std::exchange(store_, nullptr);
    if (auto c = s->commit(); !c) {
      s->rollback();
      return c;
    }
    return {};
  }
  // Discards every write of the unit now (the destructor does it too); closed: nothing.
  void rollback() noexcept {
    if (own_) {
      own_->rollback();
      own_.reset();
    }
    if (Store* s = std::exchange(store_, nullptr)) s->rollback();
  }
  // Whether the unit still holds a transaction (not committed, rolled back or moved from).
  [[nodiscard]] bool is_open() const { return store_ != nullptr || own_ != nullptr; }

  // The repositories the unit reads and writes through: its own connection's, or its
  // store's. Only on an open unit.
  AccountRepository& accounts() { return own_ ? own_->accounts() : store_->accounts(); }
  RoutingRepository& routing() { return own_ ? own_->routing() : store_->routing(); }
  RawMessageRepository& raw_messages() { return own_ ? own_->raw_messages() : store_->raw_messages(); }
  CaseRepository& cases() { return own_ ? own_->cases() : store_->cases(); }
  MailboxRepository& mailboxes() { return own_ ? own_->mailboxes() : store_->mailboxes(); }
  OutboxRepository& outbox() { return own_ ? own_->outbox() : store_->outbox(); }
  SurveyRepository& surveys() { return own_ ? own_->surveys() : store_->surveys(); }
  EventRepository& events() { return own_ ? own_->events() : store_->events(); }
  AgentRepository& agents() { return own_ ? own_->agents() : store_->agents(); }
  IdempotencyRepository& idempotency() { return own_ ? own_->idempotency() : store_->idempotency(); }
  SessionRepository& sessions() { return own_ ? own_->sessions() : store_->sessions(); }
  QueueRepository& queues() { return own_ ? own_->queues() : store_->queues(); }
  RuleRepository& rules() { return own_ ? own_->rules() : store_->rules(); }
  ProcessRepository& processes() { return own_ ? own_->processes() : store_->processes(); }
  AlertRepository& alerts() { return own_ ? own_->alerts() : store_->alerts(); }
  ApiSenderRepository& api_senders() { return own_ ? own_->api_senders() : store_->api_senders(); }

  // A savepoint: the writes made after it can be undone (rollback_to_savepoint) while
  // those before it, and the unit, stay; release_savepoint keeps them and forgets the
  // mark. Names are of a-z, 0-9 and _ (kInvalidInput otherwise); kInternal on a closed
  // unit. One mail of a batch can so fail alone (the API by mail's all or nothing).
  [[nodiscard]] Status savepoint(std::string_view name) { return on_savepoint(name, 0); }
  [[nodiscard]] Status release_savepoint(std::string_view name) { return on_savepoint(name, 1); }
  // Undoes the writes made since the savepoint; the savepoint stays (release it after).
  [[nodiscard]] Status rollback_to_savepoint(std::string_view name) { return on_savepoint(name, 2); }

 private:
  Status on_savepoint(std::string_view name, int op) {
    if (name.empty() || name.size() > 64 ||
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string_view::npos)
      return fail(ErrorCode::kInvalidInput, "savepoint: a name of a-z, 0-9 and _");
    if (own_) {
      return op == 0 ? own_->savepoint(name) : op == 1 ? own_->release_savepoint(name)
                                                       : own_->rollback_to_savepoint(name);
    }
    if (!store_) return fail(ErrorCode::kInternal, "database: no open unit of work for a savepoint");
    return op == 0 ? store_->savepoint(name) : op == 1 ? store_->release_savepoint(name)
                                                       : store_->rollback_to_savepoint(name);
  }

  friend class Store;
  explicit UnitOfWork(Store& s) : store_(&s) {}
  explicit UnitOfWork(std::unique_ptr<UnitConnection> c) : store_(nullptr), own_(std::move(c)) {}
  Store* store_;
  std::unique_ptr<UnitConnection> own_;
};

// The case list or search of q in a unit opened with access_for(q), as the API and the
// console run it. A search's unit is committed after it, so that the search index it
// brought up to date stays so (the next search finds nothing to do); the unit is then
// closed. The page stands whether that commit succeeds or not.
inline Result<CasePage> find_cases_in(UnitOfWork& unit, const CaseQuery& q) {
  auto page = unit.cases().find_cases(q);
  if (page && q.text) (void)unit.commit();
  return page;
}

inline UnitOfWork Store::make_unit(std::unique_ptr<UnitConnection> c) {
  return UnitOfWork(std::move(c));
}

inline Result<UnitOfWork> Store::begin_work() {
  if (auto b = begin(); !b) return tl::unexpected(b.error());
  return UnitOfWork(*this);
}

struct SqliteOptions {
  bool synchronous_full = true;  // fsync on every commit (storage.sync = "full")
  // Tests: apply migrations up to this version only, to build a store as an older
  // release left it (0: all).
  int max_schema_version = 0;
};

// Opens (creating if needed) the database file and applies pending migrations.
[[nodiscard]] Result<std::unique_ptr<Store>> open_sqlite(const std::filesystem::path& file,
                                                         const SqliteOptions& options = {});

// Runs f inside a unit of work; commits when f succeeds, rolls back when f or the
// commit fails.
template <typename F>
Status in_transaction(Store& s, F&& f) {
  auto work = s.begin_work();
  if (!work) return tl::unexpected(work.error());
  if (Status r = f(); !r) return r;  // `work` rolls back as it goes
  return work->commit();
}

// The statement behind Store::is_participant, for checking its query plan.
extern const char* const kSqliteIsParticipantSql;
// The statement behind OutboxRepository::count_by_state, for checking its query plan.
extern const char* const kSqliteOutboxCountByStateSql;
// The statement behind OutboxRepository::list_queued_claims, for checking its query plan.
extern const char* const kSqliteOutboxQueuedClaimsSql;
// The statement behind Store::find_api_token, for checking its query plan.
extern const char* const kSqliteFindApiTokenSql;
// The statement behind CaseRepository::count_open_by_queue, for checking its query plan.
extern const char* const kSqliteOpenCaseCountsSql;

// The statements behind QueueRepository::queue_agents (run for each new case) and the
// open-case counts of list_queues, for checking their query plans.
extern const char* const kSqliteQueueAgentsSql;
extern const char* const kSqliteOpenCasesByQueueSql;
// The statement behind ProcessRepository::find_process (run for each new case that
// follows a process and each stage move), for checking its query plan.
extern const char* const kSqliteFindProcessSql;

// The statements behind RuleRepository::rules_version (read for each unit of work that
// may open a case) and round_robin_candidates, for checking their query plans.
extern const char* const kSqliteRulesVersionSql;
extern const char* const kSqliteRoundRobinCandidatesSql;
// The statement behind AlertRepository::latest_alert_case (run for each alert mail).
extern const char* const kSqliteLatestAlertCaseSql;

// The SQL text of every statement a SQLite store has prepared so far (each once), for
// checking their query plans; empty for any other store.
std::vector<std::string> sqlite_prepared_sql(Store& store);
// How many times the statements of a SQLite store's idle pooled connections were prepared
// again (SQLite had expired them); 0 for any other store.
int64_t sqlite_pooled_reprepares(Store& store);

// Current time as ISO 8601 UTC ("2026-11-23T10:00:00Z").
std::string now_iso8601();

}  // namespace mailcase::store

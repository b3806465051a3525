// SQLite implementation of Store: one file, WAL, prepared statements cached per connection.
#include <sqlite3.h>

#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "domain/case_number.h"
#include "store/migrations.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/text.h"

namespace mailcase::store {

std::string now_iso8601() {
  return clock::iso8601(clock::unix_now());
}

namespace {

// A state read from a row that names none the domain knows: the file was written by
// something else (a newer mailcase, a hand edit). Reading it as some default would
// change what mailcase does with the row, so it is an error that names the row.
template <typename T>
Result<T> known_state(std::optional<T> v, std::string_view what, const std::string& text, Id row) {
  if (v) return *v;
  return fail(ErrorCode::kInternal,
              "unknown " + std::string(what) + " '" + text + "' in row " + std::to_string(row));
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t c = s.find(',', start);
    if (c == std::string_view::npos) c = s.size();
    if (c > start) out.emplace_back(s.substr(start, c - start));
    start = c + 1;
  }
  return out;
}

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

// A prepared statement borrowed from the cache: bound on creation, reset on destruction.
class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Query& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Query& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Query& bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Query& bind(int i, std::optional<Id> v) {
    if (v)
      sqlite3_bind_int64(stmt_, i, *v);
    else
      sqlite3_bind_null(stmt_, i);
    return *this;
  }
  Query& bind_null(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }

  // SQLITE_ROW → true, SQLITE_DONE → false, anything else → error.
  Result<bool> step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return tl::unexpected(error(rc));
  }
  Status run() {
    auto r = step();
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  std::string text(int col) const {
    auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::optional<Id> optional_id(int col) const {
    if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_int64(stmt_, col);
  }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

  Error error(int rc) const {
    int base = rc & 0xff;
    std::string msg = std::string("database: ") + sqlite3_errmsg(db_);
    if (base == SQLITE_BUSY || base == SQLITE_LOCKED || base == SQLITE_FULL || base == SQLITE_IOERR)
      return Error{ErrorCode::kTemporary, msg};
    if (base == SQLITE_CONSTRAINT) {
      // kConflict means "it exists already" to callers; only a unique key says that. A
      // reference to a row that is not there is kNotFound; NOT NULL, CHECK: a bug.
      int ext = sqlite3_extended_errcode(db_);
      if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        return Error{ErrorCode::kConflict, msg};
      if (ext == SQLITE_CONSTRAINT_FOREIGNKEY) return Error{ErrorCode::kNotFound, msg};
    }
    return Error{ErrorCode::kInternal, msg};
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  ~SqliteStore() override {
    cache_.clear();
    sqlite3_close_v2(db_);
  }

  Status exec(const char* sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = std::string("database: ") + (err ? err : sqlite3_errstr(rc));
      sqlite3_free(err);
      int base = rc & 0xff;
      return fail(base == SQLITE_BUSY || base == SQLITE_LOCKED || base == SQLITE_FULL || base == SQLITE_IOERR
                      ? ErrorCode::kTemporary
                      : ErrorCode::kInternal,
                  msg);
    }
    return {};
  }

  Result<std::unique_ptr<Query>> q(const char* sql) {
    auto it = cache_.find(sql);
    sqlite3_stmt* stmt = nullptr;
    if (it == cache_.end()) {
      int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) return fail(ErrorCode::kInternal, std::string("database: ") + sqlite3_errmsg(db_));
      cache_.emplace(sql, std::unique_ptr<sqlite3_stmt, StmtDeleter>(stmt));
    } else {
      stmt = it->second.get();
    }
    return std::make_unique<Query>(db_, stmt);
  }

  Status migrate(int max_version) {
    if (auto s = exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"); !s) return s;
    int current = 0;
    {
      auto qq = q("SELECT COALESCE(MAX(version), 0) FROM schema_version");
      if (!qq) return tl::unexpected(qq.error());
      auto row = (*qq)->step();
      if (!row) return tl::unexpected(row.error());
      current = static_cast<int>((*qq)->integer(0));
    }
    for (const auto& m : sqlite_migrations()) {
      if (m.version <= current) continue;
      if (max_version > 0 && m.version > max_version) break;
      if (auto s = exec("BEGIN IMMEDIATE"); !s) return s;
      std::string sql(m.sql);
      sql += "\nINSERT INTO schema_version (version) VALUES (" + std::to_string(m.version) + ");";
      if (auto s = exec(sql.c_str()); !s) {
        (void)exec("ROLLBACK");
        return fail(ErrorCode::kInternal,
                    "migration " + std::to_string(m.version) + " failed: " + s.error().message);
      }
      if (auto s = after_migration(m.version); !s) {
        (void)exec("ROLLBACK");
        return fail(ErrorCode::kInternal,
                    "migration " + std::to_string(m.version) + " failed: " + s.error().message);
      }
      if (auto s = exec("COMMIT"); !s) return s;
    }
    return {};
  }

  std::vector<std::string> prepared_sql() const {
    std::vector<std::string> out;
    for (const auto& [sql, stmt] : cache_) out.emplace_back(sql);
    return out;
  }

  Status begin() override { return exec("BEGIN IMMEDIATE"); }
  Status commit() override { return exec("COMMIT"); }
  void rollback() override { (void)exec("ROLLBACK"); }

  // --- accounts and contacts -------------------------------------------------------

  Result<Id> add_account(const Account& a) override {
    {
      auto qq = q("INSERT INTO accounts (name, support_level, created_at) VALUES (?, ?, ?)");
      if (!qq) return tl::unexpected(qq.error());
      (*qq)->bind(1, a.name).bind(2, a.support_level).bind(3, now_iso8601());
      if (auto s = (*qq)->run(); !s) return tl::unexpected(s.error());
    }
    Id id = sqlite3_last_insert_rowid(db_);
    for (const auto& e : a.emails) {
      auto qq = q("INSERT INTO account_emails (email, account_id) VALUES (?, ?)");
      if (!qq) return tl::unexpected(qq.error());
      (*qq)->bind(1, text::normalize_email(e)).bind(2, id);
      if (auto s = (*qq)->run(); !s) return tl::unexpected(s.error());
    }
    return id;
  }

  Result<std::optional<Account>> account_where(const char* sql, std::string_view key, std::optional<Id> id) {
    Account a;
    {
      auto qq = q(sql);
      if (!qq) return tl::unexpected(qq.error());
      if (id)
        (*qq)->bind(1, *id);
      else
        (*qq)->bind(1, key);
      auto row = (*qq)->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) return std::optional<Account>();
      a.id = (*qq)->integer(0);
      a.name = (*qq)->text(1);
      a.support_level = (*qq)->text(2);
    }
    auto qq = q("SELECT email FROM account_emails WHERE account_id = ? ORDER BY rowid");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, a.id);
    while (true) {
      auto row = (*qq)->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      a.emails.push_back((*qq)->text(0));
    }
    return std::optional<Account>(std::move(a));
  }

  Result<std::optional<Account>> find_account_by_name(std::string_view name) override {
    return account_where("SELECT id, name, support_level FROM accounts WHERE name = ?", name, std::nullopt);
  }
  Result<std::optional<Account>> find_account_by_email(std::string_view email) override {
    return account_where(
        "SELECT a.id, a.name, a.support_level FROM accounts a JOIN account_emails e ON e.account_id = a.id "
        "WHERE e.email = ?",
        text::normalize_email(email), std::nullopt);
  }
  Result<std::optional<Account>> get_account(Id id) override {
    return account_where("SELECT id, name, support_level FROM accounts WHERE id = ?", {}, id);
  }

  Result<Id> add_contact(const Contact& c) override {
    {
      auto qq = q("INSERT INTO contacts (name, account_id, language, created_at) VALUES (?, ?, ?, ?)");
      if (!qq) return tl::unexpected(qq.error());
      (*qq)->bind(1, c.name).bind(2, c.account_id).bind(3, c.language).bind(4, now_iso8601());
      if (auto s = (*qq)->run(); !s) return tl::unexpected(s.error());
    }
    Id id = sqlite3_last_insert_rowid(db_);
    for (const auto& e : c.emails) {
      auto qq = q("INSERT INTO contact_emails (email, contact_id) VALUES (?, ?)");
      if (!qq) return tl::unexpected(qq.error());
      (*qq)->bind(1, text::normalize_email(e)).bind(2, id);
      if (auto s = (*qq)->run(); !s) return tl::unexpected(s.error());
    }
    return id;
  }

  Result<std::optional<Contact>> contact_where(const char* sql, std::string_view key, std::optional<Id> id) {
    Contact c;
    {
      auto qq = q(sql);
      if (!qq) return tl::unexpected(qq.error());
      if (id)
        (*qq)->bind(1, *id);
      else
        (*qq)->bind(1, key);
      auto row = (*qq)->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) return std::optional<Contact>();
      c.id = (*qq)->integer(0);
      c.name = (*qq)->text(1);
      c.account_id = (*qq)->optional_id(2);
      c.language = (*qq)->text(3);
    }
    auto qq = q("SELECT email FROM contact_emails WHERE contact_id = ? ORDER BY rowid");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, c.id);
    while (true) {
      auto row = (*qq)->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      c.emails.push_back((*qq)->text(0));
    }
    return std::optional<Contact>(std::move(c));
  }

  Result<std::optional<Contact>> find_contact_by_email(std::string_view email) override {
    return contact_where(
        "SELECT c.id, c.name, c.account_id, c.language FROM contacts c JOIN contact_emails e ON e.contact_id "
        "= c.id "
        "WHERE e.email = ?",
        text::normalize_email(email), std::nullopt);
  }
  Result<std::optional<Contact>> get_contact(Id id) override {
    return contact_where("SELECT id, name, account_id, language FROM contacts WHERE id = ?", {}, id);
  }

  // --- routing addresses --------------------------------------------------------------

  Status put_address(const RoutingAddress& a) override {
    auto qq =
        q("INSERT INTO routing_addresses (email, queue, product, creates_cases, subject_prefix, "
          "unknown_sender, "
          "priority) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(email) DO UPDATE SET queue = excluded.queue, "
          "product = excluded.product, creates_cases = excluded.creates_cases, subject_prefix = "
          "excluded.subject_prefix, unknown_sender = excluded.unknown_sender, priority = excluded.priority");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, text::normalize_email(a.email)).bind(2, a.queue).bind(3, a.product);
    (*qq)->bind(4, int64_t{a.creates_cases ? 1 : 0}).bind(5, a.subject_prefix).bind(6, a.unknown_sender);
    (*qq)->bind(7, a.priority);
    return (*qq)->run();
  }

  Result<std::vector<RoutingAddress>> list_addresses() override {
    auto qq =
        q("SELECT email, queue, product, creates_cases, subject_prefix, unknown_sender, priority "
          "FROM routing_addresses ORDER BY email");
    if (!qq) return tl::unexpected(qq.error());
    std::vector<RoutingAddress> out;
    while (true) {
      auto row = (*qq)->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      RoutingAddress a;
      a.email = (*qq)->text(0);
      a.queue = (*qq)->text(1);
      a.product = (*qq)->text(2);
      a.creates_cases = (*qq)->integer(3) != 0;
      a.subject_prefix = (*qq)->text(4);
      a.unknown_sender = (*qq)->text(5);
      a.priority = (*qq)->text(6);
      out.push_back(std::move(a));
    }
    return out;
  }

  // --- raw messages ------------------------------------------------------------------

  static constexpr const char* kRawColumns =
      "id, sha256, size, source, recipients, state, outcome, reason, COALESCE(dedupe_key, ''), message_id, "
      "from_addr, subject, case_id, received_at, attempts, spool_location, envelope_sender";

  static Result<RawMessage> raw_from(const Query& r) {
    RawMessage m;
    m.id = r.integer(0);
    m.sha256 = r.text(1);
    m.size = static_cast<uint64_t>(r.integer(2));
    m.source = r.text(3);
    m.recipients = split_commas(r.text(4));
    auto state = known_state(raw_state_from(r.text(5)), "raw message state", r.text(5), m.id);
    if (!state) return tl::unexpected(state.error());
    m.state = *state;
    m.outcome = r.text(6);
    m.reason = r.text(7);
    m.dedupe_key = r.text(8);
    m.message_id = r.text(9);
    m.from = r.text(10);
    m.subject = r.text(11);
    m.case_id = r.optional_id(12);
    m.received_at = r.text(13);
    m.attempts = static_cast<int>(r.integer(14));
    m.spool_location = r.text(15);
    if (!r.is_null(16)) m.envelope_sender = r.text(16);
    return m;
  }

  Result<std::optional<RawMessage>> raw_one(const char* sql, std::string_view key, std::optional<Id> id) {
    auto qq = q(sql);
    if (!qq) return tl::unexpected(qq.error());
    if (id)
      (*qq)->bind(1, *id);
    else
      (*qq)->bind(1, key);
    auto row = (*qq)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return std::optional<RawMessage>();
    auto m = raw_from(**qq);
    if (!m) return tl::unexpected(m.error());
    return std::optional<RawMessage>(std::move(*m));
  }

  Result<std::optional<RawMessage>> find_raw_by_sha(std::string_view sha256) override {
    static const std::string sql =
        std::string("SELECT ") + kRawColumns + " FROM raw_messages WHERE sha256 = ?";
    return raw_one(sql.c_str(), sha256, std::nullopt);
  }
  Result<std::optional<RawMessage>> find_raw_by_dedupe_key(std::string_view key) override {
    static const std::string sql =
        std::string("SELECT ") + kRawColumns + " FROM raw_messages WHERE dedupe_key = ?";
    return raw_one(sql.c_str(), key, std::nullopt);
  }
  Result<std::optional<RawMessage>> get_raw(Id id) override {
    static const std::string sql = std::string("SELECT ") + kRawColumns + " FROM raw_messages WHERE id = ?";
    return raw_one(sql.c_str(), {}, id);
  }

  Result<Id> insert_raw(const RawMessage& m) override {
    auto qq =
        q("INSERT INTO raw_messages (sha256, size, source, recipients, state, received_at, spool_location, "
          "envelope_sender) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, m.sha256).bind(2, static_cast<int64_t>(m.size)).bind(3, m.source);
    (*qq)->bind(4, join(m.recipients)).bind(5, to_string(m.state));
    (*qq)->bind(6, m.received_at.empty() ? now_iso8601() : m.received_at);
    (*qq)->bind(7, m.spool_location);
    if (m.envelope_sender)
      (*qq)->bind(8, *m.envelope_sender);
    else
      (*qq)->bind_null(8);
    if (auto s = (*qq)->run(); !s) return tl::unexpected(s.error());
    return sqlite3_last_insert_rowid(db_);
  }

  Status update_raw(const RawMessage& m) override {
    auto qq =
        q("UPDATE raw_messages SET state = ?, outcome = ?, reason = ?, dedupe_key = ?, message_id = ?, "
          "from_addr = ?, "
          "subject = ?, case_id = ?, attempts = ?, envelope_sender = ? WHERE id = ?");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, to_string(m.state)).bind(2, m.outcome).bind(3, m.reason);
    if (m.dedupe_key.empty())
      (*qq)->bind_null(4);
    else
      (*qq)->bind(4, m.dedupe_key);
    (*qq)->bind(5, m.message_id).bind(6, m.from).bind(7, m.subject).bind(8, m.case_id);
    (*qq)->bind(9, int64_t{m.attempts});
    if (m.envelope_sender)
      (*qq)->bind(10, *m.envelope_sender);
    else
      (*qq)->bind_null(10);
    (*qq)->bind(11, m.id);
    if (auto s = (*qq)->run(); !s) return s;
    if (sqlite3_changes(db_) == 0) return fail(ErrorCode::kNotFound, "no message " + std::to_string(m.id));
    return {};
  }

  Result<std::vector<RawMessage>> list_raw(const MessageFilter& f) override {
    static const std::string all =
        std::string("SELECT ") + kRawColumns + " FROM raw_messages ORDER BY id LIMIT ?";
    static const std::string by_state =
        std::string("SELECT ") + kRawColumns + " FROM raw_messages WHERE state = ? ORDER BY id LIMIT ?";
    auto qq = q(f.state ? by_state.c_str() : all.c_str());
    if (!qq) return tl::unexpected(qq.error());
    if (f.state)
      (*qq)->bind(1, to_string(*f.state)).bind(2, int64_t{f.limit});
    else
      (*qq)->bind(1, int64_t{f.limit});
    std::vector<RawMessage> out;
    while (true) {
      auto row = (*qq)->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      auto m = raw_from(**qq);
      if (!m) return tl::unexpected(m.error());
      out.push_back(std::move(*m));
    }
    return out;
  }

  // --- cases ---------------------------------------------------------------------------

  static constexpr const char* kCaseColumns =
      "id, number, subject, description, status, priority, queue, product, origin, owner, contact_id, "
      "account_id, "
      "routing_address, created_at, updated_at";

  static Result<Case> case_from(const Query& r, int o = 0) {
    Case c;
    c.id = r.integer(o + 0);
    c.number = r.text(o + 1);
    c.subject = r.text(o + 2);
    c.description = r.text(o + 3);
    auto status = known_state(status_from_string(r.text(o + 4)), "case status", r.text(o + 4), c.id);
    if (!status) return tl::unexpected(status.error());
    c.status = *status;
    c.priority = r.text(o + 5);
    c.queue = r.text(o + 6);
    c.product = r.text(o + 7);
    c.origin = r.text(o + 8);
    c.owner = r.text(o + 9);
    c.contact_id = r.optional_id(o + 10);
    c.account_id = r.optional_id(o + 11);
    c.routing_address = r.text(o + 12);
    c.created_at = r.text(o + 13);
    c.updated_at = r.text(o + 14);
    return c;
  }

  Result<Case> insert_case(Case c, std::string_view prefix, int digits) override {
    c.created_at = c.updated_at = now_iso8601();
    {
      // The number is derived from the row id; a placeholder keeps the UNIQUE column filled.
      auto qq = q(
          "INSERT INTO cases (number, subject, description, status, priority, queue, product, origin, owner, "
          "contact_id, account_id, routing_address, created_at, updated_at) VALUES "
          "('pending:' || hex(randomblob(8)), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      if (!qq) return tl::unexpected(qq.error());
      (*qq)
          ->bind(1, c.subject)
          .bind(2, c.description)
          .bind(3, to_string(c.status))
          .bind(4, c.priority)
          .bind(5, c.queue);
      (*qq)
          ->bind(6, c.product)
          .bind(7, c.origin)
          .bind(8, c.owner)
          .bind(9, c.contact_id)
          .bind(10, c.account_id);
      (*qq)->bind(11, c.routing_address).bind(12, c.created_at).bind(13, c.updated_at);
      if (auto s = (*qq)->run(); !s) return tl::unexpected(s.error());
    }
    c.id = sqlite3_last_insert_rowid(db_);
    c.number = domain::case_number::format(prefix, digits, c.id);
    auto qq = q("UPDATE cases SET number = ? WHERE id = ?");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, c.number).bind(2, c.id);
    if (auto s = (*qq)->run(); !s) return tl::unexpected(s.error());
    return c;
  }

  Result<std::optional<Case>> case_one(const char* sql, std::string_view key, std::optional<Id> id) {
    auto qq = q(sql);
    if (!qq) return tl::unexpected(qq.error());
    if (id)
      (*qq)->bind(1, *id);
    else
      (*qq)->bind(1, key);
    auto row = (*qq)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return std::optional<Case>();
    auto c = case_from(**qq);
    if (!c) return tl::unexpected(c.error());
    return std::optional<Case>(std::move(*c));
  }

  Result<std::optional<Case>> get_case(Id id) override {
    static const std::string sql = std::string("SELECT ") + kCaseColumns + " FROM cases WHERE id = ?";
    return case_one(sql.c_str(), {}, id);
  }
  Result<std::optional<Case>> find_case_by_number(std::string_view number) override {
    static const std::string sql = std::string("SELECT ") + kCaseColumns + " FROM cases WHERE number = ?";
    return case_one(sql.c_str(), number, std::nullopt);
  }

  Status update_case(const Case& c) override {
    auto qq =
        q("UPDATE cases SET subject = ?, description = ?, status = ?, priority = ?, queue = ?, product = ?, "
          "owner = ?, "
          "contact_id = ?, account_id = ?, updated_at = ? WHERE id = ?");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)
        ->bind(1, c.subject)
        .bind(2, c.description)
        .bind(3, to_string(c.status))
        .bind(4, c.priority)
        .bind(5, c.queue);
    (*qq)->bind(6, c.product).bind(7, c.owner).bind(8, c.contact_id).bind(9, c.account_id);
    (*qq)->bind(10, now_iso8601()).bind(11, c.id);
    if (auto s = (*qq)->run(); !s) return s;
    if (sqlite3_changes(db_) == 0) return fail(ErrorCode::kNotFound, "no case " + std::to_string(c.id));
    return {};
  }

  // One statement for the whole list: each case with its contact and account and their
  // addresses (JSON arrays in row order), not two more queries per case.
  Result<std::vector<CaseSummary>> list_cases(int limit) override {
    static const char* const sql =
        "SELECT c.id, c.number, c.subject, c.description, c.status, c.priority, c.queue, c.product, "
        "c.origin, c.owner, c.contact_id, c.account_id, c.routing_address, c.created_at, c.updated_at, "
        "ct.id, ct.name, ct.account_id, ct.language, "
        "(SELECT json_group_array(email) FROM (SELECT email FROM contact_emails WHERE contact_id = ct.id "
        "ORDER BY rowid)), "
        "a.id, a.name, a.support_level, "
        "(SELECT json_group_array(email) FROM (SELECT email FROM account_emails WHERE account_id = a.id "
        "ORDER BY rowid)) "
        "FROM cases c LEFT JOIN contacts ct ON ct.id = c.contact_id "
        "LEFT JOIN accounts a ON a.id = c.account_id ORDER BY c.id DESC LIMIT ?";
    auto qq = q(sql);
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, int64_t{limit});
    auto emails = [](const std::string& json) {
      std::vector<std::string> out;
      auto j = nlohmann::json::parse(json, nullptr, false);
      if (j.is_array())
        for (const auto& e : j)
          if (e.is_string()) out.push_back(e.get<std::string>());
      return out;
    };
    std::vector<CaseSummary> out;
    while (true) {
      auto row = (*qq)->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      CaseSummary s;
      auto c = case_from(**qq);
      if (!c) return tl::unexpected(c.error());
      s.c = std::move(*c);
      if (!(*qq)->is_null(15)) {
        Contact ct;
        ct.id = (*qq)->integer(15);
        ct.name = (*qq)->text(16);
        ct.account_id = (*qq)->optional_id(17);
        ct.language = (*qq)->text(18);
        ct.emails = emails((*qq)->text(19));
        s.contact = std::move(ct);
      }
      if (!(*qq)->is_null(20)) {
        Account a;
        a.id = (*qq)->integer(20);
        a.name = (*qq)->text(21);
        a.support_level = (*qq)->text(22);
        a.emails = emails((*qq)->text(23));
        s.account = std::move(a);
      }
      out.push_back(std::move(s));
    }
    return out;
  }

  Status add_message_id(std::string_view message_id, Id case_id, std::string_view direction) override {
    auto qq = q("INSERT OR IGNORE INTO message_ids (message_id, case_id, direction) VALUES (?, ?, ?)");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, message_id).bind(2, case_id).bind(3, direction);
    return (*qq)->run();
  }

  Result<std::vector<std::string>> message_ids_of(Id case_id, std::string_view direction) override {
    auto qq = q(
        "SELECT message_id FROM message_ids WHERE case_id = ? AND (? = '' OR direction = ?) ORDER BY rowid");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, case_id).bind(2, direction).bind(3, direction);
    std::vector<std::string> out;
    while (true) {
      auto row = (*qq)->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      out.push_back((*qq)->text(0));
    }
    return out;
  }

  Result<std::optional<Id>> case_of_message_id(std::string_view message_id) override {
    auto qq = q("SELECT case_id FROM message_ids WHERE message_id = ?");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, message_id);
    auto row = (*qq)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return std::optional<Id>();
    return std::optional<Id>((*qq)->integer(0));
  }

  Result<Id> add_comment(const Comment& c) override {
    auto qq =
        q("INSERT INTO comments (case_id, direction, author, body, quoted, visibility, raw_message_id, "
          "created_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)
        ->bind(1, c.case_id)
        .bind(2, to_string(c.direction))
        .bind(3, c.author)
        .bind(4, c.body)
        .bind(5, c.quoted);
    (*qq)->bind(6, to_string(c.visibility)).bind(7, c.raw_message_id);
    (*qq)->bind(8, c.created_at.empty() ? now_iso8601() : c.created_at);
    if (auto s = (*qq)->run(); !s) return tl::unexpected(s.error());
    return sqlite3_last_insert_rowid(db_);
  }

  Result<std::vector<Comment>> comments_of(Id case_id) override {
    auto qq =
        q("SELECT id, case_id, direction, author, body, quoted, visibility, raw_message_id, created_at FROM "
          "comments "
          "WHERE case_id = ? ORDER BY id");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, case_id);
    std::vector<Comment> out;
    while (true) {
      auto row = (*qq)->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      Comment c;
      c.id = (*qq)->integer(0);
      c.case_id = (*qq)->integer(1);
      auto direction = known_state(direction_from((*qq)->text(2)), "comment direction", (*qq)->text(2), c.id);
      if (!direction) return tl::unexpected(direction.error());
      c.direction = *direction;
      c.author = (*qq)->text(3);
      c.body = (*qq)->text(4);
      c.quoted = (*qq)->text(5);
      auto visibility =
          known_state(visibility_from((*qq)->text(6)), "comment visibility", (*qq)->text(6), c.id);
      if (!visibility) return tl::unexpected(visibility.error());
      c.visibility = *visibility;
      c.raw_message_id = (*qq)->optional_id(7);
      c.created_at = (*qq)->text(8);
      out.push_back(std::move(c));
    }
    return out;
  }

  Result<Id> add_attachment(const Attachment& a) override {
    auto qq =
        q("INSERT INTO attachments (case_id, comment_id, filename, content_type, size, sha256, content_id, "
          "is_inline) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, a.case_id).bind(2, a.comment_id).bind(3, a.filename).bind(4, a.content_type);
    (*qq)->bind(5, static_cast<int64_t>(a.size)).bind(6, a.sha256).bind(7, a.content_id);
    (*qq)->bind(8, int64_t{a.is_inline ? 1 : 0});
    if (auto s = (*qq)->run(); !s) return tl::unexpected(s.error());
    return sqlite3_last_insert_rowid(db_);
  }

  Result<std::vector<Attachment>> attachments_of(Id case_id) override {
    auto qq =
        q("SELECT id, case_id, comment_id, filename, content_type, size, sha256, content_id, is_inline FROM "
          "attachments WHERE case_id = ? ORDER BY id");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, case_id);
    std::vector<Attachment> out;
    while (true) {
      auto row = (*qq)->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      Attachment a;
      a.id = (*qq)->integer(0);
      a.case_id = (*qq)->integer(1);
      a.comment_id = (*qq)->optional_id(2);
      a.filename = (*qq)->text(3);
      a.content_type = (*qq)->text(4);
      a.size = static_cast<uint64_t>((*qq)->integer(5));
      a.sha256 = (*qq)->text(6);
      a.content_id = (*qq)->text(7);
      a.is_inline = (*qq)->integer(8) != 0;
      out.push_back(std::move(a));
    }
    return out;
  }

  // Settings are one JSON object: new settings need no migration.
  static nlohmann::json mailbox_json(const Mailbox& m) {
    return {{"protocol", to_string(m.protocol)},
            {"host", m.host},
            {"port", m.port},
            {"tls", to_string(m.tls)},
            {"user", m.user},
            {"password_file", m.password_file},
            {"folder", m.folder},
            {"poll_interval_s", m.poll_interval_s},
            {"idle", m.idle},
            {"after", to_string(m.after)},
            {"address", m.address},
            {"ca_file", m.ca_file},
            {"tls_verify", m.tls_verify},
            {"auth", to_string(m.auth)},
            {"token_command", m.token_command},
            {"allow_plaintext_auth", m.allow_plaintext_auth}};
  }

  Status add_mailbox(const Mailbox& m) override {
    auto qq = q("INSERT INTO mailboxes (name, settings, created_at) VALUES (?, ?, ?)");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, m.name).bind(2, mailbox_json(m).dump()).bind(3, now_iso8601());
    return (*qq)->run();
  }

  // A setting absent from the JSON takes the model's default (a store written before
  // the setting existed); a present one of the wrong type or with text no parse knows
  // is an error naming the mailbox, never a default.
  static Result<Mailbox> mailbox_from_json(std::string name, std::string_view settings) {
    Mailbox m;
    m.name = std::move(name);
    auto j = nlohmann::json::parse(settings, nullptr, false);
    if (!j.is_object())
      return fail(ErrorCode::kInternal, "mailbox " + m.name + ": its settings are not a JSON object");
    std::string problem;  // the first setting found wrong; empty: none
    auto plain = [&](const char* what, auto& field) {
      if (!problem.empty() || !j.contains(what)) return;
      try {
        field = j.at(what).template get<std::decay_t<decltype(field)>>();
      } catch (const nlohmann::json::exception&) {
        problem = std::string(what) + " has the wrong type";
      }
    };
    auto typed = [&](const char* what, auto& field, auto parse) {
      if (!problem.empty() || !j.contains(what)) return;
      const auto& v = j.at(what);
      if (!v.is_string()) {
        problem = std::string(what) + " is not text";
        return;
      }
      const auto& text = v.template get_ref<const std::string&>();
      auto parsed = parse(text);
      if (!parsed) {
        problem = "unknown " + std::string(what) + " '" + text + "'";
        return;
      }
      field = *parsed;
    };
    typed("protocol", m.protocol, domain::protocol_from);
    typed("tls", m.tls, domain::tls_mode_from);
    typed("after", m.after, domain::after_fetch_from);
    typed("auth", m.auth, domain::auth_method_from);
    plain("host", m.host);
    plain("port", m.port);
    plain("user", m.user);
    plain("password_file", m.password_file);
    plain("folder", m.folder);
    plain("poll_interval_s", m.poll_interval_s);
    plain("idle", m.idle);
    plain("address", m.address);
    plain("ca_file", m.ca_file);
    plain("tls_verify", m.tls_verify);
    plain("token_command", m.token_command);
    plain("allow_plaintext_auth", m.allow_plaintext_auth);
    if (!problem.empty()) return fail(ErrorCode::kInternal, "mailbox " + m.name + ": " + problem);
    return m;
  }

  Result<std::vector<Mailbox>> list_mailboxes() override {
    auto qq = q("SELECT name, settings FROM mailboxes ORDER BY name");
    if (!qq) return tl::unexpected(qq.error());
    std::vector<Mailbox> out;
    while (true) {
      auto row = (*qq)->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      auto m = mailbox_from_json((*qq)->text(0), (*qq)->text(1));
      if (!m) return tl::unexpected(m.error());
      out.push_back(std::move(*m));
    }
    return out;
  }

  Status remove_mailbox(std::string_view name) override {
    auto qq = q("DELETE FROM mailboxes WHERE name = ?");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, name);
    if (auto s = (*qq)->run(); !s) return s;
    if (sqlite3_changes(db_) == 0) return fail(ErrorCode::kNotFound, "no mailbox " + std::string(name));
    for (const char* sql :
         {"DELETE FROM mailbox_state WHERE name = ?", "DELETE FROM pop3_seen WHERE mailbox = ?"}) {
      auto d = q(sql);
      if (!d) return tl::unexpected(d.error());
      (*d)->bind(1, name);
      if (auto s = (*d)->run(); !s) return s;
    }
    return {};
  }

  Result<MailboxState> mailbox_state(std::string_view name) override {
    auto qq =
        q("SELECT status, last_success, last_error, backlog, uidvalidity, last_uid FROM mailbox_state WHERE "
          "name = ?");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, name);
    MailboxState s;
    s.name = std::string(name);
    auto row = (*qq)->step();
    if (!row) return tl::unexpected(row.error());
    if (*row) {
      s.status = (*qq)->text(0);
      s.last_success = (*qq)->text(1);
      s.last_error = (*qq)->text(2);
      s.backlog = (*qq)->integer(3);
      s.uidvalidity = (*qq)->integer(4);
      s.last_uid = (*qq)->integer(5);
    }

    return s;
  }

  Status put_mailbox_state(const MailboxState& s) override {
    auto qq = q(
        "INSERT INTO mailbox_state (name, status, last_success, last_error, backlog, uidvalidity, last_uid) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET status = excluded.status, last_success "
        "= "
        "excluded.last_success, last_error = excluded.last_error, backlog = excluded.backlog, uidvalidity = "
        "excluded.uidvalidity, last_uid = excluded.last_uid");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, s.name).bind(2, s.status).bind(3, s.last_success).bind(4, s.last_error);
    (*qq)->bind(5, s.backlog).bind(6, s.uidvalidity).bind(7, s.last_uid);
    return (*qq)->run();
  }

  Result<bool> pop3_seen(std::string_view mailbox, std::string_view uidl) override {
    auto qq = q("SELECT 1 FROM pop3_seen WHERE mailbox = ? AND uidl = ?");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, mailbox).bind(2, uidl);
    auto row = (*qq)->step();
    if (!row) return tl::unexpected(row.error());
    bool seen = *row;

    return seen;
  }

  Status add_pop3_seen(std::string_view mailbox, std::string_view uidl) override {
    auto qq = q("INSERT OR IGNORE INTO pop3_seen (mailbox, uidl) VALUES (?, ?)");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, mailbox).bind(2, uidl);
    return (*qq)->run();
  }

  static constexpr const char* kOutboxColumns =
      "id, case_id, kind, to_addr, message_id, raw, automatic, state, attempts, next_attempt_at, last_error, "
      "created_at, sent_at";

  static Result<OutboxMail> outbox_row(const Query& r) {
    OutboxMail m;
    m.id = r.integer(0);
    m.case_id = r.optional_id(1);
    m.kind = r.text(2);
    m.to = r.text(3);
    m.message_id = r.text(4);
    m.raw = r.text(5);
    m.automatic = r.integer(6) != 0;
    auto state = known_state(outbox_state_from(r.text(7)), "outbox state", r.text(7), m.id);
    if (!state) return tl::unexpected(state.error());
    m.state = *state;
    m.attempts = static_cast<int>(r.integer(8));
    m.next_attempt_at = r.integer(9);
    m.last_error = r.text(10);
    m.created_at = r.text(11);
    m.sent_at = r.text(12);
    return m;
  }

  Result<std::vector<OutboxMail>> outbox_rows(Query& qq) {
    std::vector<OutboxMail> out;
    while (true) {
      auto row = qq.step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      auto m = outbox_row(qq);
      if (!m) return tl::unexpected(m.error());
      out.push_back(std::move(*m));
    }
    return out;
  }

  Result<Id> add_outbox(const OutboxMail& m) override {
    auto qq =
        q("INSERT INTO outbox (case_id, kind, to_addr, message_id, raw, automatic, state, attempts, "
          "next_attempt_at, "
          "created_at, to_key) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, m.case_id).bind(2, m.kind).bind(3, m.to).bind(4, m.message_id).bind(5, m.raw);
    (*qq)
        ->bind(6, int64_t{m.automatic ? 1 : 0})
        .bind(7, to_string(m.state))
        .bind(8, m.next_attempt_at)
        .bind(9, now_iso8601())
        .bind(10, text::mailbox_key(m.to));
    if (auto r = (*qq)->run(); !r) return tl::unexpected(r.error());
    return static_cast<Id>(sqlite3_last_insert_rowid(db_));
  }

  Result<std::vector<OutboxMail>> due_outbox(int64_t now, int limit) override {
    static const std::string sql =
        std::string("SELECT ") + kOutboxColumns +
        " FROM outbox WHERE state = 'queued' AND next_attempt_at <= ? ORDER BY id LIMIT ?";
    auto qq = q(sql.c_str());
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, now).bind(2, int64_t{limit});
    return outbox_rows(**qq);
  }

  Result<std::vector<OutboxMail>> list_outbox(std::optional<Id> case_id, int limit) override {
    static const std::string all =
        std::string("SELECT ") + kOutboxColumns + " FROM outbox ORDER BY id DESC LIMIT ?";
    static const std::string one =
        std::string("SELECT ") + kOutboxColumns + " FROM outbox WHERE case_id = ? ORDER BY id DESC LIMIT ?";
    auto qq = q(case_id ? one.c_str() : all.c_str());
    if (!qq) return tl::unexpected(qq.error());
    if (case_id)
      (*qq)->bind(1, case_id).bind(2, int64_t{limit});
    else
      (*qq)->bind(1, int64_t{limit});
    return outbox_rows(**qq);
  }

  Result<std::optional<OutboxMail>> find_outbox_by_message_id(std::string_view message_id) override {
    static const std::string sql =
        std::string("SELECT ") + kOutboxColumns + " FROM outbox WHERE message_id = ?";
    auto qq = q(sql.c_str());
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, message_id);
    auto rows = outbox_rows(**qq);
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) return std::optional<OutboxMail>();
    return std::optional<OutboxMail>(std::move(rows->front()));
  }

  Status update_outbox(const OutboxMail& m) override {
    auto qq =
        q("UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?, sent_at = ? WHERE "
          "id = ?");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)
        ->bind(1, to_string(m.state))
        .bind(2, int64_t{m.attempts})
        .bind(3, m.next_attempt_at)
        .bind(4, m.last_error);
    (*qq)->bind(5, m.sent_at).bind(6, m.id);
    if (auto s = (*qq)->run(); !s) return s;
    if (sqlite3_changes(db_) == 0)
      return fail(ErrorCode::kNotFound, "no outbox mail " + std::to_string(m.id));
    return {};
  }

  Result<int> count_automatic_since(std::string_view to, std::string_view since) override {
    // Uses outbox_auto_to_key (the partial index needs "automatic = 1" written out).
    auto qq = q("SELECT count(*) FROM outbox WHERE to_key = ? AND automatic = 1 AND created_at >= ?");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, text::mailbox_key(to)).bind(2, since);
    auto row = (*qq)->step();
    if (!row) return tl::unexpected(row.error());
    return static_cast<int>(*row ? (*qq)->integer(0) : 0);
  }

  Result<int> count_all_automatic_since(std::string_view since) override {
    // Uses outbox_auto_created.
    auto qq = q("SELECT count(*) FROM outbox WHERE automatic = 1 AND created_at >= ?");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, since);
    auto row = (*qq)->step();
    if (!row) return tl::unexpected(row.error());
    return static_cast<int>(*row ? (*qq)->integer(0) : 0);
  }

  Status mark_contact_unverified(Id contact_id) override {
    auto qq = q("INSERT OR IGNORE INTO contacts_unverified (contact_id) VALUES (?)");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, contact_id);
    return (*qq)->run();
  }

  Result<bool> contact_unverified(Id contact_id) override {
    auto qq = q("SELECT 1 FROM contacts_unverified WHERE contact_id = ?");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, contact_id);
    auto row = (*qq)->step();
    if (!row) return tl::unexpected(row.error());
    return *row;
  }

  Status put_survey(const Survey& sv) override {
    auto qq = q("INSERT OR REPLACE INTO surveys (case_id, rating, comment, created_at) VALUES (?, ?, ?, ?)");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, sv.case_id).bind(2, int64_t{sv.rating}).bind(3, sv.comment).bind(4, now_iso8601());
    return (*qq)->run();
  }

  Result<std::optional<Survey>> get_survey(Id case_id) override {
    auto qq = q("SELECT case_id, rating, comment, created_at FROM surveys WHERE case_id = ?");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, case_id);
    auto row = (*qq)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return std::optional<Survey>();
    Survey sv;
    sv.case_id = (*qq)->integer(0);
    sv.rating = static_cast<int>((*qq)->integer(1));
    sv.comment = (*qq)->text(2);
    sv.created_at = (*qq)->text(3);
    return std::optional<Survey>(sv);
  }

  // --- events -----------------------------------------------------------------------

  Status add_event(const Event& e) override {
    auto details = nlohmann::json::object();
    for (const auto& [k, v] : e.details) details[k] = v;
    auto qq =
        q("INSERT INTO events (case_id, at, actor_kind, actor, action, details) VALUES (?, ?, ?, ?, ?, ?)");
    if (!qq) return tl::unexpected(qq.error());
    // Details may quote mail text: invalid UTF-8 is replaced rather than refused.
    (*qq)
        ->bind(1, e.case_id)
        .bind(2, e.at.empty() ? now_iso8601() : e.at)
        .bind(3, to_string(e.actor_kind))
        .bind(4, e.actor)
        .bind(5, to_string(e.action))
        .bind(6, details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return (*qq)->run();
  }

  Result<std::vector<Event>> events_of(Id case_id) override {
    auto qq =
        q("SELECT id, case_id, at, actor_kind, actor, action, details FROM events WHERE case_id = ? ORDER BY "
          "id");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, case_id);
    std::vector<Event> out;
    while (true) {
      auto row = (*qq)->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      Event e;
      e.id = (*qq)->integer(0);
      e.case_id = (*qq)->optional_id(1);
      e.at = (*qq)->text(2);
      const std::string where = "event " + std::to_string(e.id) + ": ";
      const std::string kind = (*qq)->text(3);
      auto k = actor_kind_from(kind);
      if (!k) return fail(ErrorCode::kInternal, where + "unknown actor kind '" + kind + "'");
      e.actor_kind = *k;
      e.actor = (*qq)->text(4);
      const std::string action = (*qq)->text(5);
      auto a = event_action_from(action);
      if (!a) return fail(ErrorCode::kInternal, where + "unknown action '" + action + "'");
      e.action = *a;
      auto details = nlohmann::json::parse((*qq)->text(6), nullptr, false);
      if (details.is_discarded() || !details.is_object())
        return fail(ErrorCode::kInternal, where + "details are not a JSON object");
      for (const auto& [k2, v] : details.items()) {
        if (!v.is_string()) return fail(ErrorCode::kInternal, where + "detail '" + k2 + "' is not text");
        e.details[k2] = v.get<std::string>();
      }
      out.push_back(std::move(e));
    }
    return out;
  }

  // --- participants -----------------------------------------------------------------

  Status add_participant(Id case_id, std::string_view email, std::string_view source) override {
    auto qq = q("INSERT OR IGNORE INTO case_participants (case_id, email, source, added_at) VALUES (?, ?, ?, ?)");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, case_id).bind(2, text::normalize_email(email)).bind(3, source).bind(4, now_iso8601());
    return (*qq)->run();
  }

  Result<std::vector<Participant>> participants_of(Id case_id) override {
    auto qq = q("SELECT case_id, email, source, added_at FROM case_participants WHERE case_id = ? ORDER BY rowid");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, case_id);
    std::vector<Participant> out;
    while (true) {
      auto row = (*qq)->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      Participant p;
      p.case_id = (*qq)->integer(0);
      p.email = (*qq)->text(1);
      p.source = (*qq)->text(2);
      p.added_at = (*qq)->text(3);
      out.push_back(std::move(p));
    }
    return out;
  }

  Result<bool> is_participant(Id case_id, std::string_view email) override {
    auto qq = q(kSqliteIsParticipantSql);
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, case_id).bind(2, text::normalize_email(email));
    auto row = (*qq)->step();
    if (!row) return tl::unexpected(row.error());
    return *row;
  }

  // --- agents ---------------------------------------------------------------------------

  Result<Id> add_agent(const Agent& a) override {
    auto qq = q("INSERT INTO agents (name, email, role, active, created_at) VALUES (?, ?, ?, ?, ?)");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, a.name).bind(2, text::normalize_email(a.email)).bind(3, to_string(a.role));
    (*qq)->bind(4, int64_t{a.active ? 1 : 0}).bind(5, a.created_at.empty() ? now_iso8601() : a.created_at);
    if (auto s = (*qq)->run(); !s) {
      if (s.error().code == ErrorCode::kConflict)
        return fail(ErrorCode::kConflict,
                    "an agent with email " + text::normalize_email(a.email) + " exists already");
      return tl::unexpected(s.error());
    }
    return sqlite3_last_insert_rowid(db_);
  }

  // An unknown role in a row is an error, never read as some default role.
  static Result<Agent> agent_row(const Query& r) {
    Agent a;
    a.id = r.integer(0);
    a.name = r.text(1);
    a.email = r.text(2);
    auto role = parse_agent_role(r.text(3));
    if (!role)
      return fail(ErrorCode::kInternal, "database: agent " + a.email + " has " + role.error().message);
    a.role = *role;
    a.active = r.integer(4) != 0;
    a.created_at = r.text(5);
    return a;
  }

  Result<std::optional<Agent>> find_agent_by_email(std::string_view email) override {
    auto qq = q("SELECT id, name, email, role, active, created_at FROM agents WHERE email = ?");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, text::normalize_email(email));
    auto row = (*qq)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return std::optional<Agent>();
    auto a = agent_row(**qq);
    if (!a) return tl::unexpected(a.error());
    return std::optional<Agent>(std::move(*a));
  }

  Result<std::vector<Agent>> list_agents() override {
    auto qq = q("SELECT id, name, email, role, active, created_at FROM agents ORDER BY email");
    if (!qq) return tl::unexpected(qq.error());
    std::vector<Agent> out;
    while (true) {
      auto row = (*qq)->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      auto a = agent_row(**qq);
      if (!a) return tl::unexpected(a.error());
      out.push_back(std::move(*a));
    }
    return out;
  }

  Status set_agent_active(std::string_view email, bool active) override {
    auto qq = q("UPDATE agents SET active = ? WHERE email = ?");
    if (!qq) return tl::unexpected(qq.error());
    (*qq)->bind(1, int64_t{active ? 1 : 0}).bind(2, text::normalize_email(email));
    if (auto s = (*qq)->run(); !s) return s;
    if (sqlite3_changes(db_) == 0) return fail(ErrorCode::kNotFound, "no agent " + std::string(email));
    return {};
  }

 private:
  // Steps of a migration that SQL alone cannot do; run inside its transaction, after its SQL.
  Status after_migration(int version) {
    if (version == 9) return migrate_free_text_owners();
    return {};
  }

  // Migration 9: each case's free-text owner becomes an agent's email, or an internal note
  // on the case with the owner emptied (plan_owner_migration decides which).
  Status migrate_free_text_owners() {
    std::vector<std::pair<Id, std::string>> owned;
    {
      auto qq = q("SELECT id, owner FROM cases WHERE owner <> '' ORDER BY id");
      if (!qq) return tl::unexpected(qq.error());
      while (true) {
        auto row = (*qq)->step();
        if (!row) return tl::unexpected(row.error());
        if (!*row) break;
        owned.emplace_back((*qq)->integer(0), (*qq)->text(1));
      }
    }
    const std::string now = now_iso8601();
    for (const auto& [case_id, owner] : owned) {
      auto plan = plan_owner_migration(owner);
      std::string new_owner;
      if (plan.agent) {
        // The first case of an address makes its agent; the later ones join it.
        auto ins =
            q("INSERT OR IGNORE INTO agents (name, email, role, active, created_at) VALUES (?, ?, ?, 1, ?)");
        if (!ins) return tl::unexpected(ins.error());
        (*ins)
            ->bind(1, plan.agent->name)
            .bind(2, plan.agent->email)
            .bind(3, to_string(plan.agent->role))
            .bind(4, now);
        if (auto s = (*ins)->run(); !s) return s;
        new_owner = plan.agent->email;
      } else {
        Comment note;
        note.case_id = case_id;
        note.direction = Direction::kNote;
        note.author = "mailcase";
        note.body = plan.note;
        note.visibility = Visibility::kInternal;
        note.created_at = now;
        if (auto id = add_comment(note); !id) return tl::unexpected(id.error());
      }
      auto up = q("UPDATE cases SET owner = ? WHERE id = ?");
      if (!up) return tl::unexpected(up.error());
      (*up)->bind(1, new_owner).bind(2, case_id);
      if (auto s = (*up)->run(); !s) return s;
    }
    return {};
  }

  sqlite3* db_;
  std::map<const char*, std::unique_ptr<sqlite3_stmt, StmtDeleter>> cache_;
};

}  // namespace

// The primary key (case_id, email) answers it; its NOCASE collation matches the column's.
const char* const kSqliteIsParticipantSql = "SELECT 1 FROM case_participants WHERE case_id = ? AND email = ?";

std::vector<std::string> sqlite_prepared_sql(Store& store) {
  auto* s = dynamic_cast<SqliteStore*>(&store);
  return s ? s->prepared_sql() : std::vector<std::string>();
}

Result<std::unique_ptr<Store>> open_sqlite(const std::filesystem::path& file, const SqliteOptions& options) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open database " + file.string() + ": " + sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return fail(ErrorCode::kTemporary, msg);
  }
  auto store = std::make_unique<SqliteStore>(db);
  sqlite3_busy_timeout(db, 10000);
  std::string pragmas = "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=";
  pragmas += options.synchronous_full ? "FULL;" : "NORMAL;";
  if (auto s = store->exec(pragmas.c_str()); !s) return tl::unexpected(s.error());
  if (auto s = store->migrate(options.max_schema_version); !s) return tl::unexpected(s.error());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace mailcase::store

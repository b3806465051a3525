// SQLite repository of the outbox.
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <memory>

#include "store/sqlite/connection.h"
#include "store/sqlite/repositories.h"
#include "util/text.h"

namespace mailcase::store {
const char* const kSqliteOutboxCountByStateSql = "SELECT count(*) FROM outbox WHERE state = ?";
const char* const kSqliteOutboxQueuedClaimsSql =
    "SELECT id, claimed_by FROM outbox WHERE state = 'queued' AND next_attempt_at > ?";
}  // namespace mailcase::store

namespace mailcase::store::sqlite {
namespace {

class Outbox final : public OutboxRepository, SqliteRepository {
 public:
  explicit Outbox(Connection& c) : SqliteRepository(c) {}

  static constexpr const char* kOutboxColumns =
      "id, case_id, kind, to_addr, message_id, raw, automatic, state, attempts, next_attempt_at, last_error, "
      "created_at, sent_at, claimed_by";

  static Result<OutboxMail> outbox_row(const Query& r) {
    OutboxMail m;
    m.id = r.integer(0);
    m.case_id = r.optional_id(1);
    m.kind = r.text(2);
    m.to = r.text(3);
    m.message_id = r.text(4);
    m.raw = r.text(5);
    m.automatic = r.integer(6) != 0;
    MC_ASSIGN_OR_RETURN(m.state, known_state(outbox_state_from(r.text(7)), "outbox state", r.text(7), m.id));
    m.attempts = static_cast<int>(r.integer(8));
    m.next_attempt_at = r.integer(9);
    m.last_error = r.text(10);
    m.created_at = r.text(11);
    m.sent_at = r.text(12);
    m.claimed_by = r.text(13);
    return m;
  }

  Result<std::vector<OutboxMail>> outbox_rows(Query& qq) {
    std::vector<OutboxMail> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq.step());
      if (!row) break;
      MC_ASSIGN_OR_RETURN(auto m, outbox_row(qq));
      out.push_back(std::move(m));
    }
    return out;
  }

  Result<Id> add_outbox(const OutboxMail& m) override {
    MC_ASSIGN_OR_RETURN(
        auto qq, q("INSERT INTO outbox (case_id, kind, to_addr, message_id, raw, automatic, state, attempts, "
                   "next_attempt_at, "
                   "created_at, to_key) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)"));
    qq->bind(1, m.case_id).bind(2, m.kind).bind(3, m.to).bind(4, m.message_id).bind(5, m.raw);
    qq->bind(6, int64_t{m.automatic ? 1 : 0})
        .bind(7, to_string(m.state))
        .bind(8, m.next_attempt_at)
        .bind(9, m.created_at.empty() ? now_iso8601() : m.created_at)
        .bind(10, text::mailbox_key(m.to));
    MC_RETURN_IF_ERROR(qq->run());
    return static_cast<Id>(sqlite3_last_insert_rowid(db_));
  }

  Result<std::vector<OutboxMail>> claim_due(std::string_view worker, int64_t now, int limit,
                                            int64_t lease_seconds) override {
    // One statement: the UPDATE holds the write lock while its subquery picks the rows,
    // so two workers never take the same row. A case's mails to one address go in the order
    // they were queued: only the earliest still queued of them may be taken (the others wait
    // while it is sent, or waits to be tried again), so that senders working side by side
    // never deliver an answer before the mail it follows (outbox_queued_conversation).
    static const std::string sql =
        std::string(
            "UPDATE outbox SET next_attempt_at = ?, claimed_by = ? WHERE id IN (SELECT o.id FROM outbox o "
            "WHERE o.state = 'queued' AND o.next_attempt_at <= ? AND (o.case_id IS NULL OR NOT EXISTS "
            "(SELECT 1 FROM outbox p WHERE p.case_id = o.case_id AND p.to_addr = o.to_addr AND "
            "p.state = 'queued' AND p.id < o.id)) ORDER BY o.id LIMIT ?) RETURNING ") +
        kOutboxColumns;
    MC_ASSIGN_OR_RETURN(auto qq, q(sql.c_str()));
    qq->bind(1, now + lease_seconds).bind(2, worker).bind(3, now).bind(4, int64_t{limit});
    MC_ASSIGN_OR_RETURN(auto rows, outbox_rows(*qq));
    std::sort(rows.begin(), rows.end(), [](const OutboxMail& a, const OutboxMail& b) { return a.id < b.id; });
    return rows;
  }

  Result<std::vector<std::pair<Id, std::string>>> list_queued_claims(int64_t now) override {
    MC_ASSIGN_OR_RETURN(auto qq, q(kSqliteOutboxQueuedClaimsSql));
    qq->bind(1, now);
    std::vector<std::pair<Id, std::string>> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      out.emplace_back(qq->integer(0), qq->text(1));
    }
    return out;
  }

  Result<bool> release_claim(Id id, std::string_view claimed_by, int64_t now) override {
    MC_ASSIGN_OR_RETURN(auto qq,
                        q("UPDATE outbox SET next_attempt_at = ?1 WHERE id = ?2 AND claimed_by = ?3 AND "
                          "state = 'queued' AND next_attempt_at > ?1"));
    qq->bind(1, now).bind(2, id).bind(3, claimed_by);
    MC_RETURN_IF_ERROR(qq->run());
    return sqlite3_changes(db_) > 0;
  }

  Result<std::vector<OutboxMail>> list_outbox(std::optional<Id> case_id, int limit) override {
    static const std::string all =
        std::string("SELECT ") + kOutboxColumns + " FROM outbox ORDER BY id DESC LIMIT ?";
    static const std::string one =
        std::string("SELECT ") + kOutboxColumns + " FROM outbox WHERE case_id = ? ORDER BY id DESC LIMIT ?";
    MC_ASSIGN_OR_RETURN(auto qq, q(case_id ? one.c_str() : all.c_str()));
    if (case_id)
      qq->bind(1, case_id).bind(2, int64_t{limit});
    else
      qq->bind(1, int64_t{limit});
    return outbox_rows(*qq);
  }

  Result<std::optional<OutboxMail>> find_outbox_by_message_id(std::string_view message_id) override {
    static const std::string sql =
        std::string("SELECT ") + kOutboxColumns + " FROM outbox WHERE message_id = ?";
    MC_ASSIGN_OR_RETURN(auto qq, q(sql.c_str()));
    qq->bind(1, message_id);
    MC_ASSIGN_OR_RETURN(auto rows, outbox_rows(*qq));
    if (rows.empty()) return std::optional<OutboxMail>();
    return std::optional<OutboxMail>(std::move(rows.front()));
  }

  Status update_outbox(const OutboxMail& m) override {
    MC_ASSIGN_OR_RETURN(
        auto qq,
        q("UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?, sent_at = ? WHERE "
          "id = ?"));
    qq->bind(1, to_string(m.state))
        .bind(2, int64_t{m.attempts})
        .bind(3, m.next_attempt_at)
        .bind(4, m.last_error);
    qq->bind(5, m.sent_at).bind(6, m.id);
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0)
      return fail(ErrorCode::kNotFound, "no outbox mail " + std::to_string(m.id));
    return {};
  }

  Result<int> count_automatic_since(std::string_view to, std::string_view since) override {
    // Uses outbox_auto_to_key (the partial index needs "automatic = 1" written out).
    MC_ASSIGN_OR_RETURN(
        auto qq, q("SELECT count(*) FROM outbox WHERE to_key = ? AND automatic = 1 AND created_at >= ?"));
    qq->bind(1, text::mailbox_key(to)).bind(2, since);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    return static_cast<int>(row ? qq->integer(0) : 0);
  }

  Result<int> count_all_automatic_since(std::string_view since) override {
    // Uses outbox_auto_created.
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT count(*) FROM outbox WHERE automatic = 1 AND created_at >= ?"));
    qq->bind(1, since);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    return static_cast<int>(row ? qq->integer(0) : 0);
  }

  Result<int64_t> count_by_state(OutboxState state) override {
    // Uses outbox_due (state, next_attempt_at) as a covering index.
    MC_ASSIGN_OR_RETURN(auto qq, q(kSqliteOutboxCountByStateSql));
    qq->bind(1, to_string(state));
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    return row ? qq->integer(0) : int64_t{0};
  }

  // kOutboxColumns with the bytes left out: a page of 200 mails must not read megabytes.
  static constexpr const char* kOutboxListColumns =
      "id, case_id, kind, to_addr, message_id, '', automatic, state, attempts, next_attempt_at, last_error, "
      "created_at, sent_at, claimed_by";

  Result<Page<OutboxMail>> page_outbox(std::optional<OutboxState> state, const PageRequest& r) override {
    MC_RETURN_IF_ERROR(check_page_limit(r.limit));
    const std::string list = std::string("outbox:") + (state ? to_string(*state) : "");
    int64_t before = INT64_MAX;
    if (r.cursor) {
      MC_ASSIGN_OR_RETURN(before, decode_id_cursor(list, *r.cursor));
    }
    // Newest first; a state's page is one range of outbox_state (state, id).
    static const std::string all =
        std::string("SELECT ") + kOutboxListColumns + " FROM outbox WHERE id < ? ORDER BY id DESC LIMIT ?";
    static const std::string by_state =
        std::string("SELECT ") + kOutboxListColumns +
        " FROM outbox INDEXED BY outbox_state WHERE state = ? AND id < ? ORDER BY id DESC LIMIT ?";
    std::vector<OutboxMail> rows;
    {
      MC_ASSIGN_OR_RETURN(auto qq, q(state ? by_state.c_str() : all.c_str()));
      int i = 1;
      if (state) qq->bind(i++, to_string(*state));
      qq->bind(i, before);
      qq->bind(i + 1, int64_t{r.limit} + 1);
      MC_ASSIGN_OR_RETURN(rows, outbox_rows(*qq));
    }
    auto page =
        finish_page(std::move(rows), r.limit, list, [](const OutboxMail& m) { return std::to_string(m.id); });
    if (r.count) {
      MC_ASSIGN_OR_RETURN(auto qq,
                          q(state ? "SELECT count(*) FROM outbox INDEXED BY outbox_state WHERE state = ?"
                                  : "SELECT count(*) FROM outbox"));
      if (state) qq->bind(1, to_string(*state));
      MC_ASSIGN_OR_RETURN(page.total, count_of(*qq));
    }
    return page;
  }

  Result<std::optional<OutboxMail>> get_outbox(Id id) override {
    static const std::string sql = std::string("SELECT ") + kOutboxColumns + " FROM outbox WHERE id = ?";
    MC_ASSIGN_OR_RETURN(auto qq, q(sql.c_str()));
    qq->bind(1, id);
    MC_ASSIGN_OR_RETURN(auto rows, outbox_rows(*qq));
    if (rows.empty()) return std::optional<OutboxMail>();
    return std::optional<OutboxMail>(std::move(rows.front()));
  }
};

}  // namespace

std::unique_ptr<OutboxRepository> make_outbox(Connection& c) {
  return std::make_unique<Outbox>(c);
}

}  // namespace mailcase::store::sqlite

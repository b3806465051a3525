// SQLite repository of the API by mail's senders and used proofs.
#include <sqlite3.h>

#include <memory>

#include "store/sqlite/connection.h"
#include "store/sqlite/repositories.h"
#include "util/text.h"

namespace mailcase::store::sqlite {
namespace {

// The columns id, email, secret_file, dkim, created_at, in that order.
ApiSender sender_of(Query& row) {
  ApiSender s;
  s.id = row.integer(0);
  s.email = row.text(1);
  s.secret_file = row.text(2);
  s.dkim = row.integer(3) != 0;
  s.created_at = row.text(4);
  return s;
}

class ApiSenders final : public ApiSenderRepository, SqliteRepository {
 public:
  explicit ApiSenders(Connection& c) : SqliteRepository(c) {}

  Result<Id> add_api_sender(const ApiSender& s) override {
    MC_ASSIGN_OR_RETURN(
        auto qq, q("INSERT INTO api_senders (email, secret_file, dkim, created_at) VALUES (?, ?, ?, ?)"));
    qq->bind(1, text::normalize_email(s.email)).bind(2, s.secret_file).bind(3, int64_t{s.dkim ? 1 : 0});
    qq->bind(4, s.created_at.empty() ? now_iso8601() : s.created_at);
    MC_RETURN_IF_ERROR(qq->run());
    return sqlite3_last_insert_rowid(db_);
  }

  Result<std::vector<ApiSender>> list_api_senders() override {
    MC_ASSIGN_OR_RETURN(auto qq,
                        q("SELECT id, email, secret_file, dkim, created_at FROM api_senders ORDER BY email"));
    std::vector<ApiSender> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      out.push_back(sender_of(*qq));
    }
    return out;
  }

  Result<std::optional<ApiSender>> find_api_sender(std::string_view email) override {
    MC_ASSIGN_OR_RETURN(
        auto qq, q("SELECT id, email, secret_file, dkim, created_at FROM api_senders WHERE email = ?"));
    qq->bind(1, text::normalize_email(email));
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return std::optional<ApiSender>();
    return std::optional<ApiSender>(sender_of(*qq));
  }

  Status remove_api_sender(std::string_view email) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("DELETE FROM api_senders WHERE email = ?"));
    qq->bind(1, text::normalize_email(email));
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0)
      return fail(ErrorCode::kNotFound, "no api sender " + text::normalize_email(email));
    return {};
  }

  Result<bool> claim_api_proof(std::string_view key, int64_t at) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("INSERT OR IGNORE INTO api_proofs_seen (key, seen_at) VALUES (?, ?)"));
    qq->bind(1, key).bind(2, at);
    MC_RETURN_IF_ERROR(qq->run());
    return sqlite3_changes(db_) > 0;
  }

  Result<int> purge_api_proofs(int64_t before) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("DELETE FROM api_proofs_seen WHERE seen_at < ?"));
    qq->bind(1, before);
    MC_RETURN_IF_ERROR(qq->run());
    return sqlite3_changes(db_);
  }
};

}  // namespace

std::unique_ptr<ApiSenderRepository> make_api_senders(Connection& c) {
  return std::make_unique<ApiSenders>(c);
}

}  // namespace mailcase::store::sqlite

// SQLite repository of the REST API's idempotency keys.
#include <sqlite3.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "store/sqlite/connection.h"
#include "store/sqlite/repositories.h"

namespace mailcase::store::sqlite {
namespace {

class Idempotency final : public IdempotencyRepository, SqliteRepository {
 public:
  explicit Idempotency(Connection& c) : SqliteRepository(c) {}

  Status claim_key(const IdempotencyRecord& r) override {
    MC_ASSIGN_OR_RETURN(auto qq,
                        q("INSERT INTO idempotency_keys (token_id, key, request_digest, in_progress, "
                          "created_at) VALUES (?, ?, ?, 1, ?)"));
    qq->bind(1, r.token_id).bind(2, r.key).bind(3, r.request_digest).bind(4, r.created_at);
    return qq->run();
  }

  Result<std::optional<IdempotencyRecord>> find_key(Id token_id, std::string_view key) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT request_digest, in_progress, status, headers, body, created_at "
                                   "FROM idempotency_keys WHERE token_id = ? AND key = ?"));
    qq->bind(1, token_id).bind(2, key);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return std::optional<IdempotencyRecord>();
    IdempotencyRecord r;
    r.token_id = token_id;
    r.key = std::string(key);
    r.request_digest = qq->text(0);
    r.in_progress = qq->integer(1) != 0;
    r.answer.status = static_cast<int>(qq->integer(2));
    auto headers = nlohmann::json::parse(qq->text(3), nullptr, false);
    if (!headers.is_array())
      return fail(ErrorCode::kInternal, "idempotency key " + r.key + ": unreadable headers");
    for (const auto& h : headers) {
      if (!h.is_array() || h.size() != 2 || !h[0].is_string() || !h[1].is_string())
        return fail(ErrorCode::kInternal, "idempotency key " + r.key + ": unreadable headers");
      r.answer.headers.emplace_back(h[0].get<std::string>(), h[1].get<std::string>());
    }
    r.answer.body = qq->text(4);
    r.created_at = qq->integer(5);
    return std::optional<IdempotencyRecord>(std::move(r));
  }

  Status answer_key(Id token_id, std::string_view key, const IdempotentAnswer& a) override {
    auto headers = nlohmann::json::array();
    for (const auto& [name, value] : a.headers) headers.push_back({name, value});
    MC_ASSIGN_OR_RETURN(auto qq,
                        q("UPDATE idempotency_keys SET in_progress = 0, status = ?, headers = ?, body = ? "
                          "WHERE token_id = ? AND key = ?"));
    qq->bind(1, int64_t{a.status})
        .bind(2, headers.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
        .bind(3, a.body)
        .bind(4, token_id)
        .bind(5, key);
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0)
      return fail(ErrorCode::kNotFound, "no idempotency key " + std::string(key));
    return {};
  }

  Status release_key(Id token_id, std::string_view key) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("DELETE FROM idempotency_keys WHERE token_id = ? AND key = ?"));
    qq->bind(1, token_id).bind(2, key);
    return qq->run();
  }

  Result<int> purge_keys(int64_t before) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("DELETE FROM idempotency_keys WHERE created_at < ?"));
    qq->bind(1, before);
    MC_RETURN_IF_ERROR(qq->run());
    return sqlite3_changes(db_);
  }
};

}  // namespace

std::unique_ptr<IdempotencyRepository> make_idempotency(Connection& c) {
  return std::make_unique<Idempotency>(c);
}

}  // namespace mailcase::store::sqlite

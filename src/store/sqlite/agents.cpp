// SQLite repository of agents.
#include <sqlite3.h>

#include <memory>

#include "store/sqlite/connection.h"
#include "store/sqlite/repositories.h"
#include "util/text.h"

namespace mailcase::store::sqlite {
namespace {

class Agents final : public AgentRepository, SqliteRepository {
 public:
  explicit Agents(Connection& c) : SqliteRepository(c) {}

  Result<Id> add_agent(const Agent& a) override {
    MC_ASSIGN_OR_RETURN(
        auto qq, q("INSERT INTO agents (name, email, role, active, created_at) VALUES (?, ?, ?, ?, ?)"));
    qq->bind(1, a.name).bind(2, text::normalize_email(a.email)).bind(3, to_string(a.role));
    qq->bind(4, int64_t{a.active ? 1 : 0}).bind(5, a.created_at.empty() ? now_iso8601() : a.created_at);
    if (auto s = qq->run(); !s) {
      if (s.error().code == ErrorCode::kConflict)
        return fail(ErrorCode::kConflict,
                    "an agent with email " + text::normalize_email(a.email) + " exists already");
      return tl::unexpected(s.error());
    }
    return sqlite3_last_insert_rowid(db_);
  }

  // An unknown role in a row is an error, never read as some default role.
  // Columns: id, name, email, role, active, created_at, notify_new_case, notify_reply,
  // notify_assigned.
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
    a.notify_new_case = r.integer(6) != 0;
    a.notify_reply = r.integer(7) != 0;
    a.notify_assigned = r.integer(8) != 0;
    return a;
  }

  Result<std::optional<Agent>> find_agent_by_email(std::string_view email) override {
    MC_ASSIGN_OR_RETURN(auto qq,
                        q("SELECT id, name, email, role, active, created_at, notify_new_case, notify_reply, "
                          "notify_assigned FROM agents WHERE email = ?"));
    qq->bind(1, text::normalize_email(email));
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return std::optional<Agent>();
    MC_ASSIGN_OR_RETURN(auto a, agent_row(*qq));
    return std::optional<Agent>(std::move(a));
  }

  Result<std::vector<Agent>> list_agents() override {
    MC_ASSIGN_OR_RETURN(auto qq,
                        q("SELECT id, name, email, role, active, created_at, notify_new_case, notify_reply, "
                          "notify_assigned FROM agents ORDER BY email"));
    std::vector<Agent> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      MC_ASSIGN_OR_RETURN(auto a, agent_row(*qq));
      out.push_back(std::move(a));
    }
    return out;
  }

  Status set_agent_active(std::string_view email, bool active) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE agents SET active = ? WHERE email = ?"));
    qq->bind(1, int64_t{active ? 1 : 0}).bind(2, text::normalize_email(email));
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0) return fail(ErrorCode::kNotFound, "no agent " + std::string(email));
    return {};
  }

  Status set_agent_password(std::string_view email, std::string_view hash) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE agents SET password_hash = ? WHERE email = ?"));
    if (hash.empty())
      qq->bind_null(1);
    else
      qq->bind(1, hash);
    qq->bind(2, text::normalize_email(email));
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0) return fail(ErrorCode::kNotFound, "no agent " + std::string(email));
    return {};
  }

  Result<std::optional<std::string>> agent_password_hash(std::string_view email) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT password_hash FROM agents WHERE email = ?"));
    qq->bind(1, text::normalize_email(email));
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return fail(ErrorCode::kNotFound, "no agent " + std::string(email));
    if (qq->is_null(0)) return std::optional<std::string>();
    return std::optional<std::string>(qq->text(0));
  }

  Result<Id> add_api_token(const ApiToken& t) override {
    MC_ASSIGN_OR_RETURN(
        auto qq, q("INSERT INTO api_tokens (agent_id, label, digest, created_at) VALUES (?, ?, ?, ?)"));
    qq->bind(1, t.agent_id).bind(2, t.label).bind(3, t.digest);
    qq->bind(4, t.created_at.empty() ? now_iso8601() : t.created_at);
    if (auto s = qq->run(); !s) {
      if (s.error().code == ErrorCode::kNotFound)
        return fail(ErrorCode::kNotFound, "no agent with id " + std::to_string(t.agent_id));
      if (s.error().code == ErrorCode::kConflict)
        return fail(ErrorCode::kConflict, "that token exists already");
      return tl::unexpected(s.error());
    }
    return sqlite3_last_insert_rowid(db_);
  }

  // Columns: id, agent_id, agent email, label, digest, created_at, last_used_at, revoked_at.
  static ApiToken token_row(const Query& r) {
    ApiToken t;
    t.id = r.integer(0);
    t.agent_id = r.integer(1);
    t.agent_email = r.text(2);
    t.label = r.text(3);
    t.digest = r.text(4);
    t.created_at = r.text(5);
    if (!r.is_null(6)) t.last_used_at = r.text(6);
    if (!r.is_null(7)) t.revoked_at = r.text(7);
    return t;
  }

  Result<std::optional<ApiToken>> find_api_token(std::string_view digest) override {
    MC_ASSIGN_OR_RETURN(auto qq, q(kSqliteFindApiTokenSql));
    qq->bind(1, digest);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return std::optional<ApiToken>();
    return std::optional<ApiToken>(token_row(*qq));
  }

  Result<std::vector<ApiToken>> list_api_tokens() override {
    MC_ASSIGN_OR_RETURN(auto qq,
                        q("SELECT t.id, t.agent_id, a.email, t.label, '', t.created_at, t.last_used_at, "
                          "t.revoked_at FROM api_tokens t JOIN agents a ON a.id = t.agent_id "
                          "ORDER BY t.id"));
    std::vector<ApiToken> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      out.push_back(token_row(*qq));
    }
    return out;
  }

  Status revoke_api_token(Id id) override {
    MC_ASSIGN_OR_RETURN(auto qq,
                        q("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?"));
    qq->bind(1, now_iso8601()).bind(2, id);
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0) return fail(ErrorCode::kNotFound, "no token " + std::to_string(id));
    return {};
  }

  Status touch_api_token(Id id, std::string_view at) override {
    {
      MC_ASSIGN_OR_RETURN(
          auto qq, q("UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR "
                     "last_used_at < ?)"));
      qq->bind(1, at).bind(2, id).bind(3, at);
      MC_RETURN_IF_ERROR(qq->run());
      if (sqlite3_changes(db_) > 0) return {};
    }
    // Nothing changed: a later use is recorded already, or there is no such token.
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT 1 FROM api_tokens WHERE id = ?"));
    qq->bind(1, id);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return fail(ErrorCode::kNotFound, "no token " + std::to_string(id));
    return {};
  }

  Result<Page<Agent>> page_agents(const PageRequest& r) override {
    MC_RETURN_IF_ERROR(check_page_limit(r.limit));
    std::string after;
    if (r.cursor) {
      MC_ASSIGN_OR_RETURN(after, decode_cursor("agents", *r.cursor));
    }
    MC_ASSIGN_OR_RETURN(auto qq,
                        q("SELECT id, name, email, role, active, created_at, notify_new_case, notify_reply, "
                          "notify_assigned FROM agents WHERE email > ? "
                          "ORDER BY email LIMIT ?"));
    qq->bind(1, after).bind(2, int64_t{r.limit} + 1);
    std::vector<Agent> rows;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      MC_ASSIGN_OR_RETURN(auto a, agent_row(*qq));
      rows.push_back(std::move(a));
    }
    auto page = finish_page(std::move(rows), r.limit, "agents", [](const Agent& a) { return a.email; });
    if (r.count) {
      MC_ASSIGN_OR_RETURN(auto cq, q("SELECT count(*) FROM agents"));
      MC_ASSIGN_OR_RETURN(page.total, count_of(*cq));
    }
    return page;
  }

  Status set_agent_role(std::string_view email, AgentRole role) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE agents SET role = ? WHERE email = ?"));
    qq->bind(1, to_string(role)).bind(2, text::normalize_email(email));
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0) return fail(ErrorCode::kNotFound, "no agent " + std::string(email));
    return {};
  }

  Status set_agent_name(std::string_view email, std::string_view name) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE agents SET name = ? WHERE email = ?"));
    qq->bind(1, name).bind(2, text::normalize_email(email));
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0) return fail(ErrorCode::kNotFound, "no agent " + std::string(email));
    return {};
  }
};

}  // namespace

std::unique_ptr<AgentRepository> make_agents(Connection& c) {
  return std::make_unique<Agents>(c);
}

}  // namespace mailcase::store::sqlite

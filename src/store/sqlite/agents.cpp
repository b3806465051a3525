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
};

}  // namespace

std::unique_ptr<AgentRepository> make_agents(Connection& c) {
  return std::make_unique<Agents>(c);
}

}  // namespace mailcase::store::sqlite

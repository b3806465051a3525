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
    MC_ASSIGN_OR_RETURN(auto qq,
                        q("SELECT id, name, email, role, active, created_at FROM agents WHERE email = ?"));
    qq->bind(1, text::normalize_email(email));
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return std::optional<Agent>();
    MC_ASSIGN_OR_RETURN(auto a, agent_row(*qq));
    return std::optional<Agent>(std::move(a));
  }

  Result<std::vector<Agent>> list_agents() override {
    MC_ASSIGN_OR_RETURN(auto qq,
                        q("SELECT id, name, email, role, active, created_at FROM agents ORDER BY email"));
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

  Result<Page<Agent>> page_agents(const PageRequest& r) override {
    MC_RETURN_IF_ERROR(check_page_limit(r.limit));
    std::string after;
    if (r.cursor) {
      MC_ASSIGN_OR_RETURN(after, decode_cursor("agents", *r.cursor));
    }
    MC_ASSIGN_OR_RETURN(auto qq,
                        q("SELECT id, name, email, role, active, created_at FROM agents WHERE email > ? "
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
};

}  // namespace

std::unique_ptr<AgentRepository> make_agents(Connection& c) {
  return std::make_unique<Agents>(c);
}

}  // namespace mailcase::store::sqlite

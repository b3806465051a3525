// SQLite repository of queues, their members, and the agents' notification settings.
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <memory>

#include "store/sqlite/connection.h"
#include "store/sqlite/repositories.h"
#include "util/text.h"

namespace mailcase::store {

const char* const kSqliteQueueAgentsSql =
    "SELECT a.id, a.name, a.email, a.role, a.active, a.created_at, a.notify_new_case, a.notify_reply, "
    "a.notify_assigned FROM queues q JOIN queue_members m ON m.queue_id = q.id "
    "JOIN agents a ON a.id = m.agent_id WHERE q.name = ? ORDER BY a.email";
// The counts migration 20's triggers keep per queue and open status: a few rows, never
// the cases themselves, however many cases are open.
const char* const kSqliteOpenCasesByQueueSql =
    "SELECT queue, sum(n) FROM open_case_counts GROUP BY queue";

}  // namespace mailcase::store

namespace mailcase::store::sqlite {
namespace {

class Queues final : public QueueRepository, SqliteRepository {
 public:
  explicit Queues(Connection& c) : SqliteRepository(c) {}

  Result<Id> add_queue(std::string_view name) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("INSERT INTO queues (name, created_at) VALUES (?, ?)"));
    qq->bind(1, name).bind(2, now_iso8601());
    if (auto s = qq->run(); !s) {
      if (s.error().code == ErrorCode::kConflict)
        return fail(ErrorCode::kConflict, "a queue named " + std::string(name) + " exists already");
      return tl::unexpected(s.error());
    }
    return sqlite3_last_insert_rowid(db_);
  }

  Result<std::optional<Queue>> find_queue(std::string_view name) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT id, name, created_at FROM queues WHERE name = ?"));
    qq->bind(1, name);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return std::optional<Queue>();
    Queue out;
    out.id = qq->integer(0);
    out.name = qq->text(1);
    out.created_at = qq->text(2);
    MC_ASSIGN_OR_RETURN(auto agents, queue_agents(name));
    for (const auto& a : agents) out.members.push_back(a.email);
    MC_ASSIGN_OR_RETURN(auto counts, open_counts());
    if (auto it = counts.find(out.name); it != counts.end()) out.open_cases = it->second;
    return std::optional<Queue>(std::move(out));
  }

  Result<std::vector<Queue>> list_queues() override {
    std::map<std::string, Queue> by_name;
    {
      MC_ASSIGN_OR_RETURN(auto qq, q("SELECT id, name, created_at FROM queues"));
      while (true) {
        MC_ASSIGN_OR_RETURN(auto row, qq->step());
        if (!row) break;
        Queue r;
        r.id = qq->integer(0);
        r.name = qq->text(1);
        r.created_at = qq->text(2);
        by_name[r.name] = std::move(r);
      }
    }
    {
      MC_ASSIGN_OR_RETURN(auto qq,
                          q("SELECT q.name, a.email FROM queue_members m "
                            "JOIN queues q ON q.id = m.queue_id JOIN agents a ON a.id = m.agent_id"));
      while (true) {
        MC_ASSIGN_OR_RETURN(auto row, qq->step());
        if (!row) break;
        by_name[qq->text(0)].members.push_back(qq->text(1));
      }
    }
    MC_ASSIGN_OR_RETURN(auto counts, open_counts());
    for (const auto& [name, n] : counts) by_name[name].open_cases = n;
    std::vector<Queue> out;
    for (auto& [name, r] : by_name) {
      r.name = name;
      std::sort(r.members.begin(), r.members.end());
      out.push_back(std::move(r));
    }
    return out;
  }

  Status add_queue_member(std::string_view queue, std::string_view agent_email) override {
    MC_ASSIGN_OR_RETURN(auto ids, ids_of(queue, agent_email));
    MC_ASSIGN_OR_RETURN(auto qq, q("INSERT OR IGNORE INTO queue_members (queue_id, agent_id) VALUES (?, ?)"));
    qq->bind(1, ids.first).bind(2, ids.second);
    return qq->run();
  }

  Status remove_queue_member(std::string_view queue, std::string_view agent_email) override {
    MC_ASSIGN_OR_RETURN(auto ids, ids_of(queue, agent_email));
    MC_ASSIGN_OR_RETURN(auto qq, q("DELETE FROM queue_members WHERE queue_id = ? AND agent_id = ?"));
    qq->bind(1, ids.first).bind(2, ids.second);
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0)
      return fail(ErrorCode::kNotFound,
                  text::normalize_email(agent_email) + " is no member of queue " + std::string(queue));
    return {};
  }

  Result<std::vector<Agent>> queue_agents(std::string_view queue) override {
    MC_ASSIGN_OR_RETURN(auto qq, q(kSqliteQueueAgentsSql));
    qq->bind(1, queue);
    std::vector<Agent> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      Agent a;
      a.id = qq->integer(0);
      a.name = qq->text(1);
      a.email = qq->text(2);
      auto role = parse_agent_role(qq->text(3));
      if (!role)
        return fail(ErrorCode::kInternal, "database: agent " + a.email + " has " + role.error().message);
      a.role = *role;
      a.active = qq->integer(4) != 0;
      a.created_at = qq->text(5);
      a.notify_new_case = qq->integer(6) != 0;
      a.notify_reply = qq->integer(7) != 0;
      a.notify_assigned = qq->integer(8) != 0;
      out.push_back(std::move(a));
    }
    return out;
  }

  Status set_agent_notify(std::string_view email, const NotifySettingsPatch& p) override {
    // One statement: a setting not given keeps its value.
    MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE agents SET notify_new_case = COALESCE(?, notify_new_case), "
                                   "notify_reply = COALESCE(?, notify_reply), "
                                   "notify_assigned = COALESCE(?, notify_assigned) WHERE email = ?"));
    int i = 1;
    for (const auto& v : {p.new_case, p.reply, p.assigned}) {
      if (v)
        qq->bind(i, int64_t{*v ? 1 : 0});
      else
        qq->bind_null(i);
      ++i;
    }
    qq->bind(4, text::normalize_email(email));
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0) return fail(ErrorCode::kNotFound, "no agent " + std::string(email));
    return {};
  }

 private:
  Result<std::map<std::string, int64_t>> open_counts() {
    MC_ASSIGN_OR_RETURN(auto qq, q(kSqliteOpenCasesByQueueSql));
    std::map<std::string, int64_t> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      out[qq->text(0)] = qq->integer(1);
    }
    return out;
  }

  // The ids of the queue's row and of the agent: kNotFound naming whichever is missing.
  Result<std::pair<Id, Id>> ids_of(std::string_view queue, std::string_view agent_email) {
    Id queue_id = 0;
    {
      MC_ASSIGN_OR_RETURN(auto qq, q("SELECT id FROM queues WHERE name = ?"));
      qq->bind(1, queue);
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) return fail(ErrorCode::kNotFound, "no queue " + std::string(queue));
      queue_id = qq->integer(0);
    }
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT id FROM agents WHERE email = ?"));
    qq->bind(1, text::normalize_email(agent_email));
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return fail(ErrorCode::kNotFound, "no agent " + text::normalize_email(agent_email));
    return std::make_pair(queue_id, qq->integer(0));
  }
};

}  // namespace

std::unique_ptr<QueueRepository> make_queues(Connection& c) {
  return std::make_unique<Queues>(c);
}

}  // namespace mailcase::store::sqlite

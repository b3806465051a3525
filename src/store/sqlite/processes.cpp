// SQLite repository of processes: their stages are one JSON array, in their order.
#include <sqlite3.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "store/sqlite/connection.h"
#include "store/sqlite/repositories.h"

namespace mailcase::store {

const char* const kSqliteFindProcessSql = "SELECT id, name, stages, created_at FROM processes WHERE name = ?";

}  // namespace mailcase::store

namespace mailcase::store::sqlite {
namespace {

class Processes final : public ProcessRepository, SqliteRepository {
 public:
  explicit Processes(Connection& c) : SqliteRepository(c) {}

  Result<Id> add_process(const Process& p) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("INSERT INTO processes (name, stages, created_at) VALUES (?, ?, ?)"));
    qq->bind(1, p.name).bind(2, nlohmann::json(p.stages).dump()).bind(3, now_iso8601());
    if (auto s = qq->run(); !s) {
      if (s.error().code == ErrorCode::kConflict)
        return fail(ErrorCode::kConflict, "a process named " + p.name + " exists already");
      return tl::unexpected(s.error());
    }
    return sqlite3_last_insert_rowid(db_);
  }

  Result<std::optional<Process>> find_process(std::string_view name) override {
    MC_ASSIGN_OR_RETURN(auto qq, q(kSqliteFindProcessSql));
    qq->bind(1, name);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return std::optional<Process>();
    MC_ASSIGN_OR_RETURN(auto p, process_from(*qq));
    return std::optional<Process>(std::move(p));
  }

  Result<std::vector<Process>> list_processes() override {
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT id, name, stages, created_at FROM processes ORDER BY name"));
    std::vector<Process> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      MC_ASSIGN_OR_RETURN(auto p, process_from(*qq));
      out.push_back(std::move(p));
    }
    return out;
  }

 private:
  // Stages that are not a JSON array of text are an error naming the process, never none.
  static Result<Process> process_from(const Query& r) {
    Process p;
    p.id = r.integer(0);
    p.name = r.text(1);
    p.created_at = r.text(3);
    auto j = nlohmann::json::parse(r.text(2), nullptr, false);
    bool ok = j.is_array() && !j.empty();
    if (ok)
      for (const auto& s : j) {
        if (!s.is_string()) {
          ok = false;
          break;
        }
        p.stages.push_back(s.get<std::string>());
      }
    if (!ok) return fail(ErrorCode::kInternal, "process " + p.name + ": its stages are not a list of names");
    return p;
  }
};

}  // namespace

std::unique_ptr<ProcessRepository> make_processes(Connection& c) {
  return std::make_unique<Processes>(c);
}

}  // namespace mailcase::store::sqlite

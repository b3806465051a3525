// SQLite repository of the console's login sessions.
#include <sqlite3.h>

#include <memory>

#include "store/sqlite/connection.h"
#include "store/sqlite/repositories.h"

namespace mailcase::store::sqlite {
namespace {

class Sessions final : public SessionRepository, SqliteRepository {
 public:
  explicit Sessions(Connection& c) : SqliteRepository(c) {}

  Status add_session(const ConsoleSession& s) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("INSERT INTO console_sessions (digest, agent_id, csrf, created_at, "
                                   "expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)"));
    qq->bind(1, s.digest).bind(2, s.agent_id).bind(3, s.csrf);
    qq->bind(4, s.created_at).bind(5, s.expires_at).bind(6, s.last_seen_at);
    if (auto r = qq->run(); !r) {
      if (r.error().code == ErrorCode::kNotFound)
        return fail(ErrorCode::kNotFound, "no agent with id " + std::to_string(s.agent_id));
      if (r.error().code == ErrorCode::kConflict)
        return fail(ErrorCode::kConflict, "that session exists already");
      return r;
    }
    return {};
  }

  Result<std::optional<ConsoleSession>> find_session(std::string_view digest) override {
    MC_ASSIGN_OR_RETURN(auto qq,
                        q("SELECT s.agent_id, s.csrf, s.created_at, s.expires_at, s.last_seen_at, a.email "
                          "FROM console_sessions s JOIN agents a ON a.id = s.agent_id "
                          "WHERE s.digest = ?"));
    qq->bind(1, digest);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return std::optional<ConsoleSession>();
    ConsoleSession s;
    s.digest = std::string(digest);
    s.agent_id = qq->integer(0);
    s.csrf = qq->text(1);
    s.created_at = qq->integer(2);
    s.expires_at = qq->integer(3);
    s.last_seen_at = qq->integer(4);
    s.agent_email = qq->text(5);
    return std::optional<ConsoleSession>(std::move(s));
  }

  Status touch_session(std::string_view digest, int64_t last_seen_at, int64_t expires_at) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE console_sessions SET last_seen_at = max(last_seen_at, ?), "
                                   "expires_at = max(expires_at, ?) WHERE digest = ?"));
    qq->bind(1, last_seen_at).bind(2, expires_at).bind(3, digest);
    return qq->run();
  }

  Status delete_session(std::string_view digest) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("DELETE FROM console_sessions WHERE digest = ?"));
    qq->bind(1, digest);
    return qq->run();
  }

  Result<int> delete_agent_sessions(Id agent_id) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("DELETE FROM console_sessions WHERE agent_id = ?"));
    qq->bind(1, agent_id);
    MC_RETURN_IF_ERROR(qq->run());
    return sqlite3_changes(db_);
  }

  Result<int> purge_sessions(int64_t now) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("DELETE FROM console_sessions WHERE expires_at < ?"));
    qq->bind(1, now);
    MC_RETURN_IF_ERROR(qq->run());
    return sqlite3_changes(db_);
  }
};

}  // namespace

std::unique_ptr<SessionRepository> make_sessions(Connection& c) {
  return std::make_unique<Sessions>(c);
}

}  // namespace mailcase::store::sqlite

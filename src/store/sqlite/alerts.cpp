// SQLite repository of monitoring alerts: the alert rules and the alert cases (migration 24).
#include <sqlite3.h>

#include <memory>

#include "store/sqlite/connection.h"
#include "store/sqlite/repositories.h"

namespace mailcase::store {

// By alert_cases_key (account_key, host, service, id): the key's rows, the latest first,
// without a sort.
const char* const kSqliteLatestAlertCaseSql =
    "SELECT id, case_id, account_key, host, service, open, resolved_at FROM alert_cases "
    "WHERE account_key = ? AND host = ? AND service = ? ORDER BY id DESC LIMIT 1";

}  // namespace mailcase::store

namespace mailcase::store::sqlite {
namespace {

class Alerts final : public AlertRepository, SqliteRepository {
 public:
  explicit Alerts(Connection& c) : SqliteRepository(c) {}

  Result<alerts::AlertRule> add_alert_rule(alerts::AlertRule r) override {
    {
      MC_ASSIGN_OR_RETURN(auto qq, q("SELECT COALESCE(MAX(position), 0) + 1 FROM alert_rules"));
      MC_ASSIGN_OR_RETURN(r.position, count_of(*qq));
    }
    r.created_at = now_iso8601();
    return insert_rule(std::move(r));
  }

  Result<alerts::AlertRule> replace_alert_rule(alerts::AlertRule r) override {
    MC_RETURN_IF_ERROR(remove_alert_rule(r.name));
    return insert_rule(std::move(r));
  }

  Result<std::vector<alerts::AlertRule>> list_alert_rules() override {
    // The table by its name, not an alias: the query-plan check knows it as small.
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT alert_rules.id, alert_rules.name, format, sender_re, subject_re, "
                                   "body_re, account_id, COALESCE(accounts.name, ''), reopen_within_hours, "
                                   "position, alert_rules.created_at, proven_sender FROM alert_rules "
                                   "LEFT JOIN accounts ON accounts.id = alert_rules.account_id "
                                   "ORDER BY position, alert_rules.id"));
    std::vector<alerts::AlertRule> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      alerts::AlertRule r;
      r.id = qq->integer(0);
      r.name = qq->text(1);
      const std::string format = qq->text(2);
      MC_ASSIGN_OR_RETURN(r.format, known_state(alerts::format_from(format), "alert format", format, r.id));
      r.sender_re = qq->text(3);
      r.subject_re = qq->text(4);
      r.body_re = qq->text(5);
      r.account_id = qq->optional_id(6);
      r.account = qq->text(7);
      r.reopen_within_hours = static_cast<int>(qq->integer(8));
      r.position = static_cast<int>(qq->integer(9));
      r.created_at = qq->text(10);
      r.proven_sender = qq->integer(11) != 0;
      out.push_back(std::move(r));
    }
    return out;
  }

  Status remove_alert_rule(std::string_view name) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("DELETE FROM alert_rules WHERE name = ?"));
    qq->bind(1, name);
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0) return fail(ErrorCode::kNotFound, "no alert rule " + std::string(name));
    return {};
  }

  Result<std::string> alert_rules_signature() override {
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT count(*), COALESCE(MAX(id), 0) FROM alert_rules"));
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return std::string("0:0");
    return std::to_string(qq->integer(0)) + ":" + std::to_string(qq->integer(1));
  }

  Result<std::optional<AlertCaseRow>> latest_alert_case(Id account_key, std::string_view host,
                                                        std::string_view service) override {
    MC_ASSIGN_OR_RETURN(auto qq, q(kSqliteLatestAlertCaseSql));
    qq->bind(1, account_key).bind(2, host).bind(3, service);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return std::optional<AlertCaseRow>();
    AlertCaseRow r;
    r.id = qq->integer(0);
    r.case_id = qq->optional_id(1);
    r.account_key = qq->integer(2);
    r.host = qq->text(3);
    r.service = qq->text(4);
    r.open = qq->integer(5) != 0;
    if (!qq->is_null(6)) r.resolved_at = qq->integer(6);
    return std::optional<AlertCaseRow>(std::move(r));
  }

  Result<Id> claim_alert_case(Id account_key, std::string_view host, std::string_view service) override {
    MC_ASSIGN_OR_RETURN(auto qq,
                        q("INSERT INTO alert_cases (account_key, host, service, open) VALUES (?, ?, ?, 1)"));
    qq->bind(1, account_key).bind(2, host).bind(3, service);
    MC_RETURN_IF_ERROR(qq->run());  // kConflict: the key has an open row
    return sqlite3_last_insert_rowid(db_);
  }

  Status set_alert_case(Id id, Id case_id) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE alert_cases SET case_id = ? WHERE id = ?"));
    qq->bind(1, case_id).bind(2, id);
    return changed_one(*qq, id);
  }

  Status resolve_alert_case(Id id, int64_t at) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE alert_cases SET open = 0, resolved_at = ? WHERE id = ?"));
    qq->bind(1, at).bind(2, id);
    return changed_one(*qq, id);
  }

  Status reopen_alert_case(Id id) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE alert_cases SET open = 1, resolved_at = NULL WHERE id = ?"));
    qq->bind(1, id);
    return changed_one(*qq, id);
  }

 private:
  // r as a new row (a new id), at r.position with r.created_at.
  Result<alerts::AlertRule> insert_rule(alerts::AlertRule r) {
    MC_ASSIGN_OR_RETURN(auto qq, q("INSERT INTO alert_rules (name, format, sender_re, subject_re, body_re, "
                                   "account_id, reopen_within_hours, position, created_at, proven_sender) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    qq->bind(1, r.name)
        .bind(2, alerts::to_string(r.format))
        .bind(3, r.sender_re)
        .bind(4, r.subject_re)
        .bind(5, r.body_re)
        .bind(6, r.account_id)
        .bind(7, int64_t{r.reopen_within_hours})
        .bind(8, int64_t{r.position})
        .bind(9, r.created_at)
        .bind(10, int64_t{r.proven_sender ? 1 : 0});
    if (auto s = qq->run(); !s) {
      if (s.error().code == ErrorCode::kConflict)
        return fail(ErrorCode::kConflict, "an alert rule named " + r.name + " exists already");
      return tl::unexpected(s.error());
    }
    r.id = sqlite3_last_insert_rowid(db_);
    return r;
  }

  Status changed_one(Query& qq, Id id) {
    MC_RETURN_IF_ERROR(qq.run());
    if (sqlite3_changes(db_) == 0)
      return fail(ErrorCode::kNotFound, "no alert case row " + std::to_string(id));
    return {};
  }
};

}  // namespace

std::unique_ptr<AlertRepository> make_alerts(Connection& c) {
  return std::make_unique<Alerts>(c);
}

}  // namespace mailcase::store::sqlite

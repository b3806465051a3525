// SQLite repository of the assignment rules (migration 21), their version counter, and
// the kept per-agent open-case counts round-robin reads (migration 22).
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <memory>

#include "store/sqlite/connection.h"
#include "store/sqlite/repositories.h"
#include "store/store.h"
#include "util/text.h"

namespace mailcase::store {

// One row by its key: what ingest reads once per unit of work, rules or none.
const char* const kSqliteRulesVersionSql = "SELECT version FROM rules_version WHERE id = 1";
// The queue's active members by the queue's name index and the key of queue_members,
// each agent's open cases from the counts migration 22 keeps (by their key), never the
// cases themselves.
const char* const kSqliteRoundRobinCandidatesSql =
    "SELECT a.email, COALESCE(c.n, 0), m.last_assigned_seq FROM queues q "
    "JOIN queue_members m ON m.queue_id = q.id JOIN agents a ON a.id = m.agent_id "
    "LEFT JOIN agent_open_counts c ON c.owner = a.email "
    "WHERE q.name = ? AND a.active = 1 ORDER BY a.email";

}  // namespace mailcase::store

namespace mailcase::store::sqlite {
namespace {

constexpr const char* kRuleColumns =
    "SELECT id, name, position, enabled, if_address, if_sender, if_sender_domain, if_contact, if_account, "
    "if_account_level, if_subject, if_body, if_attachments, if_priority, if_language, if_business_hours, "
    "set_queue, set_owner, set_priority, set_product, set_process, continue_after, hits, created_at "
    "FROM assignment_rules ";

// The statements, each a static string (the connection caches them by address).
const std::string kListSql = std::string(kRuleColumns) + "ORDER BY position, id";
const std::string kFindSql = std::string(kRuleColumns) + "WHERE name = ?";

std::optional<bool> optional_bool(const Query& qq, int col) {
  if (qq.is_null(col)) return std::nullopt;
  return qq.integer(col) != 0;
}

rules::Rule rule_of(const Query& qq) {
  rules::Rule r;
  r.id = qq.integer(0);
  r.name = qq.text(1);
  r.position = static_cast<int>(qq.integer(2));
  r.enabled = qq.integer(3) != 0;
  r.when.address = qq.text(4);
  r.when.sender = qq.text(5);
  r.when.sender_domain = qq.text(6);
  r.when.contact = qq.text(7);
  r.when.account = qq.text(8);
  r.when.account_level = qq.text(9);
  r.when.subject = qq.text(10);
  r.when.body = qq.text(11);
  r.when.attachments = optional_bool(qq, 12);
  r.when.priority = qq.text(13);
  r.when.language = qq.text(14);
  r.when.business_hours = optional_bool(qq, 15);
  r.set.queue = qq.text(16);
  r.set.owner = qq.text(17);
  r.set.priority = qq.text(18);
  r.set.product = qq.text(19);
  r.set.process = qq.text(20);
  r.continue_after = qq.integer(21) != 0;
  r.hits = qq.integer(22);
  r.created_at = qq.text(23);
  return r;
}

void bind_optional(Query& qq, int i, std::optional<bool> v) {
  if (v)
    qq.bind(i, int64_t{*v ? 1 : 0});
  else
    qq.bind_null(i);
}

// What a rule does, bound from parameter `first` on in the columns' order: if_address …
// if_business_hours, set_queue … set_process, continue_after (18 parameters).
void bind_what_it_does(Query& qq, int first, const rules::Rule& r) {
  const auto& c = r.when;
  qq.bind(first, c.address).bind(first + 1, c.sender).bind(first + 2, c.sender_domain).bind(first + 3, c.contact);
  qq.bind(first + 4, c.account).bind(first + 5, c.account_level).bind(first + 6, c.subject).bind(first + 7, c.body);
  bind_optional(qq, first + 8, c.attachments);
  qq.bind(first + 9, c.priority).bind(first + 10, c.language);
  bind_optional(qq, first + 11, c.business_hours);
  const auto& a = r.set;
  qq.bind(first + 12, a.queue).bind(first + 13, a.owner).bind(first + 14, a.priority).bind(first + 15, a.product);
  qq.bind(first + 16, a.process).bind(first + 17, int64_t{r.continue_after ? 1 : 0});
}

class Rules final : public RuleRepository, SqliteRepository {
 public:
  explicit Rules(Connection& c) : SqliteRepository(c) {}

  Result<rules::Rule> add_rule(rules::Rule r) override {
    MC_ASSIGN_OR_RETURN(auto existing, find_rule(r.name));
    if (existing) return fail(ErrorCode::kConflict, "a rule named " + r.name + " exists already");
    MC_ASSIGN_OR_RETURN(auto n, count());
    const int64_t pos = r.position <= 0 || r.position > n ? n + 1 : r.position;
    {
      MC_ASSIGN_OR_RETURN(auto qq,
                          q("UPDATE assignment_rules SET position = position + 1 WHERE position >= ?"));
      qq->bind(1, pos);
      MC_RETURN_IF_ERROR(qq->run());
    }
    MC_ASSIGN_OR_RETURN(
        auto qq,
        q("INSERT INTO assignment_rules (name, position, enabled, if_address, if_sender, if_sender_domain, "
          "if_contact, if_account, if_account_level, if_subject, if_body, if_attachments, if_priority, "
          "if_language, if_business_hours, set_queue, set_owner, set_priority, set_product, set_process, "
          "continue_after, hits, created_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)"));
    r.position = static_cast<int>(pos);
    r.hits = 0;
    r.created_at = now_iso8601();
    qq->bind(1, r.name).bind(2, pos).bind(3, int64_t{r.enabled ? 1 : 0});
    bind_what_it_does(*qq, 4, r);
    qq->bind(22, r.created_at);
    if (auto s = qq->run(); !s) {
      if (s.error().code == ErrorCode::kConflict)
        return fail(ErrorCode::kConflict, "a rule named " + r.name + " exists already");
      return tl::unexpected(s.error());
    }
    r.id = sqlite3_last_insert_rowid(db_);
    MC_RETURN_IF_ERROR(bump_version());
    return r;
  }

  Result<std::vector<rules::Rule>> list_rules() override {
    MC_ASSIGN_OR_RETURN(auto qq, q(kListSql.c_str()));
    std::vector<rules::Rule> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      out.push_back(rule_of(*qq));
    }
    return out;
  }

  Result<std::optional<rules::Rule>> find_rule(std::string_view name) override {
    MC_ASSIGN_OR_RETURN(auto qq, q(kFindSql.c_str()));
    qq->bind(1, name);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return std::optional<rules::Rule>();
    return std::optional<rules::Rule>(rule_of(*qq));
  }

  Status set_rule_enabled(std::string_view name, bool enabled) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE assignment_rules SET enabled = ? WHERE name = ?"));
    qq->bind(1, int64_t{enabled ? 1 : 0}).bind(2, name);
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0) return no_rule(name);
    return bump_version();
  }

  Status change_rule(std::string_view name, const rules::Rule& r) override {
    MC_ASSIGN_OR_RETURN(
        auto qq,
        q("UPDATE assignment_rules SET if_address = ?, if_sender = ?, if_sender_domain = ?, if_contact = ?, "
          "if_account = ?, if_account_level = ?, if_subject = ?, if_body = ?, if_attachments = ?, "
          "if_priority = ?, if_language = ?, if_business_hours = ?, set_queue = ?, set_owner = ?, "
          "set_priority = ?, set_product = ?, set_process = ?, continue_after = ? WHERE name = ?"));
    bind_what_it_does(*qq, 1, r);
    qq->bind(19, name);
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0) return no_rule(name);
    return bump_version();
  }
  Status move_rule(std::string_view name, int position) override {
    MC_ASSIGN_OR_RETURN(auto from, position_of(name));
    MC_ASSIGN_OR_RETURN(auto n, count());
    const int64_t to = position <= 0 || position > n ? n : position;
    if (to < from) {
      MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE assignment_rules SET position = position + 1 "
                                     "WHERE position >= ? AND position < ?"));
      qq->bind(1, to).bind(2, from);
      MC_RETURN_IF_ERROR(qq->run());
    } else if (to > from) {
      MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE assignment_rules SET position = position - 1 "
                                     "WHERE position > ? AND position <= ?"));
      qq->bind(1, from).bind(2, to);
      MC_RETURN_IF_ERROR(qq->run());
    }
    MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE assignment_rules SET position = ? WHERE name = ?"));
    qq->bind(1, to).bind(2, name);
    MC_RETURN_IF_ERROR(qq->run());
    return bump_version();
  }

  Status remove_rule(std::string_view name) override {
    MC_ASSIGN_OR_RETURN(auto from, position_of(name));
    {
      MC_ASSIGN_OR_RETURN(auto qq, q("DELETE FROM assignment_rules WHERE name = ?"));
      qq->bind(1, name);
      MC_RETURN_IF_ERROR(qq->run());
    }
    MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE assignment_rules SET position = position - 1 WHERE position > ?"));
    qq->bind(1, from);
    MC_RETURN_IF_ERROR(qq->run());
    return bump_version();
  }

  Status count_rule_hits(const std::vector<std::string>& names) override {
    // One statement per rule, however many mails it matched (a batch names each rule as
    // often as it matched).
    std::map<std::string_view, int64_t> counts;
    for (const auto& name : names) ++counts[name];
    for (const auto& [name, count] : counts) {
      // A statement borrowed per name: it is reset as it is given back, and only a reset
      // statement takes new bindings.
      MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE assignment_rules SET hits = hits + ? WHERE name = ?"));
      qq->bind(1, count).bind(2, name);
      MC_RETURN_IF_ERROR(qq->run());
    }
    return {};
  }

  Result<int64_t> rules_version() override {
    MC_ASSIGN_OR_RETURN(auto qq, q(kSqliteRulesVersionSql));
    return count_of(*qq);
  }

  Result<std::vector<rules::Candidate>> round_robin_candidates(std::string_view queue) override {
    MC_ASSIGN_OR_RETURN(auto qq, q(kSqliteRoundRobinCandidatesSql));
    qq->bind(1, queue);
    std::vector<rules::Candidate> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      out.push_back(rules::Candidate{qq->text(0), qq->integer(1), qq->integer(2)});
    }
    return out;
  }

  Status note_round_robin(std::string_view queue, std::string_view agent_email) override {
    // The queue's next sequence number: later than every member's, so the member who got
    // a case longest ago has the lowest.
    MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE queue_members SET last_assigned_seq = "
                                   "(SELECT COALESCE(MAX(m.last_assigned_seq), 0) + 1 FROM queue_members m "
                                   "WHERE m.queue_id = queue_members.queue_id) "
                                   "WHERE queue_id = (SELECT id FROM queues WHERE name = ?) "
                                   "AND agent_id = (SELECT id FROM agents WHERE email = ?)"));
    qq->bind(1, queue).bind(2, text::normalize_email(agent_email));
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0)
      return fail(ErrorCode::kNotFound,
                  text::normalize_email(agent_email) + " is no member of queue " + std::string(queue));
    return {};
  }

 private:
  static Status no_rule(std::string_view name) {
    return fail(ErrorCode::kNotFound, "no rule " + std::string(name));
  }

  Result<int64_t> count() {
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT count(*) FROM assignment_rules"));
    return count_of(*qq);
  }

  Result<int64_t> position_of(std::string_view name) {
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT position FROM assignment_rules WHERE name = ?"));
    qq->bind(1, name);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return tl::unexpected(no_rule(name).error());
    return qq->integer(0);
  }

  Status bump_version() {
    MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE rules_version SET version = version + 1 WHERE id = 1"));
    return qq->run();
  }
};

}  // namespace

std::unique_ptr<RuleRepository> make_rules(Connection& c) {
  return std::make_unique<Rules>(c);
}

}  // namespace mailcase::store::sqlite

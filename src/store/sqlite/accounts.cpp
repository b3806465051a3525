// SQLite repository of accounts and contacts.
#include <sqlite3.h>

#include <algorithm>
#include <initializer_list>
#include <memory>

#include "store/case_query.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/repositories.h"
#include "util/text.h"

namespace mailcase::store::sqlite {
namespace {

class Accounts final : public AccountRepository, SqliteRepository {
 public:
  explicit Accounts(Connection& c) : SqliteRepository(c) {}

  Result<Id> add_account(const Account& a) override {
    {
      MC_ASSIGN_OR_RETURN(auto qq,
                          q("INSERT INTO accounts (name, support_level, created_at) VALUES (?, ?, ?)"));
      qq->bind(1, a.name).bind(2, a.support_level).bind(3, now_iso8601());
      MC_RETURN_IF_ERROR(qq->run());
    }
    Id id = sqlite3_last_insert_rowid(db_);
    MC_RETURN_IF_ERROR(
        insert_emails("INSERT INTO account_emails (email, account_id) VALUES (?, ?)", a.emails, id));
    return id;
  }

  // The addresses of an account or a contact: sql inserts (email, owner id).
  Status insert_emails(const char* sql, const std::vector<std::string>& emails, Id owner) {
    for (const auto& e : emails) {
      MC_ASSIGN_OR_RETURN(auto qq, q(sql));
      qq->bind(1, text::normalize_email(e)).bind(2, owner);
      MC_RETURN_IF_ERROR(qq->run());
    }
    return {};
  }

  // A row that still names `id`, which keeps it from being removed: its statement (one
  // parameter, the id; LIMIT 1) and what the refusal says of it.
  struct Naming {
    const char* sql;
    const char* what;
  };
  // kConflict ("<kind> <id> <what>") for the first of `namings` that finds a row.
  Status refuse_if_named(std::initializer_list<Naming> namings, const char* kind, Id id) {
    for (const Naming& n : namings) {
      MC_ASSIGN_OR_RETURN(auto qq, q(n.sql));
      qq->bind(1, id);
      MC_ASSIGN_OR_RETURN(auto named, qq->step());
      if (named)
        return fail(ErrorCode::kConflict, std::string(kind) + " " + std::to_string(id) + " " + n.what);
    }
    return {};
  }

  // Runs each statement (one parameter, the id) in order; kNotFound ("no <kind> <id>")
  // when the last changed no row (the unit of work rolls back what came before).
  Status delete_rows_of(std::initializer_list<const char*> sqls, const char* kind, Id id) {
    for (const char* sql : sqls) {
      MC_ASSIGN_OR_RETURN(auto qq, q(sql));
      qq->bind(1, id);
      MC_RETURN_IF_ERROR(qq->run());
    }
    if (sqlite3_changes(db_) == 0)
      return fail(ErrorCode::kNotFound, std::string("no ") + kind + " " + std::to_string(id));
    return {};
  }

  // sql selects one email column by owner id, in the order they were added.
  Result<std::vector<std::string>> emails_of(const char* sql, Id owner) {
    MC_ASSIGN_OR_RETURN(auto qq, q(sql));
    qq->bind(1, owner);
    std::vector<std::string> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      out.push_back(qq->text(0));
    }
    return out;
  }

  Result<std::optional<Account>> account_where(const char* sql, std::string_view key, std::optional<Id> id) {
    Account a;
    {
      MC_ASSIGN_OR_RETURN(auto qq, q(sql));
      if (id)
        qq->bind(1, *id);
      else
        qq->bind(1, key);
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) return std::optional<Account>();
      a.id = qq->integer(0);
      a.name = qq->text(1);
      a.support_level = qq->text(2);
    }
    MC_ASSIGN_OR_RETURN(
        a.emails, emails_of("SELECT email FROM account_emails WHERE account_id = ? ORDER BY rowid", a.id));
    return std::optional<Account>(std::move(a));
  }

  Result<std::optional<Account>> find_account_by_name(std::string_view name) override {
    return account_where("SELECT id, name, support_level FROM accounts WHERE name = ?", name, std::nullopt);
  }

  Result<std::optional<Account>> find_account_by_email(std::string_view email) override {
    return account_where(
        "SELECT a.id, a.name, a.support_level FROM accounts a JOIN account_emails e ON e.account_id = a.id "
        "WHERE e.email = ?",
        text::normalize_email(email), std::nullopt);
  }

  Result<std::optional<Account>> get_account(Id id) override {
    return account_where("SELECT id, name, support_level FROM accounts WHERE id = ?", {}, id);
  }

  Result<Id> add_contact(const Contact& c) override {
    {
      MC_ASSIGN_OR_RETURN(
          auto qq, q("INSERT INTO contacts (name, account_id, language, created_at) VALUES (?, ?, ?, ?)"));
      qq->bind(1, c.name).bind(2, c.account_id).bind(3, c.language).bind(4, now_iso8601());
      MC_RETURN_IF_ERROR(qq->run());
    }
    Id id = sqlite3_last_insert_rowid(db_);
    MC_RETURN_IF_ERROR(
        insert_emails("INSERT INTO contact_emails (email, contact_id) VALUES (?, ?)", c.emails, id));
    return id;
  }

  Result<std::optional<Contact>> contact_where(const char* sql, std::string_view key, std::optional<Id> id) {
    Contact c;
    {
      MC_ASSIGN_OR_RETURN(auto qq, q(sql));
      if (id)
        qq->bind(1, *id);
      else
        qq->bind(1, key);
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) return std::optional<Contact>();
      c.id = qq->integer(0);
      c.name = qq->text(1);
      c.account_id = qq->optional_id(2);
      c.language = qq->text(3);
    }
    MC_ASSIGN_OR_RETURN(
        c.emails, emails_of("SELECT email FROM contact_emails WHERE contact_id = ? ORDER BY rowid", c.id));
    return std::optional<Contact>(std::move(c));
  }

  Result<std::optional<Contact>> find_contact_by_email(std::string_view email) override {
    return contact_where(
        "SELECT c.id, c.name, c.account_id, c.language FROM contacts c JOIN contact_emails e ON e.contact_id "
        "= c.id "
        "WHERE e.email = ?",
        text::normalize_email(email), std::nullopt);
  }

  Result<std::optional<Contact>> get_contact(Id id) override {
    return contact_where("SELECT id, name, account_id, language FROM contacts WHERE id = ?", {}, id);
  }

  Status mark_contact_unverified(Id contact_id) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("INSERT OR IGNORE INTO contacts_unverified (contact_id) VALUES (?)"));
    qq->bind(1, contact_id);
    return qq->run();
  }

  Result<bool> contact_unverified(Id contact_id) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT 1 FROM contacts_unverified WHERE contact_id = ?"));
    qq->bind(1, contact_id);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    return row;
  }

  Result<Page<Contact>> page_contacts(const PageRequest& r) override {
    return contacts_page(
        r, "contacts", "SELECT id, name, account_id, language FROM contacts WHERE id > ? ORDER BY id LIMIT ?",
        "SELECT count(*) FROM contacts", {});
  }

  Result<Page<Contact>> page_account_contacts(Id account_id, const PageRequest& r) override {
    ContactFilter f;
    f.account = account_id;
    return contacts_page(
        r, "account-contacts:" + std::to_string(account_id),
        "SELECT id, name, account_id, language FROM contacts WHERE account_id = ? AND id > ? "
        "ORDER BY id LIMIT ?",
        "SELECT count(*) FROM contacts WHERE account_id = ?", f);
  }

  Result<Page<Contact>> find_contacts(std::string_view prefix, const PageRequest& r) override {
    // Past the last character any text starting with `prefix` may have (U+10FFFF), so that
    // [prefix, prefix + it) is the range of the addresses starting with it.
    static constexpr std::string_view kPastAny = "\xF4\x8F\xBF\xBF";
    ContactFilter f;
    f.range = std::pair{std::string(prefix), std::string(prefix) + std::string(kPastAny)};
    // The domains' range: empty ('' to '', one probe that finds nothing) when the text does
    // not name a domain, so that each shape of search stays one statement.
    const std::string domain = case_query::contact_domain_prefix(prefix);
    f.domains = domain.empty() ? std::pair{std::string(), std::string()}
                               : std::pair{domain, domain + std::string(kPastAny)};
    const std::string list = "contacts~" + text::ascii_lower(prefix);
// The contacts with an address in the range (?1, ?2) or at a domain in the range (?3, ?4)
// (the expression of the index contact_emails_domain, migration 47). A macro, so that
// both statements stay literals (the statement cache is keyed by their address).
#define MC_CONTACTS_BY_ADDRESS                                                                  \
  "SELECT contact_id FROM contact_emails WHERE email >= ?1 AND email < ?2 UNION SELECT "        \
  "contact_id FROM contact_emails WHERE substr(email, instr(email, '@') + 1) >= ?3 AND substr(" \
  "email, instr(email, '@') + 1) < ?4"
    // "@…" is the end of an address, never a name.
    std::string names = prefix.starts_with('@') ? std::string() : case_query::fts_prefix_expression(prefix);
    if (names.empty()) {
      // No word to look for in names: addresses only.
      return contacts_page(r, list,
                           "SELECT id, name, account_id, language FROM contacts WHERE id IN "
                           "(" MC_CONTACTS_BY_ADDRESS ") AND id > ?5 ORDER BY id LIMIT ?6",
                           "SELECT count(*) FROM (" MC_CONTACTS_BY_ADDRESS ")", f);
    }
    f.names = std::move(names);
    MC_RETURN_IF_ERROR(conn_.bring_contact_names_up_to_date());  // contacts written in this unit too
    return contacts_page(
        r, list,
        "SELECT id, name, account_id, language FROM contacts WHERE id IN (" MC_CONTACTS_BY_ADDRESS
        " UNION SELECT rowid FROM contact_names WHERE contact_names MATCH ?5) "
        "AND id > ?6 ORDER BY id LIMIT ?7",
        "SELECT count(*) FROM (" MC_CONTACTS_BY_ADDRESS
        " UNION SELECT rowid FROM contact_names WHERE contact_names MATCH ?5)",
        f);
#undef MC_CONTACTS_BY_ADDRESS
  }

  // What a page of contacts is kept to: one account's, or ranges of the addresses (?1, ?2)
  // and of their domains (?3, ?4), and words of the names; neither: every contact.
  struct ContactFilter {
    std::optional<Id> account;
    std::optional<std::pair<std::string, std::string>> range;
    std::pair<std::string, std::string> domains;  // with range
    std::optional<std::string> names;             // with range: an FTS5 query of contact_names (?5)
  };

  // A page of contacts by id, read by `select` (the filter's parameters, then the id after
  // which the page starts and the limit), with its count by `count` (the filter's
  // parameters). Both literals: the statement cache is keyed by their address. `list`
  // names the cursors of this list and filter.
  Result<Page<Contact>> contacts_page(const PageRequest& r, const std::string& list, const char* select,
                                      const char* count, const ContactFilter& f) {
    MC_RETURN_IF_ERROR(check_page_limit(r.limit));
    int64_t after = 0;
    if (r.cursor) {
      MC_ASSIGN_OR_RETURN(after, decode_id_cursor(list, *r.cursor));
    }
    // The filter's parameters; returns the next one's index.
    auto bind_filter = [&](Query& qq) {
      if (f.range) {
        qq.bind(1, f.range->first).bind(2, f.range->second);
        qq.bind(3, f.domains.first).bind(4, f.domains.second);
        if (!f.names) return 5;
        qq.bind(5, *f.names);
        return 6;
      }
      if (f.account) {
        qq.bind(1, *f.account);
        return 2;
      }
      return 1;
    };
    std::vector<Contact> rows;
    {
      MC_ASSIGN_OR_RETURN(auto qq, q(select));
      const int at = bind_filter(*qq);
      qq->bind(at, after).bind(at + 1, int64_t{r.limit} + 1);
      while (true) {
        MC_ASSIGN_OR_RETURN(auto row, qq->step());
        if (!row) break;
        Contact c;
        c.id = qq->integer(0);
        c.name = qq->text(1);
        c.account_id = qq->optional_id(2);
        c.language = qq->text(3);
        rows.push_back(std::move(c));
      }
    }
    for (auto& c : rows) {
      MC_ASSIGN_OR_RETURN(
          c.emails, emails_of("SELECT email FROM contact_emails WHERE contact_id = ? ORDER BY rowid", c.id));
    }
    auto page =
        finish_page(std::move(rows), r.limit, list, [](const Contact& c) { return std::to_string(c.id); });
    if (r.count) {
      MC_ASSIGN_OR_RETURN(auto qq, q(count));
      bind_filter(*qq);
      MC_ASSIGN_OR_RETURN(page.total, count_of(*qq));
    }
    return page;
  }

  Result<Page<Account>> page_accounts(const PageRequest& r) override {
    MC_RETURN_IF_ERROR(check_page_limit(r.limit));
    int64_t after = 0;
    if (r.cursor) {
      MC_ASSIGN_OR_RETURN(after, decode_id_cursor("accounts", *r.cursor));
    }
    std::vector<Account> rows;
    {
      MC_ASSIGN_OR_RETURN(auto qq,
                          q("SELECT id, name, support_level FROM accounts WHERE id > ? ORDER BY id LIMIT ?"));
      qq->bind(1, after).bind(2, int64_t{r.limit} + 1);
      while (true) {
        MC_ASSIGN_OR_RETURN(auto row, qq->step());
        if (!row) break;
        Account a;
        a.id = qq->integer(0);
        a.name = qq->text(1);
        a.support_level = qq->text(2);
        rows.push_back(std::move(a));
      }
    }
    for (auto& a : rows) {
      MC_ASSIGN_OR_RETURN(
          a.emails, emails_of("SELECT email FROM account_emails WHERE account_id = ? ORDER BY rowid", a.id));
    }
    auto page = finish_page(std::move(rows), r.limit, "accounts",
                            [](const Account& a) { return std::to_string(a.id); });
    if (r.count) {
      MC_ASSIGN_OR_RETURN(auto qq, q("SELECT count(*) FROM accounts"));
      MC_ASSIGN_OR_RETURN(page.total, count_of(*qq));
    }
    return page;
  }

  Status update_contact(const Contact& c) override {
    {
      MC_ASSIGN_OR_RETURN(auto qq,
                          q("UPDATE contacts SET name = ?, account_id = ?, language = ? WHERE id = ?"));
      qq->bind(1, c.name).bind(2, c.account_id).bind(3, c.language).bind(4, c.id);
      MC_RETURN_IF_ERROR(qq->run());
    }
    if (sqlite3_changes(db_) == 0) return fail(ErrorCode::kNotFound, "no contact " + std::to_string(c.id));
    // The addresses are replaced in the order given: rowid order is the contact's order.
    {
      MC_ASSIGN_OR_RETURN(auto qq, q("DELETE FROM contact_emails WHERE contact_id = ?"));
      qq->bind(1, c.id);
      MC_RETURN_IF_ERROR(qq->run());
    }
    return insert_emails("INSERT INTO contact_emails (email, contact_id) VALUES (?, ?)", c.emails, c.id);
  }

  Result<std::vector<Id>> merge_contact(const Contact& from, Id into) override {
    if (from.id == into)
      return fail(ErrorCode::kInvalidInput, "into: a contact cannot be merged into itself");
    {
      // First, so that an unknown into changes nothing.
      MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE contacts SET account_id = coalesce(account_id, ?1), language = "
                                     "CASE WHEN language = '' THEN ?2 ELSE language END WHERE id = ?3"));
      qq->bind(1, from.account_id).bind(2, from.language).bind(3, into);
      MC_RETURN_IF_ERROR(qq->run());
    }
    if (sqlite3_changes(db_) == 0) return fail(ErrorCode::kNotFound, "no contact " + std::to_string(into));
    // The addresses move after into's, in their order (rowid order is a contact's order):
    // removed, then added again under into.
    {
      MC_ASSIGN_OR_RETURN(auto qq, q("DELETE FROM contact_emails WHERE contact_id = ?"));
      qq->bind(1, from.id);
      MC_RETURN_IF_ERROR(qq->run());
    }
    MC_RETURN_IF_ERROR(
        insert_emails("INSERT INTO contact_emails (email, contact_id) VALUES (?, ?)", from.emails, into));
    std::vector<Id> moved;
    {
      // The range of from's cases in cases_contact_updated.
      MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE cases SET contact_id = ?1 WHERE contact_id = ?2 RETURNING id"));
      qq->bind(1, into).bind(2, from.id);
      while (true) {
        MC_ASSIGN_OR_RETURN(auto row, qq->step());
        if (!row) break;
        moved.push_back(qq->integer(0));
      }
    }
    MC_RETURN_IF_ERROR(delete_rows_of(
        {"DELETE FROM contacts_unverified WHERE contact_id = ?", "DELETE FROM contacts WHERE id = ?"},
        "contact", from.id));
    std::sort(moved.begin(), moved.end());
    return moved;
  }

  Status remove_contact(Id id) override {
    MC_RETURN_IF_ERROR(refuse_if_named({{"SELECT 1 FROM cases WHERE contact_id = ? LIMIT 1",
                                         "has cases: merge it into the contact that stays instead"}},
                                       "contact", id));
    return delete_rows_of(
        {"DELETE FROM contact_emails WHERE contact_id = ?",
         "DELETE FROM contacts_unverified WHERE contact_id = ?", "DELETE FROM contacts WHERE id = ?"},
        "contact", id);
  }

  Status remove_account(Id id) override {
    MC_RETURN_IF_ERROR(refuse_if_named(
        {{"SELECT 1 FROM contacts WHERE account_id = ? LIMIT 1",
          "has contacts: give them another account, or none, first"},
         {"SELECT 1 FROM cases WHERE account_id = ? LIMIT 1", "has cases, which keep their account"},
         {"SELECT 1 FROM alert_rules WHERE account_id = ? LIMIT 1",
          "is an alert rule's: change or remove the rule first"}},
        "account", id));
    return delete_rows_of(
        {"DELETE FROM account_emails WHERE account_id = ?", "DELETE FROM accounts WHERE id = ?"}, "account",
        id);
  }

  Status update_account(const Account& a) override {
    {
      MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE accounts SET name = ?, support_level = ? WHERE id = ?"));
      qq->bind(1, a.name).bind(2, a.support_level).bind(3, a.id);
      MC_RETURN_IF_ERROR(qq->run());
    }
    if (sqlite3_changes(db_) == 0) return fail(ErrorCode::kNotFound, "no account " + std::to_string(a.id));
    {
      MC_ASSIGN_OR_RETURN(auto qq, q("DELETE FROM account_emails WHERE account_id = ?"));
      qq->bind(1, a.id);
      MC_RETURN_IF_ERROR(qq->run());
    }
    return insert_emails("INSERT INTO account_emails (email, account_id) VALUES (?, ?)", a.emails, a.id);
  }
};

}  // namespace

std::unique_ptr<AccountRepository> make_accounts(Connection& c) {
  return std::make_unique<Accounts>(c);
}

}  // namespace mailcase::store::sqlite

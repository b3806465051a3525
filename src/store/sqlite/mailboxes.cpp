// SQLite repository of mailboxes, their state and the POP3 UIDLs seen.
#include <sqlite3.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "store/sqlite/connection.h"
#include "store/sqlite/repositories.h"

namespace mailcase::store::sqlite {
namespace {

class Mailboxes final : public MailboxRepository, SqliteRepository {
 public:
  explicit Mailboxes(Connection& c) : SqliteRepository(c) {}

  // Settings are one JSON object: new settings need no migration.
  static nlohmann::json mailbox_json(const Mailbox& m) {
    return {{"protocol", to_string(m.protocol)},
            {"host", m.host},
            {"port", m.port},
            {"tls", to_string(m.tls)},
            {"user", m.user},
            {"password_file", m.password_file},
            {"folder", m.folder},
            {"poll_interval_s", m.poll_interval_s},
            {"idle", m.idle},
            {"after", to_string(m.after)},
            {"address", m.address},
            {"ca_file", m.ca_file},
            {"tls_verify", m.tls_verify},
            {"auth", to_string(m.auth)},
            {"token_command", m.token_command},
            {"allow_plaintext_auth", m.allow_plaintext_auth},
            {"process", m.process},
            {"authserv_ids", m.authserv_ids}};
  }

  Status add_mailbox(const Mailbox& m) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("INSERT INTO mailboxes (name, settings, created_at) VALUES (?, ?, ?)"));
    qq->bind(1, m.name).bind(2, mailbox_json(m).dump()).bind(3, now_iso8601());
    return qq->run();
  }

  // A setting absent from the JSON takes the model's default (a store written before
  // the setting existed); a present one of the wrong type or with text no parse knows
  // is an error naming the mailbox, never a default.
  static Result<Mailbox> mailbox_from_json(std::string name, std::string_view settings) {
    Mailbox m;
    m.name = std::move(name);
    auto j = nlohmann::json::parse(settings, nullptr, false);
    if (!j.is_object())
      return fail(ErrorCode::kInternal, "mailbox " + m.name + ": its settings are not a JSON object");
    std::string problem;  // the first setting found wrong; empty: none
    auto plain = [&](const char* what, auto& field) {
      if (!problem.empty() || !j.contains(what)) return;
      try {
        field = j.at(what).template get<std::decay_t<decltype(field)>>();
      } catch (const nlohmann::json::exception&) {
        problem = std::string(what) + " has the wrong type";
      }
    };
    auto typed = [&](const char* what, auto& field, auto parse) {
      if (!problem.empty() || !j.contains(what)) return;
      const auto& v = j.at(what);
      if (!v.is_string()) {
        problem = std::string(what) + " is not text";
        return;
      }
      const auto& text = v.template get_ref<const std::string&>();
      auto parsed = parse(text);
      if (!parsed) {
        problem = "unknown " + std::string(what) + " '" + text + "'";
        return;
      }
      field = *parsed;
    };
    typed("protocol", m.protocol, domain::protocol_from);
    typed("tls", m.tls, domain::tls_mode_from);
    typed("after", m.after, domain::after_fetch_from);
    typed("auth", m.auth, domain::auth_method_from);
    plain("host", m.host);
    plain("port", m.port);
    plain("user", m.user);
    plain("password_file", m.password_file);
    plain("folder", m.folder);
    plain("poll_interval_s", m.poll_interval_s);
    plain("idle", m.idle);
    plain("address", m.address);
    plain("ca_file", m.ca_file);
    plain("tls_verify", m.tls_verify);
    plain("token_command", m.token_command);
    plain("allow_plaintext_auth", m.allow_plaintext_auth);
    plain("process", m.process);
    plain("authserv_ids", m.authserv_ids);
    if (!problem.empty()) return fail(ErrorCode::kInternal, "mailbox " + m.name + ": " + problem);
    return m;
  }

  Result<std::vector<Mailbox>> list_mailboxes() override {
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT name, settings FROM mailboxes ORDER BY name"));
    std::vector<Mailbox> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      MC_ASSIGN_OR_RETURN(auto m, mailbox_from_json(qq->text(0), qq->text(1)));
      out.push_back(std::move(m));
    }
    return out;
  }

  Status remove_mailbox(std::string_view name) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("DELETE FROM mailboxes WHERE name = ?"));
    qq->bind(1, name);
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0) return fail(ErrorCode::kNotFound, "no mailbox " + std::string(name));
    for (const char* sql :
         {"DELETE FROM mailbox_state WHERE name = ?", "DELETE FROM pop3_seen WHERE mailbox = ?",
          "DELETE FROM mailbox_left WHERE mailbox = ?"}) {
      MC_ASSIGN_OR_RETURN(auto d, q(sql));
      d->bind(1, name);
      MC_RETURN_IF_ERROR(d->run());
    }
    return {};
  }

  Result<MailboxState> mailbox_state(std::string_view name) override {
    MC_ASSIGN_OR_RETURN(
        auto qq, q("SELECT status, last_success, last_error, backlog, uidvalidity, last_uid, push_count, "
                   "push_last_notice_at, push_last_ms FROM mailbox_state WHERE name = ?"));
    qq->bind(1, name);
    MailboxState s;
    s.name = std::string(name);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (row) {
      s.status = qq->text(0);
      s.last_success = qq->text(1);
      s.last_error = qq->text(2);
      s.backlog = qq->integer(3);
      s.uidvalidity = qq->integer(4);
      s.last_uid = qq->integer(5);
      s.push_count = qq->integer(6);
      s.push_last_notice_at = qq->text(7);
      s.push_last_ms = qq->real(8);
    }

    return s;
  }

  Status put_mailbox_state(const MailboxState& s) override {
    MC_ASSIGN_OR_RETURN(
        auto qq, q("INSERT INTO mailbox_state (name, status, last_success, last_error, backlog, "
                   "uidvalidity, last_uid, push_count, push_last_notice_at, push_last_ms) VALUES (?, ?, ?, "
                   "?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                   "status = excluded.status, last_success = excluded.last_success, last_error = "
                   "excluded.last_error, backlog = excluded.backlog, uidvalidity = excluded.uidvalidity, "
                   "last_uid = excluded.last_uid, push_count = excluded.push_count, push_last_notice_at = "
                   "excluded.push_last_notice_at, push_last_ms = excluded.push_last_ms"));
    qq->bind(1, s.name).bind(2, s.status).bind(3, s.last_success).bind(4, s.last_error);
    qq->bind(5, s.backlog).bind(6, s.uidvalidity).bind(7, s.last_uid);
    qq->bind(8, s.push_count).bind(9, s.push_last_notice_at).bind_double(10, s.push_last_ms);
    return qq->run();
  }

  Result<bool> pop3_seen(std::string_view mailbox, std::string_view uidl) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT 1 FROM pop3_seen WHERE mailbox = ? AND uidl = ?"));
    qq->bind(1, mailbox).bind(2, uidl);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    bool seen = row;

    return seen;
  }

  Status add_pop3_seen(std::string_view mailbox, std::string_view uidl) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("INSERT OR IGNORE INTO pop3_seen (mailbox, uidl) VALUES (?, ?)"));
    qq->bind(1, mailbox).bind(2, uidl);
    return qq->run();
  }

  Status add_left_mail(const LeftMail& m) override {
    MC_ASSIGN_OR_RETURN(
        auto qq,
        q("INSERT OR IGNORE INTO mailbox_left (raw_id, mailbox, mail_key, size) VALUES (?, ?, ?, ?)"));
    qq->bind(1, m.raw_id).bind(2, m.mailbox).bind(3, m.key).bind(4, m.size);
    return qq->run();
  }

  Result<std::vector<std::string>> left_mail_keys(std::string_view mailbox) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT mail_key FROM mailbox_left WHERE mailbox = ?"));
    qq->bind(1, mailbox);
    std::vector<std::string> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      out.push_back(qq->text(0));
    }
    return out;
  }

  Result<std::optional<LeftMail>> left_mail_of(Id raw_id) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT mailbox, mail_key, size FROM mailbox_left WHERE raw_id = ?"));
    qq->bind(1, raw_id);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return std::optional<LeftMail>();
    return std::optional<LeftMail>(LeftMail{raw_id, qq->text(0), qq->text(1), qq->integer(2)});
  }

  Status update_mailbox(const Mailbox& m) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("UPDATE mailboxes SET settings = ? WHERE name = ?"));
    qq->bind(1, mailbox_json(m).dump()).bind(2, m.name);
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0) return fail(ErrorCode::kNotFound, "no mailbox " + m.name);
    return {};
  }
};

}  // namespace

std::unique_ptr<MailboxRepository> make_mailboxes(Connection& c) {
  return std::make_unique<Mailboxes>(c);
}

}  // namespace mailcase::store::sqlite

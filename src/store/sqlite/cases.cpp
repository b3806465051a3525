// SQLite repository of cases, their Message-IDs, comments, attachments and participants.
#include <sqlite3.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "domain/case_number.h"
#include "store/sqlite/case_search.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/repositories.h"
#include "util/text.h"

namespace mailcase::store::sqlite {
namespace {

class Cases final : public CaseRepository, SqliteRepository {
 public:
  explicit Cases(Connection& c) : SqliteRepository(c) {}

  static constexpr const char* kCaseColumns =
      "id, number, subject, description, status, priority, queue, product, origin, owner, contact_id, "
      "account_id, "
      "routing_address, created_at, updated_at, process, stage";

  static Result<Case> case_from(const Query& r, int o = 0) {
    Case c;
    c.id = r.integer(o + 0);
    c.number = r.text(o + 1);
    c.subject = r.text(o + 2);
    c.description = r.text(o + 3);
    MC_ASSIGN_OR_RETURN(c.status,
                        known_state(status_from_string(r.text(o + 4)), "case status", r.text(o + 4), c.id));
    c.priority = r.text(o + 5);
    c.queue = r.text(o + 6);
    c.product = r.text(o + 7);
    c.origin = r.text(o + 8);
    c.owner = r.text(o + 9);
    c.contact_id = r.optional_id(o + 10);
    c.account_id = r.optional_id(o + 11);
    c.routing_address = r.text(o + 12);
    c.created_at = r.text(o + 13);
    c.updated_at = r.text(o + 14);
    c.process = r.text(o + 15);
    c.stage = r.text(o + 16);
    return c;
  }

  Result<Case> insert_case(Case c, std::string_view prefix, int digits) override {
    c.created_at = c.updated_at = now_iso8601();
    // The number is derived from the row id, so the id is chosen first: the one SQLite
    // would choose (the largest plus one; no AUTOINCREMENT), read from the primary key's
    // end inside the write transaction. One INSERT instead of an INSERT and an UPDATE of
    // the UNIQUE number.
    {
      MC_ASSIGN_OR_RETURN(auto mq, q("SELECT COALESCE(MAX(id), 0) + 1 FROM cases"));
      MC_ASSIGN_OR_RETURN(bool row, mq->step());
      if (!row) return fail(ErrorCode::kInternal, "database: no next case id");
      c.id = mq->integer(0);
    }
    c.number = domain::case_number::format(prefix, digits, c.id);
    {  // The query is gone before `c` moves out (its description is bound where it is).
      MC_ASSIGN_OR_RETURN(auto qq,
                          q("INSERT INTO cases (id, number, subject, description, status, priority, queue, "
                            "product, origin, owner, "
                            "contact_id, account_id, routing_address, created_at, updated_at, process, stage) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
      qq->bind(1, c.id).bind(2, c.number);
      qq->bind(3, c.subject)
          .bind_kept(4, c.description)
          .bind(5, to_string(c.status))
          .bind(6, c.priority)
          .bind(7, c.queue);
      qq->bind(8, c.product).bind(9, c.origin).bind(10, c.owner).bind(11, c.contact_id).bind(12, c.account_id);
      qq->bind(13, c.routing_address).bind(14, c.created_at).bind(15, c.updated_at);
      qq->bind(16, c.process).bind(17, c.stage);
      MC_RETURN_IF_ERROR(qq->run());
    }
    return c;
  }

  Result<std::optional<Case>> case_one(const char* sql, std::string_view key, std::optional<Id> id) {
    MC_ASSIGN_OR_RETURN(auto qq, q(sql));
    if (id)
      qq->bind(1, *id);
    else
      qq->bind(1, key);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return std::optional<Case>();
    MC_ASSIGN_OR_RETURN(auto c, case_from(*qq));
    return std::optional<Case>(std::move(c));
  }

  Result<std::optional<Case>> get_case(Id id) override {
    static const std::string sql = std::string("SELECT ") + kCaseColumns + " FROM cases WHERE id = ?";
    return case_one(sql.c_str(), {}, id);
  }

  Result<std::optional<Case>> find_case_by_number(std::string_view number) override {
    static const std::string sql = std::string("SELECT ") + kCaseColumns + " FROM cases WHERE number = ?";
    return case_one(sql.c_str(), number, std::nullopt);
  }

  Status update_case(const Case& c) override {
    MC_ASSIGN_OR_RETURN(
        auto qq,
        q("UPDATE cases SET subject = ?, description = ?, status = ?, priority = ?, queue = ?, product = ?, "
          "owner = ?, "
          "contact_id = ?, account_id = ?, updated_at = ?, process = ?, stage = ? WHERE id = ?"));
    qq->bind(1, c.subject)
        .bind(2, c.description)
        .bind(3, to_string(c.status))
        .bind(4, c.priority)
        .bind(5, c.queue);
    qq->bind(6, c.product).bind(7, c.owner).bind(8, c.contact_id).bind(9, c.account_id);
    qq->bind(10, now_iso8601()).bind(11, c.process).bind(12, c.stage).bind(13, c.id);
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0) return fail(ErrorCode::kNotFound, "no case " + std::to_string(c.id));
    return {};
  }

  // Each case with its contact and account and their addresses (JSON arrays in row
  // order), in one statement, not two more queries per case; the caller appends WHERE or ORDER BY.
  static constexpr const char* kSummarySelect =
      "SELECT c.id, c.number, c.subject, c.description, c.status, c.priority, c.queue, c.product, "
      "c.origin, c.owner, c.contact_id, c.account_id, c.routing_address, c.created_at, c.updated_at, "
      "c.process, c.stage, "
      "ct.id, ct.name, ct.account_id, ct.language, "
      "(SELECT json_group_array(email) FROM (SELECT email FROM contact_emails WHERE contact_id = ct.id "
      "ORDER BY rowid)), "
      "a.id, a.name, a.support_level, "
      "(SELECT json_group_array(email) FROM (SELECT email FROM account_emails WHERE account_id = a.id "
      "ORDER BY rowid)) "
      "FROM cases c LEFT JOIN contacts ct ON ct.id = c.contact_id "
      "LEFT JOIN accounts a ON a.id = c.account_id ";

  static Result<CaseSummary> summary_from(const Query& qq) {
    auto emails = [](const std::string& json) {
      std::vector<std::string> out;
      auto j = nlohmann::json::parse(json, nullptr, false);
      if (j.is_array())
        for (const auto& e : j)
          if (e.is_string()) out.push_back(e.get<std::string>());
      return out;
    };
    CaseSummary s;
    MC_ASSIGN_OR_RETURN(s.c, case_from(qq));
    if (!qq.is_null(17)) {
      Contact ct;
      ct.id = qq.integer(17);
      ct.name = qq.text(18);
      ct.account_id = qq.optional_id(19);
      ct.language = qq.text(20);
      ct.emails = emails(qq.text(21));
      s.contact = std::move(ct);
    }
    if (!qq.is_null(22)) {
      Account a;
      a.id = qq.integer(22);
      a.name = qq.text(23);
      a.support_level = qq.text(24);
      a.emails = emails(qq.text(25));
      s.account = std::move(a);
    }
    return s;
  }

  Result<std::vector<CaseSummary>> list_cases(int limit) override {
    static const std::string sql = std::string(kSummarySelect) + "ORDER BY c.id DESC LIMIT ?";
    MC_ASSIGN_OR_RETURN(auto qq, q(sql.c_str()));
    qq->bind(1, int64_t{limit});
    std::vector<CaseSummary> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      MC_ASSIGN_OR_RETURN(auto s, summary_from(*qq));
      out.push_back(std::move(s));
    }
    return out;
  }

  // The page's ids come from find_case_ids (case_search.cpp); each summary is then one
  // primary-key read, so a page costs its own rows and not the matches behind it.
  Result<CasePage> find_cases(const CaseQuery& query) override {
    MC_ASSIGN_OR_RETURN(auto ids, find_case_ids(conn_, query));
    static const std::string sql = std::string(kSummarySelect) + "WHERE c.id = ?";
    CasePage page;
    page.next_cursor = std::move(ids.next_cursor);
    page.total = ids.total;
    for (auto& r : ids.rows) {
      MC_ASSIGN_OR_RETURN(auto qq, q(sql.c_str()));
      qq->bind(1, r.id);
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) continue;  // cannot happen inside one read; a vanished case is left out
      MC_ASSIGN_OR_RETURN(auto s, summary_from(*qq));
      page.items.push_back(CaseHit{std::move(s), std::move(r.snippet)});
    }
    return page;
  }

  Status add_message_id(std::string_view message_id, Id case_id, std::string_view direction) override {
    MC_ASSIGN_OR_RETURN(
        auto qq, q("INSERT OR IGNORE INTO message_ids (message_id, case_id, direction) VALUES (?, ?, ?)"));
    qq->bind(1, message_id).bind(2, case_id).bind(3, direction);
    return qq->run();
  }

  Result<std::vector<std::string>> message_ids_of(Id case_id, std::string_view direction) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT message_id FROM message_ids WHERE case_id = ? AND (? = '' OR "
                                   "direction = ?) ORDER BY rowid"));
    qq->bind(1, case_id).bind(2, direction).bind(3, direction);
    std::vector<std::string> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      out.push_back(qq->text(0));
    }
    return out;
  }

  Status add_solution_message_id(std::string_view message_id, Id case_id, Id proposal) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("INSERT OR IGNORE INTO message_ids (message_id, case_id, direction, "
                                   "proposal) VALUES (?, ?, 'outbound', ?)"));
    qq->bind(1, message_id).bind(2, case_id).bind(3, proposal);
    return qq->run();
  }

  Result<std::optional<MessageRef>> find_message_id(std::string_view message_id) override {
    MC_ASSIGN_OR_RETURN(auto qq,
                        q("SELECT case_id, ifnull(proposal, 0) FROM message_ids WHERE message_id = ?"));
    qq->bind(1, message_id);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return std::optional<MessageRef>();
    return std::optional<MessageRef>(MessageRef{qq->integer(0), qq->integer(1)});
  }

  Result<std::vector<std::string>> latest_message_ids(Id case_id, std::string_view direction,
                                                      int64_t limit) override {
    MC_ASSIGN_OR_RETURN(auto qq,
                        q("SELECT message_id FROM message_ids WHERE case_id = ? AND (direction = ? OR "
                          "(? = 'conversation' AND direction != 'internal')) ORDER BY rowid DESC "
                          "LIMIT ?"));
    qq->bind(1, case_id).bind(2, direction).bind(3, direction).bind(4, limit);
    std::vector<std::string> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      out.push_back(qq->text(0));
    }
    std::reverse(out.begin(), out.end());
    return out;
  }

  Result<Id> add_comment(const Comment& c) override {
    // Columns without a value are left out: an older schema (a migration that writes
    // comments before sender_verified or cc exists) takes the row too. Four texts, each a
    // literal (the statement cache is keyed by the text's address).
    static constexpr const char* kInsert[] = {
        "INSERT INTO comments (case_id, direction, author, body, quoted, visibility, raw_message_id, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        "INSERT INTO comments (case_id, direction, author, body, quoted, visibility, raw_message_id, "
        "created_at, sender_verified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "INSERT INTO comments (case_id, direction, author, body, quoted, visibility, raw_message_id, "
        "created_at, cc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "INSERT INTO comments (case_id, direction, author, body, quoted, visibility, raw_message_id, "
        "created_at, sender_verified, cc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    };
    const bool verdict = c.sender_verified.has_value();
    const bool cc = !c.cc.empty();
    MC_ASSIGN_OR_RETURN(auto qq, q(kInsert[(verdict ? 1 : 0) + (cc ? 2 : 0)]));
    qq->bind(1, c.case_id)
        .bind(2, to_string(c.direction))
        .bind(3, c.author)
        .bind_kept(4, c.body)  // `c` outlives the query
        .bind_kept(5, c.quoted);
    qq->bind(6, to_string(c.visibility)).bind(7, c.raw_message_id);
    qq->bind(8, c.created_at.empty() ? now_iso8601() : c.created_at);
    int next = 9;
    if (verdict) qq->bind(next++, int64_t{*c.sender_verified ? 1 : 0});
    if (cc) qq->bind(next, join(c.cc));
    MC_RETURN_IF_ERROR(qq->run());
    return sqlite3_last_insert_rowid(db_);
  }

  static constexpr const char* kCommentColumns =
      "id, case_id, direction, author, body, quoted, visibility, raw_message_id, created_at, sender_verified, cc";

  // One comment row, read as kCommentColumns lists them.
  static Result<Comment> comment_of(const Query& r) {
    Comment c;
    c.id = r.integer(0);
    c.case_id = r.integer(1);
    MC_ASSIGN_OR_RETURN(c.direction,
                        known_state(direction_from(r.text(2)), "comment direction", r.text(2), c.id));
    c.author = r.text(3);
    c.body = r.text(4);
    c.quoted = r.text(5);
    MC_ASSIGN_OR_RETURN(c.visibility,
                        known_state(visibility_from(r.text(6)), "comment visibility", r.text(6), c.id));
    c.raw_message_id = r.optional_id(7);
    c.created_at = r.text(8);
    if (!r.is_null(9)) c.sender_verified = r.integer(9) != 0;
    c.cc = split_commas(r.text(10));
    return c;
  }

  Result<std::vector<Comment>> comment_rows(Query& qq) {
    std::vector<Comment> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq.step());
      if (!row) break;
      MC_ASSIGN_OR_RETURN(auto c, comment_of(qq));
      out.push_back(std::move(c));
    }
    return out;
  }

  Result<std::vector<Comment>> comments_of(Id case_id) override {
    static const std::string sql =
        std::string("SELECT ") + kCommentColumns + " FROM comments WHERE case_id = ? ORDER BY id";
    MC_ASSIGN_OR_RETURN(auto qq, q(sql.c_str()));
    qq->bind(1, case_id);
    return comment_rows(*qq);
  }

  Result<std::vector<Comment>> comments_after(Id case_id, Id after) override {
    static const std::string sql =
        std::string("SELECT ") + kCommentColumns + " FROM comments WHERE case_id = ? AND id > ? ORDER BY id";
    MC_ASSIGN_OR_RETURN(auto qq, q(sql.c_str()));
    qq->bind(1, case_id).bind(2, after);
    return comment_rows(*qq);
  }

  Result<Page<Comment>> page_comments(Id case_id, const PageRequest& r) override {
    MC_RETURN_IF_ERROR(check_page_limit(r.limit));
    const std::string list = "comments:" + std::to_string(case_id);
    int64_t after = 0;
    if (r.cursor) {
      MC_ASSIGN_OR_RETURN(after, decode_id_cursor(list, *r.cursor));
    }
    // Oldest first: one range of comments_case (case_id, and the rowid it carries).
    static const std::string sql = std::string("SELECT ") + kCommentColumns +
                                   " FROM comments WHERE case_id = ? AND id > ? ORDER BY id LIMIT ?";
    std::vector<Comment> rows;
    {
      MC_ASSIGN_OR_RETURN(auto qq, q(sql.c_str()));
      qq->bind(1, case_id).bind(2, after).bind(3, int64_t{r.limit} + 1);
      MC_ASSIGN_OR_RETURN(rows, comment_rows(*qq));
    }
    auto page =
        finish_page(std::move(rows), r.limit, list, [](const Comment& c) { return std::to_string(c.id); });
    if (r.count) {
      MC_ASSIGN_OR_RETURN(auto qq, q("SELECT count(*) FROM comments WHERE case_id = ?"));
      qq->bind(1, case_id);
      MC_ASSIGN_OR_RETURN(page.total, count_of(*qq));
    }
    return page;
  }

  Result<Id> add_attachment(const Attachment& a) override {
    MC_ASSIGN_OR_RETURN(
        auto qq,
        q("INSERT INTO attachments (case_id, comment_id, filename, content_type, size, sha256, content_id, "
          "is_inline, blob_location) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    qq->bind(1, a.case_id).bind(2, a.comment_id).bind(3, a.filename).bind(4, a.content_type);
    qq->bind(5, static_cast<int64_t>(a.size)).bind(6, a.sha256).bind(7, a.content_id);
    qq->bind(8, int64_t{a.is_inline ? 1 : 0}).bind(9, a.blob_location);
    MC_RETURN_IF_ERROR(qq->run());
    return sqlite3_last_insert_rowid(db_);
  }

  static constexpr const char* kAttachmentColumns =
      "id, case_id, comment_id, filename, content_type, size, sha256, content_id, is_inline, blob_location";

  // One attachment row, read as kAttachmentColumns lists them.
  static Attachment attachment_of(const Query& r) {
    Attachment a;
    a.id = r.integer(0);
    a.case_id = r.integer(1);
    a.comment_id = r.optional_id(2);
    a.filename = r.text(3);
    a.content_type = r.text(4);
    a.size = static_cast<uint64_t>(r.integer(5));
    a.sha256 = r.text(6);
    a.content_id = r.text(7);
    a.is_inline = r.integer(8) != 0;
    a.blob_location = r.text(9);
    return a;
  }

  Result<std::vector<Attachment>> attachments_of(Id case_id) override {
    static const std::string sql =
        std::string("SELECT ") + kAttachmentColumns + " FROM attachments WHERE case_id = ? ORDER BY id";
    MC_ASSIGN_OR_RETURN(auto qq, q(sql.c_str()));
    qq->bind(1, case_id);
    std::vector<Attachment> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      out.push_back(attachment_of(*qq));
    }
    return out;
  }

  Result<std::optional<Attachment>> get_attachment(Id id) override {
    static const std::string sql =
        std::string("SELECT ") + kAttachmentColumns + " FROM attachments WHERE id = ?";
    MC_ASSIGN_OR_RETURN(auto qq, q(sql.c_str()));
    qq->bind(1, id);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return std::optional<Attachment>();
    return std::optional<Attachment>(attachment_of(*qq));
  }

  Status add_participant(Id case_id, std::string_view email, std::string_view source) override {
    MC_ASSIGN_OR_RETURN(
        auto qq,
        q("INSERT OR IGNORE INTO case_participants (case_id, email, source, added_at) VALUES (?, ?, ?, ?)"));
    qq->bind(1, case_id).bind(2, text::normalize_email(email)).bind(3, source).bind(4, now_iso8601());
    return qq->run();
  }

  Status remove_participant(Id case_id, std::string_view email) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("DELETE FROM case_participants WHERE case_id = ? AND email = ?"));
    qq->bind(1, case_id).bind(2, text::normalize_email(email));
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0)
      return fail(ErrorCode::kNotFound, "no participant " + text::normalize_email(email));
    return {};
  }

  Result<std::vector<Participant>> participants_of(Id case_id) override {
    MC_ASSIGN_OR_RETURN(
        auto qq,
        q("SELECT case_id, email, source, added_at FROM case_participants WHERE case_id = ? ORDER BY rowid"));
    qq->bind(1, case_id);
    std::vector<Participant> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      Participant p;
      p.case_id = qq->integer(0);
      p.email = qq->text(1);
      p.source = qq->text(2);
      p.added_at = qq->text(3);
      out.push_back(std::move(p));
    }
    return out;
  }

  Result<bool> is_participant(Id case_id, std::string_view email) override {
    MC_ASSIGN_OR_RETURN(auto qq, q(kSqliteIsParticipantSql));
    qq->bind(1, case_id).bind(2, text::normalize_email(email));
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    return row;
  }

  Result<std::vector<QueueCount>> count_open_by_queue() override {
    MC_ASSIGN_OR_RETURN(auto qq, q(kSqliteOpenCaseCountsSql));
    std::vector<QueueCount> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      const std::string queue = qq->text(0);
      if (out.empty() || out.back().queue != queue) out.push_back(QueueCount{queue});
      const std::string status = qq->text(1);
      const int64_t n = qq->integer(2);
      if (status == "new")
        out.back().new_cases = n;
      else if (status == "open")
        out.back().open = n;
      else
        out.back().solution_proposed = n;
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<CaseRepository> make_cases(Connection& c) {
  return std::make_unique<Cases>(c);
}

}  // namespace mailcase::store::sqlite

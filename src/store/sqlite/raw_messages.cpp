// SQLite repository of raw messages.
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/sqlite/connection.h"
#include "store/sqlite/repositories.h"

namespace mailcase::store::sqlite {
namespace {

class RawMessages final : public RawMessageRepository, SqliteRepository {
 public:
  explicit RawMessages(Connection& c) : SqliteRepository(c) {}

  static constexpr const char* kRawColumns =
      "id, sha256, size, source, recipients, state, outcome, reason, COALESCE(dedupe_key, ''), message_id, "
      "from_addr, subject, case_id, received_at, attempts, spool_location, envelope_sender, auth_server, "
      "dkim, "
      "spf, dmarc, sender_verified, spam, spam_score, spam_detail, problems";

  static std::vector<std::string> problem_lines(const std::string& text) {
    std::vector<std::string> out;
    size_t at = 0;
    while (at < text.size()) {
      const size_t end = std::min(text.find('\n', at), text.size());
      out.push_back(text.substr(at, end - at));
      at = end + 1;
    }
    return out;
  }

  static Result<RawMessage> raw_from(const Query& r) {
    RawMessage m;
    m.id = r.integer(0);
    m.sha256 = r.text(1);
    m.size = static_cast<uint64_t>(r.integer(2));
    m.source = r.text(3);
    m.recipients = split_commas(r.text(4));
    MC_ASSIGN_OR_RETURN(m.state,
                        known_state(raw_state_from(r.text(5)), "raw message state", r.text(5), m.id));
    m.outcome = r.text(6);
    m.reason = r.text(7);
    m.dedupe_key = r.text(8);
    m.message_id = r.text(9);
    m.from = r.text(10);
    m.subject = r.text(11);
    m.case_id = r.optional_id(12);
    m.received_at = r.text(13);
    m.attempts = static_cast<int>(r.integer(14));
    m.spool_location = r.text(15);
    if (!r.is_null(16)) m.envelope_sender = r.text(16);
    m.auth_server = r.text(17);
    m.dkim = r.text(18);
    m.spf = r.text(19);
    m.dmarc = r.text(20);
    m.sender_verified = r.integer(21) != 0;
    m.spam = r.text(22);
    if (!r.is_null(23)) m.spam_score = r.real(23);
    m.spam_detail = r.text(24);
    m.problems = problem_lines(r.text(25));
    return m;
  }

  Result<std::optional<RawMessage>> raw_one(const char* sql, std::string_view key, std::optional<Id> id) {
    MC_ASSIGN_OR_RETURN(auto qq, q(sql));
    if (id)
      qq->bind(1, *id);
    else
      qq->bind(1, key);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return std::optional<RawMessage>();
    MC_ASSIGN_OR_RETURN(auto m, raw_from(*qq));
    return std::optional<RawMessage>(std::move(m));
  }

  Result<std::optional<RawMessage>> find_copy_by_sha(std::string_view sha256) override {
    // The state term is the partial index's own (raw_messages_copies), word for word, so
    // that SQLite uses it.
    static const std::string sql = std::string("SELECT ") + kRawColumns +
                                   " FROM raw_messages WHERE sha256 = ? AND state IN ('received', 'duplicate')"
                                   " ORDER BY id LIMIT 1";
    return raw_one(sql.c_str(), sha256, std::nullopt);
  }

  Result<std::optional<RawMessage>> find_raw_by_dedupe_key(std::string_view key) override {
    static const std::string sql =
        std::string("SELECT ") + kRawColumns + " FROM raw_messages WHERE dedupe_key = ?";
    return raw_one(sql.c_str(), key, std::nullopt);
  }

  Result<std::optional<RawMessage>> get_raw(Id id) override {
    static const std::string sql = std::string("SELECT ") + kRawColumns + " FROM raw_messages WHERE id = ?";
    return raw_one(sql.c_str(), {}, id);
  }

  Result<Id> insert_raw(const RawMessage& m) override {
    MC_ASSIGN_OR_RETURN(
        auto qq,
        q("INSERT INTO raw_messages (sha256, size, source, recipients, state, received_at, spool_location, "
          "envelope_sender) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    qq->bind(1, m.sha256).bind(2, static_cast<int64_t>(m.size)).bind(3, m.source);
    qq->bind(4, join(m.recipients)).bind(5, to_string(m.state));
    qq->bind(6, m.received_at.empty() ? now_iso8601() : m.received_at);
    qq->bind(7, m.spool_location);
    if (m.envelope_sender)
      qq->bind(8, *m.envelope_sender);
    else
      qq->bind_null(8);
    MC_RETURN_IF_ERROR(qq->run());
    return sqlite3_last_insert_rowid(db_);
  }

  Status update_raw(const RawMessage& m) override {
    MC_ASSIGN_OR_RETURN(
        auto qq,
        q("UPDATE raw_messages SET state = ?, outcome = ?, reason = ?, dedupe_key = ?, message_id = ?, "
          "from_addr = ?, "
          "subject = ?, case_id = ?, attempts = ?, envelope_sender = ?, auth_server = ?, dkim = ?, spf = ?, "
          "dmarc = ?, sender_verified = ?, spam = ?, spam_score = ?, spam_detail = ?, problems = ? WHERE id "
          "= ?"));
    qq->bind(1, to_string(m.state)).bind(2, m.outcome).bind(3, m.reason);
    if (m.dedupe_key.empty())
      qq->bind_null(4);
    else
      qq->bind(4, m.dedupe_key);
    qq->bind(5, m.message_id).bind(6, m.from).bind(7, m.subject).bind(8, m.case_id);
    qq->bind(9, int64_t{m.attempts});
    if (m.envelope_sender)
      qq->bind(10, *m.envelope_sender);
    else
      qq->bind_null(10);
    qq->bind(11, m.auth_server).bind(12, m.dkim).bind(13, m.spf).bind(14, m.dmarc);
    qq->bind(15, int64_t{m.sender_verified ? 1 : 0}).bind(16, m.spam);
    if (m.spam_score)
      qq->bind_double(17, *m.spam_score);
    else
      qq->bind_null(17);
    qq->bind(18, m.spam_detail);
    // One a line: each is one line (ParsedMessage::problems).
    std::string problems;
    for (const auto& line : m.problems) {
      if (!problems.empty()) problems += '\n';
      problems += line;
    }
    qq->bind(19, problems);
    qq->bind(20, m.id);
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0) return fail(ErrorCode::kNotFound, "no message " + std::to_string(m.id));
    return {};
  }

  Result<std::vector<RawMessage>> list_raw(const MessageFilter& f) override {
    static const std::string all =
        std::string("SELECT ") + kRawColumns + " FROM raw_messages ORDER BY id LIMIT ?";
    static const std::string by_state =
        std::string("SELECT ") + kRawColumns + " FROM raw_messages WHERE state = ? ORDER BY id LIMIT ?";
    MC_ASSIGN_OR_RETURN(auto qq, q(f.state ? by_state.c_str() : all.c_str()));
    if (f.state)
      qq->bind(1, to_string(*f.state)).bind(2, int64_t{f.limit});
    else
      qq->bind(1, int64_t{f.limit});
    std::vector<RawMessage> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      MC_ASSIGN_OR_RETURN(auto m, raw_from(*qq));
      out.push_back(std::move(m));
    }
    return out;
  }

  Result<Page<RawMessage>> page_raw(std::optional<RawState> state, const PageRequest& r) override {
    MC_RETURN_IF_ERROR(check_page_limit(r.limit));
    const std::string list = std::string("messages:") + (state ? to_string(*state) : "");
    int64_t before = INT64_MAX;
    if (r.cursor) {
      MC_ASSIGN_OR_RETURN(before, decode_id_cursor(list, *r.cursor));
    }
    // Newest first: raw_messages_state is (state, rowid), so a state's page is one range.
    static const std::string all =
        std::string("SELECT ") + kRawColumns + " FROM raw_messages WHERE id < ? ORDER BY id DESC LIMIT ?";
    static const std::string by_state =
        std::string("SELECT ") + kRawColumns +
        " FROM raw_messages WHERE state = ? AND id < ? ORDER BY id DESC LIMIT ?";
    std::vector<RawMessage> rows;
    {
      MC_ASSIGN_OR_RETURN(auto qq, q(state ? by_state.c_str() : all.c_str()));
      int i = 1;
      if (state) qq->bind(i++, to_string(*state));
      qq->bind(i, before);
      qq->bind(i + 1, int64_t{r.limit} + 1);
      while (true) {
        MC_ASSIGN_OR_RETURN(auto row, qq->step());
        if (!row) break;
        MC_ASSIGN_OR_RETURN(auto m, raw_from(*qq));
        rows.push_back(std::move(m));
      }
    }
    auto page =
        finish_page(std::move(rows), r.limit, list, [](const RawMessage& m) { return std::to_string(m.id); });
    if (r.count) {
      MC_ASSIGN_OR_RETURN(auto qq, q(state ? "SELECT count(*) FROM raw_messages WHERE state = ?"
                                           : "SELECT count(*) FROM raw_messages"));
      if (state) qq->bind(1, to_string(*state));
      MC_ASSIGN_OR_RETURN(page.total, count_of(*qq));
    }
    return page;
  }

  Status allow_spam_sender(std::string_view email, std::string_view by) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("INSERT INTO spam_allowed_senders (email, added_by, added_at) VALUES (?, ?, ?) "
                                   "ON CONFLICT(email) DO NOTHING"));
    qq->bind(1, email).bind(2, by).bind(3, now_iso8601());
    return qq->run();
  }

  Result<bool> spam_sender_allowed(std::string_view email) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT 1 FROM spam_allowed_senders WHERE email = ?"));
    qq->bind(1, email);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    return row;
  }

  Result<Id> keep_bytes(std::string_view bytes) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("INSERT INTO kept_bytes (bytes) VALUES (?)"));
    qq->bind_blob(1, bytes);
    MC_RETURN_IF_ERROR(qq->run());
    return sqlite3_last_insert_rowid(db_);
  }

  Result<std::optional<std::string>> kept_bytes(Id id) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT bytes FROM kept_bytes WHERE id = ?"));
    qq->bind(1, id);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return std::optional<std::string>{};
    return std::optional<std::string>(qq->blob(0));
  }
};

}  // namespace

std::unique_ptr<RawMessageRepository> make_raw_messages(Connection& c) {
  return std::make_unique<RawMessages>(c);
}

}  // namespace mailcase::store::sqlite

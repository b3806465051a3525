// SQLite repository of case events (the history).
#include <sqlite3.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "store/sqlite/connection.h"
#include "store/sqlite/repositories.h"

namespace mailcase::store::sqlite {
namespace {

class Events final : public EventRepository, SqliteRepository {
 public:
  explicit Events(Connection& c) : SqliteRepository(c) {}

  Status add_event(const Event& e) override {
    auto details = nlohmann::json::object();
    for (const auto& [k, v] : e.details) details[k] = v;
    MC_ASSIGN_OR_RETURN(
        auto qq,
        q("INSERT INTO events (case_id, at, actor_kind, actor, action, details) VALUES (?, ?, ?, ?, ?, ?)"));
    // Details may quote mail text: invalid UTF-8 is replaced rather than refused.
    qq->bind(1, e.case_id)
        .bind(2, e.at.empty() ? now_iso8601() : e.at)
        .bind(3, to_string(e.actor_kind))
        .bind(4, e.actor)
        .bind(5, to_string(e.action))
        .bind(6, details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return qq->run();
  }

  static constexpr const char* kEventColumns = "id, case_id, at, actor_kind, actor, action, details";

  // One event row, read as kEventColumns lists them.
  static Result<Event> event_of(const Query& r) {
    Event e;
    e.id = r.integer(0);
    e.case_id = r.optional_id(1);
    e.at = r.text(2);
    const std::string where = "event " + std::to_string(e.id) + ": ";
    const std::string kind = r.text(3);
    auto k = actor_kind_from(kind);
    if (!k) return fail(ErrorCode::kInternal, where + "unknown actor kind '" + kind + "'");
    e.actor_kind = *k;
    e.actor = r.text(4);
    const std::string action = r.text(5);
    auto a = event_action_from(action);
    if (!a) return fail(ErrorCode::kInternal, where + "unknown action '" + action + "'");
    e.action = *a;
    auto details = nlohmann::json::parse(r.text(6), nullptr, false);
    if (details.is_discarded() || !details.is_object())
      return fail(ErrorCode::kInternal, where + "details are not a JSON object");
    for (const auto& [k2, v] : details.items()) {
      if (!v.is_string()) return fail(ErrorCode::kInternal, where + "detail '" + k2 + "' is not text");
      e.details[k2] = v.get<std::string>();
    }
    return e;
  }

  Result<std::vector<Event>> event_rows(Query& qq) {
    std::vector<Event> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq.step());
      if (!row) break;
      MC_ASSIGN_OR_RETURN(auto e, event_of(qq));
      out.push_back(std::move(e));
    }
    return out;
  }

  Result<std::vector<Event>> events_of(Id case_id) override {
    static const std::string sql =
        std::string("SELECT ") + kEventColumns + " FROM events WHERE case_id = ? ORDER BY id";
    MC_ASSIGN_OR_RETURN(auto qq, q(sql.c_str()));
    qq->bind(1, case_id);
    return event_rows(*qq);
  }

  Result<EventCount> count_events(Id case_id, EventAction action) override {
    // On index events_case (case_id, id): the case's events only.
    MC_ASSIGN_OR_RETURN(
        auto qq, q("SELECT count(*), ifnull(max(id), 0) FROM events WHERE case_id = ? AND action = ?"));
    qq->bind(1, case_id).bind(2, to_string(action));
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return EventCount{};
    return EventCount{qq->integer(0), qq->integer(1)};
  }

  Result<Id> last_event_id(Id case_id) override {
    // The last entry of the case's range of events_case: one step, however many events.
    MC_ASSIGN_OR_RETURN(auto qq, q("SELECT id FROM events WHERE case_id = ? ORDER BY id DESC LIMIT 1"));
    qq->bind(1, case_id);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    return row ? qq->integer(0) : Id{0};
  }

  Result<Page<Event>> page_events(Id case_id, const PageRequest& r) override {
    MC_RETURN_IF_ERROR(check_page_limit(r.limit));
    const std::string list = "events:" + std::to_string(case_id);
    int64_t after = 0;
    if (r.cursor) {
      MC_ASSIGN_OR_RETURN(after, decode_id_cursor(list, *r.cursor));
    }
    // Oldest first: one range of events_case (case_id, id).
    static const std::string sql = std::string("SELECT ") + kEventColumns +
                                   " FROM events WHERE case_id = ? AND id > ? ORDER BY id LIMIT ?";
    std::vector<Event> rows;
    {
      MC_ASSIGN_OR_RETURN(auto qq, q(sql.c_str()));
      qq->bind(1, case_id).bind(2, after).bind(3, int64_t{r.limit} + 1);
      MC_ASSIGN_OR_RETURN(rows, event_rows(*qq));
    }
    auto page =
        finish_page(std::move(rows), r.limit, list, [](const Event& e) { return std::to_string(e.id); });
    if (r.count) {
      MC_ASSIGN_OR_RETURN(auto qq, q("SELECT count(*) FROM events WHERE case_id = ?"));
      qq->bind(1, case_id);
      MC_ASSIGN_OR_RETURN(page.total, count_of(*qq));
    }
    return page;
  }

  Result<Page<Event>> page_admin_events(const PageRequest& r) override {
    MC_RETURN_IF_ERROR(check_page_limit(r.limit));
    int64_t before = INT64_MAX;
    if (r.cursor) {
      MC_ASSIGN_OR_RETURN(before, decode_id_cursor("events:admin", *r.cursor));
    }
    // Newest first: the NULL range of events_case (case_id, id), read backwards.
    static const std::string sql = std::string("SELECT ") + kEventColumns +
                                   " FROM events WHERE case_id IS NULL AND id < ? ORDER BY id DESC LIMIT ?";
    std::vector<Event> rows;
    {
      MC_ASSIGN_OR_RETURN(auto qq, q(sql.c_str()));
      qq->bind(1, before).bind(2, int64_t{r.limit} + 1);
      MC_ASSIGN_OR_RETURN(rows, event_rows(*qq));
    }
    auto page = finish_page(std::move(rows), r.limit, "events:admin",
                            [](const Event& e) { return std::to_string(e.id); });
    if (r.count) {
      MC_ASSIGN_OR_RETURN(auto qq, q("SELECT count(*) FROM events WHERE case_id IS NULL"));
      MC_ASSIGN_OR_RETURN(page.total, count_of(*qq));
    }
    return page;
  }
};

}  // namespace

std::unique_ptr<EventRepository> make_events(Connection& c) {
  return std::make_unique<Events>(c);
}

}  // namespace mailcase::store::sqlite

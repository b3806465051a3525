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

  Result<std::vector<Event>> events_of(Id case_id) override {
    MC_ASSIGN_OR_RETURN(
        auto qq,
        q("SELECT id, case_id, at, actor_kind, actor, action, details FROM events WHERE case_id = ? ORDER BY "
          "id"));
    qq->bind(1, case_id);
    std::vector<Event> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      Event e;
      e.id = qq->integer(0);
      e.case_id = qq->optional_id(1);
      e.at = qq->text(2);
      const std::string where = "event " + std::to_string(e.id) + ": ";
      const std::string kind = qq->text(3);
      auto k = actor_kind_from(kind);
      if (!k) return fail(ErrorCode::kInternal, where + "unknown actor kind '" + kind + "'");
      e.actor_kind = *k;
      e.actor = qq->text(4);
      const std::string action = qq->text(5);
      auto a = event_action_from(action);
      if (!a) return fail(ErrorCode::kInternal, where + "unknown action '" + action + "'");
      e.action = *a;
      auto details = nlohmann::json::parse(qq->text(6), nullptr, false);
      if (details.is_discarded() || !details.is_object())
        return fail(ErrorCode::kInternal, where + "details are not a JSON object");
      for (const auto& [k2, v] : details.items()) {
        if (!v.is_string()) return fail(ErrorCode::kInternal, where + "detail '" + k2 + "' is not text");
        e.details[k2] = v.get<std::string>();
      }
      out.push_back(std::move(e));
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<EventRepository> make_events(Connection& c) {
  return std::make_unique<Events>(c);
}

}  // namespace mailcase::store::sqlite

// SQLite repository of surveys.
#include <sqlite3.h>

#include <memory>

#include "store/sqlite/connection.h"
#include "store/sqlite/repositories.h"

namespace mailcase::store::sqlite {
namespace {

class Surveys final : public SurveyRepository, SqliteRepository {
 public:
  explicit Surveys(Connection& c) : SqliteRepository(c) {}

  Status put_survey(const Survey& sv) override {
    MC_ASSIGN_OR_RETURN(
        auto qq,
        q("INSERT OR REPLACE INTO surveys (case_id, rating, comment, created_at) VALUES (?, ?, ?, ?)"));
    qq->bind(1, sv.case_id).bind(2, int64_t{sv.rating}).bind(3, sv.comment).bind(4, now_iso8601());
    return qq->run();
  }

  Result<std::optional<Survey>> get_survey(Id case_id) override {
    MC_ASSIGN_OR_RETURN(auto qq,
                        q("SELECT case_id, rating, comment, created_at FROM surveys WHERE case_id = ?"));
    qq->bind(1, case_id);
    MC_ASSIGN_OR_RETURN(auto row, qq->step());
    if (!row) return std::optional<Survey>();
    Survey sv;
    sv.case_id = qq->integer(0);
    sv.rating = static_cast<int>(qq->integer(1));
    sv.comment = qq->text(2);
    sv.created_at = qq->text(3);
    return std::optional<Survey>(sv);
  }
};

}  // namespace

std::unique_ptr<SurveyRepository> make_surveys(Connection& c) {
  return std::make_unique<Surveys>(c);
}

}  // namespace mailcase::store::sqlite

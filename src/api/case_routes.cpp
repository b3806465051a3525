// Cases: list and search, one case.
#include "api/requests.h"
#include "api/routes.h"
#include "cases/case_view.h"
#include "present/json.h"

namespace mailcase::api {
namespace {

// The number of a case in a path: the route's pattern admits only these characters.
constexpr const char* kNumber = R"(([A-Za-z0-9_-]{1,64}))";

void list_cases(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto query = case_query_of(req.params);
  if (!query) return send_problem(res, query.error());
  auto unit = ctx.store.open_unit(store::access_for(*query));
  if (!unit) return send_error(res, unit.error());
  auto page = store::find_cases_in(*unit, *query);
  if (!page) return send_error(res, page.error());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& hit : page->items) {
    auto j = present::case_json(hit.summary);
    if (query->text) j["snippet"] = hit.snippet;
    items.push_back(std::move(j));
  }
  nlohmann::json out{{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (page->next_cursor) out["next_cursor"] = *page->next_cursor;
  if (page->total) out["total"] = *page->total;
  send_json(res, 200, out);
}

void show_case(Context& ctx, const std::string& number, httplib::Response& res) {
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_error(res, unit.error());
  auto view = cases::load_case(*unit, number);
  if (!view) return send_error(res, view.error());
  send_tagged_json(res, 200, present::case_detail_json(*view));
}

}  // namespace

void mount_case_routes(web::HttpServer& server, Context& ctx) {
  server.get("/api/v1/cases", "/api/v1/cases",
             authed(ctx, Need::kAgent,
                    [&ctx](const store::Agent&, const httplib::Request& req, httplib::Response& res) {
                      list_cases(ctx, req, res);
                    }));
  server.get("/api/v1/cases/{number}", std::string("/api/v1/cases/") + kNumber,
             authed(ctx, Need::kAgent,
                    [&ctx](const store::Agent&, const httplib::Request& req, httplib::Response& res) {
                      show_case(ctx, req.matches[1], res);
                    }));
}

}  // namespace mailcase::api

// Processes with stages (issue 15, CW4): GET /api/v1/processes (any agent) and
// POST /api/v1/processes (admins). The write goes through admin/processes.h, as the
// command line's does; a case moves between stages with PATCH /api/v1/cases/{number}.
#include "admin/processes.h"
#include "api/lists.h"
#include "api/routes.h"
#include "present/json.h"
#include "util/text.h"

namespace mailcase::api {
namespace {

#define MC_API_FIELD(var, expr) \
  auto var = (expr);            \
  if (!var) return send_problem(res, std::move(var.error()))

void list_processes(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto r = page_request_of(req.params);
  if (!r) return send_problem(res, r.error());
  // Processes are few (a help desk's ways of working): read whole, paged by name.
  auto all = admin::list_processes(ctx.store);
  if (!all) return send_error(res, all.error());
  std::string after;
  if (r->cursor) {
    auto key = store::decode_cursor("processes", *r->cursor);
    if (!key) return send_failure(res, key.error());
    after = *key;
  }
  store::Page<store::Process> page;
  for (const auto& p : *all) {
    if (!after.empty() && p.name <= after) continue;
    if (page.items.size() == static_cast<size_t>(r->limit)) {
      page.next_cursor = store::encode_cursor("processes", page.items.back().name);
      break;
    }
    page.items.push_back(p);
  }
  if (r->count) page.total = static_cast<int64_t>(all->size());
  send_json(res, 200, page_json(page, present::process_json));
}

void add_process(Context& ctx, const store::Agent& by, const httplib::Request& req, httplib::Response& res) {
  MC_API_FIELD(body, body_of(req));
  MC_API_FIELD(name, string_field(*body, "name", domain::kMaxProcessNameBytes + 1));
  MC_API_FIELD(stages, string_list_field(*body, "stages", domain::kMaxStages, domain::kMaxStageBytes));
  for (const auto& [key, value] : body->items()) {
    (void)value;
    if (key != "name" && key != "stages")
      return send_problem(res, field_problem(key, "not a field of a process"));
  }
  // "name: why" and "stages: why" become problems naming the field (send_failure).
  if (auto ok = domain::check_process_name(name->value_or("")); !ok) return send_failure(res, ok.error());
  if (auto ok = domain::check_stages(stages->value_or(std::vector<std::string>{})); !ok)
    return send_failure(res, ok.error());
  auto p = admin::add_process(ctx.store, **name, **stages, by.email);
  if (!p) return send_failure(res, p.error());
  res.set_header("Location", "/api/v1/processes/" + text::url_encode(p->name, ""));
  send_json(res, 201, present::process_json(*p));
}

void show_process(Context& ctx, const std::string& name, httplib::Response& res) {
  auto all = admin::list_processes(ctx.store);  // a help desk's few ways of working
  if (!all) return send_error(res, all.error());
  for (const auto& p : *all)
    if (p.name == name) return send_json(res, 200, present::process_json(p));
  send_problem(res, Problem{404, "no process named " + name, {}});
}

}  // namespace

void mount_process_routes(web::HttpServer& server, Context& ctx) {
  server.get(
      "/api/v1/processes", "/api/v1/processes",
      authed(ctx, Need::kAgent, [&ctx](const store::Agent&, const httplib::Request& q, httplib::Response& s) {
        list_processes(ctx, q, s);
      }));
  server.get(
      "/api/v1/processes/{name}", std::string("/api/v1/processes/") + kSegmentPattern,
      authed(ctx, Need::kAgent, [&ctx](const store::Agent&, const httplib::Request& q, httplib::Response& s) {
        show_process(ctx, q.matches[1].str(), s);
      }));
  server.post("/api/v1/processes", "/api/v1/processes",
              authed(ctx, Need::kAdmin,
                     [&ctx](const store::Agent& a, const httplib::Request& q, httplib::Response& s) {
                       add_process(ctx, a, q, s);
                     }));
}

}  // namespace mailcase::api

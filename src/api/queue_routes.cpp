// Queues and their members, and an agent's notification settings: GET /api/v1/queues
// (any agent), POST /api/v1/queues, POST /api/v1/queues/{name}/members and
// DELETE /api/v1/queues/{name}/members/{email} (admins),
// GET|PATCH /api/v1/me (the token's own agent: its notification settings). Every write goes
// through admin/queues.h, as the command line's do.
#include "admin/queues.h"
#include "api/lists.h"
#include "api/routes.h"
#include "present/json.h"
#include "util/text.h"

namespace mailcase::api {

Checked<std::optional<store::NotifySettingsPatch>> notify_patch_of(const nlohmann::json& body) {
  auto it = body.find("notify");
  if (it == body.end() || it->is_null()) return std::optional<store::NotifySettingsPatch>{};
  if (!it->is_object())
    return tl::unexpected(
        field_problem("notify", "an object of new_case, reply and assigned (true or false)"));
  store::NotifySettingsPatch p;
  const std::pair<const char*, std::optional<bool>*> fields[] = {
      {"new_case", &p.new_case}, {"reply", &p.reply}, {"assigned", &p.assigned}};
  for (const auto& [name, out] : fields) {
    auto v = bool_field(*it, name);
    if (!v) return tl::unexpected(field_problem(std::string("notify.") + name, "must be true or false"));
    *out = *v;
  }
  for (const auto& [key, value] : it->items()) {
    (void)value;
    if (key != "new_case" && key != "reply" && key != "assigned")
      return tl::unexpected(field_problem("notify." + key, "no such setting (new_case, reply, assigned)"));
  }
  return std::optional<store::NotifySettingsPatch>{p};
}

namespace {

#define MC_API_FIELD(var, expr) \
  auto var = (expr);            \
  if (!var) return send_problem(res, std::move(var.error()))

void list_queues(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto r = page_request_of(req.params);
  if (!r) return send_problem(res, r.error());
  // Queues are few (a help desk's teams): read whole, paged by name.
  auto all = admin::list_queues(ctx.store);
  if (!all) return send_error(res, all.error());
  std::string after;
  if (r->cursor) {
    auto key = store::decode_cursor("queues", *r->cursor);
    if (!key) return send_failure(res, key.error());
    after = *key;
  }
  store::Page<store::Queue> page;
  for (const auto& q : *all) {
    if (!after.empty() && q.name <= after) continue;
    if (page.items.size() == static_cast<size_t>(r->limit)) {
      page.next_cursor = store::encode_cursor("queues", page.items.back().name);
      break;
    }
    page.items.push_back(q);
  }
  if (r->count) page.total = static_cast<int64_t>(all->size());
  send_json(res, 200, page_json(page, present::queue_json));
}

void show_queue(Context& ctx, const std::string& name, httplib::Response& res) {
  auto all = admin::list_queues(ctx.store);  // a help desk's few teams
  if (!all) return send_error(res, all.error());
  for (const auto& q : *all)
    if (q.name == name) return send_json(res, 200, present::queue_json(q));
  send_problem(res, Problem{404, "no queue named " + name, {}});
}

void add_queue(Context& ctx, const store::Agent& by, const httplib::Request& req, httplib::Response& res) {
  MC_API_FIELD(body, body_of(req));
  MC_API_FIELD(name, string_field(*body, "name", admin::kMaxQueueNameBytes + 1));
  MC_API_FIELD(agents, string_list_field(*body, "agents", admin::kMaxQueueAgents, 320));
  if (auto bad = admin::check_queue_name(name->value_or("")))
    return send_problem(res, field_problem(bad->field, bad->message));
  auto q = admin::add_queue(ctx.store, **name, agents->value_or(std::vector<std::string>{}), by.email);
  if (!q) {
    if (q.error().code == ErrorCode::kNotFound)
      return send_problem(res, field_problem("agents", q.error().message));
    return send_failure(res, q.error());
  }
  res.set_header("Location", "/api/v1/queues/" + text::url_encode(q->name, ""));
  send_json(res, 201, present::queue_json(*q));
}

void add_member(Context& ctx, const store::Agent& by, const httplib::Request& req, httplib::Response& res) {
  MC_API_FIELD(body, body_of(req));
  MC_API_FIELD(email, string_field(*body, "email", 320));
  if (!*email || text::trim(**email).empty())
    return send_problem(res, field_problem("email", "the email of an agent"));
  auto q = admin::add_queue_member(ctx.store, req.matches[1].str(), **email, by.email);
  if (!q) {
    if (q.error().code == ErrorCode::kNotFound)
      return send_problem(res, field_problem("email", q.error().message));
    return send_failure(res, q.error());
  }
  send_json(res, 200, present::queue_json(*q));
}

// DELETE takes no body here (the server refuses one): the member is the path's last segment.
void remove_member(Context& ctx, const store::Agent& by, const httplib::Request& req,
                   httplib::Response& res) {
  auto q = admin::remove_queue_member(ctx.store, req.matches[1].str(), req.matches[2].str(), by.email);
  if (!q) return send_failure(res, q.error());
  send_json(res, 200, present::queue_json(*q));
}

void show_me(const store::Agent& me, httplib::Response& res) {
  send_json(res, 200, present::agent_json(me));
}

void patch_me(Context& ctx, const store::Agent& me, const httplib::Request& req, httplib::Response& res) {
  MC_API_FIELD(body, body_of(req));
  MC_API_FIELD(notify, notify_patch_of(*body));
  for (const auto& [key, value] : body->items()) {
    (void)value;
    if (key != "notify")
      return send_problem(res,
                          field_problem(key, "not changeable here (only notify; an admin changes the rest)"));
  }
  auto a = admin::set_agent_notify(ctx.store, me.email, notify->value_or(store::NotifySettingsPatch{}));
  if (!a) return send_failure(res, a.error());
  send_json(res, 200, present::agent_json(*a));
}

}  // namespace

void mount_queue_routes(web::HttpServer& server, Context& ctx) {
  const std::string segment = kSegmentPattern;
  server.get(
      "/api/v1/queues", "/api/v1/queues",
      authed(ctx, Need::kAgent, [&ctx](const store::Agent&, const httplib::Request& q, httplib::Response& s) {
        list_queues(ctx, q, s);
      }));
  server.post("/api/v1/queues", "/api/v1/queues",
              authed(ctx, Need::kAdmin,
                     [&ctx](const store::Agent& a, const httplib::Request& q, httplib::Response& s) {
                       add_queue(ctx, a, q, s);
                     }));
  server.get(
      "/api/v1/queues/{name}", "/api/v1/queues/" + segment,
      authed(ctx, Need::kAgent, [&ctx](const store::Agent&, const httplib::Request& q, httplib::Response& s) {
        show_queue(ctx, q.matches[1].str(), s);
      }));
  server.post("/api/v1/queues/{name}/members", "/api/v1/queues/" + segment + "/members",
              authed(ctx, Need::kAdmin,
                     [&ctx](const store::Agent& a, const httplib::Request& q, httplib::Response& s) {
                       add_member(ctx, a, q, s);
                     }));
  server.del("/api/v1/queues/{name}/members/{email}", "/api/v1/queues/" + segment + "/members/" + segment,
             authed(ctx, Need::kAdmin,
                    [&ctx](const store::Agent& a, const httplib::Request& q, httplib::Response& s) {
                      remove_member(ctx, a, q, s);
                    }));
  server.get(
      "/api/v1/me", "/api/v1/me",
      authed(ctx, Need::kAgent,
             [](const store::Agent& a, const httplib::Request&, httplib::Response& s) { show_me(a, s); }));
  server.patch("/api/v1/me", "/api/v1/me",
               authed(ctx, Need::kAgent,
                      [&ctx](const store::Agent& a, const httplib::Request& q, httplib::Response& s) {
                        patch_me(ctx, a, q, s);
                      }));
}

}  // namespace mailcase::api

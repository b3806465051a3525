#include "api/api.h"

#include <spdlog/spdlog.h>

#include "access/authenticate.h"
#include "api/requests.h"
#include "api/routes.h"
#include "present/json.h"
#include "util/clock.h"

namespace mailcase::api {

Api::Api(store::Store& store, services::CaseServices& cases, const config::Config& cfg,
         const domain::Clock& clock, std::filesystem::path data_dir)
    : ctx_(std::make_unique<Context>(Context{store, cases, cfg, clock, std::move(data_dir)})) {}

Api::~Api() = default;

void Api::set_ingest(ingest::Pipeline& pipeline) {
  ctx_->ingest = &pipeline;
}

void Api::mount(web::HttpServer& server) {
  server.area("/api/", static_cast<size_t>(ctx_->cfg.http.max_api_body_bytes),
              [](int status, const std::string& reason, httplib::Response& res) {
                Problem p;
                p.status = status;
                p.detail = reason.empty() && status == 404 ? "no such resource" : reason;
                send_problem(res, p);
              });
  mount_case_routes(server, *ctx_);
  mount_ops_routes(server, *ctx_);
  mount_openapi_route(server);
  mount_case_action_routes(server, *ctx_);
  mount_mail_routes(server, *ctx_);
  mount_admin_routes(server, *ctx_);
  mount_queue_routes(server, *ctx_);
  mount_rule_routes(server, *ctx_);
  mount_alert_rule_routes(server, *ctx_);
  mount_process_routes(server, *ctx_);
}

std::optional<std::string_view> header(const httplib::Request& req, const char* name) {
  auto it = req.headers.find(name);
  if (it == req.headers.end()) return std::nullopt;
  return std::string_view(it->second);
}

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(present::json_text(body) + "\n", "application/json");
}

void send_tagged_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.set_header("ETag", etag_of(body));
  send_json(res, status, body);
}

void send_problem(httplib::Response& res, const Problem& p) {
  res.status = p.status;
  res.set_content(present::json_text(problem_json(p)) + "\n", "application/problem+json");
}

services::Actor actor_of(const store::Agent& agent) {
  return services::Actor::agent(agent.email, "api");
}

web::HttpServer::Handler authed(Context& ctx, Need need, AgentHandler h) {
  return [&ctx, need, h = std::move(h)](const httplib::Request& req, httplib::Response& res) {
    auto agent = access::authenticate(ctx.store, header(req, "Authorization").value_or(""),
                                      clock::iso8601(ctx.clock.now()));
    if (!agent) {
      if (agent.error().code == ErrorCode::kTemporary || agent.error().code == ErrorCode::kInternal) {
        spdlog::warn("api: cannot check a token: {}", agent.error().message);
        send_problem(res, Problem{503, "cannot check the token now; try again", {}});
        return;
      }
      res.set_header("WWW-Authenticate", "Bearer realm=\"mailcase\"");
      send_problem(res, Problem{401, "a valid API token is needed (Authorization: Bearer TOKEN)", {}});
      return;
    }
    if (need == Need::kAdmin && agent->role != store::AgentRole::kAdmin) {
      send_problem(res, Problem{403, "only an admin may do this", {}});
      return;
    }
    h(*agent, req, res);
    // A conditional GET of a version the client holds: 304, its ETag without the body.
    if ((req.method == "GET" || req.method == "HEAD") && res.status == 200 && res.has_header("ETag") &&
        if_none_match_holds(header(req, "If-None-Match"), res.get_header_value("ETag"))) {
      res.status = 304;
      res.body.clear();
    }
  };
}

}  // namespace mailcase::api

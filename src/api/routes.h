// What the API's route files share: the borrowed parts, authentication, and how an
// answer is written. Internal to src/api/.
#pragma once

#include <httplib.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/problem.h"
#include "config/config.h"
#include "domain/clock.h"
#include "services/case_services.h"
#include "store/agents.h"
#include "store/store.h"
#include "web/http_server.h"

namespace mailcase::ingest {
class Pipeline;
}

namespace mailcase::api {

struct Context {
  store::Store& store;
  services::CaseServices& cases;
  const config::Config& cfg;
  const domain::Clock& clock;
  std::filesystem::path data_dir;
  // The process's ingest pipeline (Api::set_ingest): message retry and raw bytes; null: 503.
  ingest::Pipeline* ingest = nullptr;
};

// Who may call a route: any active agent with a token, or only an admin.
enum class Need { kAgent, kAdmin };

using AgentHandler = std::function<void(const store::Agent&, const httplib::Request&, httplib::Response&)>;

// Wraps h: no or a bad bearer token → 401 (the same answer whatever was wrong, with
// WWW-Authenticate: Bearer), an agent on an admin route → 403; else h runs with the
// token's agent. A failure of the store while authenticating → 503.
web::HttpServer::Handler authed(Context& ctx, Need need, AgentHandler h);

void send_json(httplib::Response& res, int status, const nlohmann::json& body);
// send_json with the body's ETag (requests.h's etag_of), for a resource that takes If-Match.
void send_tagged_json(httplib::Response& res, int status, const nlohmann::json& body);
void send_problem(httplib::Response& res, const Problem& p);
inline void send_error(httplib::Response& res, const Error& e) {
  send_problem(res, problem_of(e));
}
std::optional<std::string_view> header(const httplib::Request& req, const char* name);

// The actor the case services record for an agent's action.
services::Actor actor_of(const store::Agent& agent);

void mount_case_routes(web::HttpServer& server, Context& ctx);
void mount_ops_routes(web::HttpServer& server, Context& ctx);
// GET /api/v1/openapi.json (api/openapi.h), open to all.
void mount_openapi_route(web::HttpServer& server);
// Agents' changes to cases (case_action_routes.cpp): POST /api/v1/cases, PATCH a case, its
// comments, solution, participants and events, and GET /api/v1/attachments/{id}.
void mount_case_action_routes(web::HttpServer& server, Context& ctx);
// Held and failed mail, and the outbox (mail_routes.cpp).
void mount_mail_routes(web::HttpServer& server, Context& ctx);
// Contacts, accounts, routing addresses, mailboxes, agents, tokens (admin_routes.cpp).
void mount_admin_routes(web::HttpServer& server, Context& ctx);
// Queues and their members, and GET|PATCH /api/v1/me (queue_routes.cpp).
void mount_queue_routes(web::HttpServer& server, Context& ctx);
// GET|POST /api/v1/processes (process_routes.cpp).
void mount_process_routes(web::HttpServer& server, Context& ctx);
// The "notify" object of a PATCH ({"new_case", "reply", "assigned"}: booleans, each
// optional); nullopt when absent; a problem naming notify.FIELD otherwise.
tl::expected<std::optional<store::NotifySettingsPatch>, Problem> notify_patch_of(const nlohmann::json& body);
// Assignment rules and their test on a mail (rule_routes.cpp): admins only.
void mount_rule_routes(web::HttpServer& server, Context& ctx);
// Monitoring alert rules (alert_rule_routes.cpp): admins only.
void mount_alert_rule_routes(web::HttpServer& server, Context& ctx);
// Runs a POST handler under the request's Idempotency-Key, when it has one
// (case_action_routes.cpp): a retry of the same request gets the first answer.
void idempotent(Context& ctx, const httplib::Request& req, httplib::Response& res,
                const std::function<void()>& run);

}  // namespace mailcase::api

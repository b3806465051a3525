// Operations: /healthz for load balancers and /metrics for Prometheus.
#include "access/authenticate.h"
#include "api/routes.h"
#include "metrics/health.h"
#include "metrics/scrape.h"
#include "util/clock.h"

namespace mailcase::api {
namespace {

bool is_loopback(const std::string& ip) {
  return ip.rfind("127.", 0) == 0 || ip == "::1" || ip.rfind("::ffff:127.", 0) == 0;
}

}  // namespace

void mount_ops_routes(web::HttpServer& server, Context& ctx) {
  // Says only whether this node can take mail (its store answers, its spool is
  // writable): no token, nothing secret.
  server.get("/healthz", "/healthz", [&ctx](const httplib::Request&, httplib::Response& res) {
    const auto report = metrics::check_health(ctx.store, ctx.data_dir / "spool");
    res.status = report.ok ? 200 : 503;
    res.set_content(metrics::to_json(report), "application/json");
  });
  // Counts and mailbox names are for the operators: open to a scraper on this machine,
  // elsewhere only with an API token.
  server.get("/metrics", "/metrics", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!is_loopback(req.remote_addr)) {
      auto agent = access::authenticate(ctx.store, header(req, "Authorization").value_or(""),
                                        clock::iso8601(ctx.clock.now()));
      if (!agent) {
        res.set_header("WWW-Authenticate", "Bearer realm=\"mailcase\"");
        send_problem(res, Problem{401, "a valid API token is needed (Authorization: Bearer TOKEN)", {}});
        return;
      }
    }
    res.status = 200;
    res.set_content(metrics::scrape(ctx.store), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace mailcase::api

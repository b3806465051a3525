// Operations: /healthz for load balancers and /metrics for Prometheus.
#include <arpa/inet.h>

#include <string>

#include "access/authenticate.h"
#include "api/ops_access.h"
#include "api/routes.h"
#include "metrics/health.h"
#include "metrics/scrape.h"
#include "util/clock.h"

namespace mailcase::api {

bool is_loopback(std::string_view peer) {
  const std::string ip(peer);  // inet_pton wants a terminated string
  in_addr v4{};
  if (inet_pton(AF_INET, ip.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, ip.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

MetricsAccess metrics_access(std::string_view peer) {
  return is_loopback(peer) ? MetricsAccess::kOpen : MetricsAccess::kNeedsToken;
}

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
    if (metrics_access(req.remote_addr) == MetricsAccess::kNeedsToken) {
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

// Operations: /healthz for load balancers and /metrics for Prometheus.
#include <arpa/inet.h>

#include <string>

#include "access/authenticate.h"
#include "access/credentials.h"
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

MetricsAccess metrics_access(std::string_view peer, bool token_set) {
  return !token_set && is_loopback(peer) ? MetricsAccess::kOpen : MetricsAccess::kNeedsToken;
}

bool is_metrics_token(std::string_view authorization_header, std::string_view metrics_token) {
  if (metrics_token.empty()) return false;
  auto given = access::parse_bearer(authorization_header);
  if (!given) return false;
  return access::digests_equal(access::token_digest(*given), access::token_digest(metrics_token));
}

void mount_ops_routes(web::HttpServer& server, Context& ctx) {
  // Says only whether this node can take mail (its store answers, its spool is
  // writable): no token, nothing secret.
  server.get("/healthz", "/healthz", [&ctx](const httplib::Request&, httplib::Response& res) {
    const auto report = metrics::check_health(ctx.store, ctx.data_dir / "spool");
    res.status = report.ok ? 200 : 503;
    res.set_content(metrics::to_json(report), "application/json");
  });
  // Counts and mailbox names are for the operators: with http.metrics_token, only with a
  // token; without, open to a scraper on this machine, elsewhere only with an API token.
  server.get("/metrics", "/metrics", [&ctx](const httplib::Request& req, httplib::Response& res) {
    const std::string& metrics_token = ctx.cfg.http.metrics_token;
    if (metrics_access(req.remote_addr, !metrics_token.empty()) == MetricsAccess::kNeedsToken) {
      const auto authorization = header(req, "Authorization").value_or("");
      const bool allowed =
          is_metrics_token(authorization, metrics_token) ||
          access::authenticate(ctx.store, authorization, clock::iso8601(ctx.clock.now())).has_value();
      if (!allowed) {
        res.set_header("WWW-Authenticate", "Bearer realm=\"mailcase\"");
        send_problem(res, Problem{401, "a valid token is needed (Authorization: Bearer TOKEN)", {}});
        return;
      }
    }
    res.status = 200;
    res.set_content(metrics::scrape(ctx.store), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace mailcase::api

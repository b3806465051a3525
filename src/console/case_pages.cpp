// The queues, the case list and the case page.
#include "console/page.h"

namespace mailcase::console {

void mount_case_pages(web::HttpServer& server, Context& ctx) {
  server.get(
      "/", "/", page(ctx, Need::kAgent, [](const Viewer& v, const httplib::Request&, httplib::Response& res) {
        send_page(
            res, 200, v, "Queues", "queues",
            html("<h1>Queues</h1><p>Welcome, {}.</p><p><a href=\"/cases\">All cases</a></p>", v.agent.name));
      }));
}

}  // namespace mailcase::console

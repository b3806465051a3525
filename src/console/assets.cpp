#include "console/assets.h"

#include <httplib.h>

#include <string>

#include "console/page.h"
#include "web/http_server.h"

namespace mailcase::console {
namespace {

void serve_asset(web::HttpServer& server, const std::string& path, std::string_view (*body)(),
                 const char* type) {
  server.get(path, path, [body, type](const httplib::Request&, httplib::Response& res) {
    replace_header(res, "Cache-Control", "public, max-age=3600");
    replace_header(res, "Content-Security-Policy", "default-src 'none'");
    const std::string_view b = body();
    res.set_content(b.data(), b.size(), type);
  });
}

}  // namespace

void mount_assets(web::HttpServer& server) {
  serve_asset(server, "/assets/htmx.min.js", htmx_js, "text/javascript; charset=utf-8");
  serve_asset(server, "/assets/console.css", console_css, "text/css; charset=utf-8");
  serve_asset(server, "/assets/console.js", console_js, "text/javascript; charset=utf-8");
  serve_asset(server, "/assets/favicon.svg", favicon_svg, "image/svg+xml");
}

}  // namespace mailcase::console

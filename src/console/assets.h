// The console's static files, carried in the binary (embedded at build time from
// src/console/assets/): htmx (vendored, see assets/htmx.LICENSE), the stylesheet shared
// with the customer pages, console.js and the pages' icon. Nothing is read from disk at run time.
#pragma once

#include <string_view>

namespace mailcase::web {
class HttpServer;
}

namespace mailcase::console {

std::string_view htmx_js();
std::string_view console_css();
std::string_view console_js();
std::string_view favicon_svg();

// GET /assets/htmx.min.js, /assets/console.css, /assets/console.js, /assets/favicon.svg: on the console's
// listener and on the customer pages' own (serve --public-http), which share the look.
void mount_assets(web::HttpServer& server);

}  // namespace mailcase::console

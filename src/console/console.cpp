#include "console/console.h"

#include <httplib.h>

#include "console/assets.h"
#include "console/page.h"
#include "web/http_server.h"

namespace mailcase::console {

Console::Console(store::Store& store, services::CaseServices& cases, const config::Config& cfg,
                 const domain::Clock& clock, std::filesystem::path data_dir)
    : ctx_(std::make_unique<Context>(store, cases, cfg, clock, std::move(data_dir))) {}

Console::~Console() = default;

void Console::set_ingest(ingest::Pipeline& pipeline) {
  ctx_->ingest = &pipeline;
}

namespace {

// The error page of a path that is nobody's on a listener with the console: agents mistype
// console addresses there too, so a page not found shows them the way back to the console
// as well as customers the way to their case.
void console_error_page(int status, const std::string& reason, httplib::Response& res) {
  if (status != 404 || !reason.empty()) return web::html_error_page(status, reason, res);
  res.status = status;
  res.set_content(web::html_page("Not Found",
                                 "<h1>Not Found</h1><p>There is no page here.</p><p>Agents: <a "
                                 "href=\"/\">go to the console</a>. Customers: open the link from our mail "
                                 "to see your case.</p>"),
                  "text/html; charset=utf-8");
}

// An area's error pages: a form over the area's limit (most often a reply with a large
// attachment) says the limit and that the typed text is not lost (the browser's Back
// returns to the form, and console.js keeps the text of a reply or note).
web::HttpServer::ErrorPage console_error_pages(size_t max_body) {
  return [max_body](int status, const std::string& reason, httplib::Response& res) {
    if (status != 413) return console_error_page(status, reason, res);
    const std::string limit = max_body >= (1u << 20) ? std::to_string(max_body >> 20) + " MB"
                                                     : std::to_string(max_body >> 10) + " KB";
    res.status = 413;
    res.set_content(
        web::html_page("Too large to send",
                       "<h1>Too large to send</h1><p>What this form sent, its attachments included, is "
                       "more than " +
                           limit +
                           ", the most the console takes at once. Nothing was saved or sent.</p><p>Go back "
                           "with your browser: the text you typed is still in the form. Attach smaller or "
                           "fewer files (a link to a large file works too), then send it again.</p>"
                           "<p><a href=\"/\">Back to the console</a></p>"),
        "text/html; charset=utf-8");
  };
}

}  // namespace

void Console::mount(web::HttpServer& server) {
  const auto forms = static_cast<size_t>(ctx_->cfg.http.max_body_bytes);
  const auto large = static_cast<size_t>(ctx_->cfg.http.max_api_body_bytes);
  server.area("", forms, console_error_pages(forms));
  // A reply or a comment with attachments is larger than the default form limit.
  server.area("/cases/", large, console_error_pages(large));
  // A raw mail pasted to test the assignment rules.
  server.area("/admin/rules/test", large, console_error_pages(large));
  mount_assets(server);
  mount_login_routes(server, *ctx_);
  mount_case_pages(server, *ctx_);
  mount_mail_pages(server, *ctx_);
  mount_admin_pages(server, *ctx_);
  mount_rule_pages(server, *ctx_);
  mount_alert_rule_pages(server, *ctx_);
  mount_people_pages(server, *ctx_);
  mount_history_pages(server, *ctx_);
}

}  // namespace mailcase::console

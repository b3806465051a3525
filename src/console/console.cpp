#include "console/console.h"

#include "console/assets.h"
#include "console/page.h"

namespace mailcase::console {

Console::Console(store::Store& store, services::CaseServices& cases, const config::Config& cfg,
                 const domain::Clock& clock, std::filesystem::path data_dir)
    : ctx_(std::make_unique<Context>(store, cases, cfg, clock, std::move(data_dir))) {}

Console::~Console() = default;

void Console::set_ingest(ingest::Pipeline& pipeline) {
  ctx_->ingest = &pipeline;
}

void Console::mount(web::HttpServer& server) {
  // A reply or a comment with attachments is larger than the default form limit.
  server.area("/cases/", static_cast<size_t>(ctx_->cfg.http.max_api_body_bytes), web::html_error_page);
  // A raw mail pasted to test the assignment rules.
  server.area("/admin/rules/test", static_cast<size_t>(ctx_->cfg.http.max_api_body_bytes), web::html_error_page);
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

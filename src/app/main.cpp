#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

#include "app/app.h"

namespace mailcase::app {

int exit_code_for(const Error& e) {
  switch (e.code) {
    case ErrorCode::kTemporary:
      return kExitTempFail;
    case ErrorCode::kInvalidInput:
      return kExitDataErr;
    case ErrorCode::kNotFound:
      return kExitNoInput;
    case ErrorCode::kConflict:
      return kExitDataErr;
    case ErrorCode::kInternal:
      return kExitSoftware;
  }
  return kExitSoftware;
}

void print_error(const Error& e) {
  std::cerr << "mailcase: " << e.message << "\n";
}

std::unique_ptr<ingest::Pipeline> open_pipeline(Globals& g, config::Config* cfg_out) {
  auto cfg = config::load(g.config_file());
  if (!cfg) {
    print_error(cfg.error());
    g.exit_code = kExitConfig;
    return nullptr;
  }
  std::error_code ec;
  if (!std::filesystem::exists(g.data() / "mailcase.db", ec)) {
    std::cerr << "mailcase: no store in " << g.data().string() << " (run `mailcase init` first)\n";
    g.exit_code = kExitConfig;
    return nullptr;
  }
  auto p = ingest::Pipeline::open(g.data(), *cfg);
  if (!p) {
    print_error(p.error());
    g.exit_code = exit_code_for(p.error());
    return nullptr;
  }
  if (cfg_out) *cfg_out = *cfg;
  return std::move(*p);
}

}  // namespace mailcase::app

int main(int argc, char** argv) {
  using namespace mailcase::app;
  auto logger = spdlog::stderr_color_mt("mailcase");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::warn);
  if (const char* lvl = std::getenv("MAILCASE_LOG")) spdlog::set_level(spdlog::level::from_str(lvl));

  Globals g;
  const char* env = std::getenv("MAILCASE_DATA");
  g.data_dir = env && *env ? env : "mailcase-data";

  CLI::App app{"mailcase: support e-mail in, cases out"};
  app.require_subcommand(1);
  app.add_option("--data", g.data_dir, "data directory (default $MAILCASE_DATA, else ./mailcase-data)");
  register_admin_commands(app, g);
  register_mail_commands(app, g);
  register_case_commands(app, g);
  register_conversation_commands(app, g);
  register_mailbox_commands(app, g);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  if (g.action) g.action();
  return g.exit_code;
}

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>
#ifdef MAILCASE_TCMALLOC
#include <gperftools/malloc_extension_c.h>
#endif

#include <cstdlib>
#include <exception>
#include <iostream>

#include "app/app.h"
#include "app/huge_page_heap.h"
#include "app/terminal_output.h"
#include "present/json.h"
#include "util/text.h"

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

std::string json_text(const nlohmann::json& j, int indent) { return present::json_text(j, indent); }

std::string events_text(const std::vector<store::Event>& events, bool json) {
  auto out = nlohmann::json::array();
  std::string lines;
  for (const auto& e : events) {
    auto j = present::event_json(e);
    if (json) {
      out.push_back(std::move(j));
      continue;
    }
    lines += e.at + "  " + e.actor + "  " + store::to_string(e.action);
    if (!e.details.empty()) lines += "  " + json_text(j["details"]);
    lines += "\n";
  }
  return json ? json_text(out, 2) + "\n" : lines;
}

void print_error(const Error& e) {
  std::cerr << "mailcase: " << e.message << "\n";
}

void warn_if_not_private(const std::filesystem::path& data_dir) {
  struct stat st{};
  if (::stat(data_dir.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    std::cerr << "mailcase: warning: " << data_dir.string()
              << " can be read by other users; it holds customers' mail (chmod 700 " << data_dir.string()
              << ")\n";
  }
}

std::unique_ptr<runtime::Runtime> open_runtime(Globals& g, config::Config* cfg_out) {
  auto cfg = config::load(g.config_file());
  if (!cfg) {
    print_error(cfg.error());
    g.exit_code = kExitConfig;
    return nullptr;
  }
  std::error_code ec;
  const bool exists = std::filesystem::exists(g.data() / "mailcase.db", ec);
  if (ec == std::errc::permission_denied) {
    // The data directory is private to its owner: another user (an MTA's pipe running
    // as nobody, say) is told so; the MTA keeps the mail and tries again.
    std::cerr << "mailcase: cannot open " << g.data().string() << ": " << ec.message()
              << " (run mailcase as the data directory's owner)\n";
    g.exit_code = kExitTempFail;
    return nullptr;
  }
  if (!exists) {
    std::cerr << "mailcase: no store in " << g.data().string() << " (run `mailcase init` first)\n";
    g.exit_code = kExitConfig;
    return nullptr;
  }
  warn_if_not_private(g.data());
  auto p = runtime::Runtime::open(g.data(), *cfg);
  if (!p) {
    print_error(p.error());
    g.exit_code = exit_code_for(p.error());
    return nullptr;
  }
  if (cfg_out) *cfg_out = *cfg;
  return std::move(*p);
}

Result<services::Actor> acting_agent(Globals& g, runtime::Runtime& rt) {
  if (g.agent.empty()) return services::Actor::agent("agent", "cli");
  MC_ASSIGN_OR_RETURN(auto a, rt.store().agents().find_agent_by_email(g.agent));
  if (!a || !a->active)
    return fail(ErrorCode::kInvalidInput, "--as: no active agent " + g.agent + " (see `mailcase agent list`)");
  return services::Actor::agent(a->email, "cli");
}

void with_runtime(Globals& g, const RuntimeAction& fn) {
  auto p = open_runtime(g);
  if (!p) return;
  auto out = fn(*p);
  if (!out) {
    print_error(out.error());
    g.exit_code = exit_code_for(out.error());
    return;
  }
  std::cout << *out;
}

void with_agent(Globals& g, const AgentAction& fn) {
  with_runtime(g, [&](runtime::Runtime& rt) -> Result<std::string> {
    MC_ASSIGN_OR_RETURN(auto by, acting_agent(g, rt));
    return fn(rt, by);
  });
}

}  // namespace mailcase::app

namespace {

// Every argument must be text: valid UTF-8 without control characters. Only the text of
// a comment or reason may span lines; a name or an address with a line break could
// otherwise add a header to a mail we send.
bool arguments_are_text(int argc, char** argv) {
  bool multi_line_value = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    std::string_view value = a;
    bool multi_line = multi_line_value;
    multi_line_value = false;
    if (a.rfind("--", 0) == 0) {
      auto eq = a.find('=');
      std::string_view name = a.substr(0, eq);
      const bool text_option = name == "--body" || name == "--reason" || name == "--comment";
      if (eq == std::string_view::npos) {
        multi_line_value = text_option;
        value = name;
      } else {
        value = a.substr(eq + 1);
        multi_line = text_option;
      }
    }
    if (!mailcase::text::is_clean_text(value, !multi_line)) {
      std::cerr << "mailcase: argument " << i
                << " is not valid UTF-8 text or holds a control character (a line break is allowed only in "
                   "--body)\n";
      return false;
    }
  }
  return true;
}

int run(int argc, char** argv) {
  using namespace mailcase::app;
  if (!arguments_are_text(argc, argv)) return kExitUsage;
  auto logger = spdlog::stderr_color_mt("mailcase");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::warn);
  if (const char* lvl = std::getenv("MAILCASE_LOG")) spdlog::set_level(spdlog::level::from_str(lvl));

  Globals g;
  const char* env = std::getenv("MAILCASE_DATA");
  g.data_dir = env && *env ? env : "mailcase-data";

#ifdef MAILCASE_DELIVER_ONLY
  // mailcase-deliver: `mailcase deliver`'s command line and nothing else (CMakeLists.txt).
  CLI::App app{"mailcase-deliver: one mail from stdin into the store, for an MTA's pipe"};
  app.require_subcommand(1);
  app.add_option("--data", g.data_dir, "data directory (default $MAILCASE_DATA, else ./mailcase-data)");
  register_deliver_command(app, g);
#else
  CLI::App app{"mailcase: support e-mail in, cases out"};
  app.require_subcommand(1);
  app.add_option("--data", g.data_dir, "data directory (default $MAILCASE_DATA, else ./mailcase-data)");
  if (const char* who = std::getenv("MAILCASE_AGENT")) g.agent = who;
  app.add_option("--as", g.agent, "the agent (email) a case action is done by (default $MAILCASE_AGENT)");
  register_admin_commands(app, g);
  register_mail_commands(app, g);
  register_case_commands(app, g);
  register_conversation_commands(app, g);
  register_mailbox_commands(app, g);
  register_serve_command(app, g);
  register_agent_commands(app, g);
  register_token_commands(app, g);
  register_queue_commands(app, g);
  register_rule_commands(app, g);
  register_process_commands(app, g);
  register_alert_commands(app, g);
  register_api_sender_commands(app, g);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  if (g.action) g.action();
  return g.exit_code;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef MAILCASE_TCMALLOC
  mailcase::app::back_heap_with_huge_pages();
#endif
  // Everything mailcase writes (store, spool, blobs, keys, configuration) holds
  // customers' mail or secrets: readable by the service user alone.
  ::umask(077);
#ifdef MAILCASE_TCMALLOC
  // tcmalloc's per-thread caches hold up to 32 MB in all by default; serve runs a thread
  // per LMTP connection and HTTP worker, and kept 48 MB at its peak under 4 LMTP
  // connections against glibc's 31. 4 MB in all: 38 MB, as fast (the busy threads are two).
  MallocExtension_SetNumericProperty("tcmalloc.max_total_thread_cache_bytes", size_t{4} << 20);
#endif
  mailcase::app::TerminalSafeOutput safe_output;
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "mailcase: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "mailcase: internal error\n";
  }
  return mailcase::app::kExitSoftware;
}

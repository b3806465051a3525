// deliver: one mail from stdin, as an MTA's pipe runs it. Registered by `mailcase` and by
// `mailcase-deliver`, the same command line in a program that links only what a delivery
// needs (see CMakeLists.txt).
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "app/app.h"
#include "present/json.h"
#include "util/text.h"

namespace mailcase::app {

void register_deliver_command(CLI::App& app, Globals& g) {
  {
    auto* deliver =
        app.add_subcommand("deliver", "record one mail from stdin (for the MTA: exit 75 = retry)");
    auto recipients = std::make_shared<std::vector<std::string>>();
    deliver->add_option("--recipient", *recipients, "envelope recipient (repeatable)");
    auto sender = std::make_shared<std::string>();
    auto* sender_opt = deliver->add_option(
        "--sender", *sender,
        "envelope sender as the MTA has it (Postfix: ${sender}); '' or '<>' for the null sender");
    deliver->callback([&g, recipients, sender, sender_opt] {
      g.action = [&g, recipients, sender, sender_opt] {
        auto p = open_runtime(g);
        if (!p) {
          // Cannot record it now: the MTA must keep the mail and try again.
          if (g.exit_code == kExitConfig) g.exit_code = kExitTempFail;
          return;
        }
        ingest::Envelope env{"pipe", *recipients};
        // Given: the MTA tells us (an empty one, "<>", is the null sender). Not given: the
        // mail's Return-Path, if any, stands for it.
        if (sender_opt->count() > 0) env.sender = text::normalize_email(*sender);
        auto r = p->ingest().deliver_stream(std::cin, env);
        if (!r) {
          print_error(r.error());
          g.exit_code = kExitTempFail;
          return;
        }
        std::cout << json_text(present::outcome_json(*r)) << "\n";
        if (r->too_large) {
          // The MTA bounces it with this reason; only its head is kept, on its record.
          std::cerr << "mailcase: mail refused: " << r->reason << " (limits.max_message_bytes)\n";
          g.exit_code = kExitDataErr;
        }
        // Done: the outcome is printed and its commit is on disk. Closing the store (no
        // checkpoint on close: it writes nothing) and freeing the runtime would only give
        // memory back, ~4% of a plain delivery's instructions, so the process ends here,
        // as it may at any moment (the kill -9 tests).
        std::cout.flush();
        std::cerr.flush();
        std::fflush(nullptr);
        std::_Exit(g.exit_code);
      };
    });
  }
}

}  // namespace mailcase::app

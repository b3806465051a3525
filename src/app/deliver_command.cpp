// deliver: one mail from stdin, as an MTA's pipe runs it. Registered by `mailcase` and by
// `mailcase-deliver-direct`, the same command line in a program that links only what a delivery
// needs (see CMakeLists.txt), which the small `mailcase-deliver` runs when serve does not
// take the mail. The hand-off itself is ingest/deliver_client.h, shared with that program.
//
// When `serve` runs on the data directory it takes the mail over DATA_DIR/deliver.sock
// (channels/deliver_socket.h) and commits it with the others arriving at that moment;
// otherwise the delivery commits by itself. Either way the same JSON, stderr text and exit
// code, and exit 0 only once the commit is on disk.
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "app/app.h"
#include "ingest/deliver_client.h"
#include "present/json.h"
#include "util/text.h"

namespace mailcase::app {

namespace hf = ingest::handoff;

hf::Answer deliver_answer(const Result<ingest::Outcome>& r) {
  hf::Answer a;
  if (!r) {
    // Cannot record it now: the MTA must keep the mail and try again.
    a.exit_code = kExitTempFail;
    a.err = "mailcase: " + r.error().message + "\n";
    return a;
  }
  a.exit_code = kExitOk;
  a.json = json_text(present::outcome_json(*r));
  if (r->too_large) {
    // The MTA bounces it with this reason; only its head is kept, on its record.
    a.exit_code = kExitDataErr;
    a.err = "mailcase: mail refused: " + r->reason + " (limits.max_message_bytes)\n";
  }
  return a;
}

namespace {

// Prints an outcome as `deliver` does and ends the process with its code. Done: the
// outcome is printed and its commit is on disk. Closing the store (no checkpoint on
// close: it writes nothing) and freeing the runtime would only give memory back, ~4% of
// a plain delivery's instructions, so the process ends here, as it may at any moment
// (the kill -9 tests).
[[noreturn]] void finish(const hf::Answer& a) {
  if (!a.json.empty()) std::cout << a.json << "\n";
  std::cerr << a.err;
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(a.exit_code);
}

}  // namespace

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
        // Before anything costly: a running serve takes the mail if it can.
        hf::Envelope he{std::nullopt, *recipients};
        if (sender_opt->count() > 0) he.sender = *sender;
        if (auto a = hf::hand_off(g.data_dir, he)) finish(*a);

        auto p = open_runtime(g);
        if (!p) {
          // Cannot record it now, whatever the reason (a configuration, a store that
          // cannot be opened or migrated): the MTA must keep the mail and try again. Any
          // other code (65, 70) would have it bounce a mail nobody has looked at.
          g.exit_code = kExitTempFail;
          return;
        }
        ingest::Envelope env{"pipe", *recipients};
        // Given: the MTA tells us (an empty one, "<>", is the null sender). Not given: the
        // mail's Return-Path, if any, stands for it. serve applies the same rule to a mail
        // handed over (channels/deliver_socket.cpp).
        if (sender_opt->count() > 0) env.sender = text::normalize_email(*sender);
        finish(deliver_answer(p->ingest().deliver_stream(std::cin, env)));
      };
    });
  }
}

}  // namespace mailcase::app

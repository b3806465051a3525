// The client side of the hand-off to a running `serve` (DATA_DIR/deliver.sock, framing in
// ingest/deliver_protocol.h). Compiled into `mailcase` and `mailcase-deliver-direct` (via
// mc_ingest) and into the small `mailcase-deliver`, which links nothing else: it uses only
// the standard library and system calls, no logging, configuration or store.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/deliver_protocol.h"

namespace mailcase::ingest::handoff {

inline constexpr int kAnswerTempFail = 75;  // EX_TEMPFAIL: the MTA keeps the mail and retries

// What `mailcase-deliver` hands over: the data directory and the envelope.
struct Request {
  std::string data_dir;
  Envelope envelope;
};

// The request of a command line (args: without the program's name) that the small client
// understands whole: `[--data DIR] deliver [--recipient R]… [--sender S]`, values as the
// full program's parser takes them, `--opt value` (a value may be empty but not start
// with '-') or `--opt=value` (not empty), --data and --sender at most once, every
// argument single-line text. nullopt for anything else, --help included: the full
// program then reads the command line and answers it. default_data_dir: $MAILCASE_DATA,
// or the program's default when that is unset.
std::optional<Request> handoff_request(const std::vector<std::string_view>& args,
                                       std::string_view default_data_dir);

// Hands the mail on stdin to a running serve. nullopt: not handed over (no socket, nobody
// listening, a path too long, BUSY, no greeting, an envelope the framing cannot carry)
// and stdin untouched: the delivery commits by itself. Otherwise serve's answer, or exit
// 75 when stdin could not be read or the connection was lost after stdin was read (the
// MTA tries again; a mail recorded already comes back as a duplicate). Reads neither the
// configuration nor the store.
std::optional<Answer> hand_off(const std::string& data_dir, const Envelope& envelope);

}  // namespace mailcase::ingest::handoff

// The client side of the hand-off to a running `serve` (DATA_DIR/deliver.sock, framing in
// ingest/deliver_protocol.h). Compiled into `mailcase` and `mailcase-deliver-direct` (via
// mc_ingest) and into the small `mailcase-deliver`, which links nothing else: it uses only
// the standard library and system calls, no logging, configuration or store.
#pragma once

#include <optional>
#include <string>

#include "ingest/deliver_protocol.h"

namespace mailcase::ingest::handoff {

inline constexpr int kAnswerTempFail = 75;  // EX_TEMPFAIL: the MTA keeps the mail and retries

// Hands the mail on stdin to a running serve. nullopt: not handed over (no socket, nobody
// listening, a path too long, BUSY, no greeting, an envelope the framing cannot carry)
// and stdin untouched: the delivery commits by itself. Otherwise serve's answer, or exit
// 75 when stdin could not be read or the connection was lost after stdin was read (the
// MTA tries again; a mail recorded already comes back as a duplicate). Reads neither the
// configuration nor the store.
std::optional<Answer> hand_off(const std::string& data_dir, const Envelope& envelope);

}  // namespace mailcase::ingest::handoff

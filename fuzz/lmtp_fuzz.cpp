// Fuzz target for the LMTP protocol (channels/lmtp_protocol.h): arbitrary bytes from a
// client, fed in arbitrary splits, every question answered the same fixed way.
// Contract under test: no crash, no sanitizer report, no exception; a mail's data
// never exceeds max_size; and the replies for the same bytes do not depend on how they
// were split (the input is run twice: whole, and in the splits the fuzzer chose).
//
// Input layout: the first byte seeds the splits (0: byte by byte), the rest is what
// the client sends.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "channels/lmtp_protocol.h"

using namespace mailcase;
using namespace mailcase::channels;

namespace {

// Small limits, so that short inputs reach every limit.
lmtp::Limits fuzz_limits() {
  lmtp::Limits l;
  l.hostname = "fuzz.example";
  l.max_size = 300;
  l.max_recipients = 3;
  l.max_line_bytes = 120;
  return l;
}

// The owner's budget for a mail's data: every fourth ask is refused (the asks are made
// at the same lines whatever the split, so the replies stay the same).
struct Budget {
  uint64_t held = 0;
  int asks = 0;
  lmtp::Hold hold() {
    return [this](uint64_t n) {
      if (n > held && ++asks % 4 == 0) return false;
      held = n;
      return true;
    };
  }
};

// Answers whatever the machine asks: addresses containing "no" are refused; mails
// alternate between recorded and not recorded.
void settle(lmtp::Protocol& p, int& mails, const Budget& budget) {
  while (true) {
    if (p.need() == lmtp::Need::kRecipientCheck) {
      p.recipient_checked(p.recipient().find("no") == std::string::npos);
    } else if (p.need() == lmtp::Need::kMailOutcome) {
      const lmtp::Mail& m = p.mail();
      if (m.data.size() > fuzz_limits().max_size) __builtin_trap();
      if (m.too_big != (m.size > fuzz_limits().max_size)) __builtin_trap();
      if (m.recipients.empty()) __builtin_trap();
      if (m.data.size() > budget.held) __builtin_trap();
      if (mails++ % 2 == 0) {
        ingest::Outcome o;
        o.kind = ingest::OutcomeKind::kCreated;
        o.case_number = "C-1";
        p.mail_done(o);
      } else {
        p.mail_done(fail(ErrorCode::kTemporary, "not now"));
      }
    } else {
      return;
    }
  }
}

std::string run(std::string_view input, uint8_t split_seed) {
  Budget budget;
  lmtp::Protocol p(fuzz_limits(), budget.hold());
  std::string out = p.take_output();
  int mails = 0;
  uint32_t state = split_seed;
  while (!input.empty()) {
    size_t n = 1;
    if (split_seed != 0) {
      state = state * 1103515245u + 12345u;
      n = 1 + (state >> 16) % 64;
    }
    n = std::min(n, input.size());
    p.feed(input.substr(0, n));
    input.remove_prefix(n);
    settle(p, mails, budget);
    out += p.take_output();
  }
  p.end(lmtp::LineEnd::kTimedOut);
  out += p.take_output();
  if (budget.held != 0) __builtin_trap();  // all given back
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string split = run(input, data[0]);
  // One feed of everything: the splits must not change a single reply.
  Budget budget;
  lmtp::Protocol whole(fuzz_limits(), budget.hold());
  std::string out = whole.take_output();
  int mails = 0;
  whole.feed(input);
  settle(whole, mails, budget);
  out += whole.take_output();
  whole.end(lmtp::LineEnd::kTimedOut);
  out += whole.take_output();
  if (out != split) __builtin_trap();
  return 0;
}

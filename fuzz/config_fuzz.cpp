// Fuzz target for mailcase.toml (config::load_text): the TOML parser and every check of
// a setting. Contract under test: any text gives a configuration or a clear error,
// never a crash, an exception or a sanitizer report; a configuration that loads keeps
// the bounds load documents (so no later code meets a value it was promised it would
// not).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/config.h"

using namespace mailcase;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto c = config::load_text(text, "mailcase.toml");
  if (!c) {
    if (c.error().message.empty()) std::abort();
    return 0;
  }
  const auto& t = c->threading;
  const auto& h = c->http;
  if (t.case_digits < 1 || t.case_digits > 12) std::abort();
  if (c->outbound.smtp_port < 1 || c->outbound.smtp_port > 65535) std::abort();
  if (h.max_head_bytes < 1024 || h.max_head_bytes > 1048576) std::abort();
  if (h.max_body_bytes < 1024 || h.max_body_bytes > 1048576) std::abort();
  if (h.request_timeout_seconds < 1 || h.request_timeout_seconds > 600) std::abort();
  if (h.workers < 1 || h.workers > 1024) std::abort();
  if (c->lmtp.max_recipients < 1 || c->lmtp.session_timeout_seconds < 1 || c->lmtp.data_timeout_seconds < 1)
    std::abort();
  return 0;
}

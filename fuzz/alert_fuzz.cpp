// Fuzz target for the monitoring alert parser and decisions (alerts/alert.h).
//
// Input: a first byte choosing the format (modulo the six), then the subject up to the
// first line feed, then the body. The generic format reads a fixed body RE.
// Contract under test: no crash, no sanitizer report; a parsed alert has a host and a
// state, each one line of clean text within its limit; the generic format's kind follows
// its state word; every decision over the alert says why.
#include <re2/re2.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "alerts/alert.h"
#include "alerts/rule_set.h"
#include "util/text.h"

using namespace mailcase;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr alerts::Format kFormats[] = {alerts::Format::kNagios, alerts::Format::kIcinga,
                                                alerts::Format::kZabbix, alerts::Format::kCheckmk,
                                                alerts::Format::kMonit,  alerts::Format::kGeneric};
  const auto format = kFormats[data[0] % 6];
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto nl = in.find('\n');
  const std::string_view subject = in.substr(0, nl);
  const std::string_view body = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);

  static const RE2 generic(R"((?P<host>[^/\s]+)(?:/(?P<service>\S+))?\s+is\s+(?P<state>\w+))");
  auto a = alerts::parse_alert(format, subject, body, &generic);
  if (!a) {
    if (a.error().message.empty()) std::abort();
    return 0;
  }
  if (a->host.empty() || a->state.empty()) std::abort();
  if (a->host.size() > alerts::kMaxHostBytes || a->service.size() > alerts::kMaxServiceBytes ||
      a->state.size() > alerts::kMaxStateBytes)
    std::abort();
  for (const auto* v : {&a->host, &a->service, &a->state})
    if (!text::is_clean_text(*v, true)) std::abort();
  if (format == alerts::Format::kGeneric &&
      (a->kind == alerts::AlertKind::kRecovery) != alerts::is_recovery_state(a->state))
    std::abort();
  if (alerts::alert_subject(*a).empty()) std::abort();

  const int64_t now = 1'800'000'000;
  const std::optional<alerts::ExistingAlertCase> states[] = {
      std::nullopt,
      alerts::ExistingAlertCase{1, true, domain::CaseStatus::kOpen, std::nullopt},
      alerts::ExistingAlertCase{1, true, domain::CaseStatus::kClosed, std::nullopt},
      alerts::ExistingAlertCase{1, false, domain::CaseStatus::kResolved,
                                now - static_cast<int64_t>(size) * 60},
  };
  for (const auto& e : states) {
    const auto d = alerts::decide_alert(*a, static_cast<int>(size % 48), e, now);
    if (d.reason.empty()) std::abort();
  }
  return 0;
}

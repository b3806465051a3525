#include "domain/model.h"

namespace mailcase::domain {

const char* to_string(RawState s) {
  switch (s) {
    case RawState::kReceived:
      return "received";
    case RawState::kProcessed:
      return "processed";
    case RawState::kHeld:
      return "held";
    case RawState::kFailed:
      return "failed";
    case RawState::kDuplicate:
      return "duplicate";
  }
  return "received";
}

std::optional<RawState> raw_state_from(std::string_view s) {
  for (auto st : {RawState::kReceived, RawState::kProcessed, RawState::kHeld, RawState::kFailed,
                  RawState::kDuplicate}) {
    if (s == to_string(st)) return st;
  }
  return std::nullopt;
}

}  // namespace mailcase::domain

#include "util/result.h"

namespace mailcase {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput:
      return "invalid input";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kTemporary:
      return "temporary failure";
    case ErrorCode::kInternal:
      return "internal error";
  }
  return "unknown";
}

}  // namespace mailcase

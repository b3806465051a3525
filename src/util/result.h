// The error vocabulary used at every module boundary.
#pragma once

#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace mailcase {

// What went wrong, and so what the caller should do about it.
enum class ErrorCode {
  kInvalidInput,  // the input itself is bad (broken mail, bad argument): do not retry
  kNotFound,      // the thing asked for does not exist: do not retry
  kConflict,      // it exists already: do not retry
  kTemporary,     // disk full, lock busy, server down: retry later
  kInternal,      // a bug or an unexpected library failure: retrying may not help
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // fixed, user-facing text; never secrets

  bool retryable() const { return code == ErrorCode::kTemporary; }
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

const char* to_string(ErrorCode code);

}  // namespace mailcase

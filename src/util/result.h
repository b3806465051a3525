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

// Error propagation. Both macros work in any function returning Status or Result<U>.
//
// MC_RETURN_IF_ERROR(expr): expr is a Status or a Result<T>, evaluated once; when it
// holds an error, the enclosing function returns that error. A single statement (safe
// after an unbraced if).
#define MC_RETURN_IF_ERROR(expr)                                                   \
  do {                                                                             \
    auto&& mc_status_ = (expr);                                                    \
    if (!mc_status_) return ::tl::unexpected<::mailcase::Error>(mc_status_.error()); \
  } while (0)

// MC_ASSIGN_OR_RETURN(lhs, expr): expr is a Result<T>, evaluated once; on an error the
// enclosing function returns it, else its value is moved into lhs, which may declare a
// variable (`MC_ASSIGN_OR_RETURN(auto rows, repo.list())`) or name one. Two statements:
// never after an unbraced if.
#define MC_CONCAT_INNER_(a, b) a##b
#define MC_CONCAT_(a, b) MC_CONCAT_INNER_(a, b)
#define MC_ASSIGN_OR_RETURN(lhs, expr) MC_ASSIGN_OR_RETURN_IMPL_(MC_CONCAT_(mc_result_, __LINE__), lhs, expr)
#define MC_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)                      \
  auto&& tmp = (expr);                                                 \
  if (!tmp) return ::tl::unexpected<::mailcase::Error>(tmp.error());   \
  lhs = std::move(*tmp)

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

namespace detail {

// The error of a failed Status or Result<T>, as the value that any function returning
// Status or Result<U> can return. Only expected<_, Error> is accepted, so a macro below
// given a bool or an optional does not compile.
template <typename T>
tl::unexpected<Error> error_of(const tl::expected<T, Error>& failed) {
  return tl::unexpected<Error>(failed.error());
}
template <typename T>
tl::unexpected<Error> error_of(tl::expected<T, Error>&& failed) {
  return tl::unexpected<Error>(std::move(failed).error());
}

}  // namespace detail

}  // namespace mailcase

// Error propagation, for the common "pass the callee's failure on unchanged" case.
// Where the caller adds context, retries or maps the error, write it out instead.
//
// MC_RETURN_IF_ERROR(expr);
//   expr is a Status or a Result<T>, evaluated exactly once. If it failed, the enclosing
//   function (which returns Status or any Result<U>) returns its Error unchanged;
//   otherwise its value, if any, is discarded. One statement: safe as an unbraced
//   if/else body.
//
// MC_ASSIGN_OR_RETURN(lhs, expr);
//   expr is a Result<T>, evaluated exactly once. If it failed, the enclosing function
//   (Status or any Result<U>) returns its Error unchanged; otherwise its value is moved
//   into lhs, which is a declaration (`auto rows`, `const Case& c`) or an existing
//   lvalue (`c.status`). It expands to several statements that declare a hidden
//   temporary in the current scope: never use it as an unbraced if/else/loop body. A
//   declared lhs lives as long as the temporary, in the enclosing block. lhs must not
//   contain an unparenthesised comma; expr may.
#define MC_RETURN_IF_ERROR(...)                                                            \
  do {                                                                                     \
    if (auto&& mc_status_ = (__VA_ARGS__); !mc_status_)                                    \
      return ::mailcase::detail::error_of(std::forward<decltype(mc_status_)>(mc_status_)); \
  } while (false)

#define MC_ASSIGN_OR_RETURN(lhs, ...) \
  MC_ASSIGN_OR_RETURN_IMPL_(MC_RESULT_CONCAT_(mc_result_, __LINE__), lhs, __VA_ARGS__)

// Implementation details of the macros above; the temporary's name is unique per line.
#define MC_RESULT_CONCAT_INNER_(a, b) a##b
#define MC_RESULT_CONCAT_(a, b) MC_RESULT_CONCAT_INNER_(a, b)
#define MC_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, ...)                 \
  auto tmp = (__VA_ARGS__);                                      \
  if (!tmp) return ::mailcase::detail::error_of(std::move(tmp)); \
  lhs = *std::move(tmp)

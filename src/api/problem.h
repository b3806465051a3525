// Errors of the REST API as RFC 9457 problem details (application/problem+json), and
// the one mapping from mailcase's error codes to HTTP statuses. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "util/result.h"

namespace mailcase::api {

// One field of a request that is wrong: its name as the client sent it ("limit",
// "body", "owner") and why, in words a person can act on.
struct FieldError {
  std::string field;
  std::string message;
};

struct Problem {
  int status = 500;
  std::string detail;              // what went wrong with this request
  std::vector<FieldError> errors;  // per field, when the request's fields were at fault
};

// A problem about one field (status 422 unless said otherwise).
Problem field_problem(std::string field, std::string message, int status = 422);

// kInvalidInput 422, kNotFound 404, kConflict 409, kTemporary 503, kInternal 500. The
// detail is the error's message (fixed, user-facing text, never secrets) except for
// kInternal, whose detail stays generic: its message may name the server's internals.
int status_of(ErrorCode code);
Problem problem_of(const Error& e);

// {"type": "about:blank", "title": <status text>, "status", "detail", "errors": [...]}
// ("errors" only when there are some).
nlohmann::json problem_json(const Problem& p);
const char* title_of(int status);

}  // namespace mailcase::api

#include "api/problem.h"

namespace mailcase::api {

Problem field_problem(std::string field, std::string message, int status) {
  Problem p;
  p.status = status;
  p.detail = "the request has an invalid field";
  p.errors.push_back(FieldError{std::move(field), std::move(message)});
  return p;
}

int status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput:
      return 422;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kTemporary:
      return 503;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

Problem problem_of(const Error& e) {
  Problem p;
  p.status = status_of(e.code);
  p.detail = e.code == ErrorCode::kInternal ? "the server could not complete the request" : e.message;
  return p;
}

const char* title_of(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
  }
  return status >= 500 ? "Server Error" : "Client Error";
}

nlohmann::json problem_json(const Problem& p) {
  nlohmann::json j{{"type", "about:blank"}, {"title", title_of(p.status)}, {"status", p.status}};
  if (!p.detail.empty()) j["detail"] = p.detail;
  if (!p.errors.empty()) {
    auto& errors = j["errors"] = nlohmann::json::array();
    for (const auto& e : p.errors) errors.push_back({{"field", e.field}, {"message", e.message}});
  }
  return j;
}

}  // namespace mailcase::api

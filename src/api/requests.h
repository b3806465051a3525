// What the REST API reads from a request, as pure functions with no I/O: query
// parameters into a store query, a JSON body into an object, and the ETag / If-Match
// rules. Each refusal is a Problem naming the field at fault.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/expect.h"
#include "api/problem.h"
#include "store/repositories.h"
#include "util/result.h"

namespace mailcase::api {

// A request's query parameters as cpp-httplib gives them (a name may repeat).
using Params = std::multimap<std::string, std::string>;

template <typename T>
using Checked = tl::expected<T, Problem>;

// GET /api/v1/cases: status, queue, owner, contact, q, updated_since, sort (updated,
// -updated, created, -created, relevance; default -updated, or relevance with q),
// limit (1..200, default 50), cursor, count (true|false). A parameter given twice, or
// with a value it cannot take, is refused; parameters of no meaning here are ignored
// (as a cache-busting `_=` would be).
Checked<store::CaseQuery> case_query_of(const Params& params);

// An integer query parameter in [min, max]; nullopt when absent or empty.
Checked<std::optional<int>> int_param(const Params& params, const std::string& name, int min, int max);
// A parameter's single value; nullopt when absent; refused when given twice.
Checked<std::optional<std::string>> single_param(const Params& params, const std::string& name);

// A request body that must be one JSON object: 415 when the content type is not
// application/json, 400 when the body is no JSON or nests deeper than kMaxJsonDepth,
// 422 when it is JSON but not an object. Never throws.
inline constexpr int kMaxJsonDepth = 32;
Checked<nlohmann::json> json_object_body(std::string_view body, std::string_view content_type);

// A string field of obj: nullopt when absent (or null); a Problem naming the field when
// present with another type, longer than max_bytes, or not UTF-8.
Checked<std::optional<std::string>> string_field(const nlohmann::json& obj, const std::string& name,
                                                 size_t max_bytes);

// The keys of obj outside `known` (in the order nlohmann::json keeps them: sorted): the
// fields a body may not have. None when obj is no object.
std::vector<std::string> unknown_fields(const nlohmann::json& obj, std::initializer_list<std::string_view> known);

// A strong ETag ("…" with a digest) of a representation: equal representations, equal tags.
std::string etag_of(const nlohmann::json& representation);
// RFC 9110 If-Match: true when absent, "*", or one of its listed tags equals etag (strong
// comparison: a weak W/ tag never matches).
bool if_match_allows(std::optional<std::string_view> if_match, std::string_view etag);

// RFC 9110 If-None-Match on a GET: true when "*" or one of its listed tags equals etag by
// weak comparison (a W/ prefix on either side is ignored): the client has this version.
bool if_none_match_holds(std::optional<std::string_view> if_none_match, std::string_view etag);

// If-Match on a change made through the admin layer: an Expect that the record, as the
// write unit reads it, has a representation (to_json) whose ETag if_match allows; when it
// has not, it sets `stale` (answer 412) and refuses. Empty without If-Match. `stale` must
// outlive the change.
template <typename T, typename ToJson>
admin::Expect<T> if_match_expect(std::optional<std::string_view> if_match, ToJson to_json, bool& stale) {
  if (!if_match) return {};
  return [if_match, to_json, &stale](const T& current) -> Status {
    if (if_match_allows(if_match, etag_of(to_json(current)))) return {};
    stale = true;
    return fail(ErrorCode::kConflict, "changed since it was read (If-Match)");
  };
}
// The 412 for a stale If-Match: what changed, and to read it again.
Problem stale_problem(std::string_view what);

}  // namespace mailcase::api

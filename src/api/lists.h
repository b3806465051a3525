// What the API's list and admin routes share beyond requests.h: a page request from the
// query (?limit=&cursor=&count=), a page as {"items", "next_cursor", "total"}, the typed
// fields of a JSON body, and a store or admin error as a problem naming its field.
// Internal to src/api/.
#pragma once

#include <httplib.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/problem.h"
#include "api/requests.h"
#include "api/routes.h"
#include "store/page.h"
#include "util/result.h"

namespace mailcase::api {

// limit (1..200, default 50), cursor (at most store::kMaxCursorBytes), count (true|false).
Checked<store::PageRequest> page_request_of(const Params& params);

// {"items": items, "next_cursor": cursor or null, "total" when counted}.
template <typename T, typename ToJson>
nlohmann::json page_json(const store::Page<T>& page, ToJson to_json) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& item : page.items) items.push_back(to_json(item));
  nlohmann::json out{{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (page.next_cursor) out["next_cursor"] = *page.next_cursor;
  if (page.total) out["total"] = *page.total;
  return out;
}

// An error whose message is "FIELD: why" (kInvalidInput of the store's cursors and limits,
// and of admin/admin.h's checks) as a 422 naming FIELD; any other as problem_of.
Problem problem_of_error(const Error& e);
inline void send_failure(httplib::Response& res, const Error& e) {
  send_problem(res, problem_of_error(e));
}

// An admin change held to the request's If-Match: `change` gets the admin::Expect<T> to
// pass on (if_match_expect of `to_json`, the resource's representation) and returns the
// change's Result. Answers 412 for `what` and returns nullopt when If-Match refused it;
// else returns the change's Result for the caller to answer.
template <typename T, typename ToJson, typename Change>
auto held_to_if_match(const httplib::Request& req, httplib::Response& res, std::string_view what,
                      ToJson to_json, Change change) -> std::optional<decltype(change(admin::Expect<T>{}))> {
  bool stale = false;
  auto done = change(if_match_expect<T>(header(req, "If-Match"), to_json, stale));
  if (stale) {
    send_problem(res, stale_problem(what));
    return std::nullopt;
  }
  return done;
}

// An edit for an admin change (admin::RuleEdit, admin::AlertRuleEdit) that merges `patch`
// (a JSON merge patch, RFC 7396) into the record as the change's own unit reads it, as
// `to_json` shows it, and reads the result back with `of_json` (a Checked<T>). A result
// that is invalid fails the edit, so that nothing is written, and leaves its problem in
// `invalid` for the caller to answer. `patch` and `invalid` must outlive the edit.
template <typename T, typename ToJson, typename OfJson>
std::function<Result<T>(const T&)> merging(const nlohmann::json& patch, ToJson to_json, OfJson of_json,
                                           std::optional<Problem>& invalid) {
  return [&patch, to_json, of_json, &invalid](const T& current) -> Result<T> {
    nlohmann::json merged = to_json(current);
    merged.merge_patch(patch);
    auto out = of_json(merged);
    if (out) return std::move(*out);
    invalid = std::move(out.error());
    return fail(ErrorCode::kInvalidInput, "the merged record has invalid fields");
  };
}

// Answers a GET of a list read from the store: the page request from the query
// (?limit=&cursor=&count=), then `fetch(unit, request)` in a read unit of work (a
// Result<store::Page<T>>; its errors as problem_of_error), sent as page_json with
// `to_json`.
template <typename Fetch, typename ToJson>
void send_page_of(Context& ctx, const httplib::Request& req, httplib::Response& res, Fetch fetch,
                  ToJson to_json) {
  auto r = page_request_of(req.params);
  if (!r) return send_problem(res, r.error());
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_error(res, unit.error());
  auto page = fetch(*unit, *r);
  if (!page) return send_failure(res, page.error());
  send_json(res, 200, page_json(*page, to_json));
}

// A page of `all`, a list few enough to be read whole (an admin writes each item), in its
// order: its cursor (kind "kind") is the place (1-based) of the last item shown.
template <typename T>
Checked<store::Page<T>> page_of_all(const Params& params, const std::string& kind, const std::vector<T>& all) {
  auto r = page_request_of(params);
  if (!r) return tl::unexpected(r.error());
  int64_t after = 0;
  if (r->cursor) {
    auto key = store::decode_id_cursor(kind, *r->cursor);
    if (!key) return tl::unexpected(problem_of_error(key.error()));
    after = *key;
  }
  store::Page<T> page;
  for (int64_t place = after + 1; place <= static_cast<int64_t>(all.size()); ++place) {
    if (page.items.size() == static_cast<size_t>(r->limit)) {
      page.next_cursor = store::encode_cursor(kind, std::to_string(place - 1));
      break;
    }
    page.items.push_back(all[static_cast<size_t>(place - 1)]);
  }
  if (r->count) page.total = static_cast<int64_t>(all.size());
  return page;
}

// Typed fields of a JSON object: nullopt when absent or null; a problem naming the field
// when present with another type or out of bounds.
Checked<std::optional<bool>> bool_field(const nlohmann::json& obj, const std::string& name);
Checked<std::optional<int64_t>> int_field(const nlohmann::json& obj, const std::string& name, int64_t min,
                                          int64_t max);
// An array of at most max_items strings of at most max_bytes each.
Checked<std::optional<std::vector<std::string>>> string_list_field(const nlohmann::json& obj,
                                                                   const std::string& name, size_t max_items,
                                                                   size_t max_bytes);

// The body of a POST or PATCH as a JSON object (json_object_body with the request's
// Content-Type). A field its operation's request schema in the OpenAPI document does not
// have, where that schema says additionalProperties: false, is refused (422, naming it):
// a typo ("priorty") is never dropped without a word, on every route alike.
Checked<nlohmann::json> body_of(const httplib::Request& req);

// The top-level fields the OpenAPI document allows in the JSON body of `method` on
// `route` (a path as the document names it), with the schema's name; none when the
// document allows any (or has no such body). Read once from the embedded document.
struct RequestFields {
  std::string schema;
  std::vector<std::string> names;
};
const RequestFields* request_fields(std::string_view method, std::string_view route);
// A field error for each top-level field of body that `allowed` does not name (body_of's
// words), in the body's order.
std::vector<FieldError> unknown_field_errors(const nlohmann::json& body, const RequestFields& allowed);

// The id in a path segment matched by kIdPattern: a positive integer.
inline constexpr const char* kIdPattern = R"((\d{1,18}))";
// An e-mail address or a name in a path segment (cpp-httplib decodes %40 before matching).
inline constexpr const char* kSegmentPattern = R"(([^/]{1,320}))";

}  // namespace mailcase::api

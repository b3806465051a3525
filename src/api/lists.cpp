#include "api/lists.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "api/openapi.h"
#include "api/routes.h"
#include "util/text.h"
#include "web/http_server.h"

namespace mailcase::api {

Checked<store::PageRequest> page_request_of(const Params& params) {
  store::PageRequest r;
  std::vector<FieldError> errors;
  if (auto l = int_param(params, "limit", 1, store::kMaxPageLimit); !l)
    errors.insert(errors.end(), l.error().errors.begin(), l.error().errors.end());
  else if (*l)
    r.limit = **l;
  if (auto c = single_param(params, "cursor"); !c) {
    errors.insert(errors.end(), c.error().errors.begin(), c.error().errors.end());
  } else if (*c) {
    if ((*c)->empty() || (*c)->size() > store::kMaxCursorBytes)
      errors.push_back({"cursor", "not a cursor of this list (take next_cursor from the previous page)"});
    else
      r.cursor = **c;
  }
  if (auto c = single_param(params, "count"); !c) {
    errors.insert(errors.end(), c.error().errors.begin(), c.error().errors.end());
  } else if (*c) {
    if (**c == "true")
      r.count = true;
    else if (**c != "false")
      errors.push_back({"count", "true or false"});
  }
  if (!errors.empty()) {
    Problem p;
    p.status = 422;
    p.detail = "the query has invalid parameters";
    p.errors = std::move(errors);
    return tl::unexpected(std::move(p));
  }
  return r;
}

Problem problem_of_error(const Error& e) {
  if (e.code == ErrorCode::kInvalidInput) {
    const auto colon = e.message.find(": ");
    const std::string field = colon == std::string::npos ? "" : e.message.substr(0, colon);
    const bool named = !field.empty() && field.size() <= 40 &&
                       field.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos;
    if (named) {
      Problem p = field_problem(field, e.message.substr(colon + 2));
      p.detail = e.message;
      return p;
    }
  }
  return problem_of(e);
}

Checked<std::optional<bool>> bool_field(const nlohmann::json& obj, const std::string& name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<bool>{};
  if (!it->is_boolean()) return tl::unexpected(field_problem(name, "must be true or false"));
  return std::optional<bool>{it->get<bool>()};
}

Checked<std::optional<int64_t>> int_field(const nlohmann::json& obj, const std::string& name, int64_t min,
                                          int64_t max) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>{};
  if (!it->is_number_integer()) return tl::unexpected(field_problem(name, "must be an integer"));
  const auto v = it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                     ? max + 1
                     : it->get<int64_t>();
  if (v < min || v > max)
    return tl::unexpected(
        field_problem(name, "must be " + std::to_string(min) + " to " + std::to_string(max)));
  return std::optional<int64_t>{v};
}

Checked<std::optional<std::vector<std::string>>> string_list_field(const nlohmann::json& obj,
                                                                   const std::string& name, size_t max_items,
                                                                   size_t max_bytes) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<std::vector<std::string>>{};
  if (!it->is_array()) return tl::unexpected(field_problem(name, "must be an array of strings"));
  if (it->size() > max_items)
    return tl::unexpected(field_problem(name, "at most " + std::to_string(max_items) + " entries"));
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string()) return tl::unexpected(field_problem(name, "must be an array of strings"));
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() > max_bytes)
      return tl::unexpected(
          field_problem(name, "an entry is longer than " + std::to_string(max_bytes) + " bytes"));
    if (text::make_valid_utf8(s) != s) return tl::unexpected(field_problem(name, "not UTF-8 text"));
    out.push_back(s);
  }
  return std::optional<std::vector<std::string>>{std::move(out)};
}

namespace {

// (METHOD route) → the fields its JSON body may have, from the embedded OpenAPI document.
std::map<std::string, RequestFields, std::less<>> read_request_fields() {
  std::map<std::string, RequestFields, std::less<>> out;
  const auto doc = nlohmann::json::parse(openapi_document(), nullptr, false);
  if (!doc.is_object() || !doc.contains("paths")) return out;
  const auto& schemas = doc["components"]["schemas"];
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (!op.is_object() || !op.contains("requestBody")) continue;
      const auto& content = op["requestBody"]["content"];
      if (!content.is_object() || !content.contains("application/json")) continue;
      auto schema = content["application/json"].value("schema", nlohmann::json::object());
      std::string name = "the request";
      if (schema.contains("$ref")) {
        const std::string ref = schema["$ref"].get<std::string>();
        name = ref.substr(ref.rfind('/') + 1);
        if (!schemas.contains(name)) continue;
        schema = schemas[name];
      }
      if (schema.value("additionalProperties", true) != false || !schema.contains("properties")) continue;
      RequestFields f;
      f.schema = name;
      for (const auto& [field, _] : schema["properties"].items()) f.names.push_back(field);
      std::string verb = method;
      std::transform(verb.begin(), verb.end(), verb.begin(), [](unsigned char c) { return std::toupper(c); });
      out[verb + " " + path] = std::move(f);
    }
  }
  return out;
}

}  // namespace

const RequestFields* request_fields(std::string_view method, std::string_view route) {
  static const auto all = read_request_fields();
  auto it = all.find(std::string(method) + " " + std::string(route));
  return it == all.end() ? nullptr : &it->second;
}

std::vector<FieldError> unknown_field_errors(const nlohmann::json& body, const RequestFields& allowed) {
  std::vector<FieldError> out;
  for (const auto& item : body.items()) {
    if (std::find(allowed.names.begin(), allowed.names.end(), item.key()) != allowed.names.end()) continue;
    out.push_back(
        {item.key(), "no such field of " + allowed.schema + " (" + text::join(allowed.names, ", ") + ")"});
  }
  return out;
}

Checked<nlohmann::json> body_of(const httplib::Request& req) {
  auto body = json_object_body(req.body, req.get_header_value("Content-Type"));
  if (!body) return body;
  const std::string* route = web::current_route();
  if (route == nullptr) return body;
  const RequestFields* allowed = request_fields(req.method, *route);
  if (allowed == nullptr) return body;
  Problem p{422, "the request has fields its operation does not take", unknown_field_errors(*body, *allowed)};
  if (!p.errors.empty()) return tl::unexpected(std::move(p));
  return body;
}

}  // namespace mailcase::api

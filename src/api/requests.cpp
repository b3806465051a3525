#include "api/requests.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "present/json.h"
#include "util/text.h"

namespace mailcase::api {
namespace {

bool valid_utf8(std::string_view s) {
  return text::make_valid_utf8(s) == s;
}

// Deepest nesting of arrays and objects in text that is meant to be JSON, counting only
// brackets outside strings; stops counting past limit.
int nesting_depth(std::string_view s, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : s) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

Checked<std::optional<std::string>> single_param(const Params& params, const std::string& name) {
  auto [first, last] = params.equal_range(name);
  if (first == last) return std::optional<std::string>{};
  if (std::next(first) != last) return tl::unexpected(field_problem(name, "give " + name + " once"));
  if (!valid_utf8(first->second)) return tl::unexpected(field_problem(name, "not UTF-8 text"));
  if (first->second.size() > 1000) return tl::unexpected(field_problem(name, "longer than 1000 bytes"));
  return std::optional<std::string>{first->second};
}

Checked<std::optional<int>> int_param(const Params& params, const std::string& name, int min, int max) {
  auto v = single_param(params, name);
  if (!v) return tl::unexpected(v.error());
  if (!*v || (*v)->empty()) return std::optional<int>{};  // `?limit=` from a form: the default
  const std::string& s = **v;
  int n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || n < min || n > max)
    return tl::unexpected(
        field_problem(name, "a whole number from " + std::to_string(min) + " to " + std::to_string(max)));
  return std::optional<int>{n};
}

Checked<store::CaseQuery> case_query_of(const Params& params) {
  store::CaseQuery q;
  std::vector<FieldError> errors;
  auto take = [&](const std::string& name) -> std::optional<std::string> {
    auto v = single_param(params, name);
    if (!v) {
      errors.insert(errors.end(), v.error().errors.begin(), v.error().errors.end());
      return std::nullopt;
    }
    if (*v && (*v)->empty()) return std::nullopt;  // `?queue=` means no filter, as in a form
    return *v;
  };
  if (auto s = take("status")) {
    // "solution proposed" as the cases show it, or with "_" as in a JSON enum or a URL.
    std::string named = *s;
    std::replace(named.begin(), named.end(), '_', ' ');
    if (text::iequals(named, "unsolved"))
      q.unsolved = true;  // new, open and solution proposed together
    else if (auto st = domain::status_from_string(named))
      q.status = *st;
    else
      errors.push_back({"status",
                        "one of new, open, solution proposed (or solution_proposed), resolved, closed, "
                        "or unsolved (new, open and solution proposed)"});
  }
  q.queue = take("queue");
  if (auto o = take("owner")) q.owner = text::normalize_email(*o);
  if (auto c = take("contact")) q.contact = text::normalize_email(*c);
  q.text = take("q");
  q.updated_since = take("updated_since");
  q.cursor = take("cursor");
  using Sort = store::CaseQuery::Sort;
  q.sort = q.text ? Sort::kRelevance : Sort::kUpdatedDesc;
  if (auto s = take("sort")) {
    static const std::map<std::string, Sort, std::less<>> kSorts{{"-updated", Sort::kUpdatedDesc},
                                                                 {"updated", Sort::kUpdatedAsc},
                                                                 {"-created", Sort::kCreatedDesc},
                                                                 {"created", Sort::kCreatedAsc},
                                                                 {"relevance", Sort::kRelevance}};
    auto it = kSorts.find(*s);
    if (it == kSorts.end())
      errors.push_back({"sort", "one of -updated, updated, -created, created, relevance"});
    else if (it->second == Sort::kRelevance && !q.text)
      errors.push_back({"sort", "relevance needs a search (q=)"});
    else
      q.sort = it->second;
  }
  if (auto c = take("count")) {
    if (*c == "true")
      q.count = true;
    else if (*c != "false")
      errors.push_back({"count", "true or false"});
  }
  if (auto l = int_param(params, "limit", 1, 200); !l)
    errors.insert(errors.end(), l.error().errors.begin(), l.error().errors.end());
  else if (*l)
    q.limit = **l;
  if (!errors.empty()) {
    Problem p;
    p.status = 422;
    p.detail = "the query has invalid parameters";
    p.errors = std::move(errors);
    return tl::unexpected(std::move(p));
  }
  return q;
}

Checked<nlohmann::json> json_object_body(std::string_view body, std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  const std::string_view media = text::trim(content_type.substr(0, semicolon));
  if (!text::iequals(media, "application/json")) {
    Problem p;
    p.status = 415;
    p.detail = "send the body as application/json";
    return tl::unexpected(std::move(p));
  }
  Problem bad;
  bad.status = 400;
  if (nesting_depth(body, kMaxJsonDepth) > kMaxJsonDepth) {
    bad.detail = "the JSON body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels";
    return tl::unexpected(std::move(bad));
  }
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    bad.detail = "the body is not valid JSON";
    return tl::unexpected(std::move(bad));
  }
  if (!j.is_object()) {
    Problem p;
    p.status = 422;
    p.detail = "the body must be a JSON object";
    return tl::unexpected(std::move(p));
  }
  return j;
}

std::vector<std::string> unknown_fields(const nlohmann::json& obj, std::initializer_list<std::string_view> known) {
  std::vector<std::string> out;
  if (!obj.is_object()) return out;
  for (const auto& item : obj.items()) {
    const std::string& key = item.key();
    if (std::find(known.begin(), known.end(), key) == known.end()) out.push_back(key);
  }
  return out;
}

Checked<std::optional<std::string>> string_field(const nlohmann::json& obj, const std::string& name,
                                                 size_t max_bytes) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) return tl::unexpected(field_problem(name, "must be a string"));
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > max_bytes)
    return tl::unexpected(field_problem(name, "longer than " + std::to_string(max_bytes) + " bytes"));
  if (!valid_utf8(s)) return tl::unexpected(field_problem(name, "not UTF-8 text"));
  return std::optional<std::string>{s};
}

std::string etag_of(const nlohmann::json& representation) {
  const std::string text = present::json_text(representation);
  std::array<unsigned char, 16> digest{};
  crypto_generichash(digest.data(), digest.size(), reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), nullptr, 0);
  std::array<char, 33> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return "\"" + std::string(hex.data()) + "\"";
}

namespace {

// Whether an If-Match or If-None-Match list ("*", or entity tags separated by commas) names
// `etag`: by strong comparison (the tags' text equal, RFC 9110 8.8.3.2), or by weak
// comparison (a "W/" prefix on either side ignored).
bool names_etag(std::string_view list, std::string_view etag, bool weak) {
  auto opaque = [weak](std::string_view tag) {
    tag = text::trim(tag);
    if (weak && tag.starts_with("W/")) tag.remove_prefix(2);
    return tag;
  };
  std::string_view rest = text::trim(list);
  if (rest == "*") return true;
  const std::string_view ours = opaque(etag);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    if (!ours.empty() && opaque(rest.substr(0, comma)) == ours) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

bool if_match_allows(std::optional<std::string_view> if_match, std::string_view etag) {
  return !if_match || names_etag(*if_match, etag, /*weak=*/false);
}

bool if_none_match_holds(std::optional<std::string_view> if_none_match, std::string_view etag) {
  return if_none_match && names_etag(*if_none_match, etag, /*weak=*/true);
}

Problem stale_problem(std::string_view what) {
  return Problem{412, std::string(what) + " has changed since it was read; GET it again", {}};
}

}  // namespace mailcase::api

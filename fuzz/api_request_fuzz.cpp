// Fuzz target for what the REST API reads from a request before any handler acts
// (api/requests.h): a JSON body, its string fields, the case list's query parameters and
// If-Match. Contract under test: nothing throws (an exception escaping here aborts), a
// body is refused with 400, 415 or 422 or is an object nested no deeper than
// kMaxJsonDepth, and the query the parameters make has a limit within its bounds.
//
// Input: 1 byte choosing the content type, then the text, used as the body, as a query
// string (name=value pairs split at '&' and the first '='), and as an If-Match value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/requests.h"
#include "store/case_query.h"

using namespace mailcase;

namespace {

int depth_of(const nlohmann::json& j) {
  int deepest = 0;
  if (j.is_object() || j.is_array())
    for (const auto& v : j) deepest = std::max(deepest, depth_of(v));
  return deepest + ((j.is_object() || j.is_array()) ? 1 : 0);
}

api::Params params_of(std::string_view s) {
  api::Params out;
  while (!s.empty()) {
    const size_t amp = s.find('&');
    const std::string_view pair = s.substr(0, amp);
    const size_t eq = pair.find('=');
    out.emplace(std::string(pair.substr(0, eq)),
                eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    s.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static constexpr std::string_view kTypes[] = {"application/json", "application/json; charset=utf-8",
                                                "APPLICATION/JSON ;x", "text/plain", ""};
  const std::string_view type = kTypes[data[0] % 5];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  auto body = api::json_object_body(text, type);
  if (!body) {
    const int s = body.error().status;
    if (s != 400 && s != 415 && s != 422) std::abort();
    if ((s == 415) != (data[0] % 5 >= 3)) std::abort();
  } else {
    if (!body->is_object() || depth_of(*body) > api::kMaxJsonDepth) std::abort();
    for (const auto& item : body->items()) {
      auto f = api::string_field(*body, item.key(), 64);
      if (f && *f && f->value().size() > 64) std::abort();
    }
    (void)api::unknown_fields(*body, {"subject", "body"});
    const std::string tag = api::etag_of(*body);
    if (!api::if_match_allows(tag, tag) || !api::if_match_allows(std::nullopt, tag)) std::abort();
  }
  (void)api::if_match_allows(text, "\"abc\"");

  auto q = api::case_query_of(params_of(text));
  if (q) {
    if (q->limit < 1 || q->limit > 200) std::abort();
    if (q->text) (void)store::case_query::fts_match_expression(*q->text);
  }
  return 0;
}

// Fuzz target for the sender's proof (trust/auth_results.h): Authentication-Results
// fields read, the believed one chosen, the From domain checked against it.
//
// Input, one field a line: the From address; the trusted authserv-ids (space
// separated); then one Authentication-Results value a line, topmost first (each line is
// also parsed alone, whole input too).
// Contract under test: no crash, no sanitizer report; a parsed field keeps its bounds,
// has an authserv-id and lower-case methods and results; a proof names a trusted id or
// none, and a From is verified only by a believed proof.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "trust/auth_results.h"
#include "util/text.h"

using namespace mailcase;

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

bool lower(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

void check_parse(std::string_view value) {
  auto r = trust::parse_auth_results(value);
  if (!r) {
    if (r.error().code != ErrorCode::kInvalidInput || r.error().message.empty()) std::abort();
    return;
  }
  if (value.size() > trust::kMaxAuthResultsBytes) std::abort();
  if (r->authserv_id.empty() || r->results.size() > trust::kMaxResinfos) std::abort();
  for (const auto& m : r->results) {
    if (m.method.empty() || !lower(m.method) || !lower(m.result)) std::abort();
    for (const auto& [name, v] : m.properties)
      if (name.empty() || !lower(name) || m.property(name) == nullptr) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_parse(input);
  const auto lines = split(input, '\n');
  if (lines.size() < 3) return 0;
  std::vector<std::string> ids;
  for (auto id : split(lines[1], ' ')) ids.emplace_back(id);
  std::vector<std::string_view> headers(lines.begin() + 2, lines.end());
  for (auto h : headers) check_parse(h);
  const auto believed = trust::trusted_ids(ids, {}, ids);
  const trust::SenderProof proof = trust::sender_proof(headers, believed);
  if (proof.trusted()) {
    if (!lower(proof.authserv_id) || !lower(proof.dkim) || !lower(proof.spf) || !lower(proof.dmarc))
      std::abort();
    if (std::none_of(believed.begin(), believed.end(),
                     [&](const std::string& id) { return text::iequals(id, proof.authserv_id); }))
      std::abort();
  } else if (!proof.dkim.empty() || !proof.dmarc.empty() || !proof.dkim_pass_domains.empty()) {
    std::abort();
  }
  if (trust::from_verified(proof, lines[0]) && !proof.trusted()) std::abort();
  return 0;
}

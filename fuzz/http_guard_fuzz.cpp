// Fuzz target for the customer pages' request checks (web/http_guard.h), the pure
// functions that read a request before cpp-httplib buffers it: the head scanner fed in
// arbitrary pieces, the body verdict from the method and the Content-Length and
// Transfer-Encoding values, the body read with a head before a worker takes it, and the
// checks of a form field.
//
// Input: two bytes of settings (head limit, piece size), then the bytes of a request.
// Contract under test: no crash, no sanitizer report; the scanner never reports more
// head than it was given or than its limit, and feeding the same bytes whole or in
// pieces gives the same answer, and so does the request's arrival; a form field that
// passes is valid UTF-8 within its limit; the body verdict is 0 or an HTTP refusal; the
// body read ahead is never more than its bound, and when there is one, the head declares
// it in a Content-Length.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

#include "web/http_guard.h"

using namespace mailcase;

namespace {

std::string_view line_at(std::string_view s, size_t n) {
  for (; n > 0; --n) {
    size_t at = s.find('\n');
    if (at == std::string_view::npos) return {};
    s.remove_prefix(at + 1);
  }
  return s.substr(0, s.find('\n'));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t max_head = 16 + static_cast<size_t>(data[0]) * 16;
  const size_t piece = 1 + data[1] % 64;
  const std::string_view req(reinterpret_cast<const char*>(data + 2), size - 2);

  web::HeadScanner whole(max_head), pieces(max_head);
  const size_t used_whole = whole.feed(req);
  size_t used_pieces = 0;
  for (size_t at = 0; at < req.size() && !pieces.done() && !pieces.overflowed(); at += piece)
    used_pieces += pieces.feed(req.substr(at, piece));
  if (used_whole > req.size() || whole.head_bytes() > max_head + 1) std::abort();
  if (used_whole != used_pieces || whole.done() != pieces.done() || whole.overflowed() != pieces.overflowed())
    std::abort();
  if (whole.overflowed() && whole.overflow_status() != 414 && whole.overflow_status() != 431) std::abort();

  // Method, Content-Length, Transfer-Encoding, a second Content-Length: the first four
  // lines; an empty line is a header that is absent.
  const std::string_view method = line_at(req, 0), encoding = line_at(req, 2);
  std::vector<std::string_view> lengths;
  for (const std::string_view length : {line_at(req, 1), line_at(req, 3)})
    if (!length.empty()) lengths.push_back(length);
  const auto verdict =
      web::check_body(method, lengths,
                      encoding.empty() ? std::nullopt : std::optional<std::string_view>(encoding), 16 * 1024);
  if (lengths.size() == 2 && lengths[0] != lengths[1] && verdict.status != 400) std::abort();
  if (verdict.status != 0 && verdict.status != 400 && verdict.status != 411 && verdict.status != 413)
    std::abort();
  if ((verdict.status == 0) != verdict.reason.empty()) std::abort();
  if (verdict.status != 0) (void)web::refusal_response(verdict.status);

  // The request as the connection reader takes it, whole and in pieces: the same last
  // step, a body read ahead within its path's limit (here max_head) and declared by the
  // head, and never less than the head needed.
  const web::RequestArrival::BodyLimit limit_of = [&](std::string_view) { return max_head; };
  web::RequestArrival at_once(max_head), piecewise(max_head);
  auto settled = [](web::RequestArrival::Step s) {
    return s == web::RequestArrival::Step::kContinue ? web::RequestArrival::Step::kMore : s;
  };
  const auto last_whole = settled(at_once.feed(req, 0, limit_of));
  auto last_pieces = web::RequestArrival::Step::kMore;
  for (size_t at = 0; at < req.size() && settled(last_pieces) == web::RequestArrival::Step::kMore;
       at += piece)
    last_pieces = piecewise.feed(req.substr(0, std::min(req.size(), at + piece)), at, limit_of);
  if (last_whole != settled(last_pieces)) std::abort();
  if (at_once.plan().read_ahead > max_head) std::abort();
  if (at_once.head_read()) {
    const auto fields = web::read_head_fields(req.substr(0, used_whole));
    if (at_once.plan().read_ahead > 0 && fields.content_lengths.empty()) std::abort();
    if (at_once.need() != used_whole + at_once.plan().read_ahead) std::abort();
    if (piecewise.head_read() && piecewise.need() != at_once.need()) std::abort();
  }

  for (bool multiline : {false, true}) {
    const auto refused = web::check_form_text("Comment", req, max_head, multiline);
    if (!refused && (req.size() > max_head || !web::is_valid_utf8(req))) std::abort();
  }
  return 0;
}

#include "web/http_guard.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "util/text.h"

namespace mailcase::web {

size_t HeadScanner::feed(std::string_view data) {
  size_t used = 0;
  while (used < data.size() && state_ == State::kReading) {
    const char ch = data[used++];
    if (++seen_ > max_) {
      state_ = State::kTooLong;
      break;
    }
    if (ch == '\n') {
      // An empty line (only CR LF) after the request line ends the head.
      if (cr_ && line_len_ == 0 && !in_request_line_) {
        state_ = State::kDone;
        break;
      }
      in_request_line_ = false;
      line_len_ = 0;
      cr_ = false;
      continue;
    }
    if (cr_) ++line_len_;  // a CR inside a line
    cr_ = ch == '\r';
    if (!cr_) ++line_len_;
  }
  return used;
}

namespace {

// RFC 9110 §5.6.2: a field name is a token.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

HeadFields read_head_fields(std::string_view head) {
  HeadFields f;
  int hosts = 0;
  const size_t line_end = head.find('\n');
  const std::string_view line = head.substr(0, line_end);
  const size_t sp = line.find(' ');
  f.method = line.substr(0, sp);
  if (sp != std::string_view::npos) {
    const size_t sp2 = line.find(' ', sp + 1);
    f.target = line.substr(sp + 1, sp2 == std::string_view::npos ? std::string_view::npos : sp2 - sp - 1);
  }
  size_t at = line_end;  // past the request line: the request line is no header
  while (at != std::string_view::npos && at + 1 < head.size()) {
    const size_t start = at + 1;
    at = head.find('\n', start);
    std::string_view field =
        head.substr(start, at == std::string_view::npos ? head.size() - start : at - start);
    if (!field.empty() && field.back() == '\r') field.remove_suffix(1);
    if (field.empty()) break;  // the empty line that ends the head
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos || !is_token(field.substr(0, colon))) {
      f.malformed = true;
      continue;
    }
    const std::string_view name = field.substr(0, colon);
    if (text::iequals(name, "host") && ++hosts > 1) f.malformed = true;
    std::string_view value = field.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (text::iequals(name, "content-length"))
      f.content_lengths.push_back(value);
    else if (text::iequals(name, "transfer-encoding"))
      f.transfer_encoding = value;
    else if (text::iequals(name, "expect"))
      f.expect = value;
  }
  return f;
}

BodyPlan plan_body(const HeadFields& head, size_t max_body) {
  if (head.content_lengths.empty() ||
      check_body(head.method, head.content_lengths, head.transfer_encoding, max_body).status != 0)
    return {};
  // check_body took it: one number, at most max_body.
  const std::string_view length = head.content_lengths.front();
  BodyPlan plan;
  (void)std::from_chars(length.data(), length.data() + length.size(), plan.read_ahead);
  plan.continue_first = plan.read_ahead > 0 && head.expect && text::iequals(*head.expect, "100-continue");
  return plan;
}

RequestArrival::Step RequestArrival::feed(std::string_view bytes, size_t from, const BodyLimit& limit_of) {
  if (need_ == 0) {
    (void)head_.feed(bytes.substr(std::min(from, bytes.size())));
    // A request line ended by a bare LF is no HTTP request: cpp-httplib refuses it (400)
    // from that line, and so it goes on at once rather than wait for a head that may
    // never end as one, or for a body. (Only within what the scanner took: bytes past a
    // head too long are not looked at, whole or in pieces.)
    const size_t first_lf = bytes.find('\n');
    if (first_lf < head_.head_bytes() && (first_lf == 0 || bytes[first_lf - 1] != '\r')) {
      malformed_ = true;
      need_ = bytes.size();
      return Step::kReady;
    }
    if (head_.overflowed()) return Step::kRefuse;
    if (!head_.done()) return Step::kMore;
    const HeadFields fields = read_head_fields(bytes.substr(0, head_.head_bytes()));
    if (fields.malformed) {
      // Its head was read, with no body to read after it: refused as it stands.
      refusal_ = 400;
      need_ = head_.head_bytes();
      return Step::kRefuse;
    }
    plan_ = plan_body(fields, limit_of(fields.target));
    need_ = head_.head_bytes() + plan_.read_ahead;
    // A client that sent its body without waiting for "100 Continue" needs none.
    if (plan_.continue_first && bytes.size() == head_.head_bytes()) return Step::kContinue;
  }
  return bytes.size() < need_ ? Step::kMore : Step::kReady;
}

bool may_read_body(size_t own, size_t in_use, size_t largest, size_t budget) {
  return in_use < budget || own >= largest;
}

BodyVerdict check_body(std::string_view method, const std::vector<std::string_view>& content_lengths,
                       std::optional<std::string_view> transfer_encoding, size_t max_body) {
  std::optional<std::string_view> content_length;
  if (!content_lengths.empty()) content_length = content_lengths.front();
  for (const auto& other : content_lengths)
    if (other != *content_length) return {400, "the request declares two different lengths"};
  // Only forms are posted here; every other method is answered without a body.
  // cpp-httplib would leave such a body unread and take it for the next request.
  if (method != "POST" && method != "PUT" && method != "PATCH") {
    if ((content_length && *content_length != "0") || transfer_encoding)
      return {400, "this request may not have a body"};
    return {};
  }
  if (transfer_encoding) return {411, "send the form with a Content-Length"};
  if (!content_length) return {411, "send the form with a Content-Length"};
  uint64_t n = 0;
  const auto* b = content_length->data();
  const auto* e = b + content_length->size();
  auto [p, ec] = std::from_chars(b, e, n);
  if (ec == std::errc::result_out_of_range) return {413, "the form is too large"};
  if (ec != std::errc() || p != e || content_length->empty()) return {400, "Content-Length is not a number"};
  if (n > max_body) return {413, "the form is too large"};
  return {};
}

const std::vector<std::pair<std::string, std::string>>& security_headers() {
  static const std::vector<std::pair<std::string, std::string>> h{
      {"Content-Security-Policy",
       "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
      {"Cache-Control", "no-store"},
  };
  return h;
}

const char* status_text(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 416:
      return "Range Not Satisfiable";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
  }
  return "Error";
}

std::string status_explanation(int status) {
  switch (status) {
    case 404:
      return "There is no page here. Open the link from our mail to see your case.";
    case 405:
      return "This page does not take that kind of request.";
    case 408:
      return "The request took too long to arrive.";
    case 411:
      return "The form was sent without its length.";
    case 413:
      return "What was sent is larger than this page accepts.";
    case 414:
      return "The address is too long.";
    case 431:
      return "The request headers are too large.";
  }
  if (status >= 500) return "Something went wrong on our side. Please try again in a moment.";
  return "The request could not be understood.";
}

std::string refusal_response(int status) {
  const std::string body = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                           std::string(status_text(status)) + "</title></head><body><h1>" +
                           status_text(status) + "</h1><p>" + status_explanation(status) +
                           "</p></body></html>\n";
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + status_text(status) + "\r\n";
  for (const auto& [k, v] : security_headers()) out += k + ": " + v + "\r\n";
  out += "Content-Type: text/html; charset=utf-8\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
  return out;
}

bool is_valid_utf8(std::string_view s) {
  // The repairing decoder changes exactly the ill-formed sequences.
  return text::make_valid_utf8(s) == s;
}

std::optional<std::string> check_form_text(std::string_view field_label, std::string_view value,
                                           size_t max_bytes, bool multiline) {
  const std::string label(field_label);
  if (value.size() > max_bytes)
    return label + " is too long: at most " + std::to_string(max_bytes) + " bytes, please.";
  if (!is_valid_utf8(value)) return label + " is not valid UTF-8 text.";
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    const bool line_break = c == '\n' || c == '\r';
    if ((c < 0x20 && c != '\t' && !(multiline && line_break)) || c == 0x7f)
      return label + " contains control characters.";
    // C1 controls U+0080–U+009F are encoded as C2 80 – C2 9F.
    if (c == 0xc2 && i + 1 < value.size()) {
      const auto d = static_cast<unsigned char>(value[i + 1]);
      if (d >= 0x80 && d <= 0x9f) return label + " contains control characters.";
    }
  }
  return std::nullopt;
}

}  // namespace mailcase::web

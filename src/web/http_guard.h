// The rules that keep the customer pages' HTTP server bounded, as pure functions with
// no I/O: how big a request head and body may be, what refuses a request before its
// body is read, which headers every response carries, and what a form field may hold.
// customer_pages.cpp applies them to the sockets.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailcase::web {

// Settings of [http] in mailcase.toml (config::Http), as the server uses them.
struct HttpLimits {
  size_t max_head_bytes = 16 * 1024;  // request line and headers together
  size_t max_body_bytes = 16 * 1024;  // a form; larger bodies get 413 unread
  int request_timeout_seconds = 15;   // from the first byte of a request to its answer
  int workers = 64;                   // requests answered at once
  // Connections held waiting for a request (its head, a short body, or the next request
  // of a kept-alive connection), apart from the workers; past it the one waiting longest
  // is closed.
  int max_connections = 512;
  // The bodies longer than a short form read ahead at once (before their requests take
  // workers), in bytes; past it only the one holding the most goes on reading.
  size_t max_buffered_bytes = 64 * 1024 * 1024;
};

// Watches the bytes of one request head (request line, headers, blank line) as they
// arrive, so that a head is refused when it passes the limit instead of being
// buffered whole. Bytes after the blank line are the body and are not counted.
class HeadScanner {
 public:
  explicit HeadScanner(size_t max_bytes) : max_(max_bytes) {}
  // Reads data up to the end of the head; returns how many bytes of data were head.
  size_t feed(std::string_view data);
  bool done() const { return state_ == State::kDone; }
  bool overflowed() const { return state_ == State::kTooLong; }
  // When overflowed: 414 when the request line alone was too long, else 431.
  int overflow_status() const { return in_request_line_ ? 414 : 431; }
  size_t head_bytes() const { return seen_; }

 private:
  enum class State { kReading, kDone, kTooLong };
  size_t max_;
  size_t seen_ = 0;
  State state_ = State::kReading;
  bool in_request_line_ = true;
  // Length of the line being read, without its CR LF; a CR LF after an empty line ends
  // the head (as cpp-httplib reads it).
  size_t line_len_ = 0;
  bool cr_ = false;
};

// The fields of a request head (request line, headers, blank line) that decide how its
// body is read. Views into the head.
struct HeadFields {
  std::string_view method;
  std::string_view target;  // the request line's target as sent: path and query, not decoded
  std::vector<std::string_view> content_lengths;  // every Content-Length, in order
  std::optional<std::string_view> transfer_encoding;
  std::optional<std::string_view> expect;
  // A field line that is no "name: value" with a token for its name (a space or tab before
  // the colon, a line folded onto the one before, no colon), or a second Host: RFC 9112
  // §5.1, §5.2 and §3.2 require a 400. Read leniently, "Content-Length : 5" would be an
  // unknown field to us and a length to a proxy in front: its body, a request of its own.
  bool malformed = false;
};
HeadFields read_head_fields(std::string_view head);

// What of a request's body is read before a worker takes the request.
struct BodyPlan {
  size_t read_ahead = 0;        // body bytes: the declared Content-Length, whole
  bool continue_first = false;  // answer "100 Continue" first: the client waits for it
};
// The body of a request that check_body lets through (max_body: its path's limit) is read
// whole first; a client that sent "Expect: 100-continue" is told to go on first. Any other
// request has nothing read ahead: a worker refuses it from its head, unread.
BodyPlan plan_body(const HeadFields& head, size_t max_body);

// How a request held between workers has come so far, from its bytes as they arrive:
// its head (bounded by max_head_bytes), then the body its plan reads ahead. Pure: the
// connection reader reads the bytes and acts on each step.
class RequestArrival {
 public:
  // The body limit of a request target (as sent, not decoded).
  using BodyLimit = std::function<size_t(std::string_view target)>;
  enum class Step {
    kMore,      // wait for more bytes
    kContinue,  // the head is read and the client waits: answer "100 Continue", then wait
    kRefuse,    // answer refusal_status() and end the connection
    kReady,     // the request is there to answer
  };
  explicit RequestArrival(size_t max_head_bytes) : head_(max_head_bytes) {}
  // bytes: all of the request's bytes so far, those from `from` on new.
  Step feed(std::string_view bytes, size_t from, const BodyLimit& limit_of);
  int refusal_status() const { return refusal_ != 0 ? refusal_ : head_.overflow_status(); }
  // Whether its head was read whole as a head (not so a request line ended by a bare LF).
  bool head_read() const { return head_.done() && !malformed_; }
  // Once the head is read: its plan, and the bytes of head and body read ahead together.
  const BodyPlan& plan() const { return plan_; }
  size_t need() const { return need_; }

 private:
  HeadScanner head_;
  BodyPlan plan_;
  size_t need_ = 0;  // 0 until the head is read (or the request line is refused)
  bool malformed_ = false;
  int refusal_ = 0;  // 400 for a malformed field line; else the head's overflow status
};

// Whether a connection whose large body is being read ahead may read more of it: while
// the large bodies held (in_use bytes in all) are under the budget, each may; past it only
// the one holding the most (`largest`), so that one always comes whole and the bodies held
// stay within the budget and one body.
bool may_read_body(size_t own, size_t in_use, size_t largest, size_t budget);

// Whether a request may have its body read, decided from its head alone. status 0:
// read it (at most max_body bytes); otherwise answer status and close the connection
// without reading the body: 411 for a POST without Content-Length (or chunked), 413
// for a declared length over the limit, 400 for a length that is not a number or a
// body on a GET.
//
// content_lengths: the values of every Content-Length field of the request, in order.
// Fields repeating one value declare that value (RFC 9110 §8.6); fields that differ are
// refused with 400 (RFC 9112 §6.3): cpp-httplib reads the first, a proxy in front may
// have framed the request by another, and the rest of the body would be read as a
// request of its own. A list in one field ("5, 5") is not a number: 400 too.
struct BodyVerdict {
  int status = 0;
  std::string reason;
};
BodyVerdict check_body(std::string_view method, const std::vector<std::string_view>& content_lengths,
                       std::optional<std::string_view> transfer_encoding, size_t max_body);

// The headers every customer page and every error answer carries.
const std::vector<std::pair<std::string, std::string>>& security_headers();

// A complete HTTP/1.1 response (with security_headers and Connection: close) for a
// request refused before it could be parsed: 408, 413, 414, 431.
std::string refusal_response(int status);
const char* status_text(int status);
// The short explanation shown on the error page of status.
std::string status_explanation(int status);

// Whether text is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF).
bool is_valid_utf8(std::string_view text);

// Checks one field a customer typed into a form. nullopt: acceptable; otherwise the
// reason, to show on a 400 page. Refused: invalid UTF-8, more than max_bytes, and
// control characters (C0 except tab, and in multi-line fields CR and LF; DEL; C1).
std::optional<std::string> check_form_text(std::string_view field_label, std::string_view value,
                                           size_t max_bytes, bool multiline);

}  // namespace mailcase::web

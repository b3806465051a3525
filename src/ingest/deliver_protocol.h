// The hand-off of a pipe delivery to a running `serve` (DATA_DIR/deliver.sock): the framing
// both sides speak, pure (no I/O), so that the server and `deliver` share one definition.
//
//   server: "MCDELIVER 1 READY\n"   (or "MCDELIVER 1 BUSY\n", then it closes)
//   client: "H <n>\n" <n bytes>      the header: "1\n", then "S<sender>\n" (given) or "N\n"
//                                    (not given), then "R<recipient>\n" per recipient
//           "D <n>\n" <n bytes>      the mail, in chunks of 1..kMaxChunkBytes, any number
//           "E <total>\n"            the end: total is the sum of the chunks
//   server: "A <code> <j> <e>\n" <j bytes of JSON outcome> <e bytes of stderr text>
//
// A request counts only once its end frame came and its total matches: a request cut
// anywhere before that (EOF, a lost connection, a bad frame) is never recorded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailcase::ingest::handoff {

inline constexpr std::string_view kReady = "MCDELIVER 1 READY\n";
inline constexpr std::string_view kBusy = "MCDELIVER 1 BUSY\n";
inline constexpr size_t kMaxGreetingBytes = 64;  // a greeting line, at most
inline constexpr size_t kMaxHeaderBytes = 64 * 1024;
inline constexpr size_t kMaxRecipients = 1000;
inline constexpr size_t kMaxChunkBytes = 1024 * 1024;
inline constexpr size_t kMaxFrameLine = 32;             // "D 1048576\n" and the like
inline constexpr size_t kMaxAnswerTextBytes = 1 << 20;  // the JSON and the stderr text, each

struct Envelope {
  std::optional<std::string> sender;  // as given on the command line; nullopt: not given
  std::vector<std::string> recipients;
};

// The header frame's payload for this envelope; nullopt when it cannot be sent (past
// kMaxHeaderBytes or kMaxRecipients, or a value holding a line break or NUL): the
// delivery then commits by itself.
std::optional<std::string> encode_header(const Envelope& envelope);
std::string chunk_frame_head(size_t n);  // "D <n>\n"; the n bytes follow
std::string end_frame(uint64_t total);
std::string encode_answer(int exit_code, std::string_view json, std::string_view err);

// The server's reading of one request, fed the bytes as they come in any split.
// The body is bounded as a delivery bounds a mail: up to max_body bytes it is kept
// whole; past it only its first head_bytes are kept and the rest counted (too_large()).
class RequestParser {
 public:
  enum class State { kNeedMore, kDone, kBad };
  RequestParser(uint64_t max_body, size_t head_bytes);

  // Takes bytes; after kDone or kBad further bytes are ignored.
  State feed(std::string_view bytes);
  State state() const { return state_; }
  const std::string& error() const { return error_; }  // kBad: why
  bool has_envelope() const { return have_header_; }
  const Envelope& envelope() const { return envelope_; }
  // The kept bytes (all of them, or the head of a too large mail).
  std::string& body() { return body_; }
  uint64_t size() const { return total_; }  // the mail's full size
  bool too_large() const { return total_ > max_body_; }

 private:
  State bad(std::string why);
  bool take_header(std::string_view payload);
  void take_body(std::string_view bytes);

  uint64_t max_body_;
  size_t head_bytes_;
  State state_ = State::kNeedMore;
  std::string error_;
  std::string pending_;  // an incomplete frame line
  enum class In { kLine, kHeader, kChunk } in_ = In::kLine;
  uint64_t left_ = 0;  // payload bytes still to come of the current frame
  std::string header_;
  bool have_header_ = false;
  Envelope envelope_;
  std::string body_;
  uint64_t total_ = 0;
};

// The client's reading of the server's answer.
struct Answer {
  int exit_code = 0;
  std::string json;
  std::string err;
};
enum class AnswerState { kNeedMore, kDone, kBad };
// Whole answer in bytes (as read so far) → kDone with out set, kNeedMore, or kBad.
AnswerState parse_answer(std::string_view bytes, Answer& out);

}  // namespace mailcase::ingest::handoff

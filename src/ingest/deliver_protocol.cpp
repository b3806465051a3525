#include "ingest/deliver_protocol.h"

#include <charconv>

namespace mailcase::ingest::handoff {
namespace {

bool plain_value(std::string_view v) {
  return v.find_first_of(std::string_view("\n\r\0", 3)) == v.npos;
}

// "<letter> <decimal>" exactly, no sign, no leading zeros beyond "0" itself.
std::optional<uint64_t> frame_number(std::string_view line, char letter) {
  if (line.size() < 3 || line[0] != letter || line[1] != ' ') return std::nullopt;
  std::string_view digits = line.substr(2);
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
  return n;
}

}  // namespace

std::optional<std::string> encode_header(const Envelope& envelope) {
  if (envelope.recipients.size() > kMaxRecipients) return std::nullopt;
  std::string h = "1\n";
  if (envelope.sender) {
    if (!plain_value(*envelope.sender)) return std::nullopt;
    h += "S" + *envelope.sender + "\n";
  } else {
    h += "N\n";
  }
  for (const auto& r : envelope.recipients) {
    if (!plain_value(r)) return std::nullopt;
    h += "R" + r + "\n";
    if (h.size() > kMaxHeaderBytes) return std::nullopt;
  }
  if (h.size() > kMaxHeaderBytes) return std::nullopt;
  return "H " + std::to_string(h.size()) + "\n" + h;
}

std::string chunk_frame_head(size_t n) {
  return "D " + std::to_string(n) + "\n";
}
std::string end_frame(uint64_t total) {
  return "E " + std::to_string(total) + "\n";
}

std::string encode_answer(int exit_code, std::string_view json, std::string_view err) {
  std::string a = "A " + std::to_string(exit_code) + " " + std::to_string(json.size()) + " " +
                  std::to_string(err.size()) + "\n";
  a.append(json);
  a.append(err);
  return a;
}

RequestParser::RequestParser(uint64_t max_body, size_t head_bytes)
    : max_body_(max_body), head_bytes_(head_bytes < max_body ? head_bytes : static_cast<size_t>(max_body)) {}

RequestParser::State RequestParser::bad(std::string why) {
  state_ = State::kBad;
  error_ = std::move(why);
  body_.clear();
  body_.shrink_to_fit();
  return state_;
}

bool RequestParser::take_header(std::string_view p) {
  // Lines: "1", then "S…" or "N", then "R…" each; every line ends with "\n".
  if (p.empty() || p.back() != '\n') return false;
  std::vector<std::string_view> lines;
  while (!p.empty()) {
    auto nl = p.find('\n');
    lines.push_back(p.substr(0, nl));
    p.remove_prefix(nl + 1);
  }
  if (lines.size() < 2 || lines[0] != "1") return false;
  if (lines[1] == "N") {
    envelope_.sender.reset();
  } else if (!lines[1].empty() && lines[1][0] == 'S') {
    envelope_.sender = std::string(lines[1].substr(1));
  } else {
    return false;
  }
  if (lines.size() - 2 > kMaxRecipients) return false;
  for (size_t i = 2; i < lines.size(); ++i) {
    if (lines[i].empty() || lines[i][0] != 'R' || !plain_value(lines[i])) return false;
    envelope_.recipients.emplace_back(lines[i].substr(1));
  }
  return plain_value(lines[1]);
}

void RequestParser::take_body(std::string_view bytes) {
  const uint64_t before = total_;
  total_ += bytes.size();
  if (total_ <= max_body_) {
    body_.append(bytes);
    return;
  }
  // Past the limit: only the head is kept, as a delivery keeps it.
  if (before <= max_body_ && body_.size() > head_bytes_) body_.resize(head_bytes_);
  if (body_.size() < head_bytes_) body_.append(bytes.substr(0, head_bytes_ - body_.size()));
}

RequestParser::State RequestParser::feed(std::string_view bytes) {
  while (state_ == State::kNeedMore && !bytes.empty()) {
    if (in_ == In::kHeader || in_ == In::kChunk) {
      const size_t n = bytes.size() < left_ ? bytes.size() : static_cast<size_t>(left_);
      if (in_ == In::kHeader)
        header_.append(bytes.substr(0, n));
      else
        take_body(bytes.substr(0, n));
      bytes.remove_prefix(n);
      left_ -= n;
      if (left_ > 0) continue;
      if (in_ == In::kHeader) {
        if (!take_header(header_)) return bad("bad header");
        have_header_ = true;
        header_.clear();
      }
      in_ = In::kLine;
      continue;
    }
    // A frame line: bounded, no byte of it is a payload's.
    auto nl = bytes.find('\n');
    const size_t take = nl == bytes.npos ? bytes.size() : nl;
    if (pending_.size() + take > kMaxFrameLine) return bad("frame line too long");
    pending_.append(bytes.substr(0, take));
    if (nl == bytes.npos) return state_;
    bytes.remove_prefix(nl + 1);
    const std::string line = std::move(pending_);
    pending_.clear();
    if (!have_header_) {
      auto n = frame_number(line, 'H');
      if (!n || *n == 0 || *n > kMaxHeaderBytes) return bad("expected a header frame");
      in_ = In::kHeader;
      left_ = *n;
      continue;
    }
    if (auto n = frame_number(line, 'D')) {
      if (*n == 0 || *n > kMaxChunkBytes) return bad("bad chunk size");
      in_ = In::kChunk;
      left_ = *n;
      continue;
    }
    if (auto n = frame_number(line, 'E')) {
      if (*n != total_) return bad("end frame total differs from the bytes sent");
      state_ = State::kDone;
      return state_;
    }
    return bad("unknown frame");
  }
  return state_;
}

AnswerState parse_answer(std::string_view bytes, Answer& out) {
  auto nl = bytes.find('\n');
  if (nl == bytes.npos) return bytes.size() > 64 ? AnswerState::kBad : AnswerState::kNeedMore;
  std::string_view line = bytes.substr(0, nl);
  if (line.size() > 64 || line.substr(0, 2) != "A ") return AnswerState::kBad;
  line.remove_prefix(2);
  uint64_t v[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    auto sp = line.find(' ');
    std::string_view f = i < 2 ? line.substr(0, sp) : line;
    if (i < 2 && sp == line.npos) return AnswerState::kBad;
    auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), v[i]);
    if (f.empty() || ec != std::errc() || p != f.data() + f.size()) return AnswerState::kBad;
    if (f.size() > 1 && f[0] == '0') return AnswerState::kBad;  // one spelling per answer
    if (i < 2) line.remove_prefix(sp + 1);
  }
  if (v[0] > 255 || v[1] > kMaxAnswerTextBytes || v[2] > kMaxAnswerTextBytes) return AnswerState::kBad;
  const std::string_view rest = bytes.substr(nl + 1);
  if (rest.size() < v[1] + v[2]) return AnswerState::kNeedMore;
  if (rest.size() > v[1] + v[2]) return AnswerState::kBad;
  out.exit_code = static_cast<int>(v[0]);
  out.json = std::string(rest.substr(0, v[1]));
  out.err = std::string(rest.substr(v[1], v[2]));
  return AnswerState::kDone;
}

}  // namespace mailcase::ingest::handoff

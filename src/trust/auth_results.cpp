#include "trust/auth_results.h"

#include <algorithm>
#include <optional>

#include "util/text.h"

namespace mailcase::trust {

namespace {

// A cursor over one field value, RFC 8601 section 2.2's grammar read leniently where
// real servers stray from it (Microsoft's "action=none" without a ptype, values with
// '/', '=' or ':' unquoted, an empty resinfo after a trailing ';').
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }
  size_t pos() const { return pos_; }
  void advance() { ++pos_; }
  const std::string& error() const { return error_; }
  bool failed() const { return !error_.empty(); }

  // Skips white space and (nested) comments. False, with an error, on an unclosed one.
  bool skip_cfws() {
    while (!at_end()) {
      const char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++pos_;
      } else if (c == '(') {
        if (!skip_comment()) return false;
      } else {
        break;
      }
    }
    return true;
  }

  // A keyword (RFC 8601: letters, digits, '-' and, leniently, '_'), or empty.
  std::string_view keyword() {
    const size_t start = pos_;
    while (!at_end() && is_keyword_char(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  // A value: a quoted string (unquoted), or a run of bytes up to white space, ';', '('
  // or '"'. A quoted local part may be followed by "@domain" ("\"a b\"@example.com").
  // nullopt, with an error, on an unclosed quoted string; an empty string when nothing
  // value-like is there.
  std::optional<std::string> value() {
    std::string out;
    if (peek() == '"') {
      ++pos_;
      bool closed = false;
      while (!at_end()) {
        const char c = s_[pos_++];
        if (c == '\\' && !at_end()) {
          out += s_[pos_++];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          out += c;
        }
      }
      if (!closed) {
        error_ = "unclosed quoted string";
        return std::nullopt;
      }
    }
    while (!at_end() && is_value_char(s_[pos_])) out += s_[pos_++];
    return out;
  }

  void fail_with(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

 private:
  static bool is_keyword_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  }
  static bool is_value_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f && c != ';' && c != '(' && c != '"';
  }

  // Iterative, so that deep nesting costs no stack.
  bool skip_comment() {
    size_t depth = 0;
    while (!at_end()) {
      const char c = s_[pos_++];
      if (c == '\\') {
        if (!at_end()) ++pos_;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')') {
        if (--depth == 0) return true;
      }
    }
    error_ = "unclosed comment";
    return false;
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
};

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The authserv-id at the start of a value, lower-cased and only if it is there and
// complete; the reader is left after it.
std::optional<std::string> read_authserv_id(Reader& r) {
  if (!r.skip_cfws()) return std::nullopt;
  auto id = r.value();
  if (!id || id->empty()) {
    r.fail_with("no authserv-id");
    return std::nullopt;
  }
  return id;
}

// One resinfo after its ';': "method[/version]=result [reason=value] [ptype.prop=value]…".
std::optional<MethodResult> read_resinfo(Reader& r) {
  MethodResult m;
  const std::string_view method = r.keyword();
  if (method.empty()) {
    r.fail_with("a result without a method at byte " + std::to_string(r.pos()));
    return std::nullopt;
  }
  m.method = text::ascii_lower(method);
  if (!r.skip_cfws()) return std::nullopt;
  if (m.method == "none" && (r.at_end() || r.peek() == ';')) return m;  // no-result: no method was run
  if (r.peek() == '/') {                                                // method-version, not kept
    r.advance();
    if (!r.skip_cfws()) return std::nullopt;
    if (r.keyword().empty()) {
      r.fail_with("a method version without digits in " + m.method);
      return std::nullopt;
    }
    if (!r.skip_cfws()) return std::nullopt;
  }
  if (r.peek() != '=') {
    r.fail_with("no '=' after the method " + m.method);
    return std::nullopt;
  }
  r.advance();
  if (!r.skip_cfws()) return std::nullopt;
  const std::string_view result = r.keyword();
  if (result.empty()) {
    r.fail_with("no result for the method " + m.method);
    return std::nullopt;
  }
  m.result = text::ascii_lower(result);
  // reasonspec and propspecs until the next ';' or the end.
  while (true) {
    if (!r.skip_cfws()) return std::nullopt;
    if (r.at_end() || r.peek() == ';') break;
    const std::string_view ptype = r.keyword();
    if (ptype.empty()) {
      r.fail_with("unreadable text in the result of " + m.method + " at byte " + std::to_string(r.pos()));
      return std::nullopt;
    }
    std::string name = text::ascii_lower(ptype);
    if (!r.skip_cfws()) return std::nullopt;
    if (r.peek() == '.') {
      r.advance();
      if (!r.skip_cfws()) return std::nullopt;
      const std::string_view property = r.keyword();
      if (property.empty()) {
        r.fail_with("a property without a name after " + name);
        return std::nullopt;
      }
      name += '.';
      name += text::ascii_lower(property);
      if (!r.skip_cfws()) return std::nullopt;
    }
    if (r.peek() != '=') {
      r.fail_with("no '=' after " + name);
      return std::nullopt;
    }
    r.advance();
    if (!r.skip_cfws()) return std::nullopt;
    auto value = r.value();
    if (!value) return std::nullopt;
    if (name == "reason" && m.reason.empty()) {
      m.reason = std::move(*value);
    } else {
      m.properties.emplace_back(std::move(name), std::move(*value));
    }
  }
  return m;
}

std::string strip_dot(std::string s) {
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// The domain of a property that may be a domain or an address ("@example.com",
// "user@example.com"): lower-cased, without a trailing dot.
std::string domain_of(std::string_view value) {
  const auto at = value.rfind('@');
  return strip_dot(text::ascii_lower(at == std::string_view::npos ? value : value.substr(at + 1)));
}

// Relaxed alignment without a public-suffix list: equal, or one a subdomain of the
// other. Both must have at least two labels, so that a signature by a bare top-level
// domain ("com") vouches for nothing.
bool aligned(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return false;
  if (a.find('.') == std::string_view::npos || b.find('.') == std::string_view::npos) return false;
  if (a == b) return true;
  const auto sub_of = [](std::string_view sub, std::string_view parent) {
    return sub.size() > parent.size() + 1 && sub.ends_with(parent) &&
           sub[sub.size() - parent.size() - 1] == '.';
  };
  return sub_of(a, b) || sub_of(b, a);
}

bool id_trusted(std::string_view id, const std::vector<std::string>& trusted_ids) {
  return std::any_of(trusted_ids.begin(), trusted_ids.end(),
                     [&](const std::string& t) { return !t.empty() && text::iequals(t, id); });
}

}  // namespace

const std::string* MethodResult::property(std::string_view name) const {
  for (const auto& [n, v] : properties) {
    if (n == name) return &v;
  }
  return nullptr;
}

Result<AuthResults> parse_auth_results(std::string_view value) {
  if (value.size() > kMaxAuthResultsBytes) {
    return fail(ErrorCode::kInvalidInput,
                "Authentication-Results longer than " + std::to_string(kMaxAuthResultsBytes) + " bytes");
  }
  Reader r(value);
  AuthResults out;
  auto id = read_authserv_id(r);
  if (!id) return fail(ErrorCode::kInvalidInput, "Authentication-Results: " + r.error());
  out.authserv_id = std::move(*id);
  if (!r.skip_cfws()) return fail(ErrorCode::kInvalidInput, "Authentication-Results: " + r.error());
  // An optional version: digits after the authserv-id.
  if (!r.at_end() && r.peek() != ';') {
    const std::string_view version = r.keyword();
    if (!all_digits(version)) {
      return fail(
          ErrorCode::kInvalidInput,
          "Authentication-Results: unreadable text after the authserv-id at byte " + std::to_string(r.pos()));
    }
    if (!r.skip_cfws()) return fail(ErrorCode::kInvalidInput, "Authentication-Results: " + r.error());
  }
  size_t resinfos = 0;
  while (!r.at_end()) {
    if (r.peek() != ';') {
      return fail(ErrorCode::kInvalidInput,
                  "Authentication-Results: expected ';' at byte " + std::to_string(r.pos()));
    }
    r.advance();
    if (!r.skip_cfws()) return fail(ErrorCode::kInvalidInput, "Authentication-Results: " + r.error());
    if (r.at_end() || r.peek() == ';') continue;  // an empty resinfo, as after a trailing ';'
    if (++resinfos > kMaxResinfos) {
      return fail(ErrorCode::kInvalidInput,
                  "Authentication-Results: more than " + std::to_string(kMaxResinfos) + " results");
    }
    auto m = read_resinfo(r);
    if (!m) return fail(ErrorCode::kInvalidInput, "Authentication-Results: " + r.error());
    // "none" alone says no method was run: no results.
    if (m->method == "none" && m->properties.empty() && m->result.empty()) continue;
    out.results.push_back(std::move(*m));
  }
  return out;
}

SenderProof sender_proof(const std::vector<std::string_view>& headers,
                         const std::vector<std::string>& trusted_ids) {
  SenderProof proof;
  for (std::string_view header : headers) {
    // The authserv-id alone first: a believed header that cannot be read still names
    // its server; an unreadable one from anyone else is skipped like any other.
    Reader r(header.substr(0, std::min(header.size(), kMaxAuthResultsBytes)));
    auto id = read_authserv_id(r);
    if (!id || !id_trusted(*id, trusted_ids)) continue;
    proof.authserv_id = text::ascii_lower(*id);
    auto parsed = parse_auth_results(header);
    if (!parsed) return proof;
    bool have_dkim = false, have_spf = false, have_dmarc = false;
    for (const MethodResult& m : parsed->results) {
      if (m.method == "dkim") {
        if (m.result == "pass") {
          const std::string* d = m.property("header.d");
          if (d == nullptr) d = m.property("header.i");
          if (d != nullptr) {
            std::string domain = domain_of(*d);
            if (!domain.empty() && std::find(proof.dkim_pass_domains.begin(), proof.dkim_pass_domains.end(),
                                             domain) == proof.dkim_pass_domains.end()) {
              proof.dkim_pass_domains.push_back(std::move(domain));
            }
          }
          proof.dkim = "pass";
        } else if (!have_dkim) {
          proof.dkim = m.result;
        }
        have_dkim = true;
      } else if (m.method == "spf" && !have_spf) {
        have_spf = true;
        proof.spf = m.result;
        if (const std::string* v = m.property("smtp.mailfrom")) proof.spf_mailfrom = text::ascii_lower(*v);
      } else if (m.method == "dmarc" && !have_dmarc) {
        have_dmarc = true;
        proof.dmarc = m.result;
        if (const std::string* v = m.property("header.from")) proof.dmarc_from = domain_of(*v);
      }
    }
    return proof;
  }
  return proof;
}

bool from_verified(const SenderProof& proof, std::string_view from_email) {
  if (!proof.trusted()) return false;
  const std::string from_domain = strip_dot(text::email_domain(from_email));
  if (from_domain.empty()) return false;
  if (proof.dmarc == "pass" && proof.dmarc_from == from_domain) return true;
  return std::any_of(proof.dkim_pass_domains.begin(), proof.dkim_pass_domains.end(),
                     [&](const std::string& d) { return aligned(d, from_domain); });
}

std::string from_contradicted(const SenderProof& proof, std::string_view from_email, bool has_from_line) {
  if (!proof.trusted()) return "";
  const std::string from_domain = strip_dot(text::ascii_lower(text::email_domain(from_email)));
  const std::string shown = from_domain.empty() ? "(none)" : from_domain;
  if (proof.dmarc == "fail") return "DMARC failed for the From domain " + shown;
  if (!has_from_line) return "the mail has no From line, which DMARC would have checked";
  if (!proof.dmarc_from.empty() && proof.dmarc_from != from_domain)
    return "the trusted DMARC result is for " + proof.dmarc_from + ", not for the From domain " + shown;
  return "";
}

bool valid_authserv_id(std::string_view id) {
  if (id.empty() || id.size() > 255) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != ';' && c != '(' && c != ')' && c != '"' && c != '\\' && c != ',';
  });
}

std::vector<std::string> trusted_ids(const std::vector<std::string>& configured,
                                     const std::vector<std::string>& address_ids,
                                     const std::vector<std::string>& mailbox_ids) {
  std::vector<std::string> out;
  for (const auto* list : {&configured, &address_ids, &mailbox_ids}) {
    for (const std::string& id : *list) {
      if (id.empty() || id_trusted(id, out)) continue;
      out.push_back(id);
    }
  }
  return out;
}

}  // namespace mailcase::trust

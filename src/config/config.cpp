#include "config/config.h"
#include "trust/auth_results.h"
#include "util/ip_range.h"
#include "util/text.h"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

namespace mailcase::config {
namespace {

// A number as an int64_t. toml++'s value<int64_t>() casts a float before checking that
// it fits (undefined behaviour for 1e80), so floats are checked here: a whole one in
// range is taken, as toml++ does, anything else is no integer.
std::optional<int64_t> integer_of(toml::node_view<const toml::node> node) {
  if (const auto* f = node.as_floating_point()) {
    const double d = f->get();
    if (!std::isfinite(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0 || std::trunc(d) != d)
      return std::nullopt;
    return static_cast<int64_t>(d);
  }
  return node.value<int64_t>();
}

template <typename T>
void read(const toml::table& t, std::string_view section, std::string_view key, T& out) {
  auto node = t[section][key];
  if (!node) return;
  if constexpr (std::is_same_v<T, bool>) {
    if (auto v = node.template value<bool>())
      out = *v;
    else
      throw std::runtime_error(std::string(section) + "." + std::string(key) + " must be true or false");
  } else if constexpr (std::is_integral_v<T>) {
    auto v = integer_of(node);
    if (!v || *v < 0)
      throw std::runtime_error(std::string(section) + "." + std::string(key) +
                               " must be a non-negative integer");
    // Refused rather than cut to the setting's width, where 4294967297 would become 1.
    if (static_cast<uint64_t>(*v) > static_cast<uint64_t>(std::numeric_limits<T>::max()))
      throw std::runtime_error(std::string(section) + "." + std::string(key) + " must be at most " +
                               std::to_string(std::numeric_limits<T>::max()));
    out = static_cast<T>(*v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (auto v = node.template value<std::string>())
      out = *v;
    else
      throw std::runtime_error(std::string(section) + "." + std::string(key) + " must be a string");
  } else {
    auto* arr = node.as_array();
    if (!arr)
      throw std::runtime_error(std::string(section) + "." + std::string(key) + " must be a list of strings");
    out.clear();
    for (auto& e : *arr) {
      auto v = e.template value<std::string>();
      if (!v)
        throw std::runtime_error(std::string(section) + "." + std::string(key) +
                                 " must be a list of strings");
      out.push_back(*v);
    }
  }
}

// A duration: seconds as an integer, or a string "90s", "30m", "2h". Must be positive.
void read_duration(const toml::table& t, std::string_view section, std::string_view key, int64_t& seconds) {
  auto node = t[section][key];
  if (!node) return;
  const std::string what = std::string(section) + "." + std::string(key);
  const std::string bad =
      what + " must be a positive duration: seconds, or a string like \"90s\", \"30m\", \"2h\"";
  int64_t v = 0;
  if (auto i = integer_of(node)) {
    v = *i;
  } else if (auto str = node.value<std::string>()) {
    std::string_view d = *str;
    if (d.size() < 2) throw std::runtime_error(bad);
    int64_t unit = d.back() == 's' ? 1 : d.back() == 'm' ? 60 : d.back() == 'h' ? 3600 : 0;
    d.remove_suffix(1);
    auto r = std::from_chars(d.data(), d.data() + d.size(), v);
    // Bounded both ways before the multiplication, which must not overflow.
    if (unit == 0 || r.ec != std::errc() || r.ptr != d.data() + d.size() || v <= 0 || v > (int64_t{1} << 40))
      throw std::runtime_error(bad);
    v *= unit;
  } else {
    throw std::runtime_error(bad);
  }
  if (v <= 0) throw std::runtime_error(bad);
  seconds = v;
}

// "09:00" as minutes after midnight; "24:00" only where allow_24 (a closing time).
std::optional<int> minute_of(std::string_view hhmm, bool allow_24) {
  auto digit = [](char ch) { return ch >= '0' && ch <= '9'; };
  if (hhmm.size() != 5 || !digit(hhmm[0]) || !digit(hhmm[1]) || hhmm[2] != ':' || !digit(hhmm[3]) ||
      !digit(hhmm[4]))
    return std::nullopt;
  const int h = (hhmm[0] - '0') * 10 + (hhmm[1] - '0');
  const int m = (hhmm[3] - '0') * 10 + (hhmm[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24))) return std::nullopt;
  return h * 60 + m;
}

// [business_hours]: days, hours, time_zone, holidays; each checked here so that its
// error names its key.
void read_business_hours(const toml::table& t, rules::BusinessHours& bh) {
  std::vector<std::string> days;
  const bool days_given = static_cast<bool>(t["business_hours"]["days"]);
  read(t, "business_hours", "days", days);
  if (days_given) {
    static constexpr std::string_view kNames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    bh.days.clear();
    for (const auto& d : days) {
      const std::string lower = text::ascii_lower(d);
      const auto* it = std::find(std::begin(kNames), std::end(kNames), lower);
      if (it == std::end(kNames))
        throw std::runtime_error("business_hours.days: \"" + text::terminal_safe(d, true) +
                                 "\" is not a day (mon, tue, wed, thu, fri, sat, sun)");
      const int iso = static_cast<int>(it - std::begin(kNames)) + 1;
      if (std::find(bh.days.begin(), bh.days.end(), iso) == bh.days.end()) bh.days.push_back(iso);
    }
    if (bh.days.empty()) throw std::runtime_error("business_hours.days must name at least one day");
    std::sort(bh.days.begin(), bh.days.end());
  }
  std::string hours;
  read(t, "business_hours", "hours", hours);
  if (t["business_hours"]["hours"]) {
    const auto dash = hours.find('-');
    const auto open =
        dash == std::string::npos ? std::nullopt : minute_of(text::trim(hours.substr(0, dash)), false);
    const auto close =
        dash == std::string::npos ? std::nullopt : minute_of(text::trim(hours.substr(dash + 1)), true);
    if (!open || !close)
      throw std::runtime_error(
          "business_hours.hours must be \"HH:MM-HH:MM\" (\"09:00-17:00\"; \"22:00-06:00\" runs past "
          "midnight)");
    bh.open_minute = *open;
    bh.close_minute = *close;
  }
  read(t, "business_hours", "time_zone", bh.time_zone);
  {
    rules::BusinessHours zone_only;
    zone_only.time_zone = bh.time_zone;
    if (!rules::check_business_hours(zone_only))
      throw std::runtime_error("business_hours.time_zone: unknown time zone \"" +
                               text::terminal_safe(bh.time_zone, true) +
                               "\" (an IANA name such as \"Europe/Warsaw\")");
  }
  read(t, "business_hours", "holidays", bh.holidays);
  for (const auto& day : bh.holidays) {
    rules::BusinessHours one;
    one.holidays = {day};
    if (!rules::check_business_hours(one))
      throw std::runtime_error("business_hours.holidays: \"" + text::terminal_safe(day, true) +
                               "\" is not a date (YYYY-MM-DD)");
  }
}

// [spam]: rspamd_url (http:// or https://, one line), rspamd_timeout_seconds, threshold.
void read_spam(const toml::table& t, Spam& sp) {
  read(t, "spam", "rspamd_url", sp.rspamd_url);
  const auto& u = sp.rspamd_url;
  const bool printable = std::all_of(u.begin(), u.end(), [](char ch) { return ch > ' ' && ch < 0x7f; });
  if (!u.empty() && ((u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0) || u.size() > 2000 || !printable))
    throw std::runtime_error(
        "spam.rspamd_url must be empty or an http:// or https:// URL such as \"http://127.0.0.1:11333\"");
  read(t, "spam", "rspamd_timeout_seconds", sp.rspamd_timeout_seconds);
  if (sp.rspamd_timeout_seconds < 1 || sp.rspamd_timeout_seconds > 600)
    throw std::runtime_error("spam.rspamd_timeout_seconds must be 1 to 600");
  if (auto node = t["spam"]["threshold"]) {
    const auto v = node.value<double>();  // an integer is taken too
    if (!v || !std::isfinite(*v) || *v < -1000 || *v > 1000)
      throw std::runtime_error("spam.threshold must be a number from -1000 to 1000");
    sp.threshold = *v;
  }
}

}  // namespace

Result<Config> load_text(std::string_view text, const std::filesystem::path& file) {
  Config c;
  try {
    toml::table t = toml::parse(text, file.string());
    read(t, "limits", "max_message_bytes", c.limits.max_message_bytes);
    read(t, "limits", "max_mime_depth", c.limits.max_mime_depth);
    read(t, "limits", "max_mime_parts", c.limits.max_mime_parts);
    read(t, "limits", "max_text_bytes", c.limits.max_text_bytes);
    read(t, "limits", "max_header_fields", c.limits.max_header_fields);
    read(t, "limits", "max_header_bytes", c.limits.max_header_bytes);
    read(t, "limits", "max_addresses", c.limits.max_addresses);
    read(t, "limits", "max_kept_headers", c.limits.max_kept_headers);
    read(t, "threading", "case_prefix", c.threading.case_prefix);
    read(t, "threading", "case_digits", c.threading.case_digits);
    read(t, "threading", "subject_tags", c.threading.subject_tags);
    read(t, "threading", "numeric_tags", c.threading.numeric_tags);
    read(t, "threading", "non_participant", c.threading.non_participant);
    read(t, "threading", "verdict_from", c.threading.verdict_from);
    read(t, "routing", "default_queue", c.routing.default_queue);
    read(t, "routing", "fallback_queue", c.routing.fallback_queue);
    read(t, "routing", "unknown_sender", c.routing.unknown_sender);
    read(t, "routing", "default_priority", c.routing.default_priority);
    read(t, "storage", "keep_original", c.storage.keep_original);
    read(t, "storage", "sync", c.storage.sync);
    read(t, "storage", "import_batch", c.storage.import_batch);
    auto& o = c.outbound;
    read(t, "outbound", "enabled", o.enabled);
    read(t, "outbound", "from_address", o.from_address);
    read(t, "outbound", "from_name", o.from_name);
    read(t, "outbound", "smtp_host", o.smtp_host);
    read(t, "outbound", "smtp_port", o.smtp_port);
    read(t, "outbound", "smtp_tls", o.smtp_tls);
    read(t, "outbound", "smtp_user", o.smtp_user);
    read(t, "outbound", "smtp_password_file", o.smtp_password_file);
    read(t, "outbound", "smtp_ca_file", o.smtp_ca_file);
    read(t, "outbound", "smtp_tls_verify", o.smtp_tls_verify);
    read(t, "outbound", "smtp_allow_plaintext_auth", o.smtp_allow_plaintext_auth);
    read(t, "outbound", "base_url", o.base_url);
    read(t, "outbound", "default_language", o.default_language);
    read(t, "outbound", "max_auto_replies_per_hour", o.max_auto_replies_per_hour);
    read(t, "outbound", "reply_to_closed", o.reply_to_closed);
    read(t, "outbound", "confirmation", o.confirmation);
    read(t, "outbound", "survey", o.survey);
    read(t, "outbound", "link_valid_days", o.link_valid_days);
    read(t, "outbound", "max_attempts", o.max_attempts);
    read(t, "outbound", "senders", o.senders);
    read(t, "outbound", "max_auto_replies_total_per_hour", o.max_auto_replies_total_per_hour);
    read(t, "outbound", "confirm_unverified_senders", o.confirm_unverified_senders);
    read(t, "http", "max_head_bytes", c.http.max_head_bytes);
    read(t, "http", "max_body_bytes", c.http.max_body_bytes);
    read(t, "http", "max_api_body_bytes", c.http.max_api_body_bytes);
    read(t, "http", "request_timeout_seconds", c.http.request_timeout_seconds);
    read(t, "http", "workers", c.http.workers);
    read(t, "http", "max_connections", c.http.max_connections);
    read(t, "http", "max_buffered_bytes", c.http.max_buffered_bytes);
    read(t, "http", "public_url", c.http.public_url);
    read(t, "http", "trusted_proxies", c.http.trusted_proxies);
    read(t, "http", "session_idle_minutes", c.http.session_idle_minutes);
    read(t, "http", "session_max_hours", c.http.session_max_hours);
    read(t, "http", "login_failures_per_account", c.http.login_failures_per_account);
    read(t, "http", "login_failures_per_address", c.http.login_failures_per_address);
    read(t, "http", "login_failures_per_account_all", c.http.login_failures_per_account_all);
    read(t, "http", "login_window_minutes", c.http.login_window_minutes);
    read(t, "http", "metrics_token", c.http.metrics_token);
    read(t, "lmtp", "max_recipients", c.lmtp.max_recipients);
    read_duration(t, "lmtp", "session_timeout", c.lmtp.session_timeout_seconds);
    read_duration(t, "lmtp", "data_timeout", c.lmtp.data_timeout_seconds);
    read(t, "lmtp", "max_line_bytes", c.lmtp.max_line_bytes);
    read_duration(t, "lmtp", "idle_timeout", c.lmtp.idle_timeout_seconds);
    read(t, "lmtp", "max_connections", c.lmtp.max_connections);
    read(t, "lmtp", "commit_batch", c.lmtp.commit_batch);
    read(t, "lmtp", "max_buffered_bytes", c.lmtp.max_buffered_bytes);
    read(t, "deliver", "handoff", c.deliver.handoff);
    read(t, "deliver", "max_connections", c.deliver.max_connections);
    read_duration(t, "deliver", "request_timeout", c.deliver.request_timeout_seconds);
    read_duration(t, "deliver", "idle_timeout", c.deliver.idle_timeout_seconds);
    read(t, "mailbox", "fetch_batch", c.mailbox.fetch_batch);
    read(t, "trust", "authserv_ids", c.trust.authserv_ids);
    read(t, "trust", "on_dmarc_fail", c.trust.on_dmarc_fail);
    read_business_hours(t, c.business_hours);
    read_spam(t, c.spam);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << file.string() << ":" << e.source().begin.line << ": " << e.description();
    return fail(ErrorCode::kInvalidInput, msg.str());
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInvalidInput, file.string() + ": " + e.what());
  }
  if (c.routing.unknown_sender != "create" && c.routing.unknown_sender != "hold")
    return fail(ErrorCode::kInvalidInput, file.string() + ": routing.unknown_sender must be create or hold");
  if (c.storage.sync != "full" && c.storage.sync != "normal")
    return fail(ErrorCode::kInvalidInput, file.string() + ": storage.sync must be full or normal");
  if (c.threading.case_digits < 1 || c.threading.case_digits > 12)
    return fail(ErrorCode::kInvalidInput, file.string() + ": threading.case_digits must be 1 to 12");
  if (c.storage.import_batch < 1) c.storage.import_batch = 1;
  if (c.threading.non_participant != "internal" && c.threading.non_participant != "hold" &&
      c.threading.non_participant != "new")
    return fail(ErrorCode::kInvalidInput,
                file.string() + ": threading.non_participant must be internal, hold or new");
  if (c.threading.verdict_from != "contact" && c.threading.verdict_from != "account")
    return fail(ErrorCode::kInvalidInput, file.string() + ": threading.verdict_from must be contact or account");
  if (c.trust.on_dmarc_fail != "hold" && c.trust.on_dmarc_fail != "internal")
    return fail(ErrorCode::kInvalidInput, file.string() + ": trust.on_dmarc_fail must be hold or internal");
  for (const auto& id : c.trust.authserv_ids) {
    if (!trust::valid_authserv_id(id))
      return fail(ErrorCode::kInvalidInput,
                  file.string() + ": trust.authserv_ids: \"" + text::terminal_safe(id, true) +
                      "\" is not an authserv-id (a host name such as mx.example.com)");
  }
  const auto& o = c.outbound;
  if (o.smtp_tls != "implicit" && o.smtp_tls != "starttls" && o.smtp_tls != "none")
    return fail(ErrorCode::kInvalidInput,
                file.string() + ": outbound.smtp_tls must be implicit, starttls or none");
  if (o.reply_to_closed != "reopen" && o.reply_to_closed != "new")
    return fail(ErrorCode::kInvalidInput, file.string() + ": outbound.reply_to_closed must be reopen or new");
  if (o.default_language != "en" && o.default_language != "fr" && o.default_language != "pl")
    return fail(ErrorCode::kInvalidInput, file.string() + ": outbound.default_language must be en, fr or pl");
  if (o.smtp_port < 1 || o.smtp_port > 65535)
    return fail(ErrorCode::kInvalidInput, file.string() + ": outbound.smtp_port must be 1 to 65535");
  const auto& h = c.http;
  if (h.max_head_bytes < 1024 || h.max_head_bytes > 1048576)
    return fail(ErrorCode::kInvalidInput, file.string() + ": http.max_head_bytes must be 1024 to 1048576");
  if (h.max_body_bytes < 1024 || h.max_body_bytes > 1048576)
    return fail(ErrorCode::kInvalidInput, file.string() + ": http.max_body_bytes must be 1024 to 1048576");
  if (h.max_api_body_bytes < 65536 || h.max_api_body_bytes > 268435456)
    return fail(ErrorCode::kInvalidInput,
                file.string() + ": http.max_api_body_bytes must be 65536 to 268435456");
  if (h.request_timeout_seconds < 1 || h.request_timeout_seconds > 600)
    return fail(ErrorCode::kInvalidInput, file.string() + ": http.request_timeout_seconds must be 1 to 600");
  if (h.workers < 1 || h.workers > 1024)
    return fail(ErrorCode::kInvalidInput, file.string() + ": http.workers must be 1 to 1024");
  if (h.max_connections < 16 || h.max_connections > 65536)
    return fail(ErrorCode::kInvalidInput, file.string() + ": http.max_connections must be 16 to 65536");
  if (h.max_buffered_bytes < 1048576 || h.max_buffered_bytes > 1073741824)
    return fail(ErrorCode::kInvalidInput,
                file.string() + ": http.max_buffered_bytes must be 1048576 to 1073741824");
  const bool printable_ascii = std::all_of(h.public_url.begin(), h.public_url.end(), [](char ch) {
    return ch > ' ' && ch < 0x7f && ch != '"' && ch != '<' && ch != '>';
  });
  if (!h.public_url.empty() &&
      ((h.public_url.rfind("http://", 0) != 0 && h.public_url.rfind("https://", 0) != 0) ||
       h.public_url.size() > 2000 || !printable_ascii))
    return fail(ErrorCode::kInvalidInput,
                file.string() + ": http.public_url must be an http:// or https:// URL (one line, no spaces)");
  for (const auto& p : h.trusted_proxies)
    if (auto r = util::parse_ip_range(p); !r)
      return fail(ErrorCode::kInvalidInput, file.string() + ": http.trusted_proxies: " + r.error().message);
  // As a Bearer header carries it. Never repeated in the message: a secret.
  if (!h.metrics_token.empty() &&
      (h.metrics_token.size() < 16 || h.metrics_token.size() > 256 || !text::is_b64token(h.metrics_token)))
    return fail(
        ErrorCode::kInvalidInput,
        file.string() +
            ": http.metrics_token must be empty or 16 to 256 characters of letters, digits and \"-._~+/\" "
            "(e.g. the output of `openssl rand -hex 32`)");
  if (c.lmtp.max_recipients < 1)
    return fail(ErrorCode::kInvalidInput, file.string() + ": lmtp.max_recipients must be at least 1");
  // Each bound: 0 would refuse everything, and past the upper end the bound no longer
  // protects memory or time.
  auto within = [&](std::string_view key, uint64_t v, uint64_t lo, uint64_t hi) -> Status {
    if (v >= lo && v <= hi) return {};
    return fail(ErrorCode::kInvalidInput, file.string() + ": " + std::string(key) + " must be " +
                                              std::to_string(lo) + " to " + std::to_string(hi));
  };
  for (auto s :
       {within("http.session_idle_minutes", static_cast<uint64_t>(std::max(0, h.session_idle_minutes)), 1,
               100'000),
        within("http.session_max_hours", static_cast<uint64_t>(std::max(0, h.session_max_hours)), 1, 10'000),
        within("http.login_failures_per_account",
               static_cast<uint64_t>(std::max(0, h.login_failures_per_account)), 1, 1'000),
        within("http.login_failures_per_address",
               static_cast<uint64_t>(std::max(0, h.login_failures_per_address)), 1, 100'000),
        within("http.login_failures_per_account_all",
               static_cast<uint64_t>(std::max(0, h.login_failures_per_account_all)), 1, 100'000),
        within("http.login_window_minutes", static_cast<uint64_t>(std::max(0, h.login_window_minutes)), 1,
               10'000),
        within("limits.max_header_fields", c.limits.max_header_fields, 1, 10'000'000),
        within("limits.max_header_bytes", c.limits.max_header_bytes, 1024, 1ull << 30),
        within("limits.max_addresses", c.limits.max_addresses, 1, 100000),
        within("limits.max_kept_headers", c.limits.max_kept_headers, 1, 1000000),
        within("lmtp.max_line_bytes", c.lmtp.max_line_bytes, 1000, 64ull << 20),
        within("lmtp.idle_timeout", static_cast<uint64_t>(c.lmtp.idle_timeout_seconds), 1, 86400),
        within("lmtp.max_connections", static_cast<uint64_t>(c.lmtp.max_connections), 1, 10000),
        within("lmtp.commit_batch", c.lmtp.commit_batch, 1, 10000),
        within("lmtp.max_buffered_bytes", c.lmtp.max_buffered_bytes, 65536, 1ull << 40),
        within("mailbox.fetch_batch", c.mailbox.fetch_batch, 1, 10000),
        within("outbound.senders", static_cast<uint64_t>(std::max(0, c.outbound.senders)), 1, 32),
        within("deliver.max_connections", static_cast<uint64_t>(std::max(0, c.deliver.max_connections)), 1,
               10000),
        within("deliver.request_timeout",
               static_cast<uint64_t>(std::max<int64_t>(0, c.deliver.request_timeout_seconds)), 1, 86400),
        within("deliver.idle_timeout",
               static_cast<uint64_t>(std::max<int64_t>(0, c.deliver.idle_timeout_seconds)), 1, 86400)})
    if (!s) return tl::unexpected<Error>(s.error());
  return c;
}

Result<Config> load(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return Config{};
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  // A directory opens like a file on Linux and then reads as nothing: not the defaults.
  if (!in || std::filesystem::is_directory(file, ec))
    return fail(ErrorCode::kInvalidInput, file.string() + ": cannot be read");
  text << in.rdbuf();
  if (in.bad()) return fail(ErrorCode::kInvalidInput, file.string() + ": cannot be read");
  return load_text(text.str(), file);
}

std::string default_file_text() {
  return R"(# mailcase configuration. Every key is optional; the values shown are the defaults.

[limits]
# Mails larger than this are recorded as failed (never dropped) for an administrator to see.
max_message_bytes = 52428800
# Deepest nesting of multiparts and attached mails that is looked into.
max_mime_depth = 32
# Parts beyond this count are not extracted.
max_mime_parts = 1000
# Body text kept per mail, in bytes.
max_text_bytes = 2097152
# Header fields, and header bytes, of all parts of one mail together; counted before the
# mail is parsed: the first field past them and the rest stay in the original only.
max_header_fields = 20000
max_header_bytes = 1048576
# Addresses read from one field (From, Reply-To, To, Cc, Bcc); the rest are left out.
max_addresses = 1000
# Top header fields kept with a parsed mail, which routing and classification look at.
max_kept_headers = 2000

[threading]
# Case numbers: prefix and digits, e.g. CS0000011.
case_prefix = "CS"
case_digits = 7
# Subject tags that thread a mail onto a case; {number} stands for the case number.
# They are found after any reply or forward prefixes (Re:, AW:, Odp:, TR:, Fwd: ...).
subject_tags = ["Case:{number}", "[{number}]"]
# Also treat "[#235]" as case 235.
numeric_tags = false
# A mail that names a case (tag or In-Reply-To/References) from someone who is not one of
# its participants (its contact and that contact's account, addresses in To/Cc of its
# mails, addresses added with `mailcase case add-participant`) never changes the case:
# "internal" keeps it on the case as an internal note, "hold" holds it, "new" makes a new case.
non_participant = "internal"
# Who may accept, reject or reopen a case by mail: its "contact", or any contact of its "account".
verdict_from = "contact"

[routing]
# Queue of a routing address that names none.
default_queue = "Support"
# Queue for mail that matches no routing address, so that it still lands somewhere visible.
fallback_queue = "Unrouted"
# For mail that matches no routing address: "create" a contact for an unknown sender, or "hold".
unknown_sender = "create"
default_priority = "normal"

[storage]
# Attach the whole original mail (.eml) to its case.
keep_original = false
# "full": every commit reaches the disk before a mail is acknowledged.
# "normal": faster; survives a crash of mailcase but not a power failure.
sync = "full"
# Mails per transaction in `mailcase import`. Larger batches write each page of the
# store's indexes fewer times (a large store keeps its rate better) and hold more mails
# in memory at once.
import_batch = 512

[outbound]
# Mail to customers: confirmation, agents' public comments, proposed solution, closing,
# survey. Queued in the same transaction as the change; `mailcase serve` sends it.
enabled = true
from_address = "support@localhost"
from_name = "Support"
smtp_host = "127.0.0.1"
smtp_port = 25
# "implicit" (port 465), "starttls" (port 587) or "none".
smtp_tls = "none"
# AUTH: user name and a file whose first line is the password; empty user: no AUTH.
smtp_user = ""
smtp_password_file = ""
smtp_ca_file = ""
smtp_tls_verify = true
# AUTH with smtp_tls = "none" would send the password in clear: refused unless true.
smtp_allow_plaintext_auth = false
# Where customers reach `mailcase serve --http`; links in mails start with it.
base_url = "http://127.0.0.1:8080"
# en, fr or pl: language of a contact who has none.
default_language = "en"
# Automatic replies (confirmations) to one sender per hour, at most (mail loops).
max_auto_replies_per_hour = 5
# A customer's mail on a resolved or closed case: "reopen" it, or start a "new" case.
reply_to_closed = "reopen"
confirmation = true
survey = true
# Customer page links expire after this many days.
link_valid_days = 30
# Sending attempts (with growing delays) before a mail is marked failed on its case.
max_attempts = 10
# Mails sent side by side (1-32): a slow relay holds one, not the outbox. A case's mails
# to one address still go out in the order they were written.
senders = 4
# Automatic replies (confirmations) to anyone per hour, at most (a flood of new senders).
max_auto_replies_total_per_hour = 200
# Confirm a new case even when the envelope sender is in another domain than From and
# the sender is not a known contact (such a From may be forged: RFC 3834 section 4).
confirm_unverified_senders = false

[http]
# The customer pages (`serve --http`). Request line and headers together, in bytes;
# longer ones are refused (414 or 431) before they are buffered.
max_head_bytes = 16384
# A posted form, in bytes; a larger declared body is refused (413) without reading it.
max_body_bytes = 16384
# A whole request, from its first byte to the answer; a slower one gets 408.
request_timeout_seconds = 15
# Requests answered at once. A request takes one only once its head (and a short body)
# has come whole: slow and idle clients wait apart, and hold none.
workers = 64
# Connections held waiting apart from the workers: for a request's head or short body,
# or idle between requests. Past it the one that has waited longest is closed.
max_connections = 512
# Request bodies longer than 64 KiB (uploads to the API) are read whole before their
# requests take workers, so that one sent slowly holds none; this many bytes of them at
# once, past it only the one holding the most is read on.
max_buffered_bytes = 67108864
# Where agents reach the console, e.g. "https://help.example.com": agents' notices link
# to /cases/NUMBER under it. Empty: the notices carry no link.
public_url = ""
# A bearer token every GET /metrics must carry ("Authorization: Bearer TOKEN": in
# Prometheus, `authorization: {credentials: TOKEN}`), from this machine too; e.g. the
# output of `openssl rand -hex 32`. Empty: a scraper on this machine's loopback needs no
# token (a reverse proxy on this machine that passes /metrics on makes it public: set one).
metrics_token = ""

[lmtp]
# Recipients of one mail over LMTP; past this many the MTA is told to send the rest again.
max_recipients = 100
# Longest an LMTP connection may last, and one mail's DATA ("90s", "30m", "2h").
session_timeout = "30m"
data_timeout = "10m"
# Longest command line in bytes (past it: 500 and the session ends); a longer mail line is
# the mail's content, taken as it comes.
max_line_bytes = 1048576
# A client silent this long while a line is awaited is let go.
idle_timeout = "5m"
# Connections served at once; more are turned away with 421.
max_connections = 64
# Finished mails committed in one transaction, at most (group commit).
commit_batch = 256
# Bytes of mail all LMTP connections hold in memory at once (never less than one mail of
# limits.max_message_bytes); a mail that finds them spent waits up to 5 s for others to
# give bytes back, then gets 452 and is sent again later.
max_buffered_bytes = 268435456

[deliver]
# serve takes pipe deliveries (mailcase deliver, mailcase-deliver) on DATA_DIR/deliver.sock
# and commits them together; false: each delivery commits by itself.
handoff = true
# Deliveries handed over at once; more commit by themselves.
max_connections = 64
# Longest one handed-over delivery may take, and a silence within it.
request_timeout = "10m"
idle_timeout = "1m"

[mailbox]
# Mails fetched from a mailbox and committed together.
fetch_batch = 50

[spam]
# A real rspamd asked about every mail over HTTP (POST /checkv2), e.g. "http://127.0.0.1:11333";
# empty: not asked. When it cannot be reached the mail is accepted and recorded "unchecked".
rspamd_url = ""
rspamd_timeout_seconds = 5
# The score at which a mail is spam (rspamd's score, X-Spam-Score); spam is held.
threshold = 5.0

[business_hours]
# When assignment rules' --if-business-hours yes holds (and --if-business-hours no does not).
# Working days: mon, tue, wed, thu, fri, sat, sun.
# days = ["mon", "tue", "wed", "thu", "fri"]
# Local opening and closing time; "22:00-06:00" runs past midnight (the morning hours
# belong to the day before), "00:00-24:00" is all day.
# hours = "09:00-17:00"
# An IANA time zone name (the system's /usr/share/zoneinfo): "Europe/Warsaw", "America/New_York".
# time_zone = "UTC"
# Local dates closed all day.
# holidays = ["2026-12-25", "2026-12-26"]

[trust]
# authserv-ids (e.g. "mx.example.com") of the receiving servers whose
# Authentication-Results header fields are believed: the topmost field carrying one of
# them tells whether the sender passed DKIM, SPF and DMARC. Such a server must remove
# fields with its own id from arriving mail. A mailbox or routing address may add its
# own (--authserv-id). Empty: no field is believed and no sender is proven.
authserv_ids = []
# A reply to a case from its contact, account or a participant whose believed DMARC
# result is fail (a forged From): "hold" it, or keep it as an "internal" note that
# cannot accept, reject or reopen the case.
on_dmarc_fail = "hold"
)";
}

}  // namespace mailcase::config

#include "metrics/metrics.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <chrono>
#include <cmath>
#include <mutex>

namespace mailcase::metrics {
namespace {

// Taken when the program's statics are initialised, before main: the process's start.
const double kStartTime =
    std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();

void escape_into(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (quote && c == '"')
      out += "\\\"";
    else
      out += c;
  }
}

// `{a="x",b="y"}`, with `extra` (le="...") last; nothing when there are no labels at all.
void labels_into(std::string& out, const Labels& labels, std::string_view extra_name = {},
                 std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    escape_into(out, v, true);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    escape_into(out, extra_value, true);
    out += '"';
  }
  out += '}';
}

const char* type_name(Type t) {
  switch (t) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  assert(std::is_sorted(bounds_.begin(), bounds_.end()));
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) noexcept {
  if (std::isnan(v)) return;  // would poison the sum, and falls in no bucket
  const size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::bucket_counts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) out[i] = counts_[i].load(std::memory_order_relaxed);
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Whole numbers (every count) in plain digits, up to where a double holds them exactly.
  if (v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) return std::to_string(static_cast<int64_t>(v));
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  if (ec != std::errc()) return "NaN";
  return std::string(buf.data(), end);
}

std::string render_prometheus(std::vector<FamilySnapshot> families) {
  std::sort(families.begin(), families.end(),
            [](const FamilySnapshot& a, const FamilySnapshot& b) { return a.name < b.name; });
  std::string out;
  for (auto& f : families) {
    if (f.series.empty()) continue;
    std::sort(f.series.begin(), f.series.end(),
              [](const SeriesSnapshot& a, const SeriesSnapshot& b) { return a.labels < b.labels; });
    out += "# HELP " + f.name + ' ';
    escape_into(out, f.help, false);
    out += "\n# TYPE " + f.name + ' ' + type_name(f.type) + '\n';
    for (const auto& s : f.series) {
      if (f.type != Type::kHistogram) {
        out += f.name;
        labels_into(out, s.labels);
        out += ' ' + format_value(s.value) + '\n';
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= f.bounds.size(); ++i) {
        cumulative += i < s.buckets.size() ? s.buckets[i] : 0;
        out += f.name + "_bucket";
        labels_into(out, s.labels, "le", i < f.bounds.size() ? format_value(f.bounds[i]) : "+Inf");
        out += ' ' + std::to_string(cumulative) + '\n';
      }
      out += f.name + "_sum";
      labels_into(out, s.labels);
      out += ' ' + format_value(s.sum) + '\n';
      out += f.name + "_count";
      labels_into(out, s.labels);
      out += ' ' + std::to_string(cumulative) + '\n';
    }
  }
  return out;
}

Registry::Series& Registry::series(std::string_view name, std::string_view help, Type type,
                                   const std::vector<double>& bounds, const Labels& labels) {
  // Labels past the family's cap, all "other": where such a recording goes.
  auto overflow = [](Labels key) {
    for (auto& kv : key) kv.second = "other";
    return key;
  };
  {
    std::shared_lock lock(mu_);
    if (auto f = families_.find(name); f != families_.end()) {
      const auto& all = f->second.series;
      if (auto s = all.find(labels); s != all.end()) return *s->second;
      if (all.size() >= kMaxSeriesPerFamily) {
        if (auto s = all.find(overflow(labels)); s != all.end()) return *s->second;
      }
    }
  }
  std::unique_lock lock(mu_);
  auto f = families_.find(name);
  if (f == families_.end()) {
    Family fam;
    fam.type = type;
    fam.help = std::string(help);
    fam.bounds = bounds;
    f = families_.emplace(std::string(name), std::move(fam)).first;
  }
  Family& fam = f->second;
  assert(fam.type == type);  // one name, one type: a programming error otherwise
  Labels key = labels;
  if (fam.series.size() >= kMaxSeriesPerFamily && !fam.series.count(key)) key = overflow(key);
  auto& slot = fam.series[key];
  if (!slot) {
    slot = std::make_unique<Series>();
    if (fam.type == Type::kHistogram) slot->histogram = std::make_unique<Histogram>(fam.bounds);
  }
  return *slot;
}

Counter& Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
  return series(name, help, Type::kCounter, {}, labels).counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  return series(name, help, Type::kGauge, {}, labels).gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help,
                               const std::vector<double>& bounds, const Labels& labels) {
  Series& s = series(name, help, Type::kHistogram, bounds, labels);
  if (!s.histogram) {
    // Declared before as another type (a programming error): a detached histogram, so the
    // caller records somewhere harmless rather than crashing.
    static Histogram* const detached = new Histogram(bounds);
    return *detached;
  }
  return *s.histogram;
}

std::vector<FamilySnapshot> Registry::snapshot() const {
  std::shared_lock lock(mu_);
  std::vector<FamilySnapshot> out;
  out.reserve(families_.size());
  for (const auto& [name, fam] : families_) {
    FamilySnapshot f;
    f.name = name;
    f.help = fam.help;
    f.type = fam.type;
    f.bounds = fam.bounds;
    for (const auto& [labels, s] : fam.series) {
      SeriesSnapshot ss;
      ss.labels = labels;
      switch (fam.type) {
        case Type::kCounter:
          ss.value = static_cast<double>(s->counter.value());
          break;
        case Type::kGauge:
          ss.value = s->gauge.value();
          break;
        case Type::kHistogram:
          ss.buckets = s->histogram->bucket_counts();
          ss.sum = s->histogram->sum();
          break;
      }
      f.series.push_back(std::move(ss));
    }
    out.push_back(std::move(f));
  }
  return out;
}

Registry& registry() {
  // Never destroyed: a thread still recording while the process exits (an agent, a
  // connection) must not find it gone.
  static Registry* const r = new Registry();
  return *r;
}

// --- The series mailcase records --------------------------------------------------------

namespace {

constexpr std::string_view kMailsReceived = "mailcase_mails_received_total";
constexpr std::string_view kIngestSeconds = "mailcase_ingest_seconds";
constexpr std::string_view kOutboxSent = "mailcase_outbox_sent_total";
constexpr std::string_view kOutboxFailed = "mailcase_outbox_failed_total";
constexpr std::string_view kOutboxDeferred = "mailcase_outbox_deferred_total";
constexpr std::string_view kHttpRequests = "mailcase_http_requests_total";
constexpr std::string_view kHttpSeconds = "mailcase_http_request_seconds";

// Longest route pattern taken as a label value; a longer one is no pattern of ours.
constexpr size_t kMaxRouteBytes = 200;

}  // namespace

const std::vector<double>& latency_buckets() {
  // Never destroyed, as the registry (above).
  static const std::vector<double>* const b =
      new std::vector<double>{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *b;
}

std::string_view channel_of(std::string_view source) {
  const std::string_view first = source.substr(0, source.find(':'));
  for (std::string_view known : {"lmtp", "pipe", "import", "imap", "pop3", "retry"}) {
    if (first == known) return known;
  }
  return "other";
}

void observe_mail(std::string_view source, std::string_view outcome, double seconds) {
  const std::string channel(channel_of(source));
  registry()
      .counter(kMailsReceived, "Mails the ingest pipeline recorded, by channel and outcome.",
               {{"channel", channel}, {"outcome", std::string(outcome)}})
      .inc();
  registry()
      .histogram(kIngestSeconds, "Seconds from the pipeline's first touch of a mail to its commit.",
                 latency_buckets(), {{"channel", channel}})
      .observe(seconds);
}

namespace {
Counter& outbox_counter(domain::OutboxState after) {
  switch (after) {
    case domain::OutboxState::kSent:
      return registry().counter(kOutboxSent, "Outbox mails the SMTP server accepted.");
    case domain::OutboxState::kFailed:
      return registry().counter(kOutboxFailed,
                                "Outbox mails given up (a permanent failure or too many attempts).");
    case domain::OutboxState::kQueued:
      break;
  }
  return registry().counter(kOutboxDeferred, "Sending attempts that failed for now; the mail stays queued.");
}
}  // namespace

void observe_outbox_attempt(domain::OutboxState after) {
  outbox_counter(after).inc();
}

void declare_unlabelled() {
  for (auto s : {domain::OutboxState::kSent, domain::OutboxState::kFailed, domain::OutboxState::kQueued})
    outbox_counter(s);
}

void observe_http(std::string_view route_pattern, int status, double seconds) {
  const std::string route(route_pattern.empty() || route_pattern.size() > kMaxRouteBytes ? "other"
                                                                                         : route_pattern);
  const std::string code = status >= 100 && status <= 599 ? std::to_string(status) : "other";
  registry()
      .counter(kHttpRequests, "HTTP requests answered, by route pattern and status.",
               {{"route", route}, {"status", code}})
      .inc();
  registry()
      .histogram(kHttpSeconds, "Seconds to answer an HTTP request, by route pattern.", latency_buckets(),
                 {{"route", route}})
      .observe(seconds);
}

std::string_view version() {
#ifdef MAILCASE_VERSION
  return MAILCASE_VERSION;
#else
  return "dev";
#endif
}

double process_start_time() {
  return kStartTime;
}

}  // namespace mailcase::metrics

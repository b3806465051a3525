// What this process counts and measures, for `GET /metrics` (Prometheus text format 0.0.4).
//
// One process-wide Registry (registry()) holds families of series: counters, gauges and
// histograms with fixed buckets, each series named by its label values. Recording on a
// series is lock-free (std::atomic); finding a series takes a shared lock, and only the
// first use of a label set takes the registry's lock to create it. A series, once made,
// lives as long as the process: references to it stay valid.
//
// The counters are per process: a `serve` counts what it did itself. A `deliver` run from
// the MTA is another process; its mail is counted in the store, not here.
//
// render_prometheus() is pure: families in, text out, in a stable order (families by
// name, series by label values), so that its output can be compared in tests.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/model.h"

namespace mailcase::metrics {

// A series' labels as (name, value) pairs, in the order the family declares them.
using Labels = std::vector<std::pair<std::string, std::string>>;

enum class Type { kCounter, kGauge, kHistogram };

class Counter {
 public:
  void inc(uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void set(double v) noexcept { v_.store(v, std::memory_order_relaxed); }
  void add(double d) noexcept { v_.fetch_add(d, std::memory_order_relaxed); }
  double value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

// Counts of observations per bucket. bounds: the buckets' upper bounds, ascending and
// finite; a last bucket (+Inf) takes everything above them. An observation v falls in
// the first bucket whose bound is >= v (Prometheus' "le").
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v) noexcept;
  const std::vector<double>& bounds() const { return bounds_; }
  // Per bucket (not cumulative), bounds().size() + 1 of them, the last for +Inf.
  std::vector<uint64_t> bucket_counts() const;
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// One series as rendered: value (counter, gauge), or buckets and sum (histogram).
struct SeriesSnapshot {
  Labels labels;
  double value = 0;
  std::vector<uint64_t> buckets;  // histogram: per bucket, not cumulative; the last is +Inf
  double sum = 0;                 // histogram
};

struct FamilySnapshot {
  std::string name;
  std::string help;
  Type type = Type::kCounter;
  std::vector<double> bounds;  // histogram: the buckets' upper bounds, without +Inf
  std::vector<SeriesSnapshot> series;
};

// The text exposition format 0.0.4: per family "# HELP" and "# TYPE" lines, then its
// samples. Label values are escaped (\\, \", \n) and so is the help text (\\, \n);
// histograms give cumulative _bucket{le=...} samples ending with le="+Inf", then _sum
// and _count (the +Inf bucket's count). Families in name order, series in label order;
// a family without series is left out.
std::string render_prometheus(std::vector<FamilySnapshot> families);

// A value as Prometheus writes it: integers without a fraction, "+Inf", "-Inf", "NaN",
// otherwise the shortest text that reads back as the same double.
std::string format_value(double v);

// A family's series beyond this many are not made: their recordings go to one series
// whose label values are all "other", so a bug feeding unbounded values cannot grow
// memory or the scrape without bound.
inline constexpr size_t kMaxSeriesPerFamily = 2000;

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The series of family `name` with these labels, made on first use. A name is of one
  // type, and its series carry the same label names in the same order, with the same
  // help and (histograms) the same bounds: the first declaration's are kept.
  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, const std::vector<double>& bounds,
                       const Labels& labels = {});

  // Every family and series as they are now.
  std::vector<FamilySnapshot> snapshot() const;

 private:
  struct Series {
    Counter counter;
    Gauge gauge;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    Type type = Type::kCounter;
    std::string help;
    std::vector<double> bounds;
    std::map<Labels, std::unique_ptr<Series>> series;
  };
  Series& series(std::string_view name, std::string_view help, Type type, const std::vector<double>& bounds,
                 const Labels& labels);

  mutable std::shared_mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
};

// The process-wide registry every recording below writes to.
Registry& registry();

// --- The series mailcase records --------------------------------------------------------

// Buckets of the latency histograms, in seconds: 1 ms to 10 s.
const std::vector<double>& latency_buckets();

// The channel a mail came through, from its Envelope::source ("imap:NAME" is "imap"):
// one of lmtp, pipe, import, imap, pop3, retry, else "other" (bounded label values).
std::string_view channel_of(std::string_view source);

// A mail the ingest pipeline recorded (after its commit): mailcase_mails_received_total
// {channel, outcome} and mailcase_ingest_seconds{channel}, seconds from the pipeline's
// first touch of the mail to its commit. outcome: ingest::to_string(OutcomeKind).
void observe_mail(std::string_view source, std::string_view outcome, double seconds);

// An outbox row settled after a sending attempt (its state afterwards): sent, failed, or
// queued again (mailcase_outbox_sent_total, _failed_total, _deferred_total).
void observe_outbox_attempt(domain::OutboxState after);

// Makes the series without labels (the outbox counters) at 0, so that a scrape shows
// them before their first event and rate() sees that first one.
void declare_unlabelled();

// One HTTP request answered: mailcase_http_requests_total{route, status} and
// mailcase_http_request_seconds{route}. route_pattern: the route's pattern
// ("/api/v1/cases/{number}"), never the raw path; "" or an unknown path: "other".
void observe_http(std::string_view route_pattern, int status, double seconds);

// This build's version (mailcase_build_info{version}).
std::string_view version();

// Unix time (seconds) this process started (mailcase_process_start_time_seconds).
double process_start_time();

}  // namespace mailcase::metrics

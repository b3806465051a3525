// The time as the domain sees it, handed down by whoever owns a component (the server,
// a CLI command, a test) so that decisions counted from "now" (link expiry, retry
// backoff, the hourly auto-reply window) can be tested at a chosen instant.
#pragma once

#include <atomic>
#include <cstdint>

namespace mailcase::domain {

struct Clock {
  virtual ~Clock() = default;
  // Seconds since the Unix epoch.
  virtual int64_t now() const = 0;
};

// The wall clock.
struct SystemClock final : Clock {
  int64_t now() const override;
};

// One process-wide SystemClock, for owners that have no other clock to give.
const Clock& system_clock();

// A clock that says what it was set to; safe to set from one thread while others read.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(int64_t t) : t_(t) {}
  int64_t now() const override { return t_.load(); }
  void set(int64_t t) { t_.store(t); }
  void advance(int64_t seconds) { t_.fetch_add(seconds); }

 private:
  std::atomic<int64_t> t_;
};

}  // namespace mailcase::domain

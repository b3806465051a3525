#include "domain/clock.h"

#include "util/clock.h"

namespace mailcase::domain {

int64_t SystemClock::now() const {
  return clock::unix_now();
}

const Clock& system_clock() {
  static const SystemClock c;
  return c;
}

}  // namespace mailcase::domain

// util::run_beside: the work runs on a thread of its own, and its result (or exception)
// is the future's.
#include "util/beside.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

namespace mailcase::util {
namespace {

TEST(RunBeside, TheWorkRunsOnAnotherThreadAndItsResultIsTheFutures) {
  const auto caller = std::this_thread::get_id();
  auto f = run_beside([] { return std::this_thread::get_id(); });
  EXPECT_NE(f.get(), caller);
}

TEST(RunBeside, AnExceptionOfTheWorkIsRaisedByTheFuture) {
  auto f = run_beside([]() -> int { throw std::runtime_error("disk gone"); });
  EXPECT_THROW(f.get(), std::runtime_error);
}

}  // namespace
}  // namespace mailcase::util

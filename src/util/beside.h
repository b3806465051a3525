// Running a piece of work on a thread of its own while the caller goes on.
#pragma once

#include <future>
#include <system_error>
#include <type_traits>
#include <utility>

namespace mailcase::util {

// Runs fn() on a new thread and returns its future. When no thread can be started (the
// process is at its limit of threads), fn() runs here and now instead and the future is
// ready: the caller, which waits for the future before relying on the work, is slower,
// not wrong. An exception fn() throws is the future's. The future, dropped, waits for a
// fn() still running on its thread (std::async's future): nothing it borrows may go
// before it; one that never started (no thread) is then not run at all.
template <typename F>
std::future<std::invoke_result_t<F&>> run_beside(F fn) {
  try {
    return std::async(std::launch::async, fn);  // a copy: fn stays whole if this throws
  } catch (const std::system_error&) {
    return std::async(std::launch::deferred, std::move(fn));
  }
}

}  // namespace mailcase::util

// The heap of a mailcase linked with tcmalloc is backed by transparent huge pages where the
// kernel grants them on request (app/huge_page_heap.h): a page fault on a virtual machine
// costs 15-18 us, and an import faulted in ~5,300 heap pages one at a time.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <string>

#include "support/test_support.h"

namespace mailcase::testing {
namespace {

// The kB of anonymous memory in huge pages of a process, from /proc/PID/smaps_rollup; -1
// when it cannot be read.
long anon_huge_kb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  for (std::string key; in >> key;) {
    long kb = 0;
    if (key == "AnonHugePages:" && in >> kb) return kb;
  }
  return -1;
}

TEST(Heap, ServeHoldsItsHeapInHugePagesWhereTheKernelGrantsThem) {
#if !MAILCASE_WITH_TCMALLOC
  GTEST_SKIP() << "this build keeps the system's allocator (sanitizers or MAILCASE_ALLOCATOR=system)";
#endif
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes((std::istreambuf_iterator<char>(thp)), std::istreambuf_iterator<char>());
  if (modes.empty() || modes.find("[never]") != std::string::npos)
    GTEST_SKIP() << "transparent huge pages are off on this machine";
  TempDir dir;
  const std::string data = (dir.path() / "data").string();
  ASSERT_EQ(run_mailcase({"--data", data, "init"}).exit_code, 0);
  Background serve({"--data", data, "serve", "--http", "127.0.0.1:0"});
  ASSERT_TRUE(wait_until([&] { return serve.err().find("serving;") != std::string::npos; }, 60000))
      << serve.err();
  // Its store's caches and threads are allocated by then, from heap it took after start.
  EXPECT_TRUE(wait_until([&] { return anon_huge_kb(serve.pid()) >= 2048; }, 10000))
      << anon_huge_kb(serve.pid()) << " kB in huge pages";
  EXPECT_EQ(serve.stop(SIGTERM), 0) << serve.err();
}

}  // namespace
}  // namespace mailcase::testing

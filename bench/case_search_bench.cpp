// The case list and its search on a large store: builds a store of N cases through the
// store's own writes (so the FTS5 triggers do their real work), one transaction per
// 10,000 cases, then times CaseRepository::find_cases: the first page in the default
// order, with a status filter, with a queue filter, and a search for a rare word and for
// a common one; prints p50/p99 of each, the machine and the store's size.
//
//   case_search_bench [--cases 1000000] [--dir DIR] [--repeat 200] [--reuse]
//
// --reuse times an existing DIR/store.db (built by an earlier run with the same --cases)
// instead of building it again. Not part of ctest: it takes minutes.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "bench_store.h"
#include "store/store.h"

namespace fs = std::filesystem;
using namespace mailcase;

using bench::build_cases;
using bench::kCommonWord;
using bench::kRareWord;
using bench::pct;
using bench::Vocabulary;

int main(int argc, char** argv) {
  int cases = 1000000, repeat = 200;
  fs::path dir = "case-search-bench";
  bool reuse = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--cases" && i + 1 < argc)
      cases = std::atoi(argv[++i]);
    else if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (a == "--repeat" && i + 1 < argc)
      repeat = std::atoi(argv[++i]);
    else if (a == "--reuse")
      reuse = true;
    else {
      std::fprintf(stderr, "usage: case_search_bench [--cases N] [--dir DIR] [--repeat R] [--reuse]\n");
      return 64;
    }
  }
  fs::create_directories(dir);
  fs::path db = dir / "store.db";
  if (!reuse) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix);
  }
  store::SqliteOptions opts;
  opts.synchronous_full = false;  // the build only; reads do not sync
  auto s = store::open_sqlite(db, opts);
  if (!s) {
    std::fprintf(stderr, "open: %s\n", s.error().message.c_str());
    return 1;
  }
  Vocabulary vocab(bench::kVocabularySize);
  if (!reuse) {
    std::fprintf(stderr, "building %d cases in %s\n", cases, db.c_str());
    auto t0 = std::chrono::steady_clock::now();
    if (int rc = build_cases(**s, cases, vocab)) return rc;
    std::printf("build: %d cases in %.0f s\n", cases,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }

  std::printf("machine: %s; load average at start: %s\n", bench::machine().c_str(),
              bench::load_average().c_str());
  std::printf("store: %.1f MB (%s, WAL included)\n", static_cast<double>(bench::store_bytes(dir)) / 1e6,
              dir.c_str());
  std::printf("client: one thread, the store in the same process (its share of the cores: one at most)\n");

  struct Case {
    const char* name;
    store::CaseQuery q;
    int repeat;
  };
  std::vector<Case> runs;
  runs.push_back({"first page, default order (updated, newest first)", {}, repeat});
  store::CaseQuery by_status;
  by_status.status = store::CaseStatus::kOpen;
  runs.push_back({"first page, status=open", by_status, repeat});
  store::CaseQuery by_queue;
  by_queue.queue = "Billing";
  runs.push_back({"first page, queue=Billing", by_queue, repeat});
  store::CaseQuery rare;
  rare.text = kRareWord;
  runs.push_back({"search, rare word (ranked, with snippets)", rare, repeat});
  store::CaseQuery common;
  common.text = kCommonWord;
  runs.push_back({"search, common word (ranked, with snippets)", common, std::max(1, repeat / 10)});
  store::CaseQuery common_recent;
  common_recent.text = kCommonWord;
  common_recent.sort = store::CaseQuery::Sort::kUpdatedDesc;
  runs.push_back({"search, common word, newest first", common_recent, std::max(1, repeat / 10)});

  std::printf("%-52s %8s %10s %10s %8s %9s\n", "what", "runs", "p50 ms", "p99 ms", "rows", "total");
  for (auto& r : runs) {
    std::vector<double> ms;
    size_t rows = 0;
    int64_t total = -1;
    for (int i = 0; i < r.repeat; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      auto page = (*s)->find_cases(r.q);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      if (!page) {
        std::fprintf(stderr, "%s: %s\n", r.name, page.error().message.c_str());
        return 1;
      }
      rows = page->items.size();
    }
    auto counted = r.q;
    counted.count = true;
    if (auto page = (*s)->find_cases(counted)) total = page->total.value_or(-1);
    std::printf("%-52s %8d %10.2f %10.2f %8zu %9lld\n", r.name, r.repeat, pct(ms, 50), pct(ms, 99), rows,
                static_cast<long long>(total));
    std::fflush(stdout);
  }
  return 0;
}

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

#include "store/store.h"

namespace fs = std::filesystem;
using namespace mailcase;

namespace {

// The head of the vocabulary: words a support mailbox is full of.
const char* kCommon[] = {
    "the",      "to",       "and",     "please",   "printer", "invoice", "login",    "password",  "error",
    "server",   "vpn",      "update",  "license",  "crash",   "slow",    "email",    "account",   "report",
    "network",  "backup",   "urgent",  "customer", "since",   "today",   "again",    "cannot",    "access",
    "order",    "delivery", "refund",  "payment",  "help",    "issue",   "problem",  "working",   "not",
    "we",       "our",      "your",    "thank",    "you",     "regards", "hello",    "team",      "support",
    "attached", "screen",   "message", "version",  "install", "phone",   "laptop",   "office",    "meeting",
    "monday",   "friday",   "week",    "month",    "facture", "réseau",  "problème", "zamówienie"};

// A deterministic vocabulary: the common words, then pseudo-words made of syllables, drawn
// with a Zipf law (rank r with weight 1/r), so a few words are everywhere and most are rare.
struct Vocabulary {
  std::vector<std::string> words;
  std::discrete_distribution<size_t> pick;
  explicit Vocabulary(size_t size) {
    for (const char* w : kCommon) words.emplace_back(w);
    static const char* syl[] = {"ka",  "lo", "mi",  "ren", "sta", "vo",  "tri", "pel", "dun", "ex",
                                "qui", "zo", "bar", "nel", "fos", "gri", "hal", "jut", "wen", "yor"};
    std::mt19937 rng(7);
    while (words.size() < size) {
      std::string w;
      int n = 2 + static_cast<int>(rng() % 3);
      for (int i = 0; i < n; ++i) w += syl[rng() % 20];
      words.push_back(w);
    }
    std::vector<double> weights;
    for (size_t r = 1; r <= words.size(); ++r) weights.push_back(1.0 / static_cast<double>(r));
    pick = std::discrete_distribution<size_t>(weights.begin(), weights.end());
  }
  std::string text(std::mt19937& rng, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) {
      if (i) s += ' ';
      s += words[pick(rng)];
    }
    return s;
  }
};

constexpr const char* kRareWord = "quokkafrost";  // put into 1 case in 50,000
constexpr const char* kCommonWord = "printer";
constexpr int kBatch = 10000;

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

uint64_t store_bytes(const fs::path& dir) {
  uint64_t n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) n += e.file_size();
  return n;
}

int build(store::Store& s, int cases, Vocabulary& vocab) {
  std::mt19937 rng(42);
  static const char* queues[] = {"Support", "Sales", "Billing", "Hardware", "Unrouted"};
  static const store::CaseStatus statuses[] = {
      store::CaseStatus::kNew,      store::CaseStatus::kOpen,
      store::CaseStatus::kOpen,     store::CaseStatus::kSolutionProposed,
      store::CaseStatus::kResolved, store::CaseStatus::kClosed,
      store::CaseStatus::kClosed,   store::CaseStatus::kClosed};
  auto t0 = std::chrono::steady_clock::now();
  std::optional<store::Id> contact;
  for (int done = 0; done < cases;) {
    auto w = s.begin_work();
    if (!w) {
      std::fprintf(stderr, "begin: %s\n", w.error().message.c_str());
      return 1;
    }
    for (int i = 0; i < kBatch && done < cases; ++i, ++done) {
      if (done % 3 == 0) {  // a contact writes about three cases
        store::Contact c;
        c.name = vocab.words[rng() % vocab.words.size()] + " " + vocab.words[rng() % vocab.words.size()];
        c.emails = {"c" + std::to_string(done) + "@example" + std::to_string(rng() % 500) + ".org"};
        auto id = s.add_contact(c);
        if (!id) {
          std::fprintf(stderr, "contact: %s\n", id.error().message.c_str());
          return 1;
        }
        contact = *id;
      }
      store::Case c;
      c.subject = vocab.text(rng, 3 + static_cast<int>(rng() % 6));
      if (done % 50000 == 7) c.subject += std::string(" ") + kRareWord;
      c.status = statuses[rng() % 8];
      c.queue = queues[rng() % 5];
      if (rng() % 3) c.owner = "agent" + std::to_string(rng() % 20) + "@corp.example";
      c.contact_id = contact;
      auto made = s.insert_case(c, "CS", 7);
      if (!made) {
        std::fprintf(stderr, "case: %s\n", made.error().message.c_str());
        return 1;
      }
      int comments = 1 + static_cast<int>(rng() % 5 == 0);
      for (int k = 0; k < comments; ++k) {
        store::Comment cm;
        cm.case_id = made->id;
        cm.author = "customer@example.org";
        cm.body = vocab.text(rng, 15 + static_cast<int>(rng() % 40));
        if (auto r = s.add_comment(cm); !r) {
          std::fprintf(stderr, "comment: %s\n", r.error().message.c_str());
          return 1;
        }
      }
    }
    if (auto r = w->commit(); !r) {
      std::fprintf(stderr, "commit: %s\n", r.error().message.c_str());
      return 1;
    }
    if (done % 100000 == 0 || done == cases) {
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "  %d cases, %.0f s\n", done, secs);
    }
  }
  return 0;
}

}  // namespace

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
  Vocabulary vocab(20000);
  if (!reuse) {
    std::fprintf(stderr, "building %d cases in %s\n", cases, db.c_str());
    auto t0 = std::chrono::steady_clock::now();
    if (int rc = build(**s, cases, vocab)) return rc;
    std::printf("build: %d cases in %.0f s\n", cases,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }

  std::printf("machine: %ld cores (nproc), %s; load average at start: ", sysconf(_SC_NPROCESSORS_ONLN),
              cpu_model().c_str());
  {
    std::ifstream la("/proc/loadavg");
    std::string l;
    std::getline(la, l);
    std::printf("%s\n", l.c_str());
  }
  std::printf("store: %.1f MB (%s, WAL included)\n", static_cast<double>(store_bytes(dir)) / 1e6,
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

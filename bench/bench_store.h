// What the benchmarks share: a store of N realistic cases built through the store's own
// writes (so the FTS5 triggers do their real work), percentiles, and a note of the
// machine. Header-only: each bench program is one file and includes this.
//
// The store: subjects and comments drawn from a 20,000-word vocabulary with a Zipf law,
// kRareWord in 1 case of 50,000, 1.2 comments and a third of a contact per case, five
// queues, statuses in realistic proportions, two cases in three owned by one of 20
// agents. Deterministic: the same N gives the same store.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "store/store.h"

namespace mailcase::bench {

// The head of the vocabulary: words a support mailbox is full of.
inline const char* const kCommon[] = {
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

inline constexpr const char* kRareWord = "quokkafrost";  // put into 1 case in 50,000
inline constexpr const char* kCommonWord = "printer";
inline constexpr size_t kVocabularySize = 20000;
inline constexpr int kBatch = 10000;  // cases per transaction while building
inline constexpr const char* kQueues[] = {"Support", "Sales", "Billing", "Hardware", "Unrouted"};

// The p-th percentile (0 < p <= 100) of v, nearest rank; v must not be empty.
inline double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::min(i == 0 ? 0 : i - 1, v.size() - 1)];
}

inline std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

inline std::string load_average() {
  std::ifstream la("/proc/loadavg");
  std::string l;
  std::getline(la, l);
  return l;
}

// "2 cores (nproc), MODEL"
inline std::string machine() {
  return std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " cores (nproc), " + cpu_model();
}

// The size of the regular files directly in dir (the database, its WAL and shm).
inline uint64_t store_bytes(const std::filesystem::path& dir) {
  uint64_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file()) n += e.file_size();
  return n;
}

// Adds `cases` cases to s (an empty store), one transaction per kBatch; progress on stderr
// every 100,000. Returns 0, or 1 after printing the error.
inline int build_cases(store::Store& s, int cases, Vocabulary& vocab) {
  std::mt19937 rng(42);
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
      c.queue = kQueues[rng() % 5];
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

}  // namespace mailcase::bench

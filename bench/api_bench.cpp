// The REST API's reads through HTTP on a large store: builds (or reuses) a data directory
// of N cases (bench_store.h: realistic subjects, comments, contacts, owners) with an
// agent's API token, starts the real `mailcase serve --roles http --http 127.0.0.1:0`,
// and times, from one client thread over one keep-alive connection, the first page of
// `GET /api/v1/cases` (default order, filtered by status and queue, sorted by creation),
// `GET /api/v1/cases/{number}` of random cases, and searches for a rare and a common
// word. Prints p50/p99/max of each, and the CPU the client and the server used during it,
// as shares of the machine's cores.
//
//   api_bench [--dir DIR] [--cases 1000000] [--requests 1000] [--slow-requests 30]
//             [--bin path/to/mailcase]
//
// DIR (default api-bench-data) is built once and reused by later runs with the same
// --cases (building 1,000,000 cases takes about ten minutes). Not part of ctest.
#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "bench_server.h"
#include "bench_store.h"

namespace fs = std::filesystem;
using namespace mailcase;

namespace {

struct Scenario {
  std::string name;
  int requests;
  // The path of request i (a list, a case, a search).
  std::function<std::string(int)> path;
};

// Items in a list's answer, or 1 for a case (an object without "items").
size_t items_in(const std::string& body) {
  if (body.find("\"items\"") == std::string::npos) return 1;
  size_t n = 0;
  for (size_t at = body.find("\"number\""); at != std::string::npos; at = body.find("\"number\"", at + 1))
    ++n;
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  int cases = 1000000, requests = 1000, slow_requests = 30;
  fs::path dir = "api-bench-data";
  std::string bin = MAILCASE_BINARY;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--cases" && i + 1 < argc)
      cases = std::atoi(argv[++i]);
    else if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (a == "--requests" && i + 1 < argc)
      requests = std::atoi(argv[++i]);
    else if (a == "--slow-requests" && i + 1 < argc)
      slow_requests = std::atoi(argv[++i]);
    else if (a == "--bin" && i + 1 < argc)
      bin = argv[++i];
    else {
      std::fprintf(
          stderr,
          "usage: api_bench [--dir DIR] [--cases N] [--requests R] [--slow-requests S] [--bin MAILCASE]\n");
      return 64;
    }
  }
  if (cases < 1 || requests < 1 || slow_requests < 1) {
    std::fprintf(stderr, "api_bench: --cases, --requests and --slow-requests must be positive\n");
    return 64;
  }
  bench::BenchData data = bench::prepare_data(bin, dir, cases);
  if (data.reused)
    std::printf("store: %d cases, reused from %s\n", cases, dir.c_str());
  else
    std::printf("store: %d cases, built in %.0f s into %s\n", cases, data.build_seconds, dir.c_str());
  std::printf("store size: %.1f MB (database, WAL included)\n",
              static_cast<double>(bench::store_bytes(dir)) / 1e6);

  bench::Server server(bin, dir, {"--roles", "http", "--http", "127.0.0.1:0"});
  httplib::Client cli("127.0.0.1", server.http_port);
  cli.set_keep_alive(true);
  cli.set_read_timeout(120, 0);
  const httplib::Headers auth{{"Authorization", "Bearer " + data.token}};

  std::mt19937 rng(1);
  std::uniform_int_distribution<int> any_case(1, cases);
  char number[32];
  std::vector<Scenario> runs{
      {"GET /api/v1/cases?limit=25 (first page, newest first)", requests,
       [](int) { return std::string("/api/v1/cases?limit=25"); }},
      {"GET /api/v1/cases?limit=25&status=open", requests,
       [](int) { return std::string("/api/v1/cases?limit=25&status=open"); }},
      {"GET /api/v1/cases?limit=25&queue=Billing", requests,
       [](int) { return std::string("/api/v1/cases?limit=25&queue=Billing"); }},
      {"GET /api/v1/cases?limit=25&status=open&queue=Billing", requests,
       [](int) { return std::string("/api/v1/cases?limit=25&status=open&queue=Billing"); }},
      {"GET /api/v1/cases?limit=25&sort=created (oldest first)", requests,
       [](int) { return std::string("/api/v1/cases?limit=25&sort=created"); }},
      {"GET /api/v1/cases/{number} (random cases)", requests,
       [&](int) {
         std::snprintf(number, sizeof number, "CS%07d", any_case(rng));
         return std::string("/api/v1/cases/") + number;
       }},
      {std::string("GET /api/v1/cases?q=") + bench::kRareWord + " (rare word)", requests,
       [](int) { return std::string("/api/v1/cases?limit=25&q=") + bench::kRareWord; }},
      {std::string("GET /api/v1/cases?q=") + bench::kCommonWord + " (common word, ranked)", slow_requests,
       [](int) { return std::string("/api/v1/cases?limit=25&q=") + bench::kCommonWord; }},
      {std::string("GET /api/v1/cases?q=") + bench::kCommonWord + "&sort=-updated (common, newest first)",
       slow_requests,
       [](int) { return std::string("/api/v1/cases?limit=25&sort=-updated&q=") + bench::kCommonWord; }},
  };

  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  std::printf("machine: %s; load average at start: %s\n", bench::machine().c_str(),
              bench::load_average().c_str());
  std::printf(
      "client: one thread, one keep-alive connection, requests one after another; "
      "each run after 10 untimed requests\n");
  std::printf(
      "cpu columns: cores busy on average during the run (CPU seconds / wall seconds), "
      "client = this process, server = mailcase serve (counted in 1/%ld s: rough for runs under a second); "
      "the machine has %ld\n",
      sysconf(_SC_CLK_TCK), cores);
  std::printf("%-66s %6s %8s %8s %8s %5s %7s %7s\n", "what", "reqs", "p50 ms", "p99 ms", "max ms", "rows",
              "client", "server");
  for (auto& r : runs) {
    for (int i = 0; i < 10; ++i) (void)cli.Get(r.path(i), auth);
    std::vector<double> ms;
    ms.reserve(static_cast<size_t>(r.requests));
    size_t rows = 0;
    const double client0 = bench::own_cpu_seconds(), server0 = bench::cpu_seconds_of(server.pid());
    const auto wall0 = std::chrono::steady_clock::now();
    for (int i = 0; i < r.requests; ++i) {
      const std::string path = r.path(i);
      auto t0 = std::chrono::steady_clock::now();
      auto res = cli.Get(path, auth);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      if (!res || res->status != 200) {
        std::fprintf(stderr, "%s: %s\n", path.c_str(),
                     res ? (std::to_string(res->status) + " " + res->body).c_str()
                         : httplib::to_string(res.error()).c_str());
        return 1;
      }
      rows = items_in(res->body);
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    const double client = (bench::own_cpu_seconds() - client0) / wall;
    const double served = (bench::cpu_seconds_of(server.pid()) - server0) / wall;
    std::printf("%-66s %6d %8.2f %8.2f %8.2f %5zu %7.2f %7.2f\n", r.name.c_str(), r.requests,
                bench::pct(ms, 50), bench::pct(ms, 99), bench::pct(ms, 100), rows, client, served);
    std::fflush(stdout);
  }
  std::printf("load average at the end: %s\n", bench::load_average().c_str());
  return 0;
}

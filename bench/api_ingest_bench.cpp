// Mail ingest with and without the agents' API load beside it, on one node: builds (or
// reuses) a data directory of N cases (bench_store.h) with an agent's API token, copies
// it to a scratch directory, starts the real `mailcase serve --roles ingest,http` with
// --lmtp and --http, and times runs of M mails delivered over LMTP by C client
// connections (a third of them replies threading into the case of an earlier mail),
// each run in one of three modes:
//   A  ingest alone;
//   B  with a paced API load: 4 client threads, --rate requests/s in all;
//   C  with one API client thread at full speed (each request as soon as the last ends).
// The API load is an agent's mix: first pages (default, by status, by queue), case reads,
// a case's events, a rare-word and a mid-frequency-word search. The runs alternate
// A B A C, --rounds times, so that the load of a shared machine falls on every mode
// alike; prints each run (mails/s, the load average, the API's latencies) and the median
// of each mode with its ratio to A's.
//
//   api_ingest_bench [--dir DIR] [--cases 100000] [--mails 2000] [--connections 4]
//                    [--rate 50] [--rounds 3] [--sync full|normal] [--bin path/to/mailcase]
//
// DIR (default api-ingest-data) is built once and reused by later runs with the same
// --cases; each run of this program ingests into a copy of it (DIR.scratch), removed at
// the end. --sync sets storage.sync in that copy: "full" (the default) makes each commit
// wait for the disk, "normal" leaves the CPU as ingest's limit. Not part of ctest.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_server.h"
#include "bench_store.h"

namespace fs = std::filesystem;
using namespace mailcase;
using Clock = std::chrono::steady_clock;

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "api_ingest_bench: %s\n", what.c_str());
  std::exit(1);
}

// One LMTP session: commands one at a time, each reply read whole.
class LmtpClient {
 public:
  explicit LmtpClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      die("lmtp: cannot connect");
    const int one = 1;
    (void)::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    expect(220, "greeting");
    send("LHLO bench.example\r\n");
    expect(250, "LHLO");
  }
  ~LmtpClient() {
    send("QUIT\r\n");
    ::close(fd_);
  }
  LmtpClient(const LmtpClient&) = delete;
  LmtpClient& operator=(const LmtpClient&) = delete;

  // Delivers one mail to support@corp.example; returns when it is committed (250).
  void deliver(const std::string& from, const std::string& mail) {
    send("MAIL FROM:<" + from + ">\r\n");
    expect(250, "MAIL FROM");
    send("RCPT TO:<support@corp.example>\r\n");
    expect(250, "RCPT TO");
    send("DATA\r\n");
    expect(354, "DATA");
    send(mail + ".\r\n");  // mail ends with CRLF; no line of it starts with "."
    expect(250, "end of DATA");
  }

 private:
  void send(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) die("lmtp: send failed");
      off += static_cast<size_t>(n);
    }
  }
  // Reads one reply (its last line is "CODE "); dies unless its code is `code`.
  void expect(int code, const char* what) {
    for (;;) {
      auto eol = buf_.find("\r\n");
      while (eol == std::string::npos) {
        char tmp[4096];
        ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
        if (n <= 0) die(std::string("lmtp: connection closed waiting for ") + what);
        buf_.append(tmp, static_cast<size_t>(n));
        eol = buf_.find("\r\n");
      }
      std::string line = buf_.substr(0, eol);
      buf_.erase(0, eol + 2);
      if (line.size() >= 4 && line[3] == '-') continue;
      if (std::atoi(line.c_str()) != code) die(std::string("lmtp: ") + what + ": " + line);
      return;
    }
  }
  int fd_ = -1;
  std::string buf_;
};

// Mails of connection `conn` in run `run`: new questions from a few thousand customers;
// every third mail replies to the one before it (a comment on an existing case).
struct MailMaker {
  bench::Vocabulary& vocab;
  std::mt19937 rng;
  std::string last_id;
  std::string make(int run, int conn, int k, std::string* from) {
    const std::string id = "r" + std::to_string(run) + "c" + std::to_string(conn) + "k" + std::to_string(k) +
                           "@customer.example";
    const bool reply = k % 3 == 2 && !last_id.empty();
    *from = "customer" + std::to_string(rng() % 5000) + "@example" + std::to_string(rng() % 50) + ".org";
    std::string m = "From: Customer <" + *from +
                    ">\r\nTo: support@corp.example\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
                    "Message-ID: <" +
                    id + ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n";
    if (reply)
      m += "Subject: Re: your case\r\nIn-Reply-To: <" + last_id + ">\r\nReferences: <" + last_id + ">\r\n";
    else
      m += "Subject: " + vocab.text(rng, 3 + static_cast<int>(rng() % 6)) + "\r\n";
    m += "\r\n";
    const int lines = 2 + static_cast<int>(rng() % 6);
    for (int i = 0; i < lines; ++i) m += vocab.text(rng, 6 + static_cast<int>(rng() % 8)) + "\r\n";
    last_id = reply ? "" : id;
    return m;
  }
};

// The agents' mix of reads; request k of a thread.
std::string api_path(int k, std::mt19937& rng, int cases, const std::string& mid_word) {
  char number[32];
  std::snprintf(number, sizeof number, "CS%07d", static_cast<int>(rng() % static_cast<unsigned>(cases)) + 1);
  switch (k % 10) {
    case 0:
      return "/api/v1/cases?limit=25";
    case 1:
      return "/api/v1/cases?limit=25&status=open";
    case 2:
      return "/api/v1/cases?limit=25&queue=Billing";
    case 3:
    case 4:
    case 5:
      return std::string("/api/v1/cases/") + number;
    case 6:
      return std::string("/api/v1/cases/") + number + "/events";
    case 7:
      return std::string("/api/v1/cases?limit=25&q=") + bench::kRareWord;
    case 8:
      return "/api/v1/cases?limit=25&q=" + mid_word;
    default:
      return "/api/v1/cases?limit=25&status=new&sort=-updated";
  }
}

// API clients running until stop: `threads` threads, each on its own keep-alive
// connection; paced at `rate` requests/s in all (0: each thread at full speed).
class ApiLoad {
 public:
  ApiLoad(int port, const std::string& token, int threads, double rate, int cases,
          const std::string& mid_word) {
    for (int t = 0; t < threads; ++t)
      threads_.emplace_back([=, this] {
        httplib::Client cli("127.0.0.1", port);
        cli.set_keep_alive(true);
        cli.set_read_timeout(60, 0);
        const httplib::Headers auth{{"Authorization", "Bearer " + token}};
        std::mt19937 rng(static_cast<unsigned>(100 + t));
        const auto period =
            rate > 0 ? std::chrono::duration<double>(threads / rate) : std::chrono::duration<double>(0);
        // Threads start spread over one period, so that the paced load is even.
        auto next = Clock::now() + std::chrono::duration_cast<Clock::duration>(period * t / threads);
        std::vector<double> ms;
        int errors = 0;
        for (int k = t; !stop_; ++k) {
          if (rate > 0) {
            std::this_thread::sleep_until(next);
            next += std::chrono::duration_cast<Clock::duration>(period);
          }
          auto t0 = Clock::now();
          auto res = cli.Get(api_path(k, rng, cases, mid_word), auth);
          ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          if (!res || res->status != 200) ++errors;
        }
        std::lock_guard lock(mu_);
        ms_.insert(ms_.end(), ms.begin(), ms.end());
        errors_ += errors;
      });
  }
  // Stops the clients and returns every request's time (ms); *seconds: how long they ran.
  std::vector<double> finish(int* errors, double* seconds) {
    stop_ = true;
    for (auto& t : threads_) t.join();
    *seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    *errors = errors_;
    return ms_;
  }

 private:
  const Clock::time_point start_ = Clock::now();
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::vector<double> ms_;
  int errors_ = 0;
};

// Sets `sync = "VALUE"` in the [storage] table of the configuration `mailcase init` wrote.
void set_sync(const fs::path& toml, const std::string& value) {
  std::string text;
  {
    std::ifstream in(toml);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const auto table = text.find("\n[storage]\n");
  const auto key = table == std::string::npos ? table : text.find("\nsync = ", table);
  if (key == std::string::npos) die("no storage.sync line in " + toml.string());
  const auto end = text.find('\n', key + 1);
  text.replace(key + 1, end - key - 1, "sync = \"" + value + "\"");
  std::ofstream(toml) << text;
}

double median(std::vector<double> v) {
  return bench::pct(std::move(v), 50);
}

}  // namespace

int main(int argc, char** argv) {
  int cases = 100000, mails = 2000, connections = 4, rounds = 3;
  double rate = 50;
  fs::path dir = "api-ingest-data";
  std::string bin = MAILCASE_BINARY;
  std::string sync = "full";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--cases" && i + 1 < argc)
      cases = std::atoi(argv[++i]);
    else if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (a == "--mails" && i + 1 < argc)
      mails = std::atoi(argv[++i]);
    else if (a == "--connections" && i + 1 < argc)
      connections = std::atoi(argv[++i]);
    else if (a == "--rate" && i + 1 < argc)
      rate = std::atof(argv[++i]);
    else if (a == "--rounds" && i + 1 < argc)
      rounds = std::atoi(argv[++i]);
    else if (a == "--bin" && i + 1 < argc)
      bin = argv[++i];
    else if (a == "--sync" && i + 1 < argc &&
             (std::string(argv[i + 1]) == "full" || std::string(argv[i + 1]) == "normal"))
      sync = argv[++i];
    else {
      std::fprintf(stderr,
                   "usage: api_ingest_bench [--dir DIR] [--cases N] [--mails M] [--connections C] [--rate R] "
                   "[--rounds K] [--sync full|normal] [--bin MAILCASE]\n");
      return 64;
    }
  }
  if (cases < 1 || mails < 1 || connections < 1 || rounds < 1 || rate <= 0) {
    std::fprintf(stderr, "api_ingest_bench: every number must be positive\n");
    return 64;
  }
  bench::BenchData data = bench::prepare_data(bin, dir, cases);
  const fs::path scratch = dir.string() + ".scratch";
  fs::remove_all(scratch);
  fs::copy(dir, scratch, fs::copy_options::recursive);
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{scratch};
  set_sync(scratch / "mailcase.toml", sync);

  bench::Vocabulary vocab(bench::kVocabularySize);
  const std::string mid_word = vocab.words[500];  // in about 1 case in 200
  std::printf("store: %d cases (%s), %s; ingest into a copy of it\n", cases, dir.c_str(),
              data.reused ? "reused" : "built now");
  std::printf("machine: %s\n", bench::machine().c_str());
  std::printf(
      "ingest: %d mails a run over LMTP, %d connections, storage.sync = \"%s\"; a third of the mails are "
      "replies\n",
      mails, connections, sync.c_str());
  std::printf(
      "API: A none; B 4 threads paced at %.0f requests/s in all; C 1 thread at full speed; "
      "mix: first pages, case reads, events, searches (rare word, \"%s\")\n",
      rate, mid_word.c_str());

  bench::Server server(bin, scratch,
                       {"--roles", "ingest,http", "--lmtp", "127.0.0.1:0", "--http", "127.0.0.1:0"});
  const char modes[] = {'A', 'B', 'A', 'C'};
  std::vector<double> rates[3];
  int run = 0;
  std::printf("%4s %4s %9s %9s %7s %-16s %7s %8s %8s %8s\n", "run", "mode", "mails/s", "server", "wal MB",
              "load average", "api/s", "api p50", "api p99", "api max");
  for (int round = 0; round < rounds; ++round) {
    for (char mode : modes) {
      ++run;
      std::string load = bench::load_average();  // "1min 5min 15min running/all lastpid"
      load = load.substr(0, load.find(' ', load.find(' ', load.find(' ') + 1) + 1));
      std::unique_ptr<ApiLoad> api;
      if (mode == 'B')
        api = std::make_unique<ApiLoad>(server.http_port, data.token, 4, rate, cases, mid_word);
      if (mode == 'C') api = std::make_unique<ApiLoad>(server.http_port, data.token, 1, 0, cases, mid_word);
      // Mails are made before the clock starts: the run times the server, not the maker.
      std::vector<std::vector<std::pair<std::string, std::string>>> work(static_cast<size_t>(connections));
      for (int c = 0; c < connections; ++c) {
        MailMaker maker{vocab, std::mt19937(static_cast<unsigned>(run * 1000 + c)), ""};
        for (int k = c; k < mails; k += connections) {
          std::string from;
          std::string m = maker.make(run, c, k, &from);
          work[static_cast<size_t>(c)].emplace_back(from, std::move(m));
        }
      }
      const double server0 = bench::cpu_seconds_of(server.pid());
      const auto t0 = Clock::now();
      std::vector<std::thread> senders;
      for (int c = 0; c < connections; ++c)
        senders.emplace_back([&, c] {
          LmtpClient lmtp(server.lmtp_port);
          for (const auto& [from, m] : work[static_cast<size_t>(c)]) lmtp.deliver(from, m);
        });
      for (auto& s : senders) s.join();
      const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      const double server_cores = (bench::cpu_seconds_of(server.pid()) - server0) / secs;
      const double per_s = mails / secs;
      rates[mode == 'A' ? 0 : mode == 'B' ? 1 : 2].push_back(per_s);
      std::error_code ec;
      const auto wal = fs::file_size(scratch / "mailcase.db-wal", ec);
      std::printf("%4d %4c %9.0f %9.2f %7.1f %-16s", run, mode, per_s, server_cores,
                  ec ? 0.0 : static_cast<double>(wal) / 1e6, load.c_str());
      if (api) {
        int errors = 0;
        double api_seconds = 0;
        auto ms = api->finish(&errors, &api_seconds);
        if (errors) die(std::to_string(errors) + " API requests failed");
        std::printf(" %7.0f %8.2f %8.2f %8.2f", static_cast<double>(ms.size()) / api_seconds,
                    bench::pct(ms, 50), bench::pct(ms, 99), bench::pct(ms, 100));
      }
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  const double a = median(rates[0]), b = median(rates[1]), c = median(rates[2]);
  std::printf(
      "median mails/s: A alone %.0f (%zu runs); B paced API %.0f (%zu runs), %.2f of A; "
      "C full-speed API %.0f (%zu runs), %.2f of A\n",
      a, rates[0].size(), b, rates[1].size(), b / a, c, rates[2].size(), c / a);
  std::printf(
      "server: cores the server used during the run; wal MB: the WAL after it; load average at the end: %s\n",
      bench::load_average().c_str());
  return 0;
}

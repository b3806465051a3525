// Classification against Sisimai's bounce / auto-reply / feedback samples
// (../shared/corpus/sisimai). Expected kind from Sisimai's reason: "vacation" is an
// auto-reply, "feedback" a feedback report, anything else a bounce (including its
// "delivered" DSNs: they are delivery reports, never to be answered). The two
// samples under maildir/not must not be bounces. Also compared, where Sisimai took the
// code from the mail (not one of its own X.0.9NN codes): the status of the first
// failed recipient.
#include <gtest/gtest.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "ingest/classify.h"
#include "mime/parser.h"
#include "support/test_support.h"

namespace mailcase::ingest {
namespace {

TEST(ClassifyCorpus, Sisimai) {
  auto corpus = testing::corpus_dir();
  if (!corpus) GTEST_SKIP() << "../shared/corpus is absent: sisimai corpus test skipped";
  const auto root = *corpus / "sisimai";
  auto expected = nlohmann::json::parse(testing::read_file(root / "expected.json"));
  spool::NullBlobSink sink;
  int total = 0, kind_ok = 0, status_total = 0, status_ok = 0;
  std::vector<std::string> misses;
  for (auto& [name, entry] : expected.items()) {
    auto path = root / "set-of-emails" / "maildir" / "bsd" / name;
    auto parsed = mime::parse_file(path, sink);
    ++total;
    if (!parsed) {
      misses.push_back(name + ": parse error");
      continue;
    }
    auto c = classify(*parsed, std::nullopt);
    const auto& results = entry["results"];
    std::string reason = results.empty() ? "" : results[0]["reason"].get<std::string>();
    MailKind want = reason == "vacation" ? MailKind::kAutoReply
                    : reason == "feedback" ? MailKind::kFeedback
                                           : MailKind::kBounce;
    if (c.kind == want) {
      ++kind_ok;
    } else {
      misses.push_back(name + ": want " + to_string(want) + ", got " + to_string(c.kind) + " (" + c.reason + ")");
    }
    if (want == MailKind::kBounce && !results.empty()) {
      std::string code = results[0]["deliverystatus"].get<std::string>();
      if (!code.empty() && code.find(".0.9") == std::string::npos) {
        ++status_total;
        if (!c.recipients.empty() && c.recipients[0].status == code) ++status_ok;
      }
    }
  }
  for (const char* name : {"is-not-bounce-01.eml", "is-not-bounce-02.eml"}) {
    auto parsed = mime::parse_file(root / "set-of-emails" / "maildir" / "not" / name, sink);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_NE(classify(*parsed, std::nullopt).kind, MailKind::kBounce) << name;
  }
  double kind_rate = 100.0 * kind_ok / std::max(total, 1);
  double status_rate = 100.0 * status_ok / std::max(status_total, 1);
  std::cout << "sisimai: kind " << kind_ok << "/" << total << " (" << kind_rate << "%), status " << status_ok << "/"
            << status_total << " (" << status_rate << "%)\n";
  for (size_t i = 0; i < misses.size() && i < 40; ++i) std::cout << "  miss " << misses[i] << "\n";
  EXPECT_GE(kind_rate, 95.0);
}

}  // namespace
}  // namespace mailcase::ingest

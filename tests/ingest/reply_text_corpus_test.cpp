// Reply splitting against Discourse's email_reply_trimmer fixtures (../shared/corpus).
#include <gtest/gtest.h>

#include <iostream>

#include "ingest/reply_text.h"
#include "support/test_support.h"
#include "util/text.h"

namespace mailcase::ingest {
namespace {

TEST(ReplyTextCorpus, TrimmedTextMatchesUpstreamExpectations) {
  auto corpus = mailcase::testing::corpus_dir();
  if (!corpus) GTEST_SKIP() << "../shared/corpus is absent: reply-text corpus test skipped";
  auto dir = *corpus / "email_reply_trimmer" / "test";
  if (!std::filesystem::is_directory(dir / "emails")) GTEST_SKIP() << "email_reply_trimmer corpus is absent";
  int total = 0, pass = 0;
  std::vector<std::string> failed;
  for (const auto& e : std::filesystem::directory_iterator(dir / "emails")) {
    auto name = e.path().filename();
    auto expected_path = dir / "trimmed" / name;
    if (!std::filesystem::exists(expected_path)) continue;
    std::string input = mailcase::testing::read_file(e.path());
    std::string expected(text::trim(mailcase::testing::read_file(expected_path)));
    // Upstream compares after normalising line endings too.
    std::string exp_lf;
    for (char c : expected)
      if (c != '\r') exp_lf += c;
    ++total;
    std::string got = split_reply(input).new_text;
    if (got == exp_lf) ++pass;
    else failed.push_back(name.string());
  }
  std::cout << "email_reply_trimmer: new text " << pass << "/" << total << " ("
            << (total ? 100.0 * pass / total : 0) << "%)\n";
  for (const auto& f : failed) std::cout << "  differs: " << f << "\n";
  ASSERT_GT(total, 0);
  EXPECT_GE(pass * 100, total * 95) << "pass rate below 95%";
}

}  // namespace
}  // namespace mailcase::ingest

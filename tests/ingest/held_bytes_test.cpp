// Pipeline::held_bytes: what a mail holds in memory until its commit, by which the import
// bounds its read-ahead and its batches in bytes as well as in mails.
#include <gtest/gtest.h>

#include <string>

#include "ingest/ingest_runtime_test.h"
#include "ingest/pipeline.h"

namespace mailcase::ingest {
namespace {

class HeldBytesTest : public testing::IngestRuntimeTest {
 protected:
  void SetUp() override { open(); }

  Spooled spooled(const std::string& raw) {
    auto s = rt_->ingest().spool(raw, Envelope{"import", {"support@corp.example"}, std::nullopt});
    EXPECT_TRUE(s) << s.error().message;
    return s ? std::move(*s) : Spooled{};
  }

  static std::string mail_of_text(size_t text_bytes) {
    std::string text;
    while (text.size() < text_bytes) text += "a line of the mail's text\n";
    return "From: Alice <alice@example.org>\nTo: support@corp.example\nSubject: Big\n"
           "Message-ID: <held" +
           std::to_string(text_bytes) + "@example.org>\n\n" + text;
  }
};

TEST_F(HeldBytesTest, AMailNotYetParsedHoldsItsSize) {
  Spooled s = spooled(mail_of_text(10000));
  EXPECT_EQ(Pipeline::held_bytes(s), s.blob.size);
}

// Parsed, a mail holds its text twice (the body, and the new text split from it) and
// more: the parse's count grows with the text, not with the store or the batch.
TEST_F(HeldBytesTest, AParsedMailHoldsWhatItsParseHolds) {
  Spooled small = spooled(mail_of_text(1000));
  Spooled big = spooled(mail_of_text(1000000));
  rt_->ingest().parse_ahead(small);
  rt_->ingest().parse_ahead(big);
  ASSERT_TRUE(small.parsed);
  ASSERT_TRUE(big.parsed);
  EXPECT_GE(Pipeline::held_bytes(big), 2 * 1000000u);
  EXPECT_LT(Pipeline::held_bytes(big), 4 * 1000000u);
  EXPECT_LT(Pipeline::held_bytes(small), 16 * 1024u);
  EXPECT_GT(Pipeline::held_bytes(small), 2 * 1000u);
}

}  // namespace
}  // namespace mailcase::ingest

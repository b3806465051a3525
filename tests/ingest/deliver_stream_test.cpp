// `deliver` committing alone reads its mail from stdin (Pipeline::deliver_stream): a small
// mail is held and kept in the store with the commit that records it, as LMTP's are; a
// mail too large to hold streams into the spool. Either way the recorded bytes are the
// mail's, byte for byte.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "ingest/blob_reader.h"
#include "ingest/ingest_runtime_test.h"
#include "ingest/pipeline.h"
#include "spool/raw_spool.h"
#include "store/store.h"

namespace mailcase::ingest {
namespace {

class DeliverStreamTest : public testing::IngestRuntimeTest {
 protected:
  void SetUp() override { open(); }

  static std::string mail(const std::string& id, size_t body_bytes) {
    std::string body;
    while (body.size() < body_bytes) body += "All work and no play makes Jack a dull boy.\r\n";
    return "From: Alice <alice@example.org>\r\nTo: support@corp.example\r\nSubject: Log " + id +
           "\r\nMessage-ID: <" + id + "@example.org>\r\n\r\n" + body;
  }

  // What the store recorded for the mail: its location and its bytes read back.
  std::pair<std::string, std::string> recorded(store::Id id) {
    auto row = rt_->store().get_raw(id);
    EXPECT_TRUE(row && *row);
    if (!row || !*row) return {};
    auto bytes = read_blob(rt_->store(), rt_->ingest().raw_spool(),
                           spool::BlobRef{(*row)->sha256, (*row)->size, (*row)->spool_location});
    EXPECT_TRUE(bytes) << bytes.error().message;
    return {(*row)->spool_location, bytes ? *bytes : ""};
  }
};

TEST_F(DeliverStreamTest, ASmallMailIsKeptInTheStoreWithItsCommit) {
  const std::string raw = mail("s1", 100 * 1024);
  std::istringstream in(raw);
  auto o = rt_->ingest().deliver_stream(in, Envelope{"pipe", {"support@corp.example"}, std::nullopt});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->kind, OutcomeKind::kCreated);
  auto [where, bytes] = recorded(o->message_id);
  EXPECT_TRUE(spool::kept_in_store(where)) << where;
  EXPECT_EQ(bytes, raw);
}

TEST_F(DeliverStreamTest, AMailTooLargeToHoldStreamsIntoTheSpoolWhole) {
  const std::string raw = mail("l1", spool::RawSpool::kPackLimit + 70 * 1024);
  std::istringstream in(raw);
  auto o = rt_->ingest().deliver_stream(in, Envelope{"pipe", {"support@corp.example"}, std::nullopt});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->kind, OutcomeKind::kCreated);
  auto [where, bytes] = recorded(o->message_id);
  EXPECT_FALSE(spool::kept_in_store(where)) << where;
  EXPECT_EQ(bytes.size(), raw.size());
  EXPECT_EQ(bytes, raw);
}

TEST_F(DeliverStreamTest, AMailOfExactlyTheHoldLimitIsHeldAndOneByteMoreIsNot) {
  for (size_t extra : {size_t{0}, size_t{1}}) {
    std::string raw = mail("e" + std::to_string(extra), 0);
    raw += std::string(spool::RawSpool::kPackLimit + extra - raw.size(), 'x');
    std::istringstream in(raw);
    auto o = rt_->ingest().deliver_stream(in, Envelope{"pipe", {"support@corp.example"}, std::nullopt});
    ASSERT_TRUE(o) << o.error().message;
    auto [where, bytes] = recorded(o->message_id);
    EXPECT_EQ(spool::kept_in_store(where).has_value(), extra == 0) << where;
    EXPECT_EQ(bytes, raw);
  }
}

}  // namespace
}  // namespace mailcase::ingest

// Where a delivered mail's attachments are kept: appended to the spool's segments, as the
// raw mails are (no file, no inode, per attachment), and read back whole for a download.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "ingest/ingest_runtime_test.h"
#include "ingest/pipeline.h"
#include "spool/raw_spool.h"

namespace mailcase::ingest {
namespace {

class AttachmentsKeptTest : public testing::IngestRuntimeTest {
 protected:
  void open(bool keep_original) {
    IngestRuntimeTest::open([&](config::Config& c) { c.storage.keep_original = keep_original; });
  }

  // A mail with a PDF (base64) and a text file (quoted-printable) attached.
  static std::string mail() {
    return "From: Alice <alice@example.org>\r\nTo: support@corp.example\r\nSubject: Invoice\r\n"
           "Message-ID: <att1@example.org>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
           "--b\r\nContent-Type: text/plain\r\n\r\nThe invoice is attached.\r\n"
           "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
           "filename=\"invoice.pdf\"\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQgaW52b2ljZQ==\r\n"
           "--b\r\nContent-Type: text/plain; name=\"notes.txt\"\r\nContent-Disposition: attachment\r\n"
           "Content-Transfer-Encoding: quoted-printable\r\n\r\nna=C3=AFve notes=\r\n\r\n"
           "--b--\r\n";
  }

  std::vector<store::Attachment> attachments_of(const std::string& number) {
    auto u = rt_->store().open_unit(store::Access::kRead);
    EXPECT_TRUE(u);
    auto c = u->cases().find_case_by_number(number);
    EXPECT_TRUE(c && *c);
    auto all = u->cases().attachments_of((*c)->id);
    EXPECT_TRUE(all);
    return all ? *all : std::vector<store::Attachment>{};
  }

  // Regular files under blobs/ (its tmp/ folder aside).
  size_t blob_files() const {
    size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(data_ / "blobs", ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
      if (it->is_regular_file()) ++n;
    return n;
  }
};

TEST_F(AttachmentsKeptTest, AMailsAttachmentsArePackedInTheSpoolAndReadBackWhole) {
  open(false);
  auto o = rt_->ingest().deliver(mail(), Envelope{"lmtp", {"support@corp.example"}, std::nullopt});
  ASSERT_TRUE(o) << o.error().message;
  ASSERT_TRUE(o->case_number);
  auto all = attachments_of(*o->case_number);
  ASSERT_EQ(all.size(), 2u);
  std::map<std::string, std::string> bytes;
  for (const auto& a : all) {
    EXPECT_FALSE(a.blob_location.empty()) << a.filename;
    auto b = spool::read_kept(data_, spool::BlobRef{a.sha256, a.size, a.blob_location});
    ASSERT_TRUE(b) << b.error().message;
    bytes[a.filename] = *b;
  }
  EXPECT_EQ(bytes["invoice.pdf"], "%PDF-1.4 invoice");
  EXPECT_EQ(bytes["notes.txt"], "na\xC3\xAFve notes");
  EXPECT_EQ(blob_files(), 0u);
}

TEST_F(AttachmentsKeptTest, TheOriginalKeptAsAnAttachmentIsTheSpooledMail) {
  open(true);
  auto o = rt_->ingest().deliver(mail(), Envelope{"lmtp", {"support@corp.example"}, std::nullopt});
  ASSERT_TRUE(o) << o.error().message;
  ASSERT_TRUE(o->case_number);
  bool found = false;
  for (const auto& a : attachments_of(*o->case_number)) {
    if (a.content_type != "message/rfc822") continue;
    found = true;
    auto b = spool::read_kept(data_, spool::BlobRef{a.sha256, a.size, a.blob_location});
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(*b, mail());
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(blob_files(), 0u);
}

}  // namespace
}  // namespace mailcase::ingest

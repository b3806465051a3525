// A small mail taken by LMTP (prepare, then deliver_prepared: what the LMTP server and
// serve's delivery socket do) is kept in the store with the commit that records it, not in
// a spool segment. Whoever reads it afterwards gets the same bytes: the raw download, the
// attachment download, the original kept as an attachment, a retry of the held mail.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "api/api_server_test.h"
#include "ingest/blob_reader.h"
#include "ingest/pipeline.h"
#include "spool/blob_store.h"
#include "store/store.h"

namespace mailcase::api::testing {
namespace {

using nlohmann::json;

// Bytes that no text conversion leaves as they are: NUL, CR without LF, bytes past 0x7f.
const char kReportBytes[] = "%PDF-1.4\0\r\xff\xfe report";
const std::string kReport(kReportBytes, sizeof kReportBytes - 1);

std::string base64(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                   static_cast<uint8_t>(in[i + 2]);
    out += {k[(n >> 18) & 63], k[(n >> 12) & 63], k[(n >> 6) & 63], k[n & 63]};
  }
  if (i + 1 == in.size()) {
    const auto n = static_cast<uint8_t>(in[i]) << 16;
    out += {k[(n >> 18) & 63], k[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const auto n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8);
    out += {k[(n >> 18) & 63], k[(n >> 12) & 63], k[(n >> 6) & 63], '='};
  }
  return out;
}

std::string mail_with_report(const std::string& from, const std::string& id) {
  return "From: " + from + "\r\nTo: support@corp.example\r\nSubject: The report " + id + "\r\nMessage-ID: <" +
         id +
         "@customer.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
         "--b\r\nContent-Type: text/plain\r\n\r\nThe report is attached.\r\n"
         "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
         "filename=\"report.pdf\"\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\n" +
         base64(kReport) + "\r\n--b--\r\n";
}

// Bytes in the spool's segments and blob files, whatever their names.
uint64_t spool_bytes(const std::filesystem::path& data) {
  uint64_t total = 0;
  for (const auto* sub : {"spool", "blobs"}) {
    std::error_code ec;
    if (!std::filesystem::exists(data / sub, ec)) continue;
    for (const auto& e : std::filesystem::recursive_directory_iterator(data / sub, ec)) {
      if (e.is_regular_file() && e.path().filename() != "lock") total += e.file_size();
    }
  }
  return total;
}

class KeptBytesTest : public ApiServerTest {
 protected:
  void SetUp() override {
    prepare();
    std::ofstream(data_ / "mailcase.toml")
        << "[outbound]\nfrom_address = \"support@corp.example\"\n[storage]\nkeep_original = true\n";
    // Mail from senders who are no contact yet is held on this address.
    ASSERT_EQ(cli({"address", "add", "support@corp.example", "--unknown-sender", "hold"}).exit_code, 0);
    ASSERT_EQ(cli({"contact", "add", "--name", "Dan", "--email", "dan@customer.example"}).exit_code, 0);
    start();
  }

  // As the LMTP server hands a mail over: prepared on its session's thread, then
  // committed with the others of its group.
  ingest::Outcome take_as_lmtp(const std::string& raw) {
    std::vector<std::unique_ptr<ingest::PreparedMail>> group;
    auto p = rt_->ingest().prepare(raw, ingest::Envelope{"lmtp", {"support@corp.example"}, std::nullopt}, 0);
    EXPECT_TRUE(p) << p.error().message;
    if (!p) return {};
    group.push_back(std::move(*p));
    auto done = rt_->ingest().deliver_prepared(std::move(group));
    EXPECT_EQ(done.size(), 1u);
    EXPECT_TRUE(done[0]) << done[0].error().message;
    return done[0] ? *done[0] : ingest::Outcome{};
  }

  // The attachments of a case by filename: id → bytes downloaded.
  std::map<std::string, std::string> downloads(const std::string& number) {
    std::map<std::string, std::string> out;
    auto detail = call("GET", "/api/v1/cases/" + number, agent_);
    EXPECT_EQ(detail.status, 200) << detail.body;
    const json view = detail.j();
    EXPECT_FALSE(view["attachments"].empty()) << detail.body;
    for (const auto& a : view["attachments"]) {
      auto file = call("GET", "/api/v1/attachments/" + std::to_string(a["id"].get<int64_t>()), agent_);
      EXPECT_EQ(file.status, 200) << file.body;
      out[a["filename"].get<std::string>()] = file.body;
    }
    return out;
  }
};

TEST_F(KeptBytesTest, AMailTakenByLmtpIsKeptWithItsCommitAndReadsBackWhole) {
  const auto before = spool_bytes(data_);
  const std::string raw = mail_with_report("Dan <dan@customer.example>", "k1");
  const auto o = take_as_lmtp(raw);
  ASSERT_EQ(o.kind, ingest::OutcomeKind::kCreated) << o.reason;
  ASSERT_TRUE(o.case_number);
  // Nothing went to the spool: the mail and its attachment are in the store.
  EXPECT_EQ(spool_bytes(data_), before);
  auto row = rt_->store().get_raw(o.message_id);
  ASSERT_TRUE(row && *row);
  EXPECT_TRUE(spool::kept_in_store((*row)->spool_location)) << (*row)->spool_location;

  auto got = call("GET", "/api/v1/messages/" + std::to_string(o.message_id) + "/raw", agent_);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body, raw);
  auto files = downloads(*o.case_number);
  EXPECT_EQ(files["report.pdf"], kReport);
  EXPECT_EQ(files["original-" + std::to_string(o.message_id) + ".eml"], raw);

  // The same bytes again are the same mail, kept once.
  const auto again = take_as_lmtp(raw);
  EXPECT_EQ(again.kind, ingest::OutcomeKind::kDuplicate);
  EXPECT_EQ(again.message_id, o.message_id);
}

TEST_F(KeptBytesTest, AHeldMailKeptInTheStoreIsDownloadedAndRetriedIntoACase) {
  const std::string raw = mail_with_report("Carol <carol@customer.example>", "h1");
  const auto o = take_as_lmtp(raw);
  ASSERT_EQ(o.kind, ingest::OutcomeKind::kHeld) << o.reason;
  auto got = call("GET", "/api/v1/messages/" + std::to_string(o.message_id) + "/raw", agent_);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body, raw);

  auto carol = call("POST", "/api/v1/contacts", agent_,
                    json{{"name", "Carol"}, {"emails", {"carol@customer.example"}}, {"language", "en"}});
  ASSERT_EQ(carol.status, 201) << carol.body;
  auto retried = call("POST", "/api/v1/messages/" + std::to_string(o.message_id) + "/retry", agent_);
  ASSERT_EQ(retried.status, 200) << retried.body;
  ASSERT_TRUE(retried.j()["case"].is_string()) << retried.body;
  auto files = downloads(retried.j()["case"].get<std::string>());
  EXPECT_EQ(files["report.pdf"], kReport);
  EXPECT_EQ(files["original-" + std::to_string(o.message_id) + ".eml"], raw);
}

TEST_F(KeptBytesTest, AMissingRowIsNotFoundNeverAnotherBlob) {
  auto unit = rt_->store().open_unit(store::Access::kRead);
  ASSERT_TRUE(unit);
  auto r =
      ingest::read_blob(unit->raw_messages(), rt_->ingest().raw_spool(), spool::BlobRef{"x", 3, "db:999"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace mailcase::api::testing

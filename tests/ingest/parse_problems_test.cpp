// What reading a mail as MIME read past is on its record (RawMessage::problems): a
// charset that cannot be decoded, a multipart whose boundary never comes. The mail still
// makes its case; its record, the API and the console say what was read past.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ingest/ingest_runtime_test.h"
#include "ingest/pipeline.h"
#include "present/json.h"
#include "store/store.h"

namespace mailcase::ingest {
namespace {

class ParseProblemsTest : public testing::IngestRuntimeTest {
 protected:
  void SetUp() override { open(); }

  store::RawMessage delivered(const std::string& raw) {
    auto o = rt_->ingest().deliver(raw, Envelope{"test", {"support@corp.example"}, std::nullopt});
    EXPECT_TRUE(o) << o.error().message;
    if (!o) return {};
    EXPECT_EQ(o->kind, OutcomeKind::kCreated) << o->reason;
    auto row = rt_->store().get_raw(o->message_id);
    EXPECT_TRUE(row && *row);
    return row && *row ? **row : store::RawMessage{};
  }
};

TEST_F(ParseProblemsTest, WhatTheParseReadPastIsOnTheMailsRecord) {
  const auto charset = delivered(
      "From: Ann <ann@customer.example>\r\nTo: support@corp.example\r\nSubject: Odd charset\r\n"
      "Message-ID: <c1@customer.example>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nCaf\xe9 au lait\r\n");
  EXPECT_EQ(charset.problems, std::vector<std::string>{"cannot decode charset x-no-such-charset"});
  EXPECT_EQ(present::message_json(charset, "")["problems"],
            nlohmann::json::array({"cannot decode charset x-no-such-charset"}));

  const auto boundary = delivered(
      "From: Ann <ann@customer.example>\r\nTo: support@corp.example\r\nSubject: No boundary\r\n"
      "Message-ID: <c2@customer.example>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"never-comes\"\r\n\r\nThe printer is on fire.\r\n");
  ASSERT_EQ(boundary.problems.size(), 1u);
  EXPECT_NE(boundary.problems[0].find("boundary is missing"), std::string::npos) << boundary.problems[0];

  const auto plain = delivered(
      "From: Ann <ann@customer.example>\r\nTo: support@corp.example\r\nSubject: Plain\r\n"
      "Message-ID: <c3@customer.example>\r\n\r\nAll fine.\r\n");
  EXPECT_TRUE(plain.problems.empty());
  EXPECT_EQ(present::message_json(plain, "")["problems"], nlohmann::json::array());
}

TEST_F(ParseProblemsTest, ACharsetNameTheSenderWroteIsOneShortLine) {
  // A quoted parameter may carry line breaks and be long: the record keeps one problem
  // a line, so one name must not become two problems, or a page of text.
  const auto odd = delivered(
      "From: Ann <ann@customer.example>\r\nTo: support@corp.example\r\nSubject: Odd charset\r\n"
      "Message-ID: <c4@customer.example>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=\"x-bad\nSecond: line\r" +
      std::string(500, 'z') + "\"\r\n\r\nCaf\xe9\r\n");
  ASSERT_EQ(odd.problems.size(), 1u);
  EXPECT_EQ(odd.problems[0].find_first_of("\r\n"), std::string::npos) << odd.problems[0];
  EXPECT_EQ(odd.problems[0].rfind("cannot decode charset ", 0), 0u) << odd.problems[0];
  EXPECT_NE(odd.problems[0].find("x-bad"), std::string::npos) << odd.problems[0];
  EXPECT_LT(odd.problems[0].size(), 120u) << odd.problems[0];
}

}  // namespace
}  // namespace mailcase::ingest

#include "spam/verdict.h"

#include <gtest/gtest.h>

#include <string>

namespace mailcase::spam {
namespace {

SpamHeaders none() {
  return {};
}

TEST(SpamHeadersTest, NoFieldsSayNothing) {
  auto v = from_headers(none(), 5.0);
  EXPECT_EQ(v.kind, Kind::kNone);
  EXPECT_STREQ(to_string(v.kind), "");
}

TEST(SpamHeadersTest, SpamFlagYesIsSpamAndNoIsHam) {
  SpamHeaders h;
  h.flag = "YES";
  auto v = from_headers(h, 5.0);
  EXPECT_EQ(v.kind, Kind::kSpam);
  EXPECT_EQ(v.source, "X-Spam-Flag");
  EXPECT_EQ(hold_reason(v), "spam: X-Spam-Flag YES (X-Spam-Flag)");
  h.flag = " no ";
  EXPECT_EQ(from_headers(h, 5.0).kind, Kind::kHam);
  h.flag = "maybe";
  EXPECT_EQ(from_headers(h, 5.0).kind, Kind::kNone);
}

TEST(SpamHeadersTest, SpamStatusYesNoAndScores) {
  SpamHeaders h;
  h.status = "Yes, score=12.3 required=5.0 tests=GTUBE,MISSING_DATE autolearn=no";
  auto v = from_headers(h, 5.0);
  EXPECT_EQ(v.kind, Kind::kSpam);
  ASSERT_TRUE(v.score);
  EXPECT_DOUBLE_EQ(*v.score, 12.3);
  EXPECT_DOUBLE_EQ(*v.threshold, 5.0);
  EXPECT_EQ(hold_reason(v), "spam: score 12.3 ≥ 5 (X-Spam-Status)");

  h.status = "No, score=-0.1 required=5.0 tests=ALL_TRUSTED";
  v = from_headers(h, 5.0);
  EXPECT_EQ(v.kind, Kind::kHam);
  EXPECT_DOUBLE_EQ(*v.score, -0.1);

  // A "No" whose own numbers say spam is spam: a reading only ever adds spam.
  h.status = "No, score=7 required=5";
  EXPECT_EQ(from_headers(h, 5.0).kind, Kind::kSpam);
  // Old SpamAssassin wrote hits=.
  h.status = "Yes, hits=6.5 required=5.0";
  v = from_headers(h, 5.0);
  EXPECT_EQ(v.kind, Kind::kSpam);
  EXPECT_DOUBLE_EQ(*v.score, 6.5);
  // Yes alone.
  h.status = "Yes";
  EXPECT_EQ(from_headers(h, 5.0).kind, Kind::kSpam);
  h.status = "garbage=1";
  EXPECT_EQ(from_headers(h, 5.0).kind, Kind::kNone);
}

TEST(SpamHeadersTest, SpamScoreAgainstTheConfiguredThreshold) {
  SpamHeaders h;
  h.score = "5.0";
  auto v = from_headers(h, 5.0);
  EXPECT_EQ(v.kind, Kind::kSpam);  // at the threshold is spam
  EXPECT_EQ(hold_reason(v), "spam: score 5 ≥ 5 (X-Spam-Score)");
  h.score = "4.99";
  EXPECT_EQ(from_headers(h, 5.0).kind, Kind::kHam);
  EXPECT_EQ(from_headers(h, 4.0).kind, Kind::kSpam);
  h.score = "+7";
  EXPECT_EQ(from_headers(h, 5.0).kind, Kind::kSpam);
  h.score = "-3.5";
  EXPECT_EQ(from_headers(h, 5.0).kind, Kind::kHam);
}

TEST(SpamHeadersTest, OddNumbersAreNotRead) {
  SpamHeaders h;
  for (const char* odd :
       {"nan", "inf", "1e400", "-1e400", "12,3", "", "++5", "5 points", "0x10", "1e", "."}) {
    h.score = odd;
    EXPECT_EQ(from_headers(h, 5.0).kind, Kind::kNone) << odd;
  }
  h.score = std::nullopt;
  h.status = "No, score=nan required=5";
  auto v = from_headers(h, 5.0);
  EXPECT_EQ(v.kind, Kind::kHam);
  EXPECT_FALSE(v.score);
  h.status = "No, score=1e999 required=5";
  EXPECT_EQ(from_headers(h, 5.0).kind, Kind::kHam);
  SpamHeaders r;
  r.spamd_result = "default: False [nan / 15.00]";
  EXPECT_EQ(from_headers(r, 5.0).kind, Kind::kHam);
}

TEST(SpamHeadersTest, RspamdResultAndAction) {
  SpamHeaders h;
  h.spamd_result = "default: True [12.30 / 15.00]; GTUBE(0.00)[]; R_SPF_NA(0.00)[]";
  auto v = from_headers(h, 5.0);
  EXPECT_EQ(v.kind, Kind::kSpam);
  EXPECT_EQ(v.source, "X-Spamd-Result");
  EXPECT_DOUBLE_EQ(*v.score, 12.3);
  EXPECT_DOUBLE_EQ(*v.threshold, 15.0);
  h.spamd_result = "default: False [1.20 / 15.00]; R_DKIM_ALLOW(-0.20)[example.com:s=a]";
  EXPECT_EQ(from_headers(h, 5.0).kind, Kind::kHam);
  h.spamd_result = "default: False [16 / 15]";
  EXPECT_EQ(from_headers(h, 5.0).kind, Kind::kSpam);

  SpamHeaders a;
  for (const char* spam : {"reject", "add header", "Rewrite Subject"}) {
    a.rspamd_action = spam;
    auto av = from_headers(a, 5.0);
    EXPECT_EQ(av.kind, Kind::kSpam) << spam;
    EXPECT_EQ(av.source, "X-Rspamd-Action");
  }
  for (const char* ham : {"no action", "greylist", "soft reject"}) {
    a.rspamd_action = ham;
    EXPECT_EQ(from_headers(a, 5.0).kind, Kind::kHam) << ham;
  }
  a.rspamd_action = "discard everything";
  EXPECT_EQ(from_headers(a, 5.0).kind, Kind::kNone);
  a.rspamd_action = "reject";
  EXPECT_EQ(hold_reason(from_headers(a, 5.0)), "spam: action reject (X-Rspamd-Action)");
}

// The pipeline passes the topmost value of each field (the trusted MTA's). A sender can
// add a field that MTA does not write; such an addition never clears a spam reading.
TEST(SpamHeadersTest, AFieldTheSenderAddedCannotClearTheTrustedOnes) {
  SpamHeaders h;
  h.status = "Yes, score=9.1 required=5.0";  // the trusted MTA's
  h.flag = "NO";                             // the sender's, lying
  h.score = "-100";                          // the sender's, lying
  auto v = from_headers(h, 5.0);
  EXPECT_EQ(v.kind, Kind::kSpam);
  EXPECT_EQ(v.source, "X-Spam-Status");
  EXPECT_DOUBLE_EQ(*v.score, 9.1);

  SpamHeaders r;
  r.rspamd_action = "reject";
  r.spamd_result = "default: False [0 / 15]";  // a lying result under a reject
  EXPECT_EQ(from_headers(r, 5.0).kind, Kind::kSpam);
}

TEST(SpamHeadersTest, OverlongValuesAreNotRead) {
  std::string huge = "Yes, score=9 " + std::string(kMaxHeaderValueBytes, 'x');
  SpamHeaders h;
  h.status = huge;
  EXPECT_EQ(from_headers(h, 5.0).kind, Kind::kNone);
}

TEST(RspamdAnswerTest, RejectAndScores) {
  auto v = from_rspamd(
      R"({"is_skipped":false,"score":1006.5,"required_score":15.0,"action":"reject",)"
      R"("symbols":{"GTUBE":{"name":"GTUBE","score":0.0},"MISSING_DATE":{"name":"MISSING_DATE","score":1.0}}})",
      5.0);
  EXPECT_EQ(v.kind, Kind::kSpam);
  EXPECT_EQ(v.source, "rspamd");
  EXPECT_DOUBLE_EQ(*v.score, 1006.5);
  EXPECT_EQ(hold_reason(v), "spam: score 1006.5 ≥ 5 (rspamd)");
  EXPECT_NE(v.detail.find("MISSING_DATE, GTUBE"), std::string::npos) << v.detail;

  // Its action alone makes spam, below our threshold.
  v = from_rspamd(R"({"score":3.0,"action":"add header"})", 5.0);
  EXPECT_EQ(v.kind, Kind::kSpam);
  EXPECT_EQ(hold_reason(v), "spam: action add header, score 3 (rspamd)");
  // Our threshold alone makes spam, whatever its action.
  v = from_rspamd(R"({"score":6.0,"action":"no action"})", 5.0);
  EXPECT_EQ(v.kind, Kind::kSpam);
  v = from_rspamd(R"({"score":1.5,"action":"no action","symbols":{}})", 5.0);
  EXPECT_EQ(v.kind, Kind::kHam);
  EXPECT_EQ(v.detail, "score 1.5 < 5, action no action");
  v = from_rspamd(R"({"action":"greylist"})", 5.0);
  EXPECT_EQ(v.kind, Kind::kHam);
}

// rspamd 3.4's real answer to GTUBE: it stops early (is_skipped) with action reject.
TEST(RspamdAnswerTest, GtubeStopsEarlyWithReject) {
  auto v = from_rspamd(
      R"({"is_skipped":true,"score":15.0,"required_score":15.0,"action":"reject","symbols":{"GTUBE":{"name":)"
      R"("GTUBE","score":0.0,"metric_score":0.0}},"messages":{"smtp_message":"Gtube pattern"},"message-id":)"
      R"("undef","time_real":0.37})",
      5.0);
  EXPECT_EQ(v.kind, Kind::kSpam);
  EXPECT_EQ(hold_reason(v), "spam: score 15 ≥ 5 (rspamd)");
  EXPECT_NE(v.detail.find("GTUBE"), std::string::npos);
  v = from_rspamd(R"({"is_skipped":true,"score":0.0,"action":"no action"})", 5.0);
  EXPECT_EQ(v.kind, Kind::kUnchecked);
  EXPECT_EQ(v.detail, "rspamd skipped the mail");
}

TEST(RspamdAnswerTest, BadAnswersAreUnchecked) {
  for (const char* bad :
       {"", "not json", "[]", "42", R"({"score":"high"})", R"({"action":"explode"})", R"({"score":1e999})",
        R"({"error":"Message is too big"})", R"({"is_skipped":true})",
        R"({"is_skipped":true,"action":"no action","score":0})", R"({"score":5, "action": )"}) {
    auto v = from_rspamd(bad, 5.0);
    EXPECT_EQ(v.kind, Kind::kUnchecked) << bad;
    EXPECT_EQ(v.source, "rspamd");
    EXPECT_FALSE(v.detail.empty());
    EXPECT_STREQ(to_string(v.kind), "unchecked");
  }
  std::string big = R"({"score":1,"pad":")" + std::string(kMaxRspamdAnswerBytes, 'a') + "\"}";
  EXPECT_EQ(from_rspamd(big, 5.0).kind, Kind::kUnchecked);
}

TEST(RspamdAnswerTest, OddSymbolNamesAreShownSafely) {
  auto v = from_rspamd(R"({"score":9,"action":"reject","symbols":{"A\u001b[31mB":{"score":1e308}}})", 5.0);
  EXPECT_EQ(v.kind, Kind::kSpam);
  EXPECT_EQ(v.detail.find('\x1b'), std::string::npos);
}

TEST(SpamFormatTest, Scores) {
  EXPECT_EQ(format_score(12.3), "12.3");
  EXPECT_EQ(format_score(5.0), "5");
  EXPECT_EQ(format_score(-0.5), "-0.5");
  EXPECT_EQ(format_score(-0.001), "0");
  EXPECT_EQ(format_score(1006.456), "1006.46");
}

TEST(SpamAdmitTest, AnAllowedSenderIsLetThroughOnlyWithAProvenFrom) {
  SpamHeaders h;
  h.flag = "YES";
  const auto v = from_headers(h, 5.0);
  ASSERT_EQ(v.kind, Kind::kSpam);

  const auto through = admit(v, /*sender_allowed=*/true, /*from_proven=*/true);
  EXPECT_FALSE(through.hold);
  EXPECT_EQ(through.reason, "sender allowed");

  const auto forged = admit(v, true, false);
  EXPECT_TRUE(forged.hold);
  EXPECT_EQ(forged.reason, hold_reason(v) + "; the sender is allowed but its From is not proven");

  EXPECT_TRUE(admit(v, false, true).hold);
  EXPECT_EQ(admit(v, false, true).reason, hold_reason(v));
  EXPECT_TRUE(admit(v, false, false).hold);
}

}  // namespace
}  // namespace mailcase::spam

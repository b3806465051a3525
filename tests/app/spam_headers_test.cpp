// The spam check from a trusted MTA's headers, through `mailcase deliver`: honoured only
// on mail whose topmost Authentication-Results is a configured server's; the topmost of
// each spam field counts; spam is held with no case; `message retry --not-spam
// --allow-sender` lets the sender through later, but only with its From proven.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;

class SpamHeaders : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run_mailcase({"--data", data_, "init"}).exit_code, 0);
    std::ofstream(dir_.path() / "data" / "mailcase.toml")
        << "[trust]\nauthserv_ids = [\"mx.corp.example\"]\n";
  }

  nlohmann::json deliver(const std::string& headers, const std::string& id) {
    const std::string raw = headers +
                            "From: Anna <anna@example.org>\r\nTo: support@corp.example\r\nSubject: Offer " +
                            id + "\r\nMessage-ID: <" + id + "@example.org>\r\n\r\nBuy now.\r\n";
    auto r = run_mailcase({"--data", data_, "deliver", "--recipient", "support@corp.example"}, raw);
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << r.out << r.err;
    return j;
  }

  nlohmann::json record(int64_t id) {
    auto list = nlohmann::json::parse(run_mailcase({"--data", data_, "message", "list", "--json"}).out,
                                      nullptr, false);
    for (const auto& m : list)
      if (m["id"] == id) return m;
    return {};
  }

  size_t cases() {
    auto list =
        nlohmann::json::parse(run_mailcase({"--data", data_, "case", "list", "--json"}).out, nullptr, false);
    return list.is_array() ? list.size() : 0;
  }

  testing::TempDir dir_;
  std::string data_;
};

TEST_F(SpamHeaders, ATrustedServersSpamVerdictHoldsTheMail) {
  auto out = deliver(
      "Authentication-Results: mx.corp.example; spf=pass smtp.mailfrom=example.org\r\n"
      "X-Spam-Flag: YES\r\nX-Spam-Status: Yes, score=9.1 required=5.0 tests=BAYES_99\r\n",
      "m1");
  EXPECT_EQ(out["outcome"], "held") << out.dump();
  EXPECT_EQ(out["reason"], "spam: score 9.1 ≥ 5 (X-Spam-Status)") << out.dump();
  auto rec = record(out["message"].get<int64_t>());
  EXPECT_EQ(rec["spam"], "spam");
  EXPECT_DOUBLE_EQ(rec["spam_score"].get<double>(), 9.1);
  EXPECT_EQ(cases(), 0u);
}

TEST_F(SpamHeaders, WithoutATrustedPathTheHeadersAreNotBelieved) {
  // No Authentication-Results of ours: the sender may have written these.
  auto out = deliver("X-Spam-Flag: YES\r\nX-Spamd-Result: default: True [20.00 / 15.00]\r\n", "m2");
  EXPECT_EQ(out["outcome"], "created") << out.dump();
  EXPECT_EQ(record(out["message"].get<int64_t>())["spam"], "");
  // Another server's authserv-id is no trusted path either.
  out = deliver(
      "Authentication-Results: mx.elsewhere.example; spf=pass smtp.mailfrom=example.org\r\n"
      "X-Rspamd-Action: reject\r\n",
      "m3");
  EXPECT_EQ(out["outcome"], "created") << out.dump();
  EXPECT_EQ(cases(), 2u);
}

TEST_F(SpamHeaders, OnlyTheTopmostFieldCounts) {
  // The trusted server's "No" on top; a "Yes" below it changes nothing, nor does
  // anything under a spam verdict on top clear it.
  auto out = deliver(
      "Authentication-Results: mx.corp.example; spf=pass smtp.mailfrom=example.org\r\n"
      "X-Spam-Status: No, score=0.3 required=5.0\r\nX-Spam-Status: Yes, score=50 required=5.0\r\n",
      "m4");
  EXPECT_EQ(out["outcome"], "created") << out.dump();
  EXPECT_EQ(record(out["message"].get<int64_t>())["spam"], "ham");
  out = deliver(
      "Authentication-Results: mx.corp.example; spf=pass smtp.mailfrom=example.org\r\n"
      "X-Rspamd-Action: add header\r\nX-Rspamd-Action: no action\r\nX-Spam-Flag: NO\r\n",
      "m5");
  EXPECT_EQ(out["outcome"], "held") << out.dump();
  EXPECT_EQ(out["reason"], "spam: action add header (X-Rspamd-Action)") << out.dump();
}

TEST_F(SpamHeaders, NotSpamAllowsAProvenSenderOnly) {
  const std::string spam = "X-Spam-Flag: YES\r\n";
  auto held =
      deliver("Authentication-Results: mx.corp.example; spf=pass smtp.mailfrom=example.org\r\n" + spam, "m6");
  ASSERT_EQ(held["outcome"], "held") << held.dump();
  const auto id = std::to_string(held["message"].get<int64_t>());

  auto bad = run_mailcase({"--data", data_, "message", "retry", id, "--allow-sender"});
  EXPECT_NE(bad.exit_code, 0) << "--allow-sender needs --not-spam";
  auto r = run_mailcase({"--data", data_, "message", "retry", id, "--not-spam", "--allow-sender"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out, nullptr, false)["outcome"], "created") << r.out;
  EXPECT_EQ(cases(), 1u);

  // Proven by a trusted DMARC pass: let through, the verdict still recorded.
  auto out = deliver(
      "Authentication-Results: mx.corp.example; dkim=pass header.d=example.org; "
      "dmarc=pass header.from=example.org\r\n" +
          spam,
      "m7");
  EXPECT_EQ(out["outcome"], "created") << out.dump();
  auto rec = record(out["message"].get<int64_t>());
  EXPECT_EQ(rec["spam"], "spam");
  EXPECT_NE(rec["spam_detail"].get<std::string>().find("sender allowed"), std::string::npos) << rec.dump();

  // The same From, forged (DMARC fails, no envelope sender vouching): held.
  out =
      deliver("Authentication-Results: mx.corp.example; dmarc=fail header.from=example.org\r\n" + spam, "m8");
  EXPECT_EQ(out["outcome"], "held") << out.dump();
  EXPECT_EQ(out["reason"],
            "spam: X-Spam-Flag YES (X-Spam-Flag); the sender is allowed but its From is not proven")
      << out.dump();
  EXPECT_EQ(cases(), 2u);
}

// A held mail let through opens its case by the rules, as it would have on arrival, and
// each rule it matched counts the hit.
TEST_F(SpamHeaders, AHeldMailLetThroughCountsItsRulesHits) {
  ASSERT_EQ(run_mailcase({"--data", data_, "rule", "add", "offers", "--if-subject", "offer", "--set-queue",
                          "Sales"})
                .exit_code,
            0);
  auto held = deliver(
      "Authentication-Results: mx.corp.example; spf=pass smtp.mailfrom=example.org\r\nX-Spam-Flag: YES\r\n",
      "m9");
  ASSERT_EQ(held["outcome"], "held") << held.dump();
  auto hits = [&] {
    auto list = nlohmann::json::parse(run_mailcase({"--data", data_, "rule", "list", "--json"}).out, nullptr,
                                      false);
    return list.is_array() && list.size() == 1 ? list[0].value("hits", -1) : -1;
  };
  EXPECT_EQ(hits(), 0);
  auto r = run_mailcase(
      {"--data", data_, "message", "retry", std::to_string(held["message"].get<int64_t>()), "--not-spam"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out, nullptr, false)["outcome"], "created") << r.out;
  EXPECT_EQ(hits(), 1);
}

}  // namespace
}  // namespace mailcase

// The API mail's proof (mail_api/proof.h): the signature header, the body it covers, the
// clock window, and which proof a sender may use.
#include "mail_api/proof.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

namespace mailcase::mail_api {
namespace {

constexpr std::string_view kSecret = "s3cret-s3cret-s3cret";

TEST(MailApiProof, TheSignatureIsHmacSha256OfTimeDotBody) {
  // The value `printf '1700000000.hello\r\n' | openssl dgst -sha256 -hmac key` gives.
  EXPECT_EQ(sign("key", 1700000000, "hello\r\n"),
            "6339ddc9fdbf6bda09f96c81390ee2b341e8b0df80529bdbabed96de69699711");
  const auto hex = sign(kSecret, 1700000000, "body");
  EXPECT_EQ(hex.size(), 64u);
  EXPECT_NE(hex, sign(kSecret, 1700000001, "body"));
  EXPECT_NE(hex, sign(kSecret, 1700000000, "body "));
  EXPECT_NE(hex, sign("other-secret-value", 1700000000, "body"));
}

TEST(MailApiProof, HeaderIsRead) {
  const std::string hex = sign(kSecret, 1700000000, "b");
  auto s = parse_signature("t=1700000000, sig=" + hex);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->t, 1700000000);
  EXPECT_EQ(s->hex, hex);
  s = parse_signature(" sig=" + hex + " ,t = 1700000000 ");
  ASSERT_TRUE(s) << s.error().message;
  std::string upper = hex;
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  s = parse_signature("t=1700000000, sig=" + upper);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->hex, hex) << "the replay key is lower-case whatever was sent";
}

TEST(MailApiProof, MalformedHeadersAreRefused) {
  const std::string hex = sign(kSecret, 1, "b");
  for (const std::string& bad : std::vector<std::string>{
           "", "t=1", "sig=" + hex, "t=x, sig=" + hex, "t=-5, sig=" + hex, "t=1, sig=abc",
           "t=1, sig=" + hex + ", t=2", "t=1, sig=" + hex + ", x=1", "t=1,, sig=" + hex, "t=1 sig=" + hex,
           std::string(600, 'a'), "t=99999999999999999999, sig=" + hex,
           "t=1, sig=" + hex.substr(0, 63) + "g"}) {
    EXPECT_FALSE(parse_signature(bad)) << bad;
  }
}

TEST(MailApiProof, BodyIsTheBytesAfterTheHeaderBlock) {
  EXPECT_EQ(raw_body("A: b\r\nC: d\r\n\r\nbody\r\n\r\nmore"), "body\r\n\r\nmore");
  EXPECT_EQ(raw_body("A: b\nC: d\n\nbody\n"), "body\n");
  EXPECT_EQ(raw_body("A: b\r\n"), "");
  EXPECT_EQ(raw_body("\r\nbody"), "body");
}

TEST(MailApiProof, SignatureIsCheckedAgainstTheClock) {
  const int64_t t = 1700000000;
  auto s = parse_signature("t=" + std::to_string(t) + ", sig=" + sign(kSecret, t, "body"));
  ASSERT_TRUE(s);
  EXPECT_TRUE(check_signature(*s, kSecret, "body", t));
  EXPECT_TRUE(check_signature(*s, kSecret, "body", t + kMaxClockSkew));
  EXPECT_TRUE(check_signature(*s, kSecret, "body", t - kMaxClockSkew));
  auto late = check_signature(*s, kSecret, "body", t + kMaxClockSkew + 1);
  ASSERT_FALSE(late);
  EXPECT_NE(late.error().message.find("seconds from now"), std::string::npos);
  EXPECT_FALSE(check_signature(*s, kSecret, "body", t - 20 * 60));
  auto wrong = check_signature(*s, kSecret, "body!", t);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("does not match"), std::string::npos);
  EXPECT_FALSE(check_signature(*s, "another-secret-xx", "body", t));
}

ProofFacts signed_facts(int64_t now) {
  ProofFacts f;
  f.registered = true;
  f.sender_has_secret = true;
  f.secret = std::string(kSecret);
  f.body = "body";
  f.now = now;
  f.signature_header = "t=" + std::to_string(now) + ", sig=" + sign(kSecret, now, "body");
  return f;
}

TEST(MailApiProof, DecisionNeedsARegisteredSenderAndAProof) {
  auto f = signed_facts(1000);
  auto v = decide_proof(f);
  EXPECT_TRUE(v.proven) << v.reason;
  EXPECT_EQ(v.how, "signature");
  EXPECT_EQ(v.signature_hex.size(), 64u);

  auto stranger = f;
  stranger.registered = false;
  EXPECT_FALSE(decide_proof(stranger).proven);

  auto unreadable = f;
  unreadable.secret.reset();
  unreadable.secret_error = "cannot read";
  v = decide_proof(unreadable);
  EXPECT_FALSE(v.proven);
  EXPECT_NE(v.reason.find("cannot read"), std::string::npos);

  auto none = f;
  none.signature_header.reset();
  v = decide_proof(none);
  EXPECT_FALSE(v.proven);
  EXPECT_NE(v.reason.find("X-Mailcase-Signature"), std::string::npos);

  auto no_secret = f;
  no_secret.sender_has_secret = false;
  EXPECT_FALSE(decide_proof(no_secret).proven);
}

TEST(MailApiProof, DkimProvesOnlyForADkimSenderAndNeverExcusesABadSignature) {
  ProofFacts f;
  f.registered = true;
  f.sender_dkim = true;
  f.dkim_aligned = true;
  auto v = decide_proof(f);
  EXPECT_TRUE(v.proven);
  EXPECT_EQ(v.how, "dkim");
  EXPECT_TRUE(v.signature_hex.empty());

  f.dkim_aligned = false;
  EXPECT_FALSE(decide_proof(f).proven);

  f.dkim_aligned = true;
  f.sender_dkim = false;
  EXPECT_FALSE(decide_proof(f).proven) << "a sender without --dkim yes";

  auto bad = signed_facts(1000);
  bad.sender_dkim = true;
  bad.dkim_aligned = true;
  bad.body = "tampered";
  v = decide_proof(bad);
  EXPECT_FALSE(v.proven);
  EXPECT_NE(v.reason.find("does not match"), std::string::npos);
}

}  // namespace
}  // namespace mailcase::mail_api

// Authentication-Results read (RFC 8601) and the sender's proof drawn from them. Pure.
#include "trust/auth_results.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mailcase::trust {
namespace {

AuthResults parsed(std::string_view value) {
  auto r = parse_auth_results(value);
  EXPECT_TRUE(r.has_value()) << value << ": " << (r ? "" : r.error().message);
  return r ? *r : AuthResults{};
}

// RFC 8601 appendix B.2: nothing was checked.
TEST(AuthResults, NoneResult) {
  const AuthResults a = parsed("example.org 1; none");
  EXPECT_EQ(a.authserv_id, "example.org");
  EXPECT_TRUE(a.results.empty());
  EXPECT_TRUE(parsed("example.org; none").results.empty());
}

// B.3 and B.4: SPF and SMTP AUTH, a comment, several results in one field.
TEST(AuthResults, SpfAndAuthExamples) {
  const AuthResults a = parsed("example.com;\r\n          spf=pass smtp.mailfrom=example.net");
  ASSERT_EQ(a.results.size(), 1u);
  EXPECT_EQ(a.results[0].method, "spf");
  EXPECT_EQ(a.results[0].result, "pass");
  ASSERT_NE(a.results[0].property("smtp.mailfrom"), nullptr);
  EXPECT_EQ(*a.results[0].property("smtp.mailfrom"), "example.net");

  const AuthResults b = parsed(
      "example.com;\r\n          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
      "          spf=pass smtp.mailfrom=example.net");
  ASSERT_EQ(b.results.size(), 2u);
  EXPECT_EQ(b.results[0].method, "auth");
  EXPECT_EQ(*b.results[0].property("smtp.auth"), "sender@example.net");
  EXPECT_EQ(b.results[1].method, "spf");

  const AuthResults c = parsed("example.com; iprev=pass\r\n          policy.iprev=192.0.2.200");
  ASSERT_EQ(c.results.size(), 1u);
  EXPECT_EQ(*c.results[0].property("policy.iprev"), "192.0.2.200");
}

// B.6: reason= as a quoted string; header.i with an empty local part.
TEST(AuthResults, ReasonAndQuotedStrings) {
  const AuthResults a = parsed(
      "example.com;\r\n          dkim=pass reason=\"good signature\"\r\n"
      "            header.i=@mail-router.example.net;\r\n          dkim=fail reason=\"bad signature\"\r\n"
      "            header.i=@newyork.example.com");
  ASSERT_EQ(a.results.size(), 2u);
  EXPECT_EQ(a.results[0].reason, "good signature");
  EXPECT_EQ(*a.results[0].property("header.i"), "@mail-router.example.net");
  EXPECT_EQ(a.results[1].result, "fail");
  EXPECT_EQ(a.results[1].reason, "bad signature");
  // A quoted string with an escaped quote, and a quoted local part.
  const AuthResults b = parsed(R"(mx.example; auth=pass smtp.auth="a \"b\" c"@example.com)");
  EXPECT_EQ(*b.results[0].property("smtp.auth"), "a \"b\" c@example.com");
  // A quoted authserv-id.
  EXPECT_EQ(parsed("\"mx.example.com\"; spf=none").authserv_id, "mx.example.com");
}

// B.7: two signatures, one good and one bad, of the same domain.
TEST(AuthResults, SeveralDkimSignatures) {
  const AuthResults a = parsed(
      "mail-router.example.net;\r\n  dkim=pass (good signature) header.d=newyork.example.com\r\n"
      "        header.b=oINEO8hg;\r\n  dkim=fail (bad signature) header.d=newyork.example.com\r\n"
      "        header.b=EToRSuvU");
  ASSERT_EQ(a.results.size(), 2u);
  EXPECT_EQ(*a.results[0].property("header.b"), "oINEO8hg");
  EXPECT_EQ(a.results[1].result, "fail");
}

TEST(AuthResults, CommentsVersionsAndCase) {
  const AuthResults a = parsed(
      "(first) MX.Example.COM (the (nested) one) 1 (v); (c) DKIM/1 (x) = (y) PASS (z) "
      "Header (h) . (d) D (e) = (f) Example.COM (g); DMARC=Fail header.From=example.com");
  EXPECT_EQ(a.authserv_id, "MX.Example.COM");
  ASSERT_EQ(a.results.size(), 2u);
  EXPECT_EQ(a.results[0].method, "dkim");
  EXPECT_EQ(a.results[0].result, "pass");
  ASSERT_NE(a.results[0].property("header.d"), nullptr);
  EXPECT_EQ(*a.results[0].property("header.d"), "Example.COM");  // the value as written
  EXPECT_EQ(a.results[1].method, "dmarc");
  EXPECT_EQ(a.results[1].result, "fail");
  EXPECT_EQ(a.results[0].property("header.s"), nullptr);
}

// What large providers write: properties without a ptype, base64 and IPv6 values, a
// trailing ';'.
TEST(AuthResults, RealWorldLeniency) {
  // Without an authserv-id (as one large provider writes it) a field is unreadable:
  // no configured id could match it anyway.
  EXPECT_FALSE(
      parse_auth_results(
          "spf=pass (sender IP is 2001:db8::1) smtp.mailfrom=example.com; dkim=pass (signature was "
          "verified) header.d=example.com;dmarc=pass action=none header.from=example.com;compauth=pass "
          "reason=100;")
          .has_value());
  const AuthResults b = parsed(
      "mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=s1 header.b=Ab+/cd=;\r\n"
      "       spf=pass (google.com: domain of a@example.com designates 2001:db8::1 as permitted sender) "
      "smtp.mailfrom=a@example.com;\r\n       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com;");
  ASSERT_EQ(b.results.size(), 3u);
  EXPECT_EQ(*b.results[0].property("header.b"), "Ab+/cd=");
  EXPECT_EQ(*b.results[1].property("smtp.mailfrom"), "a@example.com");
  const AuthResults c = parsed("outlook.example; dmarc=pass action=none header.from=example.com");
  ASSERT_NE(c.results[0].property("action"), nullptr);
  EXPECT_EQ(*c.results[0].property("header.from"), "example.com");
  // An id with nothing after it proves nothing, but is read.
  EXPECT_TRUE(parsed("mx.example.com").results.empty());
}

TEST(AuthResults, GarbageIsRefusedWithAReason) {
  for (std::string_view bad :
       {"", "   ", "(only a comment)", "; spf=pass", "mx.example; =pass", "mx.example; spf",
        "mx.example; spf=", "mx.example; spf pass", "mx.example; spf=pass (unclosed",
        "mx.example; spf=pass smtp.mailfrom=\"x", "mx.example; spf=pass smtp.=x",
        "mx.example; spf=pass .mailfrom=x", "mx.example; spf=pass smtp.mailfrom", "mx.example junk; spf=pass",
        "mx.example; dkim/=pass", "mx.example; spf=pass \x01"}) {
    auto r = parse_auth_results(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
    EXPECT_NE(r.error().message.find("Authentication-Results"), std::string::npos) << r.error().message;
  }
  // Every byte value, one at a time, in every place: never a crash.
  for (int b = 0; b < 256; ++b) {
    const std::string c(1, static_cast<char>(b));
    (void)parse_auth_results(c + "mx" + c + "; spf" + c + "=pass" + c + " a.b" + c + "=" + c);
  }
}

TEST(AuthResults, Bounds) {
  std::string many = "mx.example";
  for (size_t i = 0; i < kMaxResinfos; ++i) many += "; spf=pass";
  EXPECT_EQ(parsed(many).results.size(), kMaxResinfos);
  many += "; spf=pass";
  auto r = parse_auth_results(many);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("more than 100"), std::string::npos);

  std::string longer = "mx.example; spf=pass smtp.mailfrom=" + std::string(kMaxAuthResultsBytes, 'a');
  EXPECT_FALSE(parse_auth_results(longer).has_value());
  // Deeply nested comments cost no stack.
  std::string nested = "mx.example; " + std::string(20000, '(') + std::string(20000, ')') + " spf=pass";
  EXPECT_EQ(parsed(nested).results.size(), 1u);
}

const std::vector<std::string> kTrusted = {"mx.corp.example"};

TEST(SenderProof, NothingBelievedWithoutTrustedIds) {
  const std::vector<std::string_view> h = {"mx.corp.example; dmarc=pass header.from=example.com"};
  EXPECT_FALSE(sender_proof(h, {}).trusted());
  EXPECT_FALSE(sender_proof(h, {"other.example"}).trusted());
  EXPECT_FALSE(sender_proof({}, kTrusted).trusted());
  const SenderProof p = sender_proof(h, {"MX.Corp.Example"});
  EXPECT_EQ(p.authserv_id, "mx.corp.example");
  EXPECT_EQ(p.dmarc, "pass");
  EXPECT_EQ(p.dmarc_from, "example.com");
}

TEST(SenderProof, TopmostTrustedHeaderWins) {
  // An untrusted header above (a later hop's, e.g. a forwarder's) is skipped; a forged
  // one below, written before the mail reached the trusted server, is ignored.
  const std::vector<std::string_view> h = {
      "forwarder.example; dmarc=pass header.from=example.com",
      "mx.corp.example; dkim=fail header.d=example.com; spf=softfail smtp.mailfrom=bad@example.com; "
      "dmarc=fail header.from=example.com",
      "mx.corp.example; dkim=pass header.d=example.com; spf=pass; dmarc=pass header.from=example.com",
  };
  const SenderProof p = sender_proof(h, kTrusted);
  EXPECT_EQ(p.authserv_id, "mx.corp.example");
  EXPECT_EQ(p.dkim, "fail");
  EXPECT_EQ(p.spf, "softfail");
  EXPECT_EQ(p.spf_mailfrom, "bad@example.com");
  EXPECT_EQ(p.dmarc, "fail");
  EXPECT_TRUE(p.dkim_pass_domains.empty());
  EXPECT_FALSE(from_verified(p, "a@example.com"));
}

TEST(SenderProof, UnreadableTrustedHeaderProvesNothingButIsKnown) {
  const std::vector<std::string_view> h = {"mx.corp.example; dmarc=pass (unclosed",
                                           "mx.corp.example; dmarc=pass header.from=example.com"};
  const SenderProof p = sender_proof(h, kTrusted);
  EXPECT_TRUE(p.trusted());
  EXPECT_EQ(p.dmarc, "");
  EXPECT_FALSE(from_verified(p, "a@example.com"));
  // An unreadable untrusted one above is skipped.
  const std::vector<std::string_view> h2 = {
      "(((", "other; ;; =", "mx.corp.example; dmarc=pass header.from=example.com"};
  EXPECT_EQ(sender_proof(h2, kTrusted).dmarc, "pass");
}

TEST(SenderProof, DkimPassWinsAndEverySignatureCounts) {
  const std::vector<std::string_view> h = {
      "mx.corp.example; dkim=fail header.d=example.com; dkim=pass header.d=ESP.example.net; "
      "dkim=pass header.d=example.com.; dkim=pass header.i=@sub.example.org; dkim=pass "
      "header.d=esp.example.net; "
      "spf=pass smtp.mailfrom=esp.example.net; spf=fail; dmarc=none; dmarc=pass header.from=example.com"};
  const SenderProof p = sender_proof(h, kTrusted);
  EXPECT_EQ(p.dkim, "pass");
  EXPECT_EQ(p.dkim_pass_domains,
            (std::vector<std::string>{"esp.example.net", "example.com", "sub.example.org"}));
  EXPECT_EQ(p.spf, "pass");    // the first spf counts
  EXPECT_EQ(p.dmarc, "none");  // the first dmarc counts
  EXPECT_EQ(p.dmarc_from, "");
  EXPECT_TRUE(from_verified(p, "a@example.com"));
  EXPECT_TRUE(from_verified(p, "b@sub.example.org"));
  EXPECT_FALSE(from_verified(p, "c@example.org.evil"));
}

TEST(FromVerified, DmarcPassForTheFromDomain) {
  SenderProof p;
  p.authserv_id = "mx.corp.example";
  p.dmarc = "pass";
  p.dmarc_from = "example.com";
  EXPECT_TRUE(from_verified(p, "Anna <anna@Example.COM>"));
  EXPECT_TRUE(from_verified(p, "anna@example.com"));
  EXPECT_FALSE(from_verified(p, "anna@other.example"));
  EXPECT_FALSE(from_verified(p, "anna"));
  EXPECT_FALSE(from_verified(p, ""));
  p.dmarc = "fail";
  EXPECT_FALSE(from_verified(p, "anna@example.com"));
  // A proof not from a believed header vouches for nothing.
  SenderProof untrusted;
  untrusted.dmarc = "pass";
  untrusted.dmarc_from = "example.com";
  untrusted.dkim_pass_domains = {"example.com"};
  EXPECT_FALSE(from_verified(untrusted, "anna@example.com"));
}

TEST(FromVerified, DkimAlignment) {
  SenderProof p;
  p.authserv_id = "mx.corp.example";
  p.dkim = "pass";
  p.dkim_pass_domains = {"example.com"};
  EXPECT_TRUE(from_verified(p, "a@example.com"));
  EXPECT_TRUE(from_verified(p, "a@mail.example.com"));   // From a subdomain of d=
  EXPECT_FALSE(from_verified(p, "a@evil-example.com"));  // lookalikes do not align
  EXPECT_FALSE(from_verified(p, "a@example.com.evil.net"));
  EXPECT_FALSE(from_verified(p, "a@notexample.com"));
  EXPECT_FALSE(from_verified(p, "a@example.co"));
  p.dkim_pass_domains = {"mail.example.com"};
  EXPECT_TRUE(from_verified(p, "a@example.com"));  // d= a subdomain of From
  EXPECT_FALSE(from_verified(p, "a@ail.example.com"));
  p.dkim_pass_domains = {"com"};  // a bare top-level domain vouches for nothing
  EXPECT_FALSE(from_verified(p, "a@example.com"));
  // SPF alone proves the envelope sender, not From.
  SenderProof s;
  s.authserv_id = "mx.corp.example";
  s.spf = "pass";
  s.spf_mailfrom = "example.com";
  EXPECT_FALSE(from_verified(s, "a@example.com"));
}

TEST(FromContradicted, WhatATrustedVerdictSaysAgainstTheFrom) {
  auto proof = [](std::string_view value) {
    const std::vector<std::string_view> h = {value};
    return sender_proof(h, kTrusted);
  };
  const SenderProof pass = proof("mx.corp.example; dmarc=pass header.from=Example.COM.");
  EXPECT_EQ(from_contradicted(pass, "a@example.com", true), "");
  EXPECT_EQ(from_contradicted(pass, "a@EXAMPLE.com", true), "") << "letter case is no contradiction";
  EXPECT_EQ(from_contradicted(pass, "a@other.example", true),
            "the trusted DMARC result is for example.com, not for the From domain other.example");
  EXPECT_EQ(from_contradicted(pass, "a@example.com", false),
            "the mail has no From line, which DMARC would have checked");
  EXPECT_EQ(
      from_contradicted(proof("mx.corp.example; dmarc=fail header.from=example.com"), "a@example.com", true),
      "DMARC failed for the From domain example.com");
  // A server that checked no DMARC at all contradicts nothing of a mail with a From.
  EXPECT_EQ(
      from_contradicted(proof("mx.corp.example; spf=pass smtp.mailfrom=example.com"), "a@x.example", true),
      "");
  // No believed header: nothing is said, even of a mail without a From line.
  EXPECT_EQ(from_contradicted(SenderProof{}, "a@example.com", false), "");
}

TEST(TrustedIds, ConfiguredThenAddressThenMailboxEachOnce) {
  EXPECT_EQ(trusted_ids({"mx.corp.example", ""}, {"MX.corp.example", "imap.provider.example"},
                        {"imap.provider.example", "mx.mailbox.example"}),
            (std::vector<std::string>{"mx.corp.example", "imap.provider.example", "mx.mailbox.example"}));
  EXPECT_TRUE(trusted_ids({}, {}, {}).empty());
}

TEST(ValidAuthservId, HostNamesOnly) {
  for (std::string_view ok : {"mx.corp.example", "MX2.Corp.Example", "mx-1_a.example", "localhost"})
    EXPECT_TRUE(valid_authserv_id(ok)) << ok;
  for (std::string_view bad : {"", "mx corp", "mx;corp", "mx(corp)", "\"mx\"", "mx,corp", "mx\\corp",
                               "mx\tcorp", "mx\x7f", "m\xc3\xa9x"})
    EXPECT_FALSE(valid_authserv_id(bad)) << bad;
  EXPECT_TRUE(valid_authserv_id(std::string(255, 'a')));
  EXPECT_FALSE(valid_authserv_id(std::string(256, 'a')));
}

}  // namespace
}  // namespace mailcase::trust

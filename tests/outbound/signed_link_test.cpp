// What a signed link lets its holder do: the action is part of what is signed, and
// tokens made before that (already in customers' mailboxes) keep working for what they
// were sent for.
#include "outbound/signed_link.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <cstring>
#include <vector>

namespace mailcase::outbound {
namespace {

using Check = LinkSigner::Check;

const std::string kKey(32, 'k');

// A token as the previous release made it: HMAC-SHA-256 over case id and expiry
// (8 bytes each, big-endian), URL-safe base64 without padding.
std::string old_format_token(const std::string& key, int64_t case_id, int64_t expires_at) {
  std::array<unsigned char, 16 + crypto_auth_hmacsha256_BYTES> buf{};
  auto put = [&](unsigned char* p, int64_t v) {
    auto u = static_cast<uint64_t>(v);
    for (int i = 7; i >= 0; --i, u >>= 8) p[i] = static_cast<unsigned char>(u & 0xff);
  };
  put(buf.data(), case_id);
  put(buf.data() + 8, expires_at);
  crypto_auth_hmacsha256(buf.data() + 16, buf.data(), 16, reinterpret_cast<const unsigned char*>(key.data()));
  std::string out(sodium_base64_encoded_len(buf.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), buf.data(), buf.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

TEST(LinkGrants, EachActionAllowsItselfAndShowingTheCase) {
  const auto view = grants_of(LinkAction::kView);
  EXPECT_TRUE(allows(view, LinkAction::kView));
  EXPECT_FALSE(allows(view, LinkAction::kAccept));
  EXPECT_FALSE(allows(view, LinkAction::kReject));
  EXPECT_FALSE(allows(view, LinkAction::kSurvey));

  const auto reject = grants_of(LinkAction::kReject);
  EXPECT_TRUE(allows(reject, LinkAction::kView));
  EXPECT_TRUE(allows(reject, LinkAction::kReject));
  EXPECT_FALSE(allows(reject, LinkAction::kAccept));
  EXPECT_FALSE(allows(reject, LinkAction::kSurvey));

  const auto survey = grants_of(LinkAction::kSurvey);
  EXPECT_TRUE(allows(survey, LinkAction::kSurvey));
  EXPECT_FALSE(allows(survey, LinkAction::kAccept));
  EXPECT_FALSE(allows(survey, LinkAction::kReject));
}

TEST(LinkGrants, AcceptingLeadsToTheSurveyButNotToRejecting) {
  const auto accept = grants_of(LinkAction::kAccept);
  EXPECT_TRUE(allows(accept, LinkAction::kAccept));
  EXPECT_TRUE(allows(accept, LinkAction::kSurvey));
  EXPECT_FALSE(allows(accept, LinkAction::kReject));
}

TEST(LinkGrants, OldTokensDoWhatTheirMailWasSentFor) {
  for (const char* kind : {"confirmation", "comment", "closed"}) {
    const auto g = legacy_grants({kind});
    EXPECT_EQ(g, grant(LinkAction::kView)) << kind;
  }
  const auto solution = legacy_grants({"solution"});
  EXPECT_TRUE(allows(solution, LinkAction::kAccept));
  EXPECT_TRUE(allows(solution, LinkAction::kReject));
  EXPECT_TRUE(allows(solution, LinkAction::kSurvey));  // as a new accept link does
  const auto survey = legacy_grants({"survey"});
  EXPECT_TRUE(allows(survey, LinkAction::kSurvey));
  EXPECT_FALSE(allows(survey, LinkAction::kAccept));
  // Closing sent "closed" and "survey" in the same second, with the same token.
  const auto both = legacy_grants({"closed", "survey"});
  EXPECT_TRUE(allows(both, LinkAction::kSurvey));
  EXPECT_FALSE(allows(both, LinkAction::kReject));
  // Found in no mail we keep: it can only show the case.
  EXPECT_EQ(legacy_grants({}), grant(LinkAction::kView));
}

TEST(SignedLink, TheActionIsSignedAndCannotBeChanged) {
  LinkSigner s(kKey);
  for (auto a : {LinkAction::kView, LinkAction::kAccept, LinkAction::kReject, LinkAction::kSurvey}) {
    auto v = s.verify(s.sign(7, 5000, a), 7, 100);
    EXPECT_EQ(v.check, Check::kValid);
    ASSERT_TRUE(v.action.has_value());
    EXPECT_EQ(*v.action, a);
    EXPECT_EQ(v.expires_at, 5000);
  }
  // Flip the action byte of a view token to "accept": the signature no longer holds.
  auto t = s.sign(7, 5000, LinkAction::kView);
  std::array<unsigned char, 64> raw{};
  size_t len = 0;
  ASSERT_EQ(sodium_base642bin(raw.data(), raw.size(), t.data(), t.size(), nullptr, &len, nullptr,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING),
            0);
  raw[1] = static_cast<unsigned char>(LinkAction::kAccept);
  std::string forged(sodium_base64_encoded_len(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(forged.data(), forged.size(), raw.data(), len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  forged.resize(std::strlen(forged.c_str()));
  EXPECT_EQ(s.verify(forged, 7, 100).check, Check::kBadSignature);
}

// The raw bytes of a token, and a token from raw bytes.
std::vector<unsigned char> token_bytes(const std::string& t) {
  std::vector<unsigned char> raw(t.size());
  size_t len = 0;
  EXPECT_EQ(sodium_base642bin(raw.data(), raw.size(), t.data(), t.size(), nullptr, &len, nullptr,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING),
            0);
  raw.resize(len);
  return raw;
}
std::string token_of(const std::vector<unsigned char>& raw) {
  std::string out(sodium_base64_encoded_len(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), raw.data(), raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

TEST(SignedLink, AcceptAndRejectTokensNameTheirProposal) {
  LinkSigner s(kKey);
  for (auto a : {LinkAction::kAccept, LinkAction::kReject}) {
    auto v = s.verify(s.sign(7, 5000, a, 41), 7, 100);
    ASSERT_EQ(v.check, Check::kValid);
    EXPECT_EQ(v.action, a);
    EXPECT_EQ(v.proposal, 41);
    EXPECT_NE(s.sign(7, 5000, a, 41), s.sign(7, 5000, a, 42));
  }
  // View and survey tokens name none, and are made as before.
  for (auto a : {LinkAction::kView, LinkAction::kSurvey}) {
    auto v = s.verify(s.sign(7, 5000, a, 41), 7, 100);
    ASSERT_EQ(v.check, Check::kValid);
    EXPECT_FALSE(v.proposal.has_value());
    EXPECT_EQ(s.sign(7, 5000, a, 41), s.sign(7, 5000, a));
  }
  // The proposal is signed: an accept token of proposal 41 cannot be made one of 42.
  auto raw = token_bytes(s.sign(7, 5000, LinkAction::kAccept, 41));
  ASSERT_EQ(raw.size(), 26u + crypto_auth_hmacsha256_BYTES);
  raw[25] = 42;
  EXPECT_EQ(s.verify(token_of(raw), 7, 100).check, Check::kBadSignature);
}

TEST(SignedLink, AcceptTokensMadeBeforeTheyNamedAProposalStillVerifyWithoutOne) {
  // Version 2 (version, action, case, expiry), as accept and reject links were mailed.
  std::vector<unsigned char> raw(18 + crypto_auth_hmacsha256_BYTES);
  raw[0] = 2;
  raw[1] = static_cast<unsigned char>(LinkAction::kAccept);
  raw[9] = 7;           // case 7, big-endian
  raw[16] = 5000 >> 8;  // expiry 5000
  raw[17] = 5000 & 0xff;
  crypto_auth_hmacsha256(raw.data() + 18, raw.data(), 18,
                         reinterpret_cast<const unsigned char*>(kKey.data()));
  LinkSigner s(kKey);
  auto v = s.verify(token_of(raw), 7, 100);
  ASSERT_EQ(v.check, Check::kValid);
  EXPECT_EQ(v.action, LinkAction::kAccept);
  EXPECT_FALSE(v.proposal.has_value());
  EXPECT_EQ(v.expires_at, 5000);
}

TEST(SignedLink, OldFormatTokensStillOpenTheirCaseWithoutAnAction) {
  LinkSigner s(kKey);
  auto old = old_format_token(kKey, 7, 5000);
  auto v = s.verify(old, 7, 100);
  EXPECT_EQ(v.check, Check::kValid);
  EXPECT_FALSE(v.action.has_value());
  EXPECT_EQ(v.expires_at, 5000);
  EXPECT_EQ(s.verify(old, 8, 100).check, Check::kOtherCase);
  EXPECT_EQ(s.verify(old, 7, 5001).check, Check::kExpired);
  EXPECT_EQ(s.verify(old_format_token(std::string(32, 'x'), 7, 5000), 7, 100).check, Check::kBadSignature);
}

TEST(SignedLink, ActionNamesRoundTrip) {
  for (auto a : {LinkAction::kView, LinkAction::kAccept, LinkAction::kReject, LinkAction::kSurvey})
    EXPECT_EQ(link_action_from_string(to_string(a)), a);
  EXPECT_FALSE(link_action_from_string("close").has_value());
  EXPECT_FALSE(link_action_from_string("").has_value());
}

}  // namespace
}  // namespace mailcase::outbound

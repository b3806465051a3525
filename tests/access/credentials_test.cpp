// Agents' credentials, pure: tokens, their digests, passwords, the Bearer header.
#include "access/credentials.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace mailcase::access {
namespace {

TEST(ApiTokens, AreLongRandomPrefixedAndValidBearerTokens) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto t = new_api_token();
    EXPECT_EQ(t.rfind("mct_", 0), 0u) << t;
    EXPECT_EQ(t.size(), 4u + 43u) << t;  // 32 bytes in base64url without padding
    auto parsed = parse_bearer("Bearer " + t);
    ASSERT_TRUE(parsed) << t << ": " << parsed.error().message;
    EXPECT_EQ(*parsed, t);
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(TokenDigests, AreSha256HexAndComparedByValue) {
  // SHA-256("abc"), FIPS 180-2's first example.
  EXPECT_EQ(token_digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto t = new_api_token();
  EXPECT_EQ(token_digest(t).size(), 64u);
  EXPECT_EQ(token_digest(t), token_digest(std::string(t)));
  EXPECT_NE(token_digest(t), token_digest(new_api_token()));

  EXPECT_TRUE(digests_equal(token_digest(t), token_digest(t)));
  EXPECT_FALSE(digests_equal(token_digest(t), token_digest("other")));
  std::string one_off = token_digest(t);
  one_off.back() = one_off.back() == '0' ? '1' : '0';
  EXPECT_FALSE(digests_equal(token_digest(t), one_off));
  EXPECT_FALSE(digests_equal(token_digest(t), token_digest(t).substr(0, 63)));
  EXPECT_FALSE(digests_equal("", token_digest(t)));
}

TEST(Passwords, AHashVerifiesItsPasswordOnly) {
  auto h = hash_password("correct horse battery");
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u) << *h;
  EXPECT_TRUE(verify_password(*h, "correct horse battery"));
  EXPECT_FALSE(verify_password(*h, "correct horse batterY"));
  EXPECT_FALSE(verify_password(*h, ""));
  EXPECT_FALSE(verify_password(*h, std::string(2000, 'x')));
  // Salted: the same password hashes differently each time.
  auto again = hash_password("correct horse battery");
  ASSERT_TRUE(again);
  EXPECT_NE(*again, *h);
  EXPECT_TRUE(verify_password(*again, "correct horse battery"));
}

TEST(Passwords, AMalformedOrEmptyHashVerifiesNothing) {
  EXPECT_FALSE(verify_password("", "whatever it is"));
  EXPECT_FALSE(verify_password("$argon2id$v=19$garbage", "whatever it is"));
  EXPECT_FALSE(verify_password(std::string(500, '$'), "whatever it is"));
}

TEST(Passwords, TheRulesRefuseEmptyShortAndOverlongOnes) {
  for (const auto& [password, why] : std::initializer_list<std::pair<std::string, std::string>>{
           {"", "empty"},
           {"short12", "shorter than 8 characters"},
           {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
            "shorter than 8 characters"},  // 7 é, 14 bytes
           {std::string(1025, 'p'), "longer than 1024 bytes"}}) {
    auto h = hash_password(password);
    ASSERT_FALSE(h) << password.size();
    EXPECT_EQ(h.error().code, ErrorCode::kInvalidInput);
    EXPECT_NE(h.error().message.find(why), std::string::npos) << h.error().message;
    EXPECT_EQ(password_problem(password), h.error().message);
  }
  EXPECT_EQ(password_problem("eight ch"), "");
  EXPECT_EQ(password_problem(std::string(1024, 'p')), "");
  EXPECT_EQ(password_problem("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"), "");  // 8 é
}

TEST(BearerHeaders, TheSchemeIsAnyCaseWithOneSpaceBeforeTheToken) {
  for (const char* h : {"Bearer mct_abc", "bearer mct_abc", "BEARER mct_abc", "bEaReR mct_abc"}) {
    auto t = parse_bearer(h);
    ASSERT_TRUE(t) << h << ": " << t.error().message;
    EXPECT_EQ(*t, "mct_abc");
  }
  auto padded = parse_bearer("Bearer a.b-c_d~e+f/g==");
  ASSERT_TRUE(padded);
  EXPECT_EQ(*padded, "a.b-c_d~e+f/g==");
  EXPECT_TRUE(parse_bearer("Bearer " + std::string(kMaxTokenLength, 'a')));
}

TEST(BearerHeaders, AnythingElseIsInvalidInputThatDoesNotRepeatTheHeader) {
  for (const std::string& h : std::vector<std::string>{
           "", "Bearer", "Bearer ", "Bearer  mct_abc", "Bearermct_abc", "Bearer\tmct_abc",
           "Basic dXNlcjpwdw==", "Token mct_abc", " Bearer mct_abc", "Bearer mct_abc ", "Bearer mct abc",
           "Bearer mct_abc,x", "Bearer mct_\"abc\"", "Bearer mct_abc\r\nX-Evil: 1",
           "Bearer ==", "Bearer mct_=abc", "Bearer mct_\xc3\xa9", std::string("Bearer mct_\0abc", 15),
           "Bearer " + std::string(kMaxTokenLength + 1, 'a')}) {
    auto t = parse_bearer(h);
    ASSERT_FALSE(t) << h;
    EXPECT_EQ(t.error().code, ErrorCode::kInvalidInput) << h;
    EXPECT_EQ(t.error().message.find("mct_"), std::string::npos) << t.error().message;
  }
}

}  // namespace
}  // namespace mailcase::access

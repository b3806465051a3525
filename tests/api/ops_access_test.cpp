// Who may read /metrics (api/ops_access.h): the pure rule, for every form of address the
// HTTP server may report.
#include "api/ops_access.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mailcase::api {
namespace {

TEST(MetricsAccessTest, AScraperOnThisMachineNeedsNoToken) {
  for (const char* peer : {"127.0.0.1", "127.1.2.3", "127.255.255.254", "::1", "0:0:0:0:0:0:0:1",
                           "::ffff:127.0.0.1", "::FFFF:127.0.0.2"})
    EXPECT_EQ(metrics_access(peer, false), MetricsAccess::kOpen) << peer;
}

TEST(MetricsAccessTest, AnyoneElseNeedsAToken) {
  for (const char* peer : {"10.0.0.1", "192.168.1.127", "128.0.0.1", "126.255.255.255", "::2", "fe80::1",
                           "::ffff:10.0.0.1", "::127.0.0.1", "2001:db8::127"})
    EXPECT_EQ(metrics_access(peer, false), MetricsAccess::kNeedsToken) << peer;
}

// What does not parse as one address is never taken for loopback, however it starts.
TEST(MetricsAccessTest, WhatIsNoAddressNeedsAToken) {
  for (const char* peer : {"", "localhost", "127.", "127.0.0.1.evil", "1270.0.0.1", "127.0.0.1 ", " ::1",
                           "::1%lo", "::ffff:127.", "127.0.0.1:8080"})
    EXPECT_EQ(metrics_access(peer, false), MetricsAccess::kNeedsToken) << "'" << peer << "'";
}

// With http.metrics_token set, a token is needed from everywhere: a reverse proxy on
// this machine reaches /metrics from loopback for whoever it serves.
TEST(MetricsAccessTest, WithAMetricsTokenEveryoneNeedsAToken) {
  for (const char* peer : {"127.0.0.1", "::1", "::ffff:127.0.0.1", "10.0.0.1", ""})
    EXPECT_EQ(metrics_access(peer, true), MetricsAccess::kNeedsToken) << peer;
}

TEST(MetricsAccessTest, OnlyTheMetricsTokenItselfIsTheMetricsToken) {
  const std::string token = "0123456789abcdef0123456789abcdef";
  EXPECT_TRUE(is_metrics_token("Bearer " + token, token));
  EXPECT_TRUE(is_metrics_token("bearer " + token, token));
  for (const std::string& header :
       std::vector<std::string>{std::string(), "Bearer", "Bearer ", "Bearer " + token + "0",
                                "Bearer " + token.substr(1), "Bearer  " + token, "Basic " + token, token,
                                "Bearer 0123456789ABCDEF0123456789abcdef", "Bearer " + token + " "})
    EXPECT_FALSE(is_metrics_token(header, token)) << "'" << header << "'";
  EXPECT_FALSE(is_metrics_token("Bearer ", ""));
  EXPECT_FALSE(is_metrics_token("Bearer x", ""));
}

}  // namespace
}  // namespace mailcase::api

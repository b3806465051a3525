// Who may read /metrics (api/ops_access.h): the pure rule, for every form of address the
// HTTP server may report.
#include "api/ops_access.h"

#include <gtest/gtest.h>

namespace mailcase::api {
namespace {

TEST(MetricsAccessTest, AScraperOnThisMachineNeedsNoToken) {
  for (const char* peer : {"127.0.0.1", "127.1.2.3", "127.255.255.254", "::1", "0:0:0:0:0:0:0:1",
                           "::ffff:127.0.0.1", "::FFFF:127.0.0.2"})
    EXPECT_EQ(metrics_access(peer), MetricsAccess::kOpen) << peer;
}

TEST(MetricsAccessTest, AnyoneElseNeedsAToken) {
  for (const char* peer : {"10.0.0.1", "192.168.1.127", "128.0.0.1", "126.255.255.255", "::2", "fe80::1",
                           "::ffff:10.0.0.1", "::127.0.0.1", "2001:db8::127"})
    EXPECT_EQ(metrics_access(peer), MetricsAccess::kNeedsToken) << peer;
}

// What does not parse as one address is never taken for loopback, however it starts.
TEST(MetricsAccessTest, WhatIsNoAddressNeedsAToken) {
  for (const char* peer : {"", "localhost", "127.", "127.0.0.1.evil", "1270.0.0.1", "127.0.0.1 ", " ::1",
                           "::1%lo", "::ffff:127.", "127.0.0.1:8080"})
    EXPECT_EQ(metrics_access(peer), MetricsAccess::kNeedsToken) << "'" << peer << "'";
}

}  // namespace
}  // namespace mailcase::api

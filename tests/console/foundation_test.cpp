// The console's foundation: the pure rules (escaping markup, login throttling, which
// client a request is from, where a login may send the browser back to, when a session
// ends, IP ranges) as fast unit tests, and login, sessions, CSRF and the security headers
// through a real HTTP server in this process, with a clock the tests move.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cctype>
#include <ctime>
#include <fstream>
#include <thread>

#include "config/config.h"
#include "console/client_address.h"
#include "console/console.h"
#include "console/console_test_support.h"
#include "console/html.h"
#include "console/login_throttle.h"
#include "console/page.h"
#include "console/sessions.h"
#include "domain/clock.h"
#include "runtime/runtime.h"
#include "support/test_support.h"
#include "util/ip_range.h"
#include "web/http_server.h"

namespace mailcase::console {
namespace {

using mailcase::testing::ConsoleClient;
using mailcase::testing::set_cookie_line;
using mailcase::testing::set_cookie_value;

// ---- html(): every string escaped, holes counted ----

TEST(HtmlTest, EscapesEveryStringArgumentInTextAndAttributes) {
  const Html h = html("<p title=\"{}\">{}</p>", std::string("\"><script>x</script>"), "<b>Tom & 'Jerry'</b>");
  EXPECT_EQ(h.str(),
            "<p title=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\">&lt;b&gt;Tom &amp; "
            "&#39;Jerry&#39;&lt;/b&gt;</p>");
}

TEST(HtmlTest, HtmlAndIntegersGoInAsTheyAre) {
  const Html inner = html("<b>{}</b>", "<i>");
  EXPECT_EQ(html("<p>{} {}</p>", inner, 42).str(), "<p><b>&lt;i&gt;</b> 42</p>");
  EXPECT_EQ(join({html("<li>{}</li>", "a"), html("<li>{}</li>", "<")}, "\n").str(),
            "<li>a</li>\n<li>&lt;</li>");
}

TEST(HtmlTest, HolesInsideAnArgumentAreNotFilled) {
  // A value containing "{}" is text, not a pattern: it must not take the next argument.
  EXPECT_EQ(html("<p>{}</p><p>{}</p>", "{}", "second").str(), "<p>{}</p><p>second</p>");
}

TEST(HtmlTest, HolesMustMatchTheArguments) {
  EXPECT_THROW(html("<p>{}{}</p>", "one"), std::logic_error);
  EXPECT_THROW(html("<p>{}</p>", "one", "two"), std::logic_error);
  EXPECT_THROW(html("<p></p>", "one"), std::logic_error);
  EXPECT_EQ(html("<p></p>").str(), "<p></p>");
}

// ---- LoginThrottle: fixed windows per account and per address ----

TEST(LoginThrottleTest, AnAccountIsRefusedAfterItsLimitUntilTheWindowEnds) {
  LoginThrottle t(3, 100, 600);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(t.begin_attempt("ada@corp.example", "10.0.0.1", 1000 + i), 0);
  }
  EXPECT_EQ(t.wait_seconds("ada@corp.example", "10.0.0.1", 1002), 598);
  EXPECT_EQ(t.wait_seconds("ada@corp.example", "10.0.0.9", 1300), 0)
      << "from another address it may be tried";
  EXPECT_EQ(t.wait_seconds("bob@corp.example", "10.0.0.1", 1300), 0) << "another account is not refused";
  EXPECT_EQ(t.wait_seconds("ada@corp.example", "10.0.0.1", 1600), 0) << "the window has ended";
  t.begin_attempt("ada@corp.example", "10.0.0.1", 1600);
  EXPECT_EQ(t.wait_seconds("ada@corp.example", "10.0.0.1", 1601), 0) << "a new window counts from one";
}

// Wrong passwords from one address refuse that address for the account, not the agent
// elsewhere; the account is refused everywhere only past per_account_all, which takes
// several addresses.
TEST(LoginThrottleTest, AGuesserFromOneAddressDoesNotKeepTheAgentOutElsewhere) {
  LoginThrottle t(3, 100, 600, 100'000, /*per_account_all=*/7);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(t.begin_attempt("ada@corp.example", "203.0.113.9", 10), 0);
  EXPECT_GT(t.begin_attempt("ada@corp.example", "203.0.113.9", 11), 0) << "the guesser is refused";
  EXPECT_EQ(t.wait_seconds("ada@corp.example", "10.0.0.1", 11), 0) << "the agent's office is not";
  EXPECT_EQ(t.begin_attempt("ada@corp.example", "10.0.0.1", 12), 0);
  t.succeeded("ada@corp.example", "10.0.0.1", 12);
  EXPECT_GT(t.wait_seconds("ada@corp.example", "203.0.113.9", 13), 0) << "the agent's login frees no guesser";
  // Three addresses of three guesses each: past per_account_all (7), refused everywhere.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(t.begin_attempt("ada@corp.example", "198.51.100.1", 20), 0);
  EXPECT_EQ(t.begin_attempt("ada@corp.example", "198.51.100.2", 21), 0);
  EXPECT_GT(t.begin_attempt("ada@corp.example", "198.51.100.3", 22), 0) << "seven failures in all";
  EXPECT_GT(t.wait_seconds("ada@corp.example", "10.0.0.1", 22), 0);
  EXPECT_EQ(t.wait_seconds("ada@corp.example", "10.0.0.1", 611), 0) << "until the window ends";
}

TEST(LoginThrottleTest, AnAddressIsRefusedAfterItsLimitAcrossAccounts) {
  LoginThrottle t(100, 4, 900);
  for (int i = 0; i < 4; ++i) t.begin_attempt("user" + std::to_string(i) + "@corp.example", "192.0.2.7", 50);
  EXPECT_EQ(t.wait_seconds("new@corp.example", "192.0.2.7", 60), 890);
  EXPECT_EQ(t.wait_seconds("new@corp.example", "192.0.2.8", 60), 0);
}

TEST(LoginThrottleTest, ASuccessEndsTheAccountsCountButNotTheAddresss) {
  LoginThrottle t(3, 3, 600);
  EXPECT_EQ(t.begin_attempt("ada@corp.example", "10.0.0.1", 0), 0);
  EXPECT_EQ(t.begin_attempt("ada@corp.example", "10.0.0.1", 0), 0);  // two wrong passwords
  EXPECT_EQ(t.begin_attempt("ada@corp.example", "10.0.0.2", 1), 0);
  t.succeeded("ada@corp.example", "10.0.0.2", 1);
  for (int i = 3; i <= 5; ++i) {
    EXPECT_EQ(t.begin_attempt("ada@corp.example", "10.0.0." + std::to_string(i), 2), 0)
        << "the account's count began again";
  }
  EXPECT_EQ(t.wait_seconds("eve@corp.example", "10.0.0.2", 3), 0) << "the good password took no attempt";
  EXPECT_EQ(t.begin_attempt("bob@corp.example", "10.0.0.1", 3), 0);
  EXPECT_GT(t.wait_seconds("carol@corp.example", "10.0.0.1", 3), 0)
      << "the address's three failures stay counted after ada's success";
}

TEST(LoginThrottleTest, ABurstOfAttemptsTakesNoMoreThanTheLimitBeforeAnyIsChecked) {
  // Guesses sent together all begin before the first password is verified: each is
  // counted as it begins, so only the limit's worth go on to a password check.
  LoginThrottle t(3, 100, 600);
  int tried = 0;
  for (int i = 0; i < 20; ++i) tried += t.begin_attempt("ada@corp.example", "10.0.0.1", 5) == 0 ? 1 : 0;
  EXPECT_EQ(tried, 3);
  LoginThrottle by_address(100, 4, 600);
  tried = 0;
  for (int i = 0; i < 20; ++i) {
    tried += by_address.begin_attempt("u" + std::to_string(i) + "@corp.example", "10.0.0.1", 5) == 0 ? 1 : 0;
  }
  EXPECT_EQ(tried, 4);
}

TEST(LoginThrottleTest, AnAttemptThatCheckedNoPasswordIsGivenBack) {
  LoginThrottle t(2, 2, 600);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(t.begin_attempt("ada@corp.example", "10.0.0.1", 10), 0) << i;
    t.unchecked("ada@corp.example", "10.0.0.1", 10);
  }
  EXPECT_EQ(t.begin_attempt("ada@corp.example", "10.0.0.1", 10), 0);
  EXPECT_EQ(t.begin_attempt("ada@corp.example", "10.0.0.1", 10), 0);
  EXPECT_GT(t.begin_attempt("ada@corp.example", "10.0.0.1", 10), 0) << "failures still count";
  // An attempt begun in a window that has ended since is not taken from the next one.
  EXPECT_EQ(t.begin_attempt("bob@corp.example", "10.0.0.9", 0), 0);
  EXPECT_EQ(t.begin_attempt("bob@corp.example", "10.0.0.9", 600), 0);  // a new window: its first
  t.unchecked("bob@corp.example", "10.0.0.9", 0);
  EXPECT_EQ(t.begin_attempt("bob@corp.example", "10.0.0.9", 601), 0);  // its second
  EXPECT_GT(t.begin_attempt("bob@corp.example", "10.0.0.9", 602), 0);
}

TEST(LoginThrottleTest, AFullTableRefusesNewKeysRatherThanForgettingCounts) {
  LoginThrottle t(5, 5, 600, /*max_keys=*/2);
  t.begin_attempt("a@x.example", "10.0.0.1", 0);
  t.begin_attempt("b@x.example", "10.0.0.2", 0);
  // A third account or address would push a live count out: refused instead.
  EXPECT_GT(t.wait_seconds("c@x.example", "10.0.0.1", 10), 0);
  EXPECT_GT(t.wait_seconds("a@x.example", "10.0.0.3", 10), 0);
  EXPECT_LE(t.wait_seconds("a@x.example", "10.0.0.3", 10), 600);
  t.begin_attempt("c@x.example", "10.0.0.3", 10);  // not counted, not crashing
  // Once the old windows end, their keys are pruned and new ones are taken again.
  EXPECT_EQ(t.wait_seconds("c@x.example", "10.0.0.3", 600), 0);
  t.begin_attempt("c@x.example", "10.0.0.3", 600);
  EXPECT_EQ(t.wait_seconds("c@x.example", "10.0.0.3", 601), 0);
}

// ---- client_address: X-Forwarded-For believed only from trusted proxies ----

std::vector<util::IpRange> ranges(std::initializer_list<const char*> texts) {
  std::vector<util::IpRange> out;
  for (const char* t : texts) out.push_back(*util::parse_ip_range(t));
  return out;
}

TEST(ClientAddressTest, WithoutTrustedProxiesTheHeaderIsIgnored) {
  EXPECT_EQ(client_address("203.0.113.5", "1.2.3.4", {}), "203.0.113.5");
  EXPECT_EQ(client_address("203.0.113.5", "1.2.3.4", ranges({"10.0.0.0/8"})), "203.0.113.5")
      << "a peer that is not a trusted proxy cannot name another address";
  EXPECT_EQ(client_address("10.1.1.1", "", ranges({"10.0.0.0/8"})), "10.1.1.1");
}

TEST(ClientAddressTest, ATrustedProxysHeaderNamesTheNearestUntrustedHop) {
  const auto proxies = ranges({"10.0.0.0/8", "2001:db8::/32"});
  EXPECT_EQ(client_address("10.0.0.2", "198.51.100.7", proxies), "198.51.100.7");
  // The client wrote a fake first entry; the proxy appended the real one: the real one wins.
  EXPECT_EQ(client_address("10.0.0.2", "6.6.6.6, 198.51.100.7", proxies), "198.51.100.7");
  // Two trusted proxies in a row are skipped.
  EXPECT_EQ(client_address("10.0.0.2", "198.51.100.7, 10.9.9.9 ,10.0.0.3", proxies), "198.51.100.7");
  EXPECT_EQ(client_address("2001:db8::1", "2001:db8::2, 2a00:1450::5", proxies), "2a00:1450::5");
  // Garbage stops the walk at the last believable hop.
  EXPECT_EQ(client_address("10.0.0.2", "198.51.100.7, not-an-ip, 10.0.0.3", proxies), "10.0.0.3");
  EXPECT_EQ(client_address("10.0.0.2", "<script>", proxies), "10.0.0.2");
  // A client padding its own header cannot push the hop our proxy appended out of the bound.
  EXPECT_EQ(client_address("10.0.0.2", std::string(5000, '1') + ", 198.51.100.7", proxies), "198.51.100.7");
  EXPECT_EQ(client_address("10.0.0.2", std::string(5000, ',') + "6.6.6.6, 198.51.100.7", proxies),
            "198.51.100.7");
  // Only trusted hops: the farthest of them.
  EXPECT_EQ(client_address("10.0.0.2", "10.0.0.5, 10.0.0.4", proxies), "10.0.0.5");
}

TEST(ClientAddressTest, AnIPv6ClientIsThrottledByItsSlash64) {
  EXPECT_EQ(throttle_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(throttle_key("2001:db8:1:2::1"), throttle_key("2001:db8:1:2:ffff::9"));
  EXPECT_NE(throttle_key("2001:db8:1:2::1"), throttle_key("2001:db8:1:3::1"));
  EXPECT_EQ(throttle_key("::1"), "::/64");
  EXPECT_EQ(throttle_key("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(throttle_key("::ffff:192.0.2.7"), "192.0.2.7") << "one client, two spellings";
  EXPECT_EQ(throttle_key("not-an-address"), "not-an-address");
  // Failures from many addresses of one /64 add up to one client's.
  LoginThrottle t(100, 3, 600);
  for (int i = 1; i <= 3; ++i)
    t.begin_attempt("a" + std::to_string(i) + "@x.example",
                    throttle_key("2001:db8:1:2::" + std::to_string(i)), 0);
  EXPECT_GT(t.wait_seconds("b@x.example", throttle_key("2001:db8:1:2::99"), 1), 0);
  EXPECT_EQ(t.wait_seconds("b@x.example", throttle_key("2001:db8:1:3::99"), 1), 0);
}

// ---- is_local_path: where a login may send the browser back to ----

TEST(IsLocalPathTest, OurOwnPathsAreAccepted) {
  for (const char* p : {"/", "/cases", "/cases/CS0000001?tab=thread#c3", "/mail/7", "/a//b"})
    EXPECT_TRUE(is_local_path(p)) << p;
}

TEST(IsLocalPathTest, HostileNextValuesAreRefused) {
  for (const char* p :
       {"", "//evil.example", "//evil.example/path", "/\\evil.example", "\\\\evil.example", "\\/evil.example",
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", "https://evil.example/", "http:/evil.example",
        "evil.example", " /cases", "/\t/evil.example", "/\n/evil.example", "/cases\r\nSet-Cookie: x=1",
        "data:text/html,<script>alert(1)</script>", "/x\\y"})
    EXPECT_FALSE(is_local_path(p)) << p;
  EXPECT_FALSE(is_local_path("/" + std::string(5000, 'a'))) << "bounded";
}

// ---- referer_return_path: the page to go back to after logging in again ----

TEST(RefererReturnPathTest, AFormOfThisConsoleGoesBackToItsPage) {
  const std::string pub = "https://help.example.com";
  // Through the public URL (a proxy passing its own Host), or straight to the server.
  EXPECT_EQ(referer_return_path("https://help.example.com/cases/CS0000001?tab=thread", "127.0.0.1:8080", pub),
            "/cases/CS0000001?tab=thread");
  EXPECT_EQ(referer_return_path("http://127.0.0.1:8080/mail/7", "127.0.0.1:8080", pub), "/mail/7");
  // Letter case and the scheme's default port do not make another origin.
  EXPECT_EQ(referer_return_path("HTTPS://Help.Example.COM:443/cases", "", pub), "/cases");
  EXPECT_EQ(referer_return_path("http://Console.Example:80/cases", "console.example", ""), "/cases");
  // A Referer of the origin alone is the queues.
  EXPECT_EQ(referer_return_path("https://help.example.com", "", pub), "/");
  EXPECT_EQ(referer_return_path("https://help.example.com?x=1", "", pub), "/");
}

TEST(RefererReturnPathTest, AnotherSiteOrAnUnclearRefererGoesToTheQueues) {
  const std::string pub = "https://help.example.com";
  for (const char* referer : {
           "",                                             // none sent
           "https://evil.example/cases/CS0000001",         // another site
           "https://help.example.com.evil.example/cases",  // a look-alike host
           "https://help.example.com@evil.example/cases",  // userinfo: the host is evil.example
           "https://x:y@help.example.com/cases",           // userinfo on our host too
           "https://help.example.com:8443/cases",          // another port
           "http://help.example.com/cases",                // another scheme
           "javascript://help.example.com/%0aalert(1)",    // not http(s)
           "/cases/CS0000001",                             // not absolute
           "https:///cases",                               // no host
           "https://help.example.com//evil.example/",      // a path that leaves the site
           "https://help.example.com\\evil.example/",      // a backslash ends the host
       })
    EXPECT_EQ(referer_return_path(referer, "127.0.0.1:8080", pub), "/") << referer;
  // Another scheme is no origin of ours even with our host: only http(s) pages send forms.
  EXPECT_EQ(referer_return_path("javascript://127.0.0.1:8080/%0aalert(1)", "127.0.0.1:8080", pub), "/");
  EXPECT_EQ(referer_return_path("ftp://127.0.0.1:8080/cases", "127.0.0.1:8080", pub), "/");
  // Without a public URL, only the request's own Host is ours.
  EXPECT_EQ(referer_return_path("https://help.example.com/cases", "127.0.0.1:8080", ""), "/");
  EXPECT_EQ(referer_return_path("http://127.0.0.1:8081/cases", "127.0.0.1:8080", ""), "/");
}

// ---- sessions: idle and absolute expiry, touching ----

TEST(SessionRulesTest, ASessionEndsWhenIdleOrTooOldOrPastItsExpiry) {
  const SessionLimits limits{/*idle_seconds=*/600, /*max_seconds=*/3600};
  store::ConsoleSession s;
  s.created_at = 1000;
  s.last_seen_at = 1000;
  s.expires_at = 1600;
  EXPECT_TRUE(session_live(s, 1000, limits));
  EXPECT_TRUE(session_live(s, 1599, limits));
  EXPECT_FALSE(session_live(s, 1600, limits)) << "idle for the whole idle time";
  s.last_seen_at = 4000;
  s.expires_at = 4600;
  EXPECT_TRUE(session_live(s, 4599, limits));
  EXPECT_FALSE(session_live(s, 4600, limits)) << "past the maximum age, however recently used";
  s.created_at = 4000;
  s.expires_at = 4100;
  EXPECT_FALSE(session_live(s, 4100, limits)) << "the stored expiry alone ends it";
}

TEST(SessionRulesTest, UseIsRecordedAtMostOnceAMinute) {
  store::ConsoleSession s;
  s.last_seen_at = 1000;
  EXPECT_FALSE(session_needs_touch(s, 1000));
  EXPECT_FALSE(session_needs_touch(s, 1000 + kSessionTouchSeconds - 1));
  EXPECT_TRUE(session_needs_touch(s, 1000 + kSessionTouchSeconds));
}

TEST(SessionRulesTest, TokensAreLongRandomAndPrefixed) {
  const auto a = random_token("mcs_"), b = random_token("mcs_");
  EXPECT_NE(a, b);
  EXPECT_TRUE(a.starts_with("mcs_"));
  EXPECT_EQ(a.size(), 4u + 43u);
  EXPECT_EQ(a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", 4),
            std::string::npos);
}

// ---- util/ip_range ----

TEST(IpRangeTest, ParsesAddressesOfBothFamilies) {
  ASSERT_TRUE(util::parse_ip("192.0.2.1"));
  ASSERT_TRUE(util::parse_ip("2001:db8::1"));
  EXPECT_EQ(*util::parse_ip("192.0.2.1"), *util::parse_ip("::ffff:192.0.2.1")) << "one client, two spellings";
  for (const char* bad : {"", "192.0.2", "192.0.2.256", "192.0.2.1 ", " 192.0.2.1", "[::1]",
                          "::1:80:", "fe80::1%eth0", "192.0.2.1:8080", "localhost", "1.2.3.4/8"})
    EXPECT_FALSE(util::parse_ip(bad)) << bad;
  EXPECT_FALSE(util::parse_ip(std::string(100, '1')));
}

TEST(IpRangeTest, RangesContainTheirAddressesOnly) {
  auto v4 = util::parse_ip_range("10.0.0.0/8");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->prefix_bits, 96 + 8);
  EXPECT_TRUE(util::contains(*v4, *util::parse_ip("10.255.1.2")));
  EXPECT_FALSE(util::contains(*v4, *util::parse_ip("11.0.0.1")));
  EXPECT_FALSE(util::contains(*v4, *util::parse_ip("2001:db8::1"))) << "an IPv4 range holds no IPv6 address";
  auto one = util::parse_ip_range("192.0.2.7");
  ASSERT_TRUE(one);
  EXPECT_TRUE(util::contains(*one, *util::parse_ip("192.0.2.7")));
  EXPECT_FALSE(util::contains(*one, *util::parse_ip("192.0.2.8")));
  auto odd = util::parse_ip_range("172.16.0.0/12");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(util::contains(*odd, *util::parse_ip("172.31.255.255")));
  EXPECT_FALSE(util::contains(*odd, *util::parse_ip("172.32.0.0")));
  auto all4 = util::parse_ip_range("0.0.0.0/0");
  ASSERT_TRUE(all4);
  EXPECT_TRUE(util::contains(*all4, *util::parse_ip("255.255.255.255")));
  EXPECT_FALSE(util::contains(*all4, *util::parse_ip("::1")));
  auto v6 = util::parse_ip_range("2001:db8:1::/48");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(util::contains(*v6, *util::parse_ip("2001:db8:1:ffff::9")));
  EXPECT_FALSE(util::contains(*v6, *util::parse_ip("2001:db8:2::1")));
  auto host_bits = util::parse_ip_range("10.1.2.3/8");  // bits past the prefix are ignored
  ASSERT_TRUE(host_bits);
  EXPECT_TRUE(util::contains(*host_bits, *util::parse_ip("10.9.9.9")));
  EXPECT_TRUE(util::contains_any({*v4, *v6}, *util::parse_ip("2001:db8:1::1")));
  EXPECT_FALSE(util::contains_any({}, *util::parse_ip("10.0.0.1")));
}

TEST(IpRangeTest, BadRangesAreRefusedByName) {
  for (const char* bad : {"10.0.0.0/33", "::1/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/-1", "10.0.0.0/+8",
                          "10.0.0.0/8/8", "/8", "10.0.0/8", "", "everyone", "10.0.0.0/08x"}) {
    auto r = util::parse_ip_range(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("is not an IP address or a CIDR range"), std::string::npos);
  }
  auto r = util::parse_ip_range("<b>" + std::string(500, 'x'));
  ASSERT_FALSE(r);
  EXPECT_LT(r.error().message.size(), 200u) << "the named text is bounded";
}

// ---- through HTTP: a console in this process, on a clock the tests move ----

constexpr const char* kPassword = "correct horse battery";

class ConsoleHttpTest : public ::testing::Test {
 protected:
  // extra_toml: more of mailcase.toml's [http] table for one test.
  void start(const std::string& extra_http = "") {
    data_ = dir_.path() / "data";
    ASSERT_EQ(cli({"init"}).exit_code, 0);
    std::ofstream(data_ / "mailcase.toml") << "[http]\nlogin_failures_per_account = 3\n"
                                              "login_failures_per_address = 6\nlogin_window_minutes = 15\n"
                                           << extra_http;
    ASSERT_EQ(
        cli({"agent", "add", "--name", "Ada", "--email", "ada@corp.example", "--role", "admin"}).exit_code,
        0);
    ASSERT_EQ(cli({"agent", "add", "--name", "Bob", "--email", "bob@corp.example"}).exit_code, 0);
    for (const char* e : {"ada@corp.example", "bob@corp.example"}) {
      auto p = mailcase::testing::run_mailcase({"--data", data_.string(), "agent", "password", e},
                                               std::string(kPassword) + "\n");
      ASSERT_EQ(p.exit_code, 0) << p.err;
    }
    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    cfg_ = *cfg;
    auto rt = runtime::Runtime::open(data_, cfg_, clock_);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = std::move(*rt);
    console_ = std::make_unique<Console>(rt_->store(), rt_->cases(), rt_->config(), clock_, data_);
    http_ = std::make_unique<web::HttpServer>(web::HttpLimits{});
    console_->mount(*http_);
    ASSERT_TRUE(http_->listen("127.0.0.1", 0));
    thread_ = std::thread([this] { http_->serve(); });
  }

  void TearDown() override {
    if (http_) http_->stop();
    if (thread_.joinable()) thread_.join();
  }

  mailcase::testing::CommandResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_.string()});
    return mailcase::testing::run_mailcase(args);
  }

  ConsoleClient browser() { return ConsoleClient(http_->bound_port()); }

  // A browser logged in as email; fails the test when the login does not work.
  ConsoleClient logged_in(const std::string& email = "bob@corp.example") {
    auto b = browser();
    auto r = b.login(email, kPassword);
    EXPECT_TRUE(r);
    if (r) {
      EXPECT_EQ(r->status, 303) << r->body;
    }
    EXPECT_FALSE(b.session.empty());
    EXPECT_FALSE(b.csrf.empty());
    return b;
  }

  // Whether the browser's session opens the queues page (not sent to /login).
  static bool works(const ConsoleClient& b) {
    auto r = b.get("/");
    return r && r->status == 200;
  }

  mailcase::testing::TempDir dir_;
  std::filesystem::path data_;
  config::Config cfg_;
  domain::FixedClock clock_{static_cast<int64_t>(std::time(nullptr))};
  std::unique_ptr<runtime::Runtime> rt_;
  std::unique_ptr<Console> console_;
  std::unique_ptr<web::HttpServer> http_;
  std::thread thread_;
};

TEST_F(ConsoleHttpTest, AGoodPasswordStartsASessionInAnHttpOnlyStrictCookie) {
  start();
  auto b = browser();
  auto r = b.login("Bob@Corp.Example", kPassword, "/cases?status=open");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303) << r->body;
  EXPECT_EQ(r->get_header_value("Location"), "/cases?status=open");
  const std::string line = set_cookie_line(*r, "mc_session");
  EXPECT_NE(line.find("; HttpOnly"), std::string::npos) << line;
  EXPECT_NE(line.find("; SameSite=Strict"), std::string::npos) << line;
  EXPECT_NE(line.find("; Path=/;"), std::string::npos) << line;
  EXPECT_EQ(line.find("Secure"), std::string::npos) << "no Secure on a plain-http console: " << line;
  EXPECT_EQ(line.find("Max-Age"), std::string::npos) << "gone when the browser closes: " << line;
  EXPECT_EQ(line.find("Expires"), std::string::npos) << line;
  EXPECT_TRUE(set_cookie_value(*r, "mc_session").starts_with("mcs_"));
  auto home = b.get("/");
  ASSERT_TRUE(home);
  EXPECT_EQ(home->status, 200);
  EXPECT_NE(home->body.find("Bob"), std::string::npos);
  EXPECT_EQ(home->body.find("href=\"/admin\""), std::string::npos) << "no admin link for an agent";
  // The login form's own cookie is as strict, and limited to /login.
  auto form = b.client().Get("/login");
  ASSERT_TRUE(form);
  const std::string login_line = set_cookie_line(*form, "mc_login");
  EXPECT_NE(login_line.find("; Path=/login;"), std::string::npos) << login_line;
  EXPECT_NE(login_line.find("; HttpOnly; SameSite=Strict"), std::string::npos) << login_line;
}

TEST_F(ConsoleHttpTest, KeepMeLoggedInKeepsTheCookieUntilTheSessionsMaximumAge) {
  start("session_idle_minutes = 600\nsession_max_hours = 10\n");
  auto form = browser().client().Get("/login");
  ASSERT_TRUE(form);
  EXPECT_NE(form->body.find("name=\"remember\" type=\"checkbox\""), std::string::npos) << "offered, unticked";
  EXPECT_EQ(form->body.find("checked"), std::string::npos);
  auto b = browser();
  b.remember = true;
  auto r = b.login("bob@corp.example", kPassword);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 303) << r->body;
  EXPECT_NE(set_cookie_line(*r, "mc_session").find("; Max-Age=36000"), std::string::npos)
      << set_cookie_line(*r, "mc_session");
  ASSERT_TRUE(works(b));
  // The server's limits hold for a kept cookie as for any other.
  clock_.advance(9 * 3600);
  ASSERT_TRUE(works(b));
  clock_.advance(3600 + 1);
  EXPECT_FALSE(works(b)) << "past session_max_hours";
}

TEST_F(ConsoleHttpTest, AFailedLoginShowsTheFormWithKeepMeLoggedInAsTheAgentLeftIt) {
  start();
  auto ticked = browser();
  ticked.remember = true;
  auto r = ticked.login("bob@corp.example", "wrong password");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 401) << r->body;
  EXPECT_NE(r->body.find("name=\"remember\" type=\"checkbox\" value=\"1\" checked>"), std::string::npos)
      << r->body;
  // Logging in from that form keeps the cookie as the box asked.
  r = ticked.login("bob@corp.example", kPassword);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 303) << r->body;
  EXPECT_NE(set_cookie_line(*r, "mc_session").find("; Max-Age="), std::string::npos);

  auto unticked = browser();
  r = unticked.login("bob@corp.example", "wrong password");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 401) << r->body;
  EXPECT_NE(r->body.find("name=\"remember\" type=\"checkbox\" value=\"1\">"), std::string::npos) << r->body;
  EXPECT_EQ(r->body.find("checked"), std::string::npos) << r->body;
}

TEST_F(ConsoleHttpTest, CookiesAreSecureWhenTheConsoleIsServedOverHttps) {
  start("public_url = \"https://help.example.com\"\n");
  auto b = browser();
  b.session_cookie = "__Host-mc_session";
  b.login_cookie = "__Secure-mc_login";
  auto form = b.client().Get("/login");
  ASSERT_TRUE(form);
  EXPECT_NE(set_cookie_line(*form, "__Secure-mc_login").find("; Secure"), std::string::npos);
  EXPECT_TRUE(set_cookie_line(*form, "mc_login").empty());
  auto r = b.login("bob@corp.example", kPassword);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 303) << r->body;
  // __Host-: a browser keeps it only as set Secure, for Path=/ and no Domain, so that
  // neither a sibling subdomain nor a plain-http answer can plant a session of its choosing.
  const std::string line = set_cookie_line(*r, "__Host-mc_session");
  EXPECT_NE(line.find("; Secure"), std::string::npos) << line;
  EXPECT_NE(line.find("; Path=/;"), std::string::npos) << line;
  EXPECT_EQ(line.find("Domain"), std::string::npos) << line;
  auto home = b.get("/");
  ASSERT_TRUE(home);
  EXPECT_EQ(home->status, 200);
  // The same session under the name without the prefix (as a cookie planted over plain
  // http would come) is no session here.
  auto unprefixed = b.client().Get("/", {{"Cookie", "mc_session=" + b.session}});
  ASSERT_TRUE(unprefixed);
  EXPECT_NE(unprefixed->status, 200);
  EXPECT_EQ(unprefixed->body.find("Bob"), std::string::npos);
}

TEST_F(ConsoleHttpTest, AnUnknownEmailAndAWrongPasswordGetTheSameAnswer) {
  start();
  auto unknown = browser().login("nobody@corp.example", kPassword);
  auto wrong = browser().login("bob@corp.example", "not the password");
  auto no_password = browser();
  ASSERT_TRUE(unknown);
  ASSERT_TRUE(wrong);
  EXPECT_EQ(unknown->status, 401);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_TRUE(set_cookie_value(*unknown, "mc_session").empty());
  EXPECT_TRUE(set_cookie_value(*wrong, "mc_session").empty());
  // The pages differ only in the echoed email and the form's fresh one-time value.
  auto normalize = [](std::string body, const std::string& email) {
    body.replace(body.find(mailcase::testing::input_value(body, "login_csrf")),
                 mailcase::testing::input_value(body, "login_csrf").size(), "NONCE");
    body.replace(body.find("value=\"" + email + "\""), email.size() + 8, "value=\"EMAIL\"");
    return body;
  };
  EXPECT_EQ(normalize(unknown->body, "nobody@corp.example"), normalize(wrong->body, "bob@corp.example"));
  EXPECT_NE(wrong->body.find("Wrong email or password."), std::string::npos);
  EXPECT_EQ(wrong->body.find("not the password"), std::string::npos) << "a password is never echoed";
}

TEST_F(ConsoleHttpTest, ALoginWithoutTheFormsOneTimeValueIsRefused) {
  start();
  auto c = browser().client();
  // Another site posting a login form has neither our cookie nor the value.
  auto bare = c.Post("/login", httplib::Params{{"email", "bob@corp.example"}, {"password", kPassword}});
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 403);
  EXPECT_TRUE(set_cookie_value(*bare, "mc_session").empty());
  auto form = c.Get("/login");
  ASSERT_TRUE(form);
  auto mismatched =
      c.Post("/login", {{"Cookie", "mc_login=" + set_cookie_value(*form, "mc_login")}},
             httplib::Params{
                 {"login_csrf", "something-else"}, {"email", "bob@corp.example"}, {"password", kPassword}});
  ASSERT_TRUE(mismatched);
  EXPECT_EQ(mismatched->status, 403);
  EXPECT_TRUE(set_cookie_value(*mismatched, "mc_session").empty());
}

TEST_F(ConsoleHttpTest, AnAccountIsThrottledAfterItsFailuresWithRetryAfter) {
  start();
  // One account however its address is spelled: the count is not split by letter case.
  const std::vector<std::string> spellings = {"bob@corp.example", "BOB@Corp.Example", " <bob@corp.example> "};
  for (int i = 0; i < 3; ++i) {
    auto r = browser().login(spellings[i], "wrong " + std::to_string(i));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
  }
  // Even the right password is refused now, without checking it.
  auto refused = browser().login("bob@corp.example", kPassword);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  ASSERT_TRUE(refused->has_header("Retry-After"));
  const int wait = std::stoi(refused->get_header_value("Retry-After"));
  EXPECT_GT(wait, 0);
  EXPECT_LE(wait, 15 * 60);
  EXPECT_TRUE(set_cookie_value(*refused, "mc_session").empty());
  EXPECT_NE(refused->body.find("Too many failed logins"), std::string::npos);
  // Another account from the same address still may log in (its own limit is higher).
  EXPECT_EQ(browser().login("ada@corp.example", kPassword)->status, 303);
  clock_.advance(15 * 60);
  EXPECT_EQ(browser().login("bob@corp.example", kPassword)->status, 303) << "the window has moved on";
}

// Anyone who knows an agent's address could keep them out with a few wrong passwords;
// behind a trusted proxy, the guesser's client is refused and the agent's is not.
TEST_F(ConsoleHttpTest, AGuesserElsewhereDoesNotLockTheAgentOut) {
  start("trusted_proxies = [\"127.0.0.1\"]\n");
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(browser().login("bob@corp.example", "wrong", "/", {{"X-Forwarded-For", "203.0.113.9"}})->status,
              401);
  EXPECT_EQ(browser().login("bob@corp.example", kPassword, "/", {{"X-Forwarded-For", "203.0.113.9"}})->status,
            429);
  EXPECT_EQ(
      browser().login("bob@corp.example", kPassword, "/", {{"X-Forwarded-For", "198.51.100.20"}})->status,
      303)
      << "the agent's own client logs in";
}

TEST_F(ConsoleHttpTest, GuessesSentTogetherCheckNoMorePasswordsThanTheLimit) {
  start();
  // Twelve wrong passwords for one account at once, while the first are being verified:
  // only the account's limit (3) of them is checked; the others are refused at once.
  std::atomic<int> wrong{0}, refused{0}, other{0};
  std::vector<std::thread> guesses;
  for (int i = 0; i < 12; ++i) {
    guesses.emplace_back([&, i] {
      auto r = browser().login("bob@corp.example", "wrong " + std::to_string(i));
      if (r && r->status == 401)
        ++wrong;
      else if (r && r->status == 429)
        ++refused;
      else
        ++other;
    });
  }
  for (auto& g : guesses) g.join();
  EXPECT_EQ(wrong.load(), 3);
  EXPECT_EQ(refused.load(), 9);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(browser().login("bob@corp.example", kPassword)->status, 429) << "the right one comes too late";
}

TEST_F(ConsoleHttpTest, AnAddressIsThrottledAcrossAccountsAndForwardedForIsIgnored) {
  start();
  // Six failures from 127.0.0.1 over several accounts; each claims another address in
  // X-Forwarded-For, which is not believed: no proxy is trusted.
  for (int i = 0; i < 6; ++i) {
    auto r = browser().login("guess" + std::to_string(i) + "@corp.example", "x", "/",
                             {{"X-Forwarded-For", "198.51.100." + std::to_string(i)}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
  }
  auto r = browser().login("ada@corp.example", kPassword, "/", {{"X-Forwarded-For", "198.51.100.99"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_FALSE(r->get_header_value("Retry-After").empty());
}

TEST_F(ConsoleHttpTest, ATrustedProxysForwardedForTellsClientsApart) {
  start("trusted_proxies = [\"127.0.0.1\"]\n");
  // Behind the proxy, six failures each from another client do not refuse a seventh client.
  for (int i = 0; i < 6; ++i) {
    auto r = browser().login("guess" + std::to_string(i) + "@corp.example", "x", "/",
                             {{"X-Forwarded-For", "198.51.100." + std::to_string(i)}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
  }
  EXPECT_EQ(
      browser().login("ada@corp.example", kPassword, "/", {{"X-Forwarded-For", "198.51.100.99"}})->status,
      303);
  // One client guessing through the proxy is refused after six failures...
  for (int i = 0; i < 6; ++i)
    ASSERT_EQ(
        browser()
            .login("g" + std::to_string(i) + "@corp.example", "x", "/", {{"X-Forwarded-For", "203.0.113.9"}})
            ->status,
        401);
  // ...and cannot get out of it by writing its own X-Forwarded-For before the proxy's:
  // a proxy may append to the client's header or add a header of its own below it; both
  // name the real client last.
  auto appended =
      browser().login("ada@corp.example", kPassword, "/", {{"X-Forwarded-For", "192.0.2.1, 203.0.113.9"}});
  ASSERT_TRUE(appended);
  EXPECT_EQ(appended->status, 429);
  httplib::Headers two;
  two.emplace("X-Forwarded-For", "192.0.2.2");
  two.emplace("X-Forwarded-For", "203.0.113.9");
  auto separate = browser().login("ada@corp.example", kPassword, "/", two);
  ASSERT_TRUE(separate);
  EXPECT_EQ(separate->status, 429) << "a second X-Forwarded-For header line is the proxy's";
}

TEST_F(ConsoleHttpTest, OneIPv6ClientCannotSpreadItsGuessesOverItsSlash64) {
  start("trusted_proxies = [\"127.0.0.1\"]\n");
  for (int i = 1; i <= 6; ++i)
    ASSERT_EQ(browser()
                  .login("g" + std::to_string(i) + "@corp.example", "x", "/",
                         {{"X-Forwarded-For", "2001:db8:7:7::" + std::to_string(i)}})
                  ->status,
              401);
  EXPECT_EQ(browser()
                .login("ada@corp.example", kPassword, "/", {{"X-Forwarded-For", "2001:db8:7:7:1:2:3:4"}})
                ->status,
            429);
  EXPECT_EQ(
      browser().login("ada@corp.example", kPassword, "/", {{"X-Forwarded-For", "2001:db8:7:8::1"}})->status,
      303)
      << "another /64 is another client";
}

TEST_F(ConsoleHttpTest, LogoutEndsTheSessionForTheOldCookieToo) {
  start();
  auto b = logged_in();
  ASSERT_TRUE(works(b));
  auto out = b.post("/logout");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 303);
  EXPECT_EQ(out->get_header_value("Location"), "/login");
  EXPECT_NE(set_cookie_line(*out, "mc_session").find("Max-Age=0"), std::string::npos);
  // A copy of the cookie kept by someone else no longer works either.
  auto again = b.get("/");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 303);
  EXPECT_TRUE(again->get_header_value("Location").starts_with("/login"));
}

TEST_F(ConsoleHttpTest, AnIdleSessionGoesToLoginAndABusyOneEndsAtItsMaximumAge) {
  start("session_idle_minutes = 30\nsession_max_hours = 1\n");
  auto b = logged_in();
  clock_.advance(29 * 60);
  ASSERT_TRUE(works(b)) << "used within the idle time";
  clock_.advance(29 * 60);
  ASSERT_TRUE(works(b)) << "each use moves the idle expiry";
  clock_.advance(3 * 60);
  auto r = b.get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303) << "past the session's maximum age";
  EXPECT_EQ(r->get_header_value("Location"), "/login?next=/");

  auto idle = logged_in();
  clock_.advance(30 * 60);
  auto gone = idle.get("/");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 303);
  EXPECT_EQ(gone->get_header_value("Location"), "/login?next=/");
  // An htmx request is told where to go instead of being given the login page to swap in.
  auto swap = idle.get("/", {{"HX-Request", "true"}});
  ASSERT_TRUE(swap);
  EXPECT_EQ(swap->status, 401);
  EXPECT_EQ(swap->get_header_value("HX-Redirect"), "/login?next=/");
}

TEST_F(ConsoleHttpTest, APageRefreshingItselfDoesNotKeepAnUnattendedSessionAlive) {
  start("session_idle_minutes = 30\n");
  auto b = logged_in("ada@corp.example");
  // A case page and the mailboxes' page left open ask htmx for their news every 5 s.
  const httplib::Headers poll = {{"HX-Request", "true"},
                                 {"HX-Current-URL", "http://127.0.0.1/admin/mailboxes"}};
  for (int minute = 2; minute <= 28; minute += 2) {
    clock_.advance(2 * 60);
    auto states = b.get("/admin/mailbox-states", poll);
    ASSERT_TRUE(states);
    EXPECT_EQ(states->status, 200) << "minute " << minute << " of 30";
    auto thread = b.get("/cases/CS0000001/thread?after=0", poll);
    ASSERT_TRUE(thread);
    EXPECT_NE(thread->status, 401) << "minute " << minute << " of 30";
  }
  clock_.advance(3 * 60);  // 31 minutes since the agent last did anything
  auto r = b.get("/admin/mailbox-states", poll);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << "the refreshes did not keep the session alive";
  // The login returns to the page the refresh was made from, not to the refresh's piece.
  EXPECT_EQ(r->get_header_value("HX-Redirect"), "/login?next=/admin/mailboxes");
  EXPECT_FALSE(works(b));

  // The agent's own use still moves the idle expiry.
  auto used = logged_in("ada@corp.example");
  clock_.advance(20 * 60);
  ASSERT_TRUE(works(used));
  clock_.advance(20 * 60);
  EXPECT_TRUE(works(used));
}

TEST_F(ConsoleHttpTest, ADisabledAgentsSessionStopsWorking) {
  start();
  auto b = logged_in();
  ASSERT_TRUE(works(b));
  ASSERT_EQ(cli({"agent", "disable", "bob@corp.example"}).exit_code, 0);
  EXPECT_FALSE(works(b));
  EXPECT_EQ(browser().login("bob@corp.example", kPassword)->status, 401) << "and they cannot log in again";
  ASSERT_EQ(cli({"agent", "enable", "bob@corp.example"}).exit_code, 0);
  EXPECT_EQ(browser().login("bob@corp.example", kPassword)->status, 303);
}

TEST_F(ConsoleHttpTest, APasswordResetFromTheCommandLineEndsTheAgentsSessions) {
  start();
  auto b = logged_in();
  auto ada = logged_in("ada@corp.example");
  ASSERT_TRUE(works(b));
  auto reset = mailcase::testing::run_mailcase(
      {"--data", data_.string(), "agent", "password", "bob@corp.example"}, "a new secret 42\n");
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_FALSE(works(b)) << "whoever knew the old password is signed out";
  EXPECT_TRUE(works(ada)) << "another agent's session goes on";
  EXPECT_EQ(browser().login("bob@corp.example", kPassword)->status, 401);
  EXPECT_EQ(browser().login("bob@corp.example", "a new secret 42")->status, 303);
}

TEST_F(ConsoleHttpTest, APostWithoutTheSessionsCsrfTokenIsRefusedAndChangesNothing) {
  start();
  auto b = logged_in();
  auto none = b.post("/logout", {}, /*with_csrf=*/false);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 403);
  auto wrong = b.post("/logout", {{"csrf", "not-the-token"}}, /*with_csrf=*/false);
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 403);
  auto other = logged_in("ada@corp.example");  // another session's token is no good here
  auto crossed = b.post("/logout", {{"csrf", other.csrf}}, /*with_csrf=*/false);
  ASSERT_TRUE(crossed);
  EXPECT_EQ(crossed->status, 403);
  EXPECT_TRUE(works(b)) << "the session was not ended";
  // htmx sends the token as a header (from the body's hx-headers).
  auto header = b.post("/logout", {}, /*with_csrf=*/false, {{"X-CSRF-Token", b.csrf}});
  ASSERT_TRUE(header);
  EXPECT_EQ(header->status, 303);
  EXPECT_FALSE(works(b));
}

TEST_F(ConsoleHttpTest, ALoginNeverRedirectsToAnotherSite) {
  start();
  for (const std::string next : {"//evil.example/", "/\\evil.example", "javascript:alert(1)",
                                 "https://evil.example/", "/\r\nSet-Cookie: x=1", "/\t/evil.example"}) {
    auto b = browser();
    auto r = b.login("bob@corp.example", kPassword, next);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 303);
    const std::string to = r->get_header_value("Location");
    EXPECT_TRUE(to == "/" || to == next)
        << ::testing::PrintToString(next) << " -> " << ::testing::PrintToString(to);
    EXPECT_TRUE(mailcase::console::is_local_path(to)) << next << " -> " << to;
    // Logged in already, GET /login?next= follows the same rule.
    std::string query;
    for (unsigned char ch : next) {
      static const char* hex = "0123456789ABCDEF";
      query += std::isalnum(ch) ? std::string(1, static_cast<char>(ch))
                                : std::string{'%', hex[ch >> 4], hex[ch & 15]};
    }
    auto again = b.get("/login?next=" + query);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 303);
    EXPECT_TRUE(mailcase::console::is_local_path(again->get_header_value("Location")))
        << again->get_header_value("Location");
  }
  // The login form carries a hostile next only as escaped text, and posts it back as "/".
  auto form = browser().client().Get("/login?next=%22%3E%3Cscript%3Ealert(1)%3C/script%3E");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->body.find("<script>alert"), std::string::npos);
  EXPECT_EQ(mailcase::testing::input_value(form->body, "next"), "/");
}

TEST_F(ConsoleHttpTest, PagesCarryTheConsolesSecurityHeadersAndNoInlineScript) {
  start();
  auto b = logged_in("ada@corp.example");
  for (const std::string path : {"/", "/login"}) {
    auto r = path == "/" ? b.get(path) : browser().client().Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->get_header_value_count("Content-Security-Policy"), 1u) << path;
    const std::string csp = r->get_header_value("Content-Security-Policy");
    for (const char* part : {"default-src 'none'", "script-src 'self'", "style-src 'self'", "base-uri 'none'",
                             "frame-ancestors 'none'", "form-action 'self'"})
      EXPECT_NE(csp.find(part), std::string::npos) << path << ": " << csp;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
    EXPECT_EQ(r->get_header_value("X-Frame-Options"), "DENY");
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
    // Every script is a file of ours; no handler attributes, no inline styles.
    size_t at = 0;
    while ((at = r->body.find("<script", at)) != std::string::npos) {
      EXPECT_EQ(r->body.compare(at, 13, "<script src=\""), 0) << path;
      ++at;
    }
    EXPECT_EQ(r->body.find(" onclick="), std::string::npos);
    EXPECT_EQ(r->body.find(" style=\""), std::string::npos);
  }
  auto home = b.get("/");
  EXPECT_NE(home->body.find("href=\"/admin\""), std::string::npos) << "an admin sees the admin link";
  EXPECT_NE(home->body.find("\"X-CSRF-Token\":\"" + b.csrf + "\""), std::string::npos)
      << "htmx carries the token";
}

TEST_F(ConsoleHttpTest, TheLoginReturnsToThePageAskedForWithItsQuery) {
  start();
  auto c = browser().client();
  auto page = c.Get("/?tab=mine&q=a%20b");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 303);
  // cpp-httplib's client decodes a Location once: the server sent next=/%3Ftab%3Dmine%26q%3Da%2520b.
  EXPECT_EQ(page->get_header_value("Location"), "/login?next=/?tab=mine&q=a%20b");
  auto b = browser();
  auto r = b.login("bob@corp.example", kPassword, "/?tab=mine&q=a%20b");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303);
  EXPECT_EQ(r->get_header_value("Location"), "/?tab=mine&q=a b");
}

TEST_F(ConsoleHttpTest, WithoutASessionPagesGoToLoginAndPostsAreRefused) {
  start();
  auto c = browser().client();
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 303);
  EXPECT_EQ(page->get_header_value("Location"), "/login?next=/");
  auto forged = c.Get("/", {{"Cookie", "mc_session=mcs_forged"}});
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 303);
  auto post = c.Post("/logout", httplib::Params{{"csrf", "x"}});
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 401);
}

// The console as `mailcase serve --roles http` mounts it, configured by mailcase.toml.
TEST(ConsoleServeTest, TheServedConsoleLogsInWithItsSettings) {
  mailcase::testing::TempDir dir;
  const std::string data = (dir.path() / "data").string();
  auto mc = [&](std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data});
    return mailcase::testing::run_mailcase(args, in);
  };
  ASSERT_EQ(mc({"init"}).exit_code, 0);
  std::ofstream(dir.path() / "data" / "mailcase.toml")
      << "[http]\npublic_url = \"https://help.example.com\"\nlogin_failures_per_account = 1\n";
  ASSERT_EQ(mc({"agent", "add", "--name", "Ada", "--email", "ada@corp.example"}).exit_code, 0);
  ASSERT_EQ(mc({"agent", "password", "ada@corp.example"}, std::string(kPassword) + "\n").exit_code, 0);
  const int port = mailcase::testing::free_port();
  mailcase::testing::Background serve(
      {"--data", data, "serve", "--roles", "http", "--http", "127.0.0.1:" + std::to_string(port)});
  ConsoleClient b(port);
  b.session_cookie = "__Host-mc_session";  // public_url is https
  b.login_cookie = "__Secure-mc_login";
  ASSERT_TRUE(mailcase::testing::wait_until([&] { return static_cast<bool>(b.client().Get("/healthz")); }))
      << serve.err();
  auto r = b.login("ada@corp.example", kPassword);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 303) << r->body;
  EXPECT_NE(set_cookie_line(*r, "__Host-mc_session").find("; Secure"), std::string::npos)
      << "public_url is https";
  auto home = b.get("/");
  ASSERT_TRUE(home);
  EXPECT_EQ(home->status, 200);
  EXPECT_NE(home->get_header_value("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  auto htmx = b.client().Get("/assets/htmx.min.js");
  ASSERT_TRUE(htmx);
  EXPECT_EQ(htmx->status, 200) << "the console's script is served from the binary";
  // Every page names its icon, served from the binary too: no /favicon.ico asked for (a
  // 404 in the browser's console on every page).
  EXPECT_NE(home->body.find("<link rel=\"icon\" href=\"/assets/favicon.svg\""), std::string::npos);
  auto icon = b.client().Get("/assets/favicon.svg");
  ASSERT_TRUE(icon);
  EXPECT_EQ(icon->status, 200);
  EXPECT_EQ(icon->get_header_value("Content-Type"), "image/svg+xml");
  EXPECT_NE(icon->body.find("<svg"), std::string::npos);
  ConsoleClient again = b;
  again.session.clear();
  EXPECT_EQ(again.login("ada@corp.example", "wrong")->status, 401);
  EXPECT_EQ(again.login("ada@corp.example", kPassword)->status, 429) << "login_failures_per_account = 1";
}

}  // namespace
}  // namespace mailcase::console

// mailcase.toml: the limits that were constants — [limits] header bounds, the [lmtp]
// line, idle, connection and commit bounds, [mailbox] fetch_batch — with one default
// each (config.h), the same in the file `init` writes, read when set, and refused with
// the key named when 0, negative or absurd.
#include <gtest/gtest.h>

#include <fstream>

#include "channels/lmtp_protocol.h"
#include "channels/lmtp_server.h"
#include "config/config.h"
#include "mime/parser.h"
#include "mime/structure_scan.h"
#include "support/test_support.h"

namespace mailcase::config {
namespace {

Result<Config> load_text(const testing::TempDir& dir, const std::string& text) {
  std::ofstream(dir.path() / "mailcase.toml") << text;
  return load(dir.path() / "mailcase.toml");
}

TEST(LimitsConfig, DefaultsAndTheInitFileAgree) {
  testing::TempDir dir;
  auto c = load_text(dir, default_file_text());
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->limits.max_header_fields, 20000u);
  EXPECT_EQ(c->limits.max_header_bytes, 1024u * 1024);
  EXPECT_EQ(c->limits.max_addresses, 1000u);
  EXPECT_EQ(c->limits.max_kept_headers, 2000u);
  EXPECT_EQ(c->lmtp.max_line_bytes, 1024u * 1024);
  EXPECT_EQ(c->lmtp.idle_timeout_seconds, 300);
  EXPECT_EQ(c->lmtp.max_connections, 64);
  EXPECT_EQ(c->lmtp.commit_batch, 256u);
  EXPECT_EQ(c->lmtp.max_buffered_bytes, 256u << 20);
  EXPECT_EQ(c->mailbox.fetch_batch, 50u);
  EXPECT_EQ(c->outbound.senders, 4);
  Config d;
  EXPECT_EQ(d.limits.max_header_fields, c->limits.max_header_fields);
  EXPECT_EQ(d.limits.max_header_bytes, c->limits.max_header_bytes);
  EXPECT_EQ(d.limits.max_addresses, c->limits.max_addresses);
  EXPECT_EQ(d.limits.max_kept_headers, c->limits.max_kept_headers);
  EXPECT_EQ(d.lmtp.max_line_bytes, c->lmtp.max_line_bytes);
  EXPECT_EQ(d.lmtp.idle_timeout_seconds, c->lmtp.idle_timeout_seconds);
  EXPECT_EQ(d.lmtp.max_connections, c->lmtp.max_connections);
  EXPECT_EQ(d.lmtp.commit_batch, c->lmtp.commit_batch);
  EXPECT_EQ(d.lmtp.max_buffered_bytes, c->lmtp.max_buffered_bytes);
  EXPECT_EQ(d.mailbox.fetch_batch, c->mailbox.fetch_batch);
  EXPECT_EQ(d.outbound.senders, c->outbound.senders);
}

// The parts that use a limit take their default from the setting, so a changed default
// in config.h changes them all.
TEST(LimitsConfig, TheUsersOfALimitShareItsDefault) {
  const Config d;
  const mime::ParseLimits p;
  EXPECT_EQ(p.max_depth, d.limits.max_mime_depth);
  EXPECT_EQ(p.max_parts, d.limits.max_mime_parts);
  EXPECT_EQ(p.max_text_bytes, d.limits.max_text_bytes);
  EXPECT_EQ(p.max_header_fields, d.limits.max_header_fields);
  EXPECT_EQ(p.max_header_bytes, d.limits.max_header_bytes);
  EXPECT_EQ(p.max_addresses, d.limits.max_addresses);
  EXPECT_EQ(p.max_kept_headers, d.limits.max_kept_headers);
  const mime::StructureLimits s;
  EXPECT_EQ(s.max_parts, d.limits.max_mime_parts);
  EXPECT_EQ(s.max_depth, d.limits.max_mime_depth);
  EXPECT_EQ(s.max_header_fields, d.limits.max_header_fields);
  EXPECT_EQ(s.max_header_bytes, d.limits.max_header_bytes);
  const channels::LmtpOptions o;
  EXPECT_EQ(o.max_size, d.limits.max_message_bytes);
  EXPECT_EQ(o.max_recipients, d.lmtp.max_recipients);
  EXPECT_EQ(o.session_timeout_seconds, d.lmtp.session_timeout_seconds);
  EXPECT_EQ(o.data_timeout_seconds, d.lmtp.data_timeout_seconds);
  EXPECT_EQ(o.idle_timeout_seconds, d.lmtp.idle_timeout_seconds);
  EXPECT_EQ(o.max_line_bytes, d.lmtp.max_line_bytes);
  EXPECT_EQ(o.max_connections, d.lmtp.max_connections);
  EXPECT_EQ(o.commit_batch, d.lmtp.commit_batch);
  EXPECT_EQ(o.max_buffered_bytes, d.lmtp.max_buffered_bytes);
  const channels::lmtp::Limits l;
  EXPECT_EQ(l.max_size, d.limits.max_message_bytes);
  EXPECT_EQ(l.max_recipients, d.lmtp.max_recipients);
  EXPECT_EQ(l.max_line_bytes, d.lmtp.max_line_bytes);
}

TEST(LimitsConfig, ValuesAreRead) {
  testing::TempDir dir;
  auto c = load_text(
      dir,
      "[limits]\nmax_header_fields = 50\nmax_header_bytes = 4096\nmax_addresses = 9\nmax_kept_headers = 30\n"
      "[lmtp]\nmax_line_bytes = 1000\nidle_timeout = \"90s\"\nmax_connections = 8\n"
      "commit_batch = 16\nmax_buffered_bytes = 1000000\n"
      "[mailbox]\nfetch_batch = 7\n");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->limits.max_header_fields, 50u);
  EXPECT_EQ(c->limits.max_header_bytes, 4096u);
  EXPECT_EQ(c->limits.max_addresses, 9u);
  EXPECT_EQ(c->limits.max_kept_headers, 30u);
  EXPECT_EQ(c->lmtp.max_line_bytes, 1000u);
  EXPECT_EQ(c->lmtp.idle_timeout_seconds, 90);
  EXPECT_EQ(c->lmtp.max_connections, 8);
  EXPECT_EQ(c->lmtp.commit_batch, 16u);
  EXPECT_EQ(c->lmtp.max_buffered_bytes, 1000000u);
  EXPECT_EQ(c->mailbox.fetch_batch, 7u);
  c = load_text(dir, "[lmtp]\nidle_timeout = 45\n");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->lmtp.idle_timeout_seconds, 45);
}

TEST(LimitsConfig, BadValuesNameTheKey) {
  testing::TempDir dir;
  const std::pair<const char*, const char*> cases[] = {
      {"[limits]\nmax_header_fields = 0\n", "limits.max_header_fields"},
      {"[limits]\nmax_header_fields = -3\n", "limits.max_header_fields"},
      {"[limits]\nmax_header_fields = 1000000000\n", "limits.max_header_fields"},
      {"[limits]\nmax_header_bytes = 10\n", "limits.max_header_bytes"},
      {"[limits]\nmax_header_bytes = \"big\"\n", "limits.max_header_bytes"},
      {"[limits]\nmax_addresses = 0\n", "limits.max_addresses"},
      {"[limits]\nmax_addresses = 5000000\n", "limits.max_addresses"},
      {"[limits]\nmax_kept_headers = 0\n", "limits.max_kept_headers"},
      {"[limits]\nmax_kept_headers = -2\n", "limits.max_kept_headers"},
      {"[lmtp]\nmax_line_bytes = 0\n", "lmtp.max_line_bytes"},
      {"[lmtp]\nmax_line_bytes = 999\n", "lmtp.max_line_bytes"},
      {"[lmtp]\nmax_line_bytes = 100000000000\n", "lmtp.max_line_bytes"},
      {"[lmtp]\nidle_timeout = 0\n", "lmtp.idle_timeout"},
      {"[lmtp]\nidle_timeout = \"48h\"\n", "lmtp.idle_timeout"},
      {"[lmtp]\nmax_connections = 0\n", "lmtp.max_connections"},
      {"[lmtp]\nmax_connections = -1\n", "lmtp.max_connections"},
      {"[lmtp]\ncommit_batch = 0\n", "lmtp.commit_batch"},
      {"[lmtp]\ncommit_batch = 1000000\n", "lmtp.commit_batch"},
      {"[lmtp]\nmax_buffered_bytes = 0\n", "lmtp.max_buffered_bytes"},
      {"[lmtp]\nmax_buffered_bytes = -1\n", "lmtp.max_buffered_bytes"},
      {"[mailbox]\nfetch_batch = 0\n", "mailbox.fetch_batch"},
      {"[outbound]\nsenders = 0\n", "outbound.senders"},
      {"[outbound]\nsenders = 33\n", "outbound.senders"},
      {"[mailbox]\nfetch_batch = 99999\n", "mailbox.fetch_batch"},
  };
  for (const auto& [text, key] : cases) {
    auto c = load_text(dir, text);
    ASSERT_FALSE(c.has_value()) << text;
    EXPECT_NE(c.error().message.find(key), std::string::npos) << text << c.error().message;
  }
}

}  // namespace
}  // namespace mailcase::config

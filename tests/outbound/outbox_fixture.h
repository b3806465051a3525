// A store holding one queued outbox mail (a comment to anna@example.org), as the outbox
// worker's tests start from.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "store/store.h"

namespace mailcase::outbound::testing {

// Opens a new SQLite store at file and queues the mail; a test failure if either fails.
inline void open_with_one_queued_mail(const std::filesystem::path& file, std::unique_ptr<store::Store>& st) {
  auto s = store::open_sqlite(file, {});
  ASSERT_TRUE(s);
  st = std::move(*s);
  store::OutboxMail m;
  m.kind = "comment";
  m.to = "anna@example.org";
  m.message_id = "m1@x";
  m.raw = "Subject: x\r\n\r\nhi\r\n";
  ASSERT_TRUE(st->add_outbox(m));
}

}  // namespace mailcase::outbound::testing

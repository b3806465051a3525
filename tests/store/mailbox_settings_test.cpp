// A mailbox's settings are one JSON object in the mailboxes table. Protocol, TLS mode,
// --after and auth are kept as the text users type; text the domain does not know,
// read back, is an error naming the mailbox, never some default.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>
#include <string>

#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::store {
namespace {

class MailboxSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite(dir_.path() / "t.db");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }

  // What another program, an earlier mailcase or a hand edit might leave in the file.
  void edit(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() / "t.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }

  void put_settings(const std::string& name, const std::string& settings) {
    // Callers pass settings without a single quote of their own.
    edit("INSERT INTO mailboxes (name, settings, created_at) VALUES ('" + name + "', '" + settings +
         "', '2026-11-23T10:00:00Z')");
  }

  nlohmann::json stored_settings(const std::string& name) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((dir_.path() / "t.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT settings FROM mailboxes WHERE name = ?", -1, &st, nullptr),
              SQLITE_OK);
    sqlite3_bind_text(st, 1, name.c_str(), -1, SQLITE_TRANSIENT);
    nlohmann::json j;
    if (sqlite3_step(st) == SQLITE_ROW)
      j = nlohmann::json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), nullptr, false);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return j;
  }

  void expect_list_fails_with(const std::string& message) {
    auto all = store_->list_mailboxes();
    ASSERT_FALSE(all) << "read back as if it were fine";
    EXPECT_EQ(all.error().code, ErrorCode::kInternal);
    EXPECT_EQ(all.error().message, message);
  }

  mailcase::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(MailboxSettingsTest, TypedSettingsAreStoredAsTheTextUsersType) {
  Mailbox m;
  m.name = "support";
  m.protocol = domain::Protocol::kImap;
  m.tls = domain::TlsMode::kStartTls;
  m.after = {domain::AfterAction::kMove, "Done"};
  m.auth = domain::AuthMethod::kXOAuth2;
  m.token_command = "get-token";
  Mailbox p;
  p.name = "archive";
  p.protocol = domain::Protocol::kPop3;
  p.tls = domain::TlsMode::kNone;
  p.after = {domain::AfterAction::kKeep, {}};
  ASSERT_TRUE(store_->add_mailbox(m));
  ASSERT_TRUE(store_->add_mailbox(p));

  auto j = stored_settings("support");
  EXPECT_EQ(j.value("protocol", ""), "imap");
  EXPECT_EQ(j.value("tls", ""), "starttls");
  EXPECT_EQ(j.value("after", ""), "move:Done");
  EXPECT_EQ(j.value("auth", ""), "xoauth2");
  auto k = stored_settings("archive");
  EXPECT_EQ(k.value("protocol", ""), "pop3");
  EXPECT_EQ(k.value("tls", ""), "none");
  EXPECT_EQ(k.value("after", ""), "keep");
  EXPECT_EQ(k.value("auth", ""), "password");
}

// Settings as mailcase wrote them before they were typed, and from before "auth" and
// the TLS options existed: read back unchanged, the missing ones as their defaults.
TEST_F(MailboxSettingsTest, SettingsWrittenByEarlierVersionsReadBack) {
  put_settings("full",
               R"({"protocol":"pop3","host":"pop.example.com","port":995,"tls":"implicit","user":"u",)"
               R"("password_file":"/p","folder":"INBOX","poll_interval_s":60,"idle":true,"after":"delete",)"
               R"("address":"","ca_file":"","tls_verify":true,"auth":"password","token_command":"",)"
               R"("allow_plaintext_auth":false})");
  put_settings("old",
               R"({"protocol":"imap","host":"imap.example.com","port":143,"tls":"starttls","user":"u",)"
               R"("password_file":"/p","folder":"Cases","poll_interval_s":30,"idle":false,)"
               R"("after":"move:Done/2026"})");
  auto all = store_->list_mailboxes();
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  const Mailbox& full = (*all)[0];
  EXPECT_EQ(full.name, "full");
  EXPECT_EQ(full.protocol, domain::Protocol::kPop3);
  EXPECT_EQ(full.tls, domain::TlsMode::kImplicit);
  EXPECT_EQ(full.after, (domain::AfterFetch{domain::AfterAction::kDelete, {}}));
  EXPECT_EQ(full.auth, domain::AuthMethod::kPassword);
  EXPECT_EQ(full.port, 995);
  const Mailbox& old = (*all)[1];
  EXPECT_EQ(old.name, "old");
  EXPECT_EQ(old.protocol, domain::Protocol::kImap);
  EXPECT_EQ(old.tls, domain::TlsMode::kStartTls);
  EXPECT_EQ(old.after, (domain::AfterFetch{domain::AfterAction::kMove, "Done/2026"}));
  EXPECT_EQ(old.auth, domain::AuthMethod::kPassword);
  EXPECT_TRUE(old.tls_verify);
  EXPECT_FALSE(old.allow_plaintext_auth);
  EXPECT_EQ(old.folder, "Cases");
  EXPECT_FALSE(old.idle);
}

TEST_F(MailboxSettingsTest, AnUnknownTlsModeIsAnErrorNamingTheMailbox) {
  put_settings("support", R"({"protocol":"imap","host":"h","port":993,"tls":"ssl","after":"seen"})");
  expect_list_fails_with("mailbox support: unknown tls 'ssl'");
}

TEST_F(MailboxSettingsTest, AnUnknownProtocolAfterOrAuthIsAnError) {
  put_settings("a", R"({"protocol":"smtp"})");
  expect_list_fails_with("mailbox a: unknown protocol 'smtp'");
  edit("DELETE FROM mailboxes");
  put_settings("b", R"({"protocol":"imap","after":"move:"})");
  expect_list_fails_with("mailbox b: unknown after 'move:'");
  edit("DELETE FROM mailboxes");
  put_settings("c", R"({"protocol":"imap","after":"archive"})");
  expect_list_fails_with("mailbox c: unknown after 'archive'");
  edit("DELETE FROM mailboxes");
  put_settings("d", R"({"auth":"kerberos"})");
  expect_list_fails_with("mailbox d: unknown auth 'kerberos'");
}

// One bad mailbox is not skipped: the list is refused, so `serve` does not run
// without it unnoticed.
TEST_F(MailboxSettingsTest, OneBadMailboxFailsTheWholeList) {
  Mailbox good;
  good.name = "a-good";
  ASSERT_TRUE(store_->add_mailbox(good));
  put_settings("z-bad", R"({"tls":"tls1.3"})");
  expect_list_fails_with("mailbox z-bad: unknown tls 'tls1.3'");
}

TEST_F(MailboxSettingsTest, SettingsOfTheWrongShapeAreAnErrorNotACrash) {
  put_settings("a", "not json");
  expect_list_fails_with("mailbox a: its settings are not a JSON object");
  edit("DELETE FROM mailboxes");
  put_settings("b", R"(["imap"])");
  expect_list_fails_with("mailbox b: its settings are not a JSON object");
  edit("DELETE FROM mailboxes");
  put_settings("c", R"({"tls":5})");
  expect_list_fails_with("mailbox c: tls is not text");
  edit("DELETE FROM mailboxes");
  put_settings("d", R"({"port":"993"})");
  expect_list_fails_with("mailbox d: port has the wrong type");
  edit("DELETE FROM mailboxes");
  put_settings("e", R"({"idle":"yes"})");
  expect_list_fails_with("mailbox e: idle has the wrong type");
}

}  // namespace
}  // namespace mailcase::store

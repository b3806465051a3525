// Proof of the sender (SF3) through the command line as the MTA and an agent use it:
// the Authentication-Results of a trusted server (trust.authserv_ids, or a routing
// address's own) mark comments verified or not, and a reply from someone the case knows
// whose DMARC failed is held or kept as an internal note; headers below the believed
// one, or from servers not trusted, change nothing.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;
using nlohmann::json;

constexpr const char* kPass =
    "Authentication-Results: mx.corp.example;\r\n  dkim=pass header.d=acme.example header.s=s1;\r\n"
    "  spf=pass smtp.mailfrom=ann@acme.example;\r\n  dmarc=pass (p=reject) header.from=acme.example\r\n";
constexpr const char* kFail =
    "Authentication-Results: mx.corp.example; dkim=none; spf=fail smtp.mailfrom=eve@evil.example;\r\n"
    "  dmarc=fail (p=reject) header.from=acme.example\r\n";

std::string mail(const std::string& from, const std::string& subject, const std::string& body,
                 const std::string& message_id, const std::string& extra_headers = "") {
  return extra_headers + "From: " + from + "\r\nTo: support@corp.example\r\nSubject: " + subject +
         "\r\nMessage-ID: <" + message_id +
         ">\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n\r\n" +
         body;
}

class SenderProof : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run({"init"}).exit_code, 0);
    config("hold");
    ASSERT_EQ(run({"address", "add", "support@corp.example"}).exit_code, 0);
    ASSERT_EQ(run({"contact", "add", "--name", "Ann", "--email", "ann@acme.example"}).exit_code, 0);
    auto o = deliver(
        mail("Ann <ann@acme.example>", "Printer jams", "It jams.\n", "first@acme.example",
             std::string("Received: by mx.corp.example; Mon, 23 Nov 2026 10:00:00 +0000\r\n") + kPass));
    ASSERT_EQ(o["outcome"], "created") << o.dump();
    number_ = o["case"];
  }
  void config(const std::string& on_dmarc_fail, const std::string& ids = "\"mx.corp.example\"") {
    std::ofstream(std::filesystem::path(data_) / "mailcase.toml")
        << "[trust]\nauthserv_ids = [" << ids << "]\non_dmarc_fail = \"" << on_dmarc_fail
        << "\"\n[outbound]\nfrom_address = \"help@corp.example\"\n";
  }
  mailcase::testing::CommandResult run(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data_});
    return run_mailcase(args, in);
  }
  json run_json(std::vector<std::string> args) {
    auto r = run(std::move(args));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  json deliver(const std::string& raw) {
    auto r = run({"deliver"}, raw);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  json show() { return run_json({"case", "show", number_, "--json"}); }
  std::string status() { return show().value("status", ""); }
  json last_comment() { return show()["comments"].back(); }
  json message(int64_t id) {
    for (const auto& m : run_json({"message", "list", "--json"}))
      if (m["id"] == id) return m;
    return json();
  }
  size_t outbox_size() {
    auto j = run_json({"outbox", "list", "--json"});
    return j.is_array() ? j.size() : 0;
  }
  void propose() {
    ASSERT_EQ(run({"case", "propose-solution", number_, "--body", "Clean the roller."}).exit_code, 0);
    ASSERT_EQ(status(), "solution proposed");
  }
  std::string reply_subject() const { return "Re: [" + number_ + "] Printer jams"; }

  mailcase::testing::TempDir dir_;
  std::string data_;
  std::string number_;
};

TEST_F(SenderProof, AProvenMailIsVerifiedOnItsCommentAndRecord) {
  auto c = show()["comments"][0];
  EXPECT_EQ(c["sender_verified"], true) << c.dump();
  auto text = run({"case", "show", number_});
  EXPECT_NE(text.out.find("Ann <ann@acme.example>  [verified]"), std::string::npos) << text.out;
  auto m = message(1);
  EXPECT_EQ(m["auth_server"], "mx.corp.example") << m.dump();
  EXPECT_EQ(m["dkim"], "pass");
  EXPECT_EQ(m["spf"], "pass");
  EXPECT_EQ(m["dmarc"], "pass");
  EXPECT_EQ(m["sender_verified"], true);
  // A reply without any header: not verified, and nothing else changes.
  auto o = deliver(mail("ann@acme.example", reply_subject(), "Still jams.\n", "r1@acme.example"));
  EXPECT_EQ(o["outcome"], "updated");
  EXPECT_EQ(last_comment()["sender_verified"], false);
  EXPECT_EQ(last_comment()["visibility"], "public");
  text = run({"case", "show", number_});
  EXPECT_NE(text.out.find("ann@acme.example  [not verified]"), std::string::npos) << text.out;
  EXPECT_EQ(message(2)["auth_server"], "");
  EXPECT_EQ(message(2)["sender_verified"], false);
  // An agent's comment was not a mail: neither.
  ASSERT_EQ(run({"case", "comment", number_, "--body", "Looking.", "--internal"}).exit_code, 0);
  EXPECT_FALSE(last_comment().contains("sender_verified")) << last_comment().dump();
}

// A reply with no From line at all: its Sender stands in for it, but DMARC checks the From
// only, so a trusted server's verdict proves nothing of it. It may not speak as the contact
// (reject the solution) nor bring in a participant by its Cc.
TEST_F(SenderProof, AReplyWithoutAFromLineDoesNotSpeakAsTheContact) {
  propose();
  const std::string raw =
      std::string(
          "Authentication-Results: mx.corp.example; spf=pass smtp.mailfrom=eve@evil.example;"
          " dmarc=none\r\nSender: Ann <ann@acme.example>\r\nTo: support@corp.example\r\n"
          "Cc: eve@evil.example\r\nSubject: ") +
      reply_subject() +
      "\r\nMessage-ID: <nofrom@evil.example>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain\r\n\r\nReject\r\nTalk to Eve from now on.\r\n";
  auto o = deliver(raw);
  EXPECT_EQ(o["outcome"], "held") << o.dump();
  EXPECT_NE(o.value("reason", "").find("the mail has no From line"), std::string::npos) << o.dump();
  EXPECT_EQ(status(), "solution proposed");
  // Eve, Cc'd, did not become a participant: her own mail on the case is no public comment.
  auto eve = deliver(mail("Eve <eve@evil.example>", reply_subject(), "Hello?\n", "eve2@evil.example"));
  EXPECT_NE(last_comment()["visibility"], "public") << eve.dump();
}

// A From the server read otherwise than mailcase does: its DMARC pass is for evil.example,
// while the address mailcase reads is the contact's. Not believed as the contact.
TEST_F(SenderProof, ADmarcPassForAnotherDomainThanTheFromIsNotTheContacts) {
  propose();
  auto o = deliver(mail("<ann@acme.example> <eve@evil.example>", reply_subject(), "Reject\n",
                        "twofrom@evil.example",
                        "Authentication-Results: mx.corp.example; dkim=pass header.d=evil.example;"
                        " dmarc=pass header.from=evil.example\r\n"));
  EXPECT_EQ(o["outcome"], "held") << o.dump();
  EXPECT_NE(o.value("reason", "").find("the trusted DMARC result is for evil.example"), std::string::npos)
      << o.dump();
  EXPECT_EQ(status(), "solution proposed");
}

TEST_F(SenderProof, ForgedReplyFromTheContactIsHeldAndChangesNothing) {
  propose();
  const size_t comments = show()["comments"].size();
  auto o =
      deliver(mail("Ann <ann@acme.example>", reply_subject(), "Accept\n", "forged1@evil.example", kFail));
  EXPECT_EQ(o["outcome"], "held") << o.dump();
  const std::string reason = o.value("reason", "");
  EXPECT_NE(reason.find("DMARC failed for the From domain acme.example"), std::string::npos) << reason;
  EXPECT_EQ(status(), "solution proposed");
  EXPECT_EQ(show()["comments"].size(), comments);
  auto m = message(2);
  EXPECT_EQ(m["state"], "held");
  EXPECT_EQ(m["dmarc"], "fail");
  EXPECT_EQ(m["spf"], "fail");
  EXPECT_EQ(m["sender_verified"], false);
}

TEST_F(SenderProof, ForgedReplyBecomesAnInternalNoteWhenSoConfigured) {
  propose();
  config("internal");
  const size_t sent = outbox_size();
  auto o = deliver(mail("Ann <ann@acme.example>", reply_subject(), "Accept\n", "forged2@evil.example",
                        std::string(kFail) + "Cc: mallory@evil.example\r\n"));
  EXPECT_EQ(o["outcome"], "updated") << o.dump();
  EXPECT_EQ(status(), "solution proposed");
  auto c = last_comment();
  EXPECT_EQ(c["visibility"], "internal");
  EXPECT_EQ(c["sender_verified"], false);
  EXPECT_NE(c["author"].get<std::string>().find("(DMARC failed: sender not proven)"), std::string::npos)
      << c.dump();
  EXPECT_EQ(outbox_size(), sent);               // no mail about a change
  EXPECT_TRUE(show()["participants"].empty());  // its Cc adds nobody
}

TEST_F(SenderProof, AFailBelowTheBelievedHeaderOrFromAnUntrustedServerChangesNothing) {
  propose();
  // Written by the sender before the mail reached our server, which wrote the pass above it.
  auto o = deliver(mail("Ann <ann@acme.example>", reply_subject(), "Accept\n", "ok1@acme.example",
                        std::string(kPass) + kFail));
  EXPECT_EQ(o["outcome"], "updated") << o.dump();
  EXPECT_EQ(status(), "resolved");
  EXPECT_EQ(last_comment()["sender_verified"], true);

  // A server we do not trust may say anything: nothing is believed, nothing held.
  auto p = deliver(mail("Ann <ann@acme.example>", reply_subject(), "Thanks\n", "ok2@acme.example",
                        "Authentication-Results: mx.evil.example; dmarc=fail header.from=acme.example\r\n"));
  EXPECT_EQ(p["outcome"], "updated") << p.dump();
  EXPECT_EQ(last_comment()["sender_verified"], false);
  EXPECT_EQ(last_comment()["visibility"], "public");
  EXPECT_EQ(message(3)["auth_server"], "");
  EXPECT_EQ(message(3)["dmarc"], "");
}

TEST_F(SenderProof, ANewCaseFromAForgedFromGetsNoConfirmation) {
  const size_t sent = outbox_size();
  EXPECT_GE(sent, 1u);  // the first case was confirmed
  auto o = deliver(mail("Ann <ann@acme.example>", "New trouble", "Help\n", "forged3@evil.example", kFail));
  EXPECT_EQ(o["outcome"], "created") << o.dump();
  EXPECT_EQ(outbox_size(), sent);
  bool skipped = false;
  for (const auto& e : run_json({"case", "history", o["case"].get<std::string>(), "--json"})) {
    if (e["action"] == "confirmation_skipped") {
      skipped = true;
      EXPECT_NE(e["details"].value("reason", "").find("DMARC failed for the From domain acme.example"),
                std::string::npos)
          << e.dump();
    }
  }
  EXPECT_TRUE(skipped);
}

TEST_F(SenderProof, ARoutingAddressBelievesItsOwnServer) {
  config("hold", "");
  ASSERT_EQ(run({"address", "add", "support@corp.example", "--authserv-id", "mx.provider.example",
                 "--authserv-id", "mx2.provider.example"})
                .exit_code,
            0);
  auto list = run_json({"address", "list", "--json"});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["authserv_ids"], json({"mx.provider.example", "mx2.provider.example"}));
  EXPECT_NE(run({"address", "list"}).out.find("authserv-id=mx.provider.example"), std::string::npos);
  deliver(mail("ann@acme.example", reply_subject(), "More.\n", "p1@acme.example",
               "Authentication-Results: MX.Provider.example; dkim=pass header.d=mail.acme.example\r\n"));
  EXPECT_EQ(last_comment()["sender_verified"], true);
  EXPECT_EQ(message(2)["auth_server"], "mx.provider.example");
  // mx.corp.example is no longer configured: its header is not believed.
  deliver(mail("ann@acme.example", reply_subject(), "More.\n", "p2@acme.example", kPass));
  EXPECT_EQ(last_comment()["sender_verified"], false);
  // An id that could never match is refused.
  auto bad = run({"address", "add", "support@corp.example", "--authserv-id", "mx corp"});
  EXPECT_EQ(bad.exit_code, 64) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("authserv"), std::string::npos) << bad.err;
}

TEST_F(SenderProof, AMailboxKeepsItsOwnServers) {
  const std::string pw = (dir_.path() / "pw").string();
  std::ofstream(pw) << "secret\n";
  ASSERT_EQ(
      run({"mailbox", "add", "inbox", "--protocol", "imap", "--host", "127.0.0.1", "--port", "993", "--tls",
           "implicit", "--user", "u", "--password-file", pw, "--authserv-id", "imap.provider.example"})
          .exit_code,
      0);
  auto list = run_json({"mailbox", "list", "--json"});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["authserv_ids"], json({"imap.provider.example"}));
  auto bad = run({"mailbox", "add", "other", "--protocol", "imap", "--host", "127.0.0.1", "--port", "993",
                  "--tls", "implicit", "--user", "u", "--password-file", pw, "--authserv-id", "a;b"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("authserv"), std::string::npos) << bad.err;
}

TEST_F(SenderProof, TheApiShowsTheProofOfEachMailsComment) {
  ASSERT_EQ(run({"agent", "add", "--email", "marek@corp.example", "--name", "Marek"}).exit_code, 0);
  auto t = run({"token", "create", "--agent", "marek@corp.example"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  std::string token = t.out.substr(t.out.rfind('\n', t.out.size() - 2) + 1);
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  deliver(mail("ann@acme.example", reply_subject(), "Unproven.\n", "u1@acme.example"));
  ASSERT_EQ(run({"case", "comment", number_, "--body", "Noted.", "--internal"}).exit_code, 0);
  const int port = mailcase::testing::free_port();
  mailcase::testing::Background serve(
      {"--data", data_, "serve", "--roles", "http", "--http", "127.0.0.1:" + std::to_string(port)});
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(30, 0);
  ASSERT_TRUE(mailcase::testing::wait_until([&] { return static_cast<bool>(cli.Get("/healthz")); }))
      << serve.err();
  auto r = cli.Get("/api/v1/cases/" + number_, {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto comments = json::parse(r->body)["comments"];
  ASSERT_EQ(comments.size(), 3u) << comments.dump();
  EXPECT_EQ(comments[0]["sender_verified"], true);
  EXPECT_EQ(comments[1]["sender_verified"], false);
  EXPECT_FALSE(comments[2].contains("sender_verified"));
}

}  // namespace
}  // namespace mailcase

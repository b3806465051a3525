// The command line as the MTA, an administrator and other tools use it.
#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <set>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;
using nlohmann::json;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    auto r = run({"init"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  mailcase::testing::CommandResult run(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data_});
    return run_mailcase(args, in);
  }
  json deliver(const std::string& mail, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"deliver"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run(args, mail);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  json show(const std::string& number) {
    auto r = run({"case", "show", number, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  mailcase::testing::TempDir dir_;
  std::string data_;
};

std::string mail(const std::string& from, const std::string& subject, const std::string& body,
                 const std::string& message_id, const std::string& extra_headers = "",
                 const std::string& to = "support@corp.example") {
  return "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + message_id +
         ">\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n" + extra_headers +
         "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body;
}

TEST_F(Cli, InitWritesCommentedConfig) {
  auto text = mailcase::testing::read_file(std::filesystem::path(data_) / "mailcase.toml");
  EXPECT_NE(text.find("max_message_bytes"), std::string::npos);
  EXPECT_NE(text.find("# "), std::string::npos);
}

// `address add` again changes the options given and keeps the rest: changing the queue of
// an address that holds unknown senders does not start making cases of their mail.
TEST_F(Cli, AddressAddAgainKeepsTheSettingsNotGiven) {
  ASSERT_EQ(run({"address", "add", "vip@corp.example", "--queue", "VIP", "--unknown-sender", "hold",
                 "--subject-prefix", "[VIP]", "--api", "yes", "--creates-cases", "no"})
                .exit_code,
            0);
  ASSERT_EQ(run({"address", "add", "VIP@corp.example", "--queue", "VIP2"}).exit_code, 0);
  auto list = json::parse(run({"address", "list", "--json"}).out, nullptr, false);
  ASSERT_TRUE(list.is_array()) << list.dump();
  json vip;
  for (const auto& a : list)
    if (a["email"] == "vip@corp.example") vip = a;
  ASSERT_FALSE(vip.is_null()) << list.dump();
  EXPECT_EQ(vip["queue"], "VIP2");
  EXPECT_EQ(vip["unknown_sender"], "hold");
  EXPECT_EQ(vip["subject_prefix"], "[VIP]");
  EXPECT_EQ(vip["api"], true);
  EXPECT_EQ(vip["creates_cases"], false);
}

TEST_F(Cli, NewMailBecomesCaseWithContactAccountQueueAndProduct) {
  ASSERT_EQ(run({"account", "add", "--name", "Acme", "--support-level", "gold"}).exit_code, 0);
  ASSERT_EQ(run({"contact", "add", "--name", "Ann Smith", "--email", "ann@acme.example", "--account", "Acme"}).exit_code, 0);
  ASSERT_EQ(run({"address", "add", "printers@corp.example", "--queue", "Hardware", "--product", "LaserJet"}).exit_code, 0);
  auto o = deliver(mail("Ann <ANN@acme.example>", "Printer jams", "It jams on page 2.\n", "m1@acme.example", "",
                        "printers@corp.example"));
  EXPECT_EQ(o["outcome"], "created");
  ASSERT_TRUE(o["case"].is_string());
  auto c = show(o["case"]);
  EXPECT_EQ(c["subject"], "Printer jams");
  EXPECT_EQ(c["status"], "new");
  EXPECT_EQ(c["queue"], "Hardware");
  EXPECT_EQ(c["product"], "LaserJet");
  EXPECT_EQ(c["contact"]["name"], "Ann Smith");
  EXPECT_EQ(c["contact"]["email"], "ann@acme.example");
  EXPECT_EQ(c["account"]["name"], "Acme");
  ASSERT_EQ(c["comments"].size(), 1u);
  EXPECT_EQ(c["comments"][0]["direction"], "inbound");
  EXPECT_EQ(c["comments"][0]["visibility"], "public");
  EXPECT_NE(c["comments"][0]["body"].get<std::string>().find("jams on page 2"), std::string::npos);
}

TEST_F(Cli, SameMailTwiceGivesOneCase) {
  auto m = mail("bob@example.com", "Hello", "Hi\n", "dup@example.com");
  auto a = deliver(m);
  auto b = deliver(m);
  EXPECT_EQ(a["outcome"], "created");
  EXPECT_EQ(b["outcome"], "duplicate");
  EXPECT_EQ(a["case"], b["case"]);
  // Same Message-ID with other bytes (another Delivered-To added by the MTA): still one case.
  auto c = deliver("Delivered-To: sales@corp.example\r\n" + m);
  EXPECT_EQ(c["outcome"], "duplicate");
  auto list = json::parse(run({"case", "list", "--json"}).out);
  EXPECT_EQ(list.size(), 1u);
}

// Two senders' mailers that write the same junk Message-ID ("<@localhost>"): two mails,
// two cases, two contacts; neither is taken for a copy of the other. A copy of one of them
// (the same From, another Received line) is still a duplicate.
TEST_F(Cli, TheSameMessageIdFromAnotherSenderIsAnotherMail) {
  auto a = deliver(mail("Pia <p1@one.example>", "Invoice", "Where is my invoice?\n", "@localhost"));
  auto b = deliver(mail("Paul <p2@two.example>", "Login", "I cannot log in.\n", "@localhost"));
  EXPECT_EQ(a["outcome"], "created") << a.dump();
  EXPECT_EQ(b["outcome"], "created") << b.dump();
  EXPECT_NE(a["case"], b["case"]);
  EXPECT_EQ(show(b["case"])["contact"]["email"], "p2@two.example");
  auto c = deliver("Received: from relay.two.example\r\n" +
                   mail("Paul <p2@two.example>", "Login", "I cannot log in.\n", "@localhost"));
  EXPECT_EQ(c["outcome"], "duplicate") << c.dump();
  EXPECT_EQ(c["case"], b["case"]);
  EXPECT_EQ(json::parse(run({"case", "list", "--json"}).out).size(), 2u);
}

// Whatever became of a mail (a case, a duplicate of another mail of its Message-ID, a
// failure), the same bytes again are answered as a duplicate of its record and add none.
TEST_F(Cli, TheSameBytesAgainAddNoRecordWhateverBecameOfThem) {
  std::ofstream(std::filesystem::path(data_) / "mailcase.toml") << "[limits]\nmax_message_bytes = 2000\n";
  const auto m = mail("bob@example.com", "Hello", "Hi\n", "again@example.com");
  const auto other_bytes = "Delivered-To: sales@corp.example\r\n" + m;
  const auto huge = mail("bob@example.com", "Huge", std::string(5000, 'x') + "\n", "huge@example.com");
  const std::string garbage("\x00\x01\x02 not a mail at all", 22);
  std::vector<json> first;
  for (const auto* bytes : {&m, &other_bytes, &huge, &garbage}) {
    first.push_back(json::parse(run({"deliver"}, *bytes).out));
    auto again = run({"deliver"}, *bytes);
    auto o = json::parse(again.out);
    EXPECT_EQ(o["outcome"], "duplicate") << o.dump();
    EXPECT_EQ(o["reason"], "already recorded as message " + std::to_string(first.back()["message"].get<int>()))
        << o.dump();
    EXPECT_EQ(o["case"], first.back()["case"]) << o.dump();
    EXPECT_EQ(again.exit_code, bytes == &huge ? 65 : 0);  // too large: refused each time
  }
  EXPECT_EQ(first[0]["outcome"], "created");
  EXPECT_EQ(first[1]["outcome"], "duplicate");
  EXPECT_EQ(first[1]["reason"], "same Message-ID as message " + std::to_string(first[0]["message"].get<int>()));
  EXPECT_EQ(first[2]["outcome"], "failed");
  auto all = json::parse(run({"message", "list", "--json"}).out);
  EXPECT_EQ(all.size(), 4u) << all.dump();
  EXPECT_EQ(json::parse(run({"case", "list", "--json"}).out).size(), 1u);
}

TEST_F(Cli, MailToTwoRoutingAddressesGivesOneCase) {
  run({"address", "add", "support@corp.example", "--queue", "Support"});
  run({"address", "add", "sales@corp.example", "--queue", "Sales"});
  auto m = mail("bob@example.com", "Two addresses", "Hi\n", "two@example.com", "Cc: sales@corp.example\r\n");
  auto a = deliver(m, {"--recipient", "support@corp.example"});
  auto b = deliver(m, {"--recipient", "sales@corp.example"});
  EXPECT_EQ(a["outcome"], "created");
  EXPECT_EQ(b["outcome"], "duplicate");
  EXPECT_EQ(json::parse(run({"case", "list", "--json"}).out).size(), 1u);
  EXPECT_EQ(show(a["case"])["queue"], "Support");
}

TEST_F(Cli, EnvelopeRecipientChoosesTheRoute) {
  run({"address", "add", "support@corp.example", "--queue", "Support"});
  run({"address", "add", "hidden@corp.example", "--queue", "Bcc"});
  auto o = deliver(mail("bob@example.com", "Bcc'd", "x\n", "bcc@example.com"), {"--recipient", "hidden@corp.example"});
  EXPECT_EQ(show(o["case"])["queue"], "Bcc");
}

TEST_F(Cli, ReplyWithTagThreadsAsCommentWithQuoteKeptApart) {
  auto a = deliver(mail("bob@example.com", "VPN down", "The VPN is down.\n", "first@example.com"));
  std::string number = a["case"];
  auto r = deliver(mail("bob@example.com", "RE: AW: [" + number + "] VPN down",
                        "Still down.\r\n\r\nOn Mon, 23 Nov 2026 at 10:00, Support <support@corp.example> wrote:\r\n"
                        "> The VPN is down.\r\n",
                        "second@example.com"));
  EXPECT_EQ(r["outcome"], "updated");
  EXPECT_EQ(r["case"], number);
  auto c = show(number);
  ASSERT_EQ(c["comments"].size(), 2u);
  EXPECT_EQ(c["comments"][1]["body"], "Still down.");
  EXPECT_NE(c["comments"][1]["quoted"].get<std::string>().find("The VPN is down."), std::string::npos);
}

TEST_F(Cli, ReplyByReferencesThreads) {
  auto a = deliver(mail("bob@example.com", "Question", "Q\n", "q1@example.com"));
  auto r = deliver(mail("bob@example.com", "Re: Question", "More\n", "q2@example.com",
                        "In-Reply-To: <q1@example.com>\r\nReferences: <q1@example.com>\r\n"));
  EXPECT_EQ(r["outcome"], "updated");
  EXPECT_EQ(r["case"], a["case"]);
}

TEST_F(Cli, UnknownCaseNumberMakesNewCase) {
  auto a = deliver(mail("bob@example.com", "Re: Case:CS0009999 old", "x\n", "u1@example.com"));
  EXPECT_EQ(a["outcome"], "created");
  EXPECT_NE(a["case"], "CS0009999");
}

TEST_F(Cli, UnknownSenderHeldThenRetriedAfterContactAdded) {
  run({"address", "add", "vip@corp.example", "--unknown-sender", "hold"});
  auto o = deliver(mail("stranger@example.com", "Let me in", "x\n", "s1@example.com", "", "vip@corp.example"));
  EXPECT_EQ(o["outcome"], "held");
  EXPECT_TRUE(o["case"].is_null());
  auto held = json::parse(run({"message", "list", "--state", "held", "--json"}).out);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0]["reason"], "unknown sender");
  run({"contact", "add", "--name", "Stranger", "--email", "stranger@example.com"});
  auto r = run({"message", "retry", std::to_string(held[0]["id"].get<int>())});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["outcome"], "created");
  EXPECT_TRUE(json::parse(run({"message", "list", "--state", "held", "--json"}).out).empty());
}

TEST_F(Cli, DismissedHeldMailIsKeptOutOfTheHeldListAndARetryBringsItBack) {
  run({"address", "add", "vip@corp.example", "--unknown-sender", "hold"});
  ASSERT_EQ(run({"agent", "add", "--name", "Ada", "--email", "ada@corp.example"}).exit_code, 0);
  auto o =
      deliver(mail("stranger@example.com", "Cheap pills", "x\n", "d1@example.com", "", "vip@corp.example"));
  ASSERT_EQ(o["outcome"], "held");
  const std::string id = std::to_string(o["message"].get<int>());
  // Refused: an unknown mail, a reason of two lines.
  EXPECT_EQ(run({"message", "dismiss", "999999"}).exit_code, 66);
  auto two = run({"message", "dismiss", id, "--reason", "one\ntwo"});
  EXPECT_EQ(two.exit_code, 65);
  EXPECT_NE(two.err.find("reason"), std::string::npos) << two.err;

  auto r = run({"--as", "ada@corp.example", "message", "dismiss", id, "--reason", "pills again"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto m = json::parse(r.out);
  EXPECT_EQ(m["state"], "dismissed");
  EXPECT_EQ(m["outcome"], "held");
  EXPECT_EQ(m["reason"], "unknown sender; dismissed by ada@corp.example: pills again");
  EXPECT_TRUE(json::parse(run({"message", "list", "--state", "held", "--json"}).out).empty());
  auto dismissed = json::parse(run({"message", "list", "--state", "dismissed", "--json"}).out);
  ASSERT_EQ(dismissed.size(), 1u);
  EXPECT_EQ(std::to_string(dismissed[0]["id"].get<int>()), id);
  EXPECT_GT(dismissed[0]["size"].get<int>(), 0);
  // Once only: a dismissed mail is not dismissed again.
  auto again = run({"message", "dismiss", id});
  EXPECT_EQ(again.exit_code, 65);
  EXPECT_NE(again.err.find("only held or failed messages can be dismissed"), std::string::npos) << again.err;

  // On record, by whom and why.
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open_v2((std::filesystem::path(data_) / "mailcase.db").c_str(), &h, SQLITE_OPEN_READONLY,
                            nullptr),
            SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(h, "SELECT actor, details FROM events WHERE action = 'message_dismissed'", -1,
                               &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))), "ada@corp.example");
  auto details = json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
  EXPECT_EQ(details["message"], id);
  EXPECT_EQ(details["was"], "held");
  EXPECT_EQ(details["reason"], "pills again");
  EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  sqlite3_close(h);

  // A retry runs it through again: held again while its sender is unknown, then a case.
  auto held = run({"message", "retry", id});
  ASSERT_EQ(held.exit_code, 0) << held.err;
  EXPECT_EQ(json::parse(held.out)["outcome"], "held");
  EXPECT_EQ(json::parse(run({"message", "list", "--state", "held", "--json"}).out).size(), 1u);
  ASSERT_EQ(run({"message", "dismiss", id}).exit_code, 0);
  run({"contact", "add", "--name", "Stranger", "--email", "stranger@example.com"});
  auto made = run({"message", "retry", id});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_EQ(json::parse(made.out)["outcome"], "created");
  EXPECT_TRUE(json::parse(run({"message", "list", "--state", "dismissed", "--json"}).out).empty());
  // A processed mail is not junk to put aside.
  auto processed = run({"message", "dismiss", id});
  EXPECT_EQ(processed.exit_code, 65);
  EXPECT_NE(processed.err.find("is processed"), std::string::npos) << processed.err;
}

TEST_F(Cli, OverLimitMailRecordedAsFailedNeverDropped) {
  std::ofstream(std::filesystem::path(data_) / "mailcase.toml") << "[limits]\nmax_message_bytes = 1000\n";
  auto r = run({"deliver"}, mail("bob@example.com", "Huge", std::string(5000, 'x') + "\n", "big@example.com"));
  EXPECT_EQ(r.exit_code, 65) << r.err;  // refused: the MTA bounces it
  auto o = json::parse(r.out);
  EXPECT_EQ(o["outcome"], "failed");
  EXPECT_NE(o["reason"].get<std::string>().find("too large"), std::string::npos);
  auto failed = json::parse(run({"message", "list", "--state", "failed", "--json"}).out);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_LE(failed[0]["size"].get<int>(), 1000);  // its head only, never more than the limit
}

TEST_F(Cli, GarbageIsRecordedNotLost) {
  auto o = deliver(std::string("\x00\x01\x02 not a mail at all", 22));
  EXPECT_TRUE(o["outcome"] == "failed" || o["outcome"] == "held") << o.dump();
  auto all = json::parse(run({"message", "list", "--json"}).out);
  EXPECT_EQ(all.size(), 1u);
}

TEST_F(Cli, DeliverWithoutStoreAsksTheMtaToRetry) {
  auto r = run_mailcase({"--data", (dir_.path() / "missing").string(), "deliver"}, "Subject: x\r\n\r\nx");
  EXPECT_EQ(r.exit_code, 75);
}

TEST_F(Cli, AttachmentsAreKeptWithTheCase) {
  std::string m =
      "From: bob@example.com\r\nTo: support@corp.example\r\nSubject: Logs\r\nMessage-ID: <att@example.com>\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
      "Content-Type: text/plain\r\n\r\nSee logs.\r\n--b\r\nContent-Type: application/octet-stream\r\n"
      "Content-Disposition: attachment; filename=\"../../etc/passwd\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "aGVsbG8=\r\n--b--\r\n";
  auto o = deliver(m);
  auto c = show(o["case"]);
  ASSERT_EQ(c["attachments"].size(), 1u);
  EXPECT_EQ(c["attachments"][0]["filename"], "passwd");
  EXPECT_EQ(c["attachments"][0]["size"], 5);
  EXPECT_EQ(c["attachments"][0]["sha256"], "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
}

TEST_F(Cli, ImportMboxAndMaildirThenAgainIsAllDuplicates) {
  auto box = dir_.path() / "in.mbox";
  {
    std::ofstream out(box);
    for (int i = 0; i < 30; ++i) {
      out << "From x@y Mon Jan  1 00:00:00 2024\n"
          << "From: user" << i << "@example.com\nSubject: mail " << i << "\nMessage-ID: <imp" << i
          << "@example.com>\n\nbody " << i << "\n\n";
    }
  }
  auto md = dir_.path() / "Maildir";
  std::filesystem::create_directories(md / "new");
  std::filesystem::create_directories(md / "cur");
  std::ofstream(md / "new" / "1") << "From: m@example.com\nSubject: maildir\nMessage-ID: <md1@example.com>\n\nhi\n";
  auto r = run({"import", box.string(), md.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto sum = json::parse(r.out);
  EXPECT_EQ(sum["total"], 31);
  EXPECT_EQ(sum["created"], 31);
  EXPECT_NE(r.err.find("done:"), std::string::npos);
  auto again = json::parse(run({"import", box.string(), md.string(), "--json"}).out);
  EXPECT_EQ(again["duplicate"], 31);
  EXPECT_EQ(json::parse(run({"case", "list", "--json"}).out).size(), 31u);
}

// One Message-ID in one batch of an import: the first mail takes it; a copy of it (another
// Received line) is its duplicate; the same id from another sender is another mail, and a
// copy of that one is that one's duplicate. Each is told apart within the batch, where
// the key's row is looked up once per mail and kept for its apply.
TEST_F(Cli, OneMessageIdTwiceInOneImportBatchIsToldApartBySender) {
  auto box = dir_.path() / "same-id.mbox";
  {
    std::ofstream out(box);
    auto one = [&](const std::string& extra, const std::string& from, const std::string& body) {
      out << "From x@y Mon Jan  1 00:00:00 2024\n"
          << extra << "From: " << from << "\nSubject: the same id\nMessage-ID: <same@example.com>\n\n"
          << body << "\n\n";
    };
    one("", "p1@one.example", "first");
    one("Received: from relay.one.example\n", "p1@one.example", "first");
    one("", "p2@two.example", "second");
    one("Received: from relay.two.example\n", "p2@two.example", "second");
  }
  auto r = run({"import", box.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto sum = json::parse(r.out);
  EXPECT_EQ(sum["created"], 2) << sum.dump();
  EXPECT_EQ(sum["duplicate"], 2) << sum.dump();
  auto cases = json::parse(run({"case", "list", "--json"}).out);
  ASSERT_EQ(cases.size(), 2u);
  auto messages = json::parse(run({"message", "list", "--json"}).out);
  ASSERT_EQ(messages.size(), 4u) << messages.dump();
  EXPECT_EQ(messages[1]["state"], "duplicate") << messages.dump();
  EXPECT_EQ(messages[1]["case"], messages[0]["case"]) << messages.dump();
  EXPECT_EQ(messages[2]["state"], "processed") << messages.dump();
  EXPECT_NE(messages[2]["case"], messages[0]["case"]) << messages.dump();
  EXPECT_EQ(messages[3]["state"], "duplicate") << messages.dump();
  EXPECT_EQ(messages[3]["case"], messages[2]["case"]) << messages.dump();
  auto again = json::parse(run({"import", box.string(), "--json"}).out);
  EXPECT_EQ(again["duplicate"], 4) << again.dump();
  EXPECT_EQ(json::parse(run({"message", "list", "--json"}).out).size(), 4u);
}

// `import`'s summary gives a rate only for a run of a second or more, and one that is not
// rounded to "0/s" for a slow one: a quick run's rate would be noise.
TEST_F(Cli, ImportSummaryShowsARateOnlyWhereItMeansSomething) {
  auto box = dir_.path() / "two.mbox";
  {
    std::ofstream out(box);
    for (int i = 0; i < 2; ++i)
      out << "From x@y Mon Jan  1 00:00:00 2024\nFrom: rate" << i << "@example.com\nSubject: rate " << i
          << "\nMessage-ID: <rate" << i << "@example.com>\n\nbody\n\n";
  }
  auto r = run({"import", box.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      r.err, m, std::regex(R"(done: 2 mails in ([0-9.e+-]+) s(?: \(([0-9.]+)/s\))?: created=2\n)")))
      << r.err;
  const double seconds = std::stod(m[1].str());
  if (seconds < 1.0) {
    EXPECT_FALSE(m[2].matched) << r.err;
  } else {  // a loaded machine: 2 mails in a second or more is a rate under 10/s, one decimal
    ASSERT_TRUE(m[2].matched) << r.err;
    EXPECT_GT(std::stod(m[2].str()), 0.0) << r.err;
    EXPECT_NE(m[2].str().find('.'), std::string::npos) << r.err;
  }
}

// `import` commits its mails in batches, the search index written once per batch: every
// imported case is found by its words, and the index agrees with its content.
TEST_F(Cli, ImportedCasesAreFoundBySearch) {
  auto box = dir_.path() / "in.mbox";
  const int n = 1200;  // more than two batches of storage.import_batch (512)
  {
    std::ofstream out(box);
    for (int i = 0; i < n; ++i) {
      out << "From x@y Mon Jan  1 00:00:00 2024\nFrom: u" << (i % 7) << "@example.com\nSubject: topic" << i
          << "\nMessage-ID: <fts" << i << "@example.com>\n\nwordof" << i << " text\n\n";
    }
  }
  auto r = run({"import", box.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(json::parse(r.out)["created"], n);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((std::filesystem::path(data_) / "mailcase.db").c_str(), &db), SQLITE_OK);
  auto count = [&](const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    int64_t v = -1;
    if (st && sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
  };
  for (int i : {0, 1, 255, 256, 257, 511, 512, n - 1}) {
    const std::string match = "FROM case_search JOIN cases c ON c.id = case_search.rowid WHERE case_search MATCH ";
    EXPECT_EQ(count("SELECT count(*) " + match + "'topic" + std::to_string(i) + "' AND c.subject = 'topic" +
                    std::to_string(i) + "'"),
              1)
        << i;
    EXPECT_EQ(count("SELECT count(*) " + match + "'wordof" + std::to_string(i) + "' AND c.subject = 'topic" +
                    std::to_string(i) + "'"),
              1)
        << i;
  }
  EXPECT_EQ(count("SELECT count(*) FROM case_search WHERE case_search MATCH 'text'"), n);
  EXPECT_EQ(count("SELECT count(*) FROM case_search_pending"), 0);
  EXPECT_EQ(sqlite3_exec(db, "INSERT INTO case_search(case_search, rank) VALUES('integrity-check', 1)", nullptr,
                         nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST_F(Cli, KilledImportRerunGivesEveryMailOnce) {
  auto box = dir_.path() / "big.mbox";
  const int n = 3000;
  {
    std::ofstream out(box);
    for (int i = 0; i < n; ++i) {
      out << "From x@y Mon Jan  1 00:00:00 2024\nFrom: u" << (i % 50) << "@example.com\nSubject: kill " << i
          << "\nMessage-ID: <kill" << i << "@example.com>\n\nbody " << i << "\n\n";
    }
  }
  for (int round = 0; round < 3; ++round) {
    pid_t pid = fork();
    if (pid == 0) {
      int devnull = ::open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      dup2(devnull, 2);
      execl(MAILCASE_BINARY, MAILCASE_BINARY, "--data", data_.c_str(), "import", box.c_str(), (char*)nullptr);
      _exit(127);
    }
    usleep(150000 + round * 100000);
    kill(pid, SIGKILL);
    int st = 0;
    waitpid(pid, &st, 0);
  }
  auto r = run({"import", box.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto cases = json::parse(run({"case", "list", "--json", "--limit", "100000"}).out);
  EXPECT_EQ(cases.size(), static_cast<size_t>(n));
  std::set<std::string> subjects;
  for (auto& c : cases) subjects.insert(c["subject"].get<std::string>());
  EXPECT_EQ(subjects.size(), static_cast<size_t>(n));
  auto msgs = json::parse(run({"message", "list", "--json"}).out);
  size_t processed = 0;
  for (auto& m : msgs) processed += m["state"] == "processed";
  EXPECT_EQ(processed, static_cast<size_t>(n));
}

}  // namespace
}  // namespace mailcase

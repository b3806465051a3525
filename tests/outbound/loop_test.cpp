// No mail loops (SF2): which inbound mails get an automatic confirmation, through the
// command line as the MTA uses it.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <tuple>

#include "support/test_support.h"

namespace mailcase::testing {
namespace {

class Instance {
 public:
  Instance(const std::string& address, const std::string& prefix) : address_(address) {
    data_ = (dir_.path() / "data").string();
    EXPECT_EQ(run_mailcase({"--data", data_, "init"}).exit_code, 0);
    std::ofstream(dir_.path() / "data" / "mailcase.toml")
        << "[threading]\ncase_prefix = \"" << prefix << "\"\n[outbound]\nfrom_address = \"" << address
        << "\"\nmax_auto_replies_per_hour = 5\n";
    EXPECT_EQ(mc({"address", "add", address}).exit_code, 0);
  }
  CommandResult mc(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data_});
    return run_mailcase(args, in);
  }
  CommandResult deliver(const std::string& raw) { return mc({"deliver", "--recipient", address_}, raw); }
  // As Postfix's pipe runs it: `deliver --sender ${sender} --recipient ${recipient}`.
  CommandResult deliver_from(const std::string& sender, const std::string& raw) {
    return mc({"deliver", "--sender", sender, "--recipient", address_}, raw);
  }
  // What the sqlite3 shell prints for one query on the store, one row a line.
  std::string query(const std::string& sql) {
    auto db = dir_.path() / "data" / "mailcase.db";
    FILE* p = ::popen(("sqlite3 '" + db.string() + "' \"" + sql + "\"").c_str(), "r");
    std::string out;
    char buf[4096];
    size_t n;
    while (p && (n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    if (p) ::pclose(p);
    return out;
  }
  // Why confirmations were not sent, one line each (the case history's events).
  std::string not_confirmed_reasons() {
    return query(
        "SELECT json_extract(details, '$.reason') FROM events WHERE action = 'confirmation_skipped' ORDER BY "
        "id");
  }
  // The addresses of all contacts, one a line, in the order they were made.
  std::string contact_addresses() { return query("SELECT email FROM contact_emails ORDER BY contact_id"); }
  size_t cases() {
    auto j = nlohmann::json::parse(mc({"case", "list", "--json"}).out, nullptr, false);
    return j.is_array() ? j.size() : 0;
  }
  // The decoded HTML part of the newest outbox mail.
  std::string newest_html() {
    TempDir t;
    const auto file = t.path() / "mail.eml";
    std::ofstream(file, std::ios::binary) << newest_raw();
    const std::string py =
        "import email,sys\n"
        "m=email.message_from_binary_file(open(sys.argv[1],'rb'))\n"
        "for p in m.walk():\n"
        "  if p.get_content_type()=='text/html': sys.stdout.write(p.get_payload(decode=True).decode())\n";
    std::ofstream(t.path() / "html.py") << py;
    FILE* p =
        ::popen(("python3 '" + (t.path() / "html.py").string() + "' '" + file.string() + "'").c_str(), "r");
    std::string out;
    char buf[4096];
    size_t n;
    while (p && (n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    if (p) ::pclose(p);
    return out;
  }
  nlohmann::json outbox() {
    auto j = nlohmann::json::parse(mc({"outbox", "list", "--json"}).out, nullptr, false);
    return j.is_array() ? j : nlohmann::json::array();
  }
  size_t confirmations() {
    size_t n = 0;
    for (const auto& r : outbox()) n += r.value("kind", "") == "confirmation";
    return n;
  }
  // The raw text of the newest outbox mail.
  std::string newest_raw() {
    auto db = dir_.path() / "data" / "mailcase.db";
    FILE* p = ::popen(
        ("sqlite3 '" + db.string() + "' \"SELECT raw FROM outbox ORDER BY id DESC LIMIT 1\"").c_str(), "r");
    std::string out;
    char buf[4096];
    size_t n;
    while (p && (n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    if (p) ::pclose(p);
    return out;
  }
  const std::string& address() const { return address_; }
  // Appends to mailcase.toml, whose last section is [outbound].
  void set_config(const std::string& toml) {
    std::ofstream(dir_.path() / "data" / "mailcase.toml", std::ios::app) << toml;
  }

 private:
  TempDir dir_;
  std::string address_;
  std::string data_;
};

std::string mail(const std::string& from, const std::string& id, const std::string& extra = "",
                 const std::string& subject = "Help please") {
  return "From: " + from + "\r\nTo: support@corp.example\r\nSubject: " + subject + "\r\nMessage-ID: <" + id +
         ">\r\n" + extra + "\r\nSomething is wrong.\r\n";
}

nlohmann::json show(Instance& a, const std::string& number) {
  return nlohmann::json::parse(a.mc({"case", "show", number, "--json"}).out, nullptr, false);
}

TEST(LoopRules, APersonIsConfirmed) {
  Instance a("support@corp.example", "CS");
  a.deliver(mail("Anna <anna@example.org>", "p1@example.org"));
  EXPECT_EQ(a.confirmations(), 1u);
  auto row = a.outbox()[0];
  EXPECT_EQ(row.value("to", ""), "anna@example.org");
  EXPECT_TRUE(row.value("automatic", false));
}

TEST(LoopRules, MachinesListsAndOurselvesAreNeverAnswered) {
  Instance a("support@corp.example", "CS");
  int i = 0;
  for (const auto& [from, extra] : std::vector<std::pair<std::string, std::string>>{
           {"bot@example.org", "Auto-Submitted: auto-generated\r\n"},
           {"ooo@example.org", "Auto-Submitted: auto-replied\r\n"},
           {"news@example.org", "Precedence: bulk\r\n"},
           {"junk@example.org", "Precedence: junk\r\n"},
           {"list@example.org", "List-Id: <users.lists.example.org>\r\n"},
           {"MAILER-DAEMON@mx.example.org", ""},
           {"postmaster@example.org", ""},
           {"Support <support@corp.example>", ""},
       }) {
    auto r = a.deliver(mail(from, "m" + std::to_string(++i) + "@example.org", extra));
    EXPECT_EQ(r.exit_code, 0) << from;
  }
  EXPECT_EQ(a.confirmations(), 0u) << a.outbox().dump(1);
}

// Another help desk's notice often carries only X-Auto-Response-Suppress: its case is made,
// with no confirmation, and the case's history says why.
TEST(LoopRules, AMailAskingForNoAutomaticAnswersMakesACaseUnconfirmed) {
  Instance a("support@corp.example", "CS");
  auto r =
      a.deliver(mail("Desk <desk@vendor.example>", "n1@vendor.example", "X-Auto-Response-Suppress: All\r\n"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(a.cases(), 1u);
  EXPECT_EQ(a.confirmations(), 0u) << a.outbox().dump(1);
  EXPECT_NE(a.not_confirmed_reasons().find("X-Auto-Response-Suppress"), std::string::npos)
      << a.not_confirmed_reasons();
  a.deliver(mail("Desk <desk@vendor.example>", "n2@vendor.example", "X-Auto-Response-Suppress: DR, NDR\r\n"));
  EXPECT_EQ(a.confirmations(), 1u) << "other values ask about other answers";
}

// The marks of machine mail as they are written in the wild: quoted and commented values,
// X-Precedence, X-Loop, no-reply spellings, a responder's subject prefix alone, a
// sub-address of ours. A person saying "Auto-Submitted: no" with a comment is answered.
TEST(LoopRules, MachineMarksInTheirManySpellingsAreNeverAnswered) {
  Instance a("support@corp.example", "CS");
  int i = 0;
  for (const auto& [from, extra, subject] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"bot1@bot.example", "X-Loop: support@corp.example\r\n", "hello 1"},
           {"bot2@bot.example", "Precedence: \"junk\"\r\n", "hello 2"},
           {"bot3@bot.example", "X-Precedence: auto_reply\r\n", "hello 3"},
           {"no_reply@bot.example", "", "Your order"},
           {"Out Of Office <ooo@bot.example>", "", "Out of Office: I am away until Monday"},
           {"support+x@corp.example", "", "loop"},
       }) {
    auto r = a.deliver(mail(from, "lg" + std::to_string(++i) + "@bot.example", extra, subject));
    EXPECT_EQ(r.exit_code, 0) << from << r.err;
  }
  EXPECT_EQ(a.confirmations(), 0u) << a.outbox().dump(1);
  a.deliver(mail("human@people.example", "lg7@people.example", "Auto-Submitted: no (sent by a human)\r\n",
                 "a person"));
  ASSERT_EQ(a.confirmations(), 1u) << a.not_confirmed_reasons();
  EXPECT_EQ(a.outbox()[0].value("to", ""), "human@people.example");
}

// A mail From one of our own addresses (or a sub-address of one) is our mail come back or a
// forgery: it opens no case and makes no contact (an agent's answer would be mailed to
// ourselves). Naming a case, it is an internal note there, never the customer's comment.
TEST(LoopRules, OurOwnAddressesOpenNoCaseAndBecomeNoContact) {
  Instance a("support@corp.example", "CS");
  ASSERT_EQ(a.mc({"address", "add", "sales@corp.example"}).exit_code, 0);
  int i = 0;
  for (const char* from :
       {"Support <support@corp.example>", "sales@corp.example", "support+x@corp.example",
        // Quoted, the same mailbox (RFC 5321 §4.1.2): once passed as a stranger's address.
        "\"support\"@corp.example", "Us <\"SALES\"@corp.example>"}) {
    auto r = a.deliver(mail(from, "own" + std::to_string(++i) + "@corp.example", "", "echo"));
    EXPECT_NE(r.out.find("\"held\""), std::string::npos) << from << r.out;
    EXPECT_NE(r.out.find("our own address"), std::string::npos) << r.out;
  }
  EXPECT_EQ(a.cases(), 0u);
  EXPECT_EQ(a.contact_addresses(), "");

  a.deliver(mail("Anna <anna@example.org>", "o1@example.org"));
  const size_t before = a.outbox().size();
  auto r = a.deliver(
      mail("Support <support+x@corp.example>", "own9@corp.example", "", "Re: [CS0000001] Help please"));
  EXPECT_NE(r.out.find("\"updated\""), std::string::npos) << r.out;
  auto shown = show(a, "CS0000001");
  ASSERT_EQ(shown["comments"].size(), 2u) << shown.dump(1);
  for (const auto& c : shown["comments"]) {
    if (c.value("author", "").find("support+x@corp.example") != std::string::npos)
      EXPECT_EQ(c.value("visibility", ""), "internal") << shown.dump(1);
    else
      EXPECT_NE(c.value("author", "").find("anna@example.org"), std::string::npos) << shown.dump(1);
  }
  EXPECT_EQ(a.contact_addresses(), "anna@example.org\n");
  EXPECT_EQ(a.cases(), 1u);
  EXPECT_EQ(a.outbox().size(), before);
}

TEST(LoopRules, AtMostFiveConfirmationsPerSenderPerHour) {
  Instance a("support@corp.example", "CS");
  for (int i = 0; i < 8; ++i)
    a.deliver(mail("Anna <anna@example.org>", "r" + std::to_string(i) + "@example.org", "",
                   "Question " + std::to_string(i)));
  EXPECT_EQ(a.confirmations(), 5u);
  a.deliver(mail("Bob <bob@example.org>", "bob@example.org"));
  EXPECT_EQ(a.confirmations(), 6u);  // the limit is per sender
}

TEST(LoopRules, OutOfOfficeOnACaseIsKeptButNeverAnswered) {
  Instance a("support@corp.example", "CS");
  a.deliver(mail("Anna <anna@example.org>", "q1@example.org"));
  ASSERT_EQ(a.mc({"case", "comment", "CS0000001", "--public", "--body", "Which model is it?"}).exit_code, 0);
  const size_t before = a.outbox().size();
  auto r = a.deliver(mail("Anna <anna@example.org>", "ooo1@example.org",
                          "Auto-Submitted: auto-replied\r\nIn-Reply-To: <q1@example.org>\r\n",
                          "Out of office: [CS0000001] Help please"));
  EXPECT_NE(r.out.find("CS0000001"), std::string::npos) << r.out;
  EXPECT_EQ(a.outbox().size(), before);
  auto shown = a.mc({"case", "show", "CS0000001", "--json"}).out;
  EXPECT_NE(shown.find("Something is wrong."), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(shown)["comments"].size(), 3u);
}

// Importing an archive must not write to every customer in it; --confirm asks for it.
TEST(LoopRules, ImportOfAnArchiveConfirmsNobodyUnlessAsked) {
  Instance a("support@corp.example", "CS");
  TempDir d;
  auto mbox = d.path() / "old.mbox";
  std::ofstream(mbox) << "From anna@example.org Mon Jan  5 10:00:00 2026\n"
                      << "From: anna@example.org\nTo: support@corp.example\nSubject: Old one\n"
                      << "Message-ID: <old1@example.org>\n\nOld question.\n\n"
                      << "From bob@example.org Mon Jan  5 11:00:00 2026\n"
                      << "From: bob@example.org\nTo: support@corp.example\nSubject: Old two\n"
                      << "Message-ID: <old2@example.org>\n\nAnother.\n";
  ASSERT_EQ(a.mc({"import", mbox.string()}).exit_code, 0);
  EXPECT_EQ(a.confirmations(), 0u);
  std::ofstream(d.path() / "new.mbox") << "From carol@example.org Mon Jan  5 12:00:00 2026\n"
                                       << "From: carol@example.org\nTo: support@corp.example\nSubject: New\n"
                                       << "Message-ID: <new1@example.org>\n\nNew question.\n";
  ASSERT_EQ(a.mc({"import", "--confirm", (d.path() / "new.mbox").string()}).exit_code, 0);
  EXPECT_EQ(a.confirmations(), 1u);
}

// Two mailcase instances whose addresses write to each other: each one's mail lands
// at the other as a customer's mail would. With Auto-Submitted the exchange stops at
// the first automatic mail; even with a relay that strips that header, the hourly
// limit stops it.
TEST(LoopRules, TwoInstancesWritingToEachOtherStopByThemselves) {
  for (bool strip : {false, true}) {
    Instance a("help@a.example", "A");
    Instance b("help@b.example", "B");
    a.deliver(
        "From: help@b.example\r\nTo: help@a.example\r\nSubject: Order 17\r\nMessage-ID: <start@b.example>\r\n"
        "\r\nWhere is order 17?\r\n");
    Instance* from = &a;
    Instance* to = &b;
    size_t last_total = 0;
    int quiet_rounds = 0;
    for (int round = 0; round < 30 && quiet_rounds < 2; ++round) {
      auto raw = from->newest_raw();
      if (strip) raw = std::regex_replace(raw, std::regex("Auto-Submitted: [^\r\n]*\r?\n"), "");
      // Each hop is a new mail to the other side (its own Message-ID, no tag of theirs).
      raw = std::regex_replace(raw, std::regex("Message-Id: <"),
                               "Message-Id: <hop" + std::to_string(round) + ".");
      to->deliver(raw);
      std::swap(from, to);
      size_t total = a.outbox().size() + b.outbox().size();
      quiet_rounds = total == last_total ? quiet_rounds + 1 : 0;
      last_total = total;
    }
    EXPECT_GE(quiet_rounds, 2) << "the exchange did not stop (strip=" << strip << ")";
    EXPECT_LE(a.confirmations(), 5u);
    EXPECT_LE(b.confirmations(), 5u);
    if (!strip) {
      EXPECT_EQ(a.confirmations() + b.confirmations(), 1u);
    }
  }
}

TEST(CaseServices, AssignAndAnAgentsAttachmentGoesWithTheMail) {
  Instance a("support@corp.example", "CS");
  a.deliver(mail("Anna <anna@example.org>", "a1@example.org"));
  ASSERT_EQ(a.mc({"agent", "add", "--name", "Marek", "--email", "marek@corp.example"}).exit_code, 0);
  ASSERT_EQ(a.mc({"case", "assign", "CS0000001", "--owner", "marek@corp.example"}).exit_code, 0);
  EXPECT_EQ(show(a, "CS0000001").value("owner", ""), "marek@corp.example");
  TempDir d;
  std::ofstream(d.path() / "steps.txt") << "1. Open the tray.\n2. Remove the paper.\n";
  ASSERT_EQ(a.mc({"case", "comment", "CS0000001", "--public", "--body", "See the steps attached.", "--attach",
                  (d.path() / "steps.txt").string()})
                .exit_code,
            0);
  auto raw = a.newest_raw();
  EXPECT_NE(raw.find("filename=steps.txt"), std::string::npos) << raw;
  auto j = show(a, "CS0000001");
  bool listed = false;
  for (const auto& at : j["attachments"]) listed = listed || at.value("filename", "") == "steps.txt";
  EXPECT_TRUE(listed) << j.dump(1);
  EXPECT_NE(a.mc({"case", "accept", "CS0000001"}).exit_code, 0);  // nothing proposed yet
}

TEST(CaseServices, ACustomerMailOnAClosedCaseReopensIt) {
  Instance a("support@corp.example", "CS");
  a.deliver(mail("Anna <anna@example.org>", "c1@example.org"));
  ASSERT_EQ(a.mc({"case", "close", "CS0000001"}).exit_code, 0);
  EXPECT_EQ(show(a, "CS0000001").value("status", ""), "closed");
  auto r = a.deliver(mail("Anna <anna@example.org>", "c2@example.org", "", "Re: [CS0000001] Help please"));
  EXPECT_NE(r.out.find("\"updated\""), std::string::npos) << r.out;
  EXPECT_EQ(show(a, "CS0000001").value("status", ""), "open");
}

TEST(CaseServices, OrStartsANewCaseWhenSoConfigured) {
  Instance a("support@corp.example", "CS");
  a.mc({"address", "add", "support@corp.example", "--queue", "Hardware"});
  a.deliver(mail("Anna <anna@example.org>", "n1@example.org"));
  ASSERT_EQ(a.mc({"case", "close", "CS0000001"}).exit_code, 0);
  a.set_config("reply_to_closed = \"new\"\n");
  auto r = a.deliver(mail("Anna <anna@example.org>", "n2@example.org", "", "Re: [CS0000001] Help please"));
  EXPECT_NE(r.out.find("\"created\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CS0000002"), std::string::npos) << r.out;
  EXPECT_EQ(show(a, "CS0000001").value("status", ""), "closed");
  EXPECT_EQ(show(a, "CS0000002").value("queue", ""), "Hardware");
}

// A delivery status notification for a mail we sent marks that mail failed, shows on
// its case, and never creates a case.
TEST(CaseServices, ABounceOfOurMailMarksItFailed) {
  Instance a("support@corp.example", "CS");
  a.deliver(mail("Anna <anna@example.org>", "b1@example.org"));
  auto row = a.outbox()[0];
  const std::string mid = row.value("message_id", "");
  ASSERT_FALSE(mid.empty());
  std::string dsn =
      "From: MAILER-DAEMON@mx.example.org\r\nTo: support@corp.example\r\nSubject: Undelivered Mail Returned "
      "to "
      "Sender\r\nMessage-ID: <dsn1@mx.example.org>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
      "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
      "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n"
      "Final-Recipient: rfc822; anna@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
      "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
      "--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@corp.example\r\nTo: anna@example.org\r\n"
      "Subject: [CS0000001] Help please\r\nMessage-ID: <" +
      mid + ">\r\n\r\n--B--\r\n";
  auto r = a.deliver(dsn);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.find("\"created\""), std::string::npos) << r.out;
  auto after = a.outbox()[0];
  EXPECT_EQ(after.value("state", ""), "failed");
  EXPECT_NE(after.value("last_error", "").find("bounced"), std::string::npos) << after.dump();
  EXPECT_NE(after.value("last_error", "").find("5.1.1"), std::string::npos) << after.dump();
  auto j = nlohmann::json::parse(a.mc({"case", "list", "--json"}).out);
  EXPECT_EQ(j.size(), 1u);
  auto c = show(a, "CS0000001");
  bool noted = false;
  for (const auto& cm : c["comments"])
    noted = noted || (cm.value("visibility", "") == "internal" &&
                      cm.value("body", "").find("could not be delivered") != std::string::npos);
  EXPECT_TRUE(noted) << c.dump(1);
  EXPECT_EQ(a.outbox().size(), 1u);  // never answered
}

// A bounce from the null sender, as an MTA hands it over, of a mail we sent: marked on that
// mail, noted on its case, never a case of its own, whether it is a delivery-status report
// or the plain text of a mail system whose words no pattern knows.
TEST(CaseServices, ABounceFromTheNullSenderMarksOurMailFailed) {
  for (bool report : {true, false}) {
    Instance a("support@corp.example", "CS");
    a.deliver(mail("Anna <anna@example.org>", "b1@example.org"));
    const std::string mid = a.outbox()[0].value("message_id", "");
    ASSERT_FALSE(mid.empty());
    const std::string returned =
        "From: support@corp.example\r\nTo: anna@example.org\r\n"
        "Subject: [CS0000001] Help please\r\nMessage-ID: <" +
        mid + ">\r\n";
    const std::string dsn =
        report
            ? "From: MAILER-DAEMON@mx.example.org\r\nTo: support@corp.example\r\nSubject: failed delivery\r\n"
              "Message-ID: <dsn1@mx.example.org>\r\nMIME-Version: 1.0\r\n"
              "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
              "--B\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n"
              "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n"
              "Final-Recipient: rfc822; anna@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
              "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n" +
                  returned + "\r\n--B--\r\n"
            : "From: MAILER-DAEMON@mx.example.org\r\nTo: support@corp.example\r\nSubject: failed delivery\r\n"
              "Message-ID: <dsn2@mx.example.org>\r\n\r\nYour mail to anna@example.org could not be\r\n"
              "delivered: 550 5.1.1 mailbox unavailable.\r\n\r\n" +
                  returned;
    auto r = a.deliver_from("", dsn);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"updated\""), std::string::npos) << report << r.out;
    auto after = a.outbox()[0];
    EXPECT_EQ(after.value("state", ""), "failed") << report;
    EXPECT_NE(after.value("last_error", "").find("5.1.1"), std::string::npos) << after.dump();
    EXPECT_EQ(a.cases(), 1u);
    EXPECT_EQ(a.contact_addresses(), "anna@example.org\n");
  }
}

// RFC 3834 section 4: the null envelope sender is never answered, whatever its From says.
// A person's mail from it (a relay that dropped the sender) still makes its case; a mail
// of the mail system (a bounce's signs, or From MAILER-DAEMON or postmaster) never does:
// it is held when it names no case, and makes no contact.
TEST(Backscatter, TheNullSenderIsNeverAnsweredAndTheMailSystemOpensNoCase) {
  Instance a("support@corp.example", "CS");
  auto r = a.deliver_from("", mail("Anna <anna@example.org>", "n1@example.org"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"created\""), std::string::npos) << r.out;
  r = a.deliver_from("<>", mail("Bob <bob@example.org>", "n2@example.org"));
  EXPECT_NE(r.out.find("\"created\""), std::string::npos) << r.out;
  // A bounce whose subject and text no pattern knows, from MAILER-DAEMON.
  r = a.deliver_from("",
                     "From: Mail Delivery System <MAILER-DAEMON@mx.other.com>\r\nTo: support@corp.example\r\n"
                     "Subject: failed delivery\r\nMessage-ID: <b1@mx.other.com>\r\n\r\n"
                     "Your mail to bob@other.com could not be\r\ndelivered: mailbox unavailable.\r\n");
  EXPECT_NE(r.out.find("\"held\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bounce for no known case"), std::string::npos) << r.out;
  // From <> with a bounce's subject: a bounce too, whoever it claims to be from.
  r = a.deliver_from(
      "", mail("relay@mx.other.com", "n5@mx.other.com", "", "Undelivered Mail Returned to Sender"));
  EXPECT_NE(r.out.find("\"held\""), std::string::npos) << r.out;
  // Without --sender, a Return-Path of <> says the same; a From of the mail system is a bounce.
  r = a.deliver("Return-Path: <>\r\n" + mail("Carol <carol@example.org>", "n3@example.org"));
  EXPECT_NE(r.out.find("\"created\""), std::string::npos) << r.out;
  r = a.deliver(mail("postmaster@example.net", "n4@example.net", "", "Your mail"));
  EXPECT_NE(r.out.find("\"held\""), std::string::npos) << r.out;
  EXPECT_EQ(a.cases(), 3u);
  EXPECT_EQ(a.contact_addresses(), "anna@example.org\nbob@example.org\ncarol@example.org\n");
  EXPECT_EQ(a.outbox().size(), 0u) << a.outbox().dump(1);
  auto list = nlohmann::json::parse(a.mc({"message", "list", "--json"}).out);
  ASSERT_EQ(list.size(), 6u);
  EXPECT_EQ(list[0]["envelope_sender"], "");
}

// Naming a case, the null sender's mail lands on it, as an automatic answer: no new case,
// no answer.
TEST(Backscatter, TheNullSendersMailOnACaseLandsOnItUnanswered) {
  Instance a("support@corp.example", "CS");
  a.deliver(mail("Anna <anna@example.org>", "c1@example.org"));
  const size_t before = a.outbox().size();
  auto r = a.deliver_from(
      "", mail("Anna <anna@example.org>", "c2@example.org", "", "Re: [CS0000001] Help please"));
  EXPECT_NE(r.out.find("\"updated\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CS0000001"), std::string::npos) << r.out;
  EXPECT_EQ(a.cases(), 1u);
  EXPECT_EQ(a.outbox().size(), before);
}

TEST(Backscatter, TheEnvelopeSenderIsKeptOnTheRecordAndThroughARetry) {
  Instance a("support@corp.example", "CS");
  ASSERT_EQ(a.mc({"address", "add", a.address(), "--unknown-sender", "hold"}).exit_code, 0);
  auto r = a.deliver_from("Anna+Bounces@Example.org", mail("Anna <anna@example.org>", "k1@example.org"));
  EXPECT_NE(r.out.find("\"held\""), std::string::npos) << r.out;
  auto list = nlohmann::json::parse(a.mc({"message", "list", "--json"}).out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["envelope_sender"], "anna+bounces@example.org");
  ASSERT_EQ(a.mc({"contact", "add", "--name", "Anna", "--email", "anna@example.org"}).exit_code, 0);
  r = a.mc({"message", "retry", std::to_string(list[0]["id"].get<int64_t>())});
  EXPECT_NE(r.out.find("\"created\""), std::string::npos) << r.out << r.err;
  list = nlohmann::json::parse(a.mc({"message", "list", "--json"}).out);
  EXPECT_EQ(list[0]["envelope_sender"], "anna+bounces@example.org");
  // Without --sender the mail's Return-Path stands for it; without either, null.
  a.deliver(mail("Bob <bob@example.org>", "k2@example.org"));
  a.deliver("Return-Path: <carol@example.org>\r\n" + mail("Carol <carol@example.org>", "k3@example.org"));
  list = nlohmann::json::parse(a.mc({"message", "list", "--json"}).out);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_TRUE(list[1]["envelope_sender"].is_null()) << list.dump(1);
  EXPECT_EQ(list[2]["envelope_sender"], "carol@example.org");
}

// A From in one domain sent by an envelope sender of another may be forged: the person
// it names did not write, and must not get our mail. A known contact is answered.
TEST(Backscatter, AnEnvelopeSenderOfAnotherDomainIsNotAnsweredForAStranger) {
  Instance a("support@corp.example", "CS");
  a.deliver_from("x7@spammer.example", mail("Victim <victim@example.org>", "f1@example.org"));
  EXPECT_EQ(a.confirmations(), 0u);
  // The contact that forged mail made is no known contact for the next one.
  a.deliver_from("x8@spammer.example",
                 mail("Victim <victim@example.org>", "f2@example.org", "", "Another question"));
  EXPECT_EQ(a.confirmations(), 0u);
  // The same domain (or a subdomain) vouches for its From.
  a.deliver_from("bounces@mail.example.org", mail("Dana <dana@example.org>", "f3@example.org"));
  EXPECT_EQ(a.confirmations(), 1u);
  // A contact we know, writing through another domain's mail service.
  ASSERT_EQ(a.mc({"contact", "add", "--name", "Erik", "--email", "erik@example.net"}).exit_code, 0);
  a.deliver_from("b-1@mailer.example", mail("Erik <erik@example.net>", "f4@example.net"));
  EXPECT_EQ(a.confirmations(), 2u);
  EXPECT_EQ(a.outbox()[0].value("to", ""), "erik@example.net");
}

TEST(Backscatter, UnverifiedSendersAreConfirmedWhenSoConfigured) {
  Instance a("support@corp.example", "CS");
  a.set_config("confirm_unverified_senders = true\n");
  a.deliver_from("b-1@mailer.example", mail("Anna <anna@example.org>", "u1@example.org"));
  EXPECT_EQ(a.confirmations(), 1u);
  a.deliver_from("", mail("Bob <bob@example.org>", "u2@example.org"));
  EXPECT_EQ(a.confirmations(), 1u);  // never to the null sender
}

TEST(Backscatter, PlusAddressesShareTheHourlyLimit) {
  Instance a("support@corp.example", "CS");
  for (int i = 1; i <= 6; ++i) {
    const std::string from = "A <A+" + std::to_string(i) + "@example.org>";
    a.deliver_from(
        "a+" + std::to_string(i) + "@example.org",
        mail(from, "pl" + std::to_string(i) + "@example.org", "", "Question " + std::to_string(i)));
  }
  EXPECT_EQ(a.confirmations(), 5u) << a.outbox().dump(1);
}

TEST(Backscatter, AnOverallHourlyCapStopsAFlood) {
  Instance a("support@corp.example", "CS");
  a.set_config("max_auto_replies_total_per_hour = 3\n");
  for (int i = 1; i <= 5; ++i) {
    const std::string who = "p" + std::to_string(i) + "@example.org";
    a.deliver_from(who, mail(who, "fl" + std::to_string(i) + "@example.org"));
  }
  EXPECT_EQ(a.confirmations(), 3u);
  EXPECT_NE(a.not_confirmed_reasons().find("max_auto_replies_total_per_hour"), std::string::npos)
      << a.not_confirmed_reasons();
}

TEST(Backscatter, ADisplayNameNeverBecomesALinkOrAGreeting) {
  Instance a("support@corp.example", "CS");
  a.deliver_from("anna@example.org",
                 mail("\"Prize: http://evil.example/x\" <anna@example.org>", "d1@example.org"));
  ASSERT_EQ(a.confirmations(), 1u);
  const std::string html = a.newest_html();
  ASSERT_NE(html.find("<html>"), std::string::npos) << html;
  EXPECT_EQ(html.find("evil.example"), std::string::npos) << html;
  EXPECT_NE(html.find("Hello anna@example.org"), std::string::npos) << html;
  EXPECT_NE(html.find("<a href=\"http://127.0.0.1:8080/case/CS0000001?t="), std::string::npos) << html;
  EXPECT_EQ(a.newest_raw().find("evil.example"), std::string::npos);
}

// Mail fetched from a mailbox or an archive tells its envelope sender by the Return-Path
// its last delivery agent wrote.
TEST(Backscatter, AnImportedMailKeepsItsReturnPath) {
  Instance a("support@corp.example", "CS");
  TempDir d;
  auto mbox = d.path() / "in.mbox";
  std::ofstream(mbox) << "From x@spammer.example Mon Jan  5 10:00:00 2026\n"
                      << "Return-Path: <x@spammer.example>\n"
                      << "From: victim@example.org\nTo: support@corp.example\nSubject: Hi\n"
                      << "Message-ID: <rp1@example.org>\n\nHello.\n\n"
                      << "From MAILER-DAEMON Mon Jan  5 11:00:00 2026\n"
                      << "Return-Path: <>\n"
                      << "From: anna@example.org\nTo: support@corp.example\nSubject: Hi again\n"
                      << "Message-ID: <rp2@example.org>\n\nHello.\n";
  ASSERT_EQ(a.mc({"import", "--confirm", mbox.string()}).exit_code, 0);
  auto list = nlohmann::json::parse(a.mc({"message", "list", "--json"}).out);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["envelope_sender"], "x@spammer.example");
  EXPECT_EQ(list[1]["envelope_sender"], "");
  EXPECT_EQ(a.confirmations(), 0u);
}

}  // namespace
}  // namespace mailcase::testing

// The API by mail through the binary (`mailcase deliver`, as the MTA runs it): an api
// address, an api sender with a secret file, and signed XML mails. A proven mail's
// commands run all or nothing and are answered once through the outbox; a mail that
// proves nothing, or proves it a second time, is held and answered with nothing.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "mail_api/proof.h"
#include "store/store.h"
#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;
using nlohmann::json;

constexpr const char* kSecret = "a-long-shared-secret-for-the-crm";
constexpr const char* kSender = "crm@partner.example";
constexpr const char* kApi = "api@corp.example";

int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string xml(const std::string& inner) {
  return "<?xml version=\"1.0\"?>\r\n<mailcase-api>\r\n" + inner + "\r\n</mailcase-api>\r\n";
}

// A mail to the api address; signed with `secret` at time t when t is set.
std::string api_mail(const std::string& mid, const std::string& body, std::optional<int64_t> t,
                     const std::string& secret = kSecret, const std::string& from = kSender,
                     const std::string& extra = "") {
  std::string m = "From: CRM <" + from + ">\r\nTo: " + kApi + "\r\nSubject: CRM sync\r\nMessage-ID: <" + mid +
                  ">\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n" + extra;
  if (t)
    m += "X-Mailcase-Signature: t=" + std::to_string(*t) + ", sig=" + mail_api::sign(secret, *t, body) +
         "\r\n";
  return m + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body;
}

class MailApi : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run({"init"}).exit_code, 0);
    std::ofstream(std::filesystem::path(data_) / "mailcase.toml")
        << "[outbound]\nfrom_address = \"support@corp.example\"\n";
    ASSERT_EQ(run({"address", "add", "support@corp.example"}).exit_code, 0);
    auto r = run({"address", "add", kApi, "--api", "yes"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    secret_ = (dir_.path() / "crm.secret").string();
    std::ofstream(secret_) << kSecret << "\n";
    ::chmod(secret_.c_str(), 0600);
    r = run({"api-sender", "add", kSender, "--secret-file", secret_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  mailcase::testing::CommandResult run(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data_});
    return run_mailcase(args, in);
  }
  json deliver(const std::string& mail) {
    auto r = run({"deliver"}, mail);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  json run_json(std::vector<std::string> args) {
    auto r = run(std::move(args));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  // The api replies queued, oldest first, with their bytes.
  std::vector<store::OutboxMail> replies() {
    auto st = store::open_sqlite(std::filesystem::path(data_) / "mailcase.db");
    EXPECT_TRUE(st);
    auto rows = (*st)->list_outbox(std::nullopt, 1000);
    EXPECT_TRUE(rows);
    std::vector<store::OutboxMail> out;
    for (auto it = rows->rbegin(); it != rows->rend(); ++it)
      if (it->kind == "api_reply") out.push_back(*it);
    return out;
  }
  size_t case_count() { return run_json({"case", "list", "--json"}).size(); }

  mailcase::testing::TempDir dir_;
  std::string data_, secret_;
};

TEST_F(MailApi, SendersAreAddedListedAndRemoved) {
  auto list = run_json({"api-sender", "list", "--json"});
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0]["email"], kSender);
  EXPECT_EQ(list[0]["secret_file"], secret_);
  EXPECT_EQ(list[0]["dkim"], false);
  EXPECT_EQ(run({"api-sender", "add", kSender, "--secret-file", secret_}).exit_code, 65) << "exists already";
  auto r = run({"api-sender", "add", "ops@corp.example"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("--secret-file FILE or --dkim yes"), std::string::npos) << r.err;
  const std::string exposed = (dir_.path() / "exposed.secret").string();
  std::ofstream(exposed) << kSecret << "\n";
  ::chmod(exposed.c_str(), 0644);
  r = run({"api-sender", "add", "ops@corp.example", "--secret-file", exposed});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r.err;
  EXPECT_EQ(run({"api-sender", "add", "ops@corp.example", "--dkim", "yes"}).exit_code, 0);
  EXPECT_EQ(run_json({"api-sender", "list", "--json"}).size(), 2u);
  EXPECT_NE(run({"api-sender", "list"}).out.find("ops@corp.example  secret-file=(none) dkim=yes"),
            std::string::npos);
  EXPECT_EQ(run({"api-sender", "remove", "OPS@corp.example"}).exit_code, 0);
  EXPECT_EQ(run({"api-sender", "remove", "ops@corp.example"}).exit_code, 66);

  auto addresses = run_json({"address", "list", "--json"});
  ASSERT_EQ(addresses.size(), 2u);
  EXPECT_EQ(addresses[0]["api"], true) << addresses.dump();
  EXPECT_EQ(addresses[1]["api"], false);
  EXPECT_NE(run({"address", "list"})
                .out.find("api@corp.example  queue=(default) product= creates-cases=yes "
                          "unknown-sender=create api=yes"),
            std::string::npos);
}

TEST_F(MailApi, SignedMailCreatesACaseCommentsAndIsAnswered) {
  const auto first = api_mail("m1@partner.example",
                              xml("<create-case><subject>Printer down</subject>"
                                  "<contact-email>ann@customer.example</contact-email>"
                                  "<priority>high</priority></create-case>"),
                              now());
  auto o = deliver(first);
  ASSERT_EQ(o["outcome"], "updated") << o.dump();
  ASSERT_TRUE(o["case"].is_string()) << o.dump();
  const std::string number = o["case"];
  auto cases = run_json({"case", "list", "--json"});
  ASSERT_EQ(cases.size(), 1u);
  auto shown = run_json({"case", "show", number, "--json"});
  EXPECT_EQ(shown["subject"], "Printer down") << shown.dump();
  EXPECT_EQ(shown["priority"], "high");

  auto rs = replies();
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].to, kSender);
  EXPECT_FALSE(rs[0].automatic) << "not counted by the loop guard's hourly limits";
  EXPECT_NE(rs[0].raw.find("created case " + number), std::string::npos) << rs[0].raw;
  EXPECT_NE(rs[0].raw.find("In-Reply-To: <m1@partner.example>"), std::string::npos) << rs[0].raw;
  EXPECT_NE(rs[0].raw.find("Auto-Submitted: auto-replied"), std::string::npos) << rs[0].raw;
  EXPECT_NE(rs[0].raw.find("From: "), std::string::npos);
  EXPECT_NE(rs[0].raw.find(kApi), std::string::npos) << "from the api address";

  o = deliver(
      api_mail("m2@partner.example",
               xml("<add-comment><case>" + number +
                   "</case><text>Technician on the way</text><visibility>internal</visibility></add-comment>"
                   "<close-case><case>" +
                   number + "</case></close-case>"),
               now()));
  ASSERT_EQ(o["outcome"], "updated") << o.dump();
  EXPECT_EQ(o["case"], number);
  shown = run_json({"case", "show", number, "--json"});
  EXPECT_EQ(shown["status"], "closed") << shown.dump();
  EXPECT_NE(shown.dump().find("Technician on the way"), std::string::npos);
  rs = replies();
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_NE(rs[1].raw.find("case " + number + " closed"), std::string::npos) << rs[1].raw;

  // The reply coming back (machine mail) is recorded and ignored, never answered.
  o = deliver(api_mail("bounce@partner.example", "Thanks!\r\n", now(), kSecret, kSender,
                       "Auto-Submitted: auto-replied\r\nIn-Reply-To: <" + rs[1].message_id + ">\r\n"));
  EXPECT_EQ(o["outcome"], "ignored") << o.dump();
  EXPECT_EQ(replies().size(), 2u);
  EXPECT_EQ(case_count(), 1u);
}

TEST_F(MailApi, ProofIsRequiredAndUsedOnce) {
  const std::string body = xml(
      "<create-case><subject>S</subject><contact-email>ann@customer.example</contact-email></create-case>");
  // A wrong secret, a stranger, no signature, a time 20 minutes off: held, unanswered.
  auto o = deliver(api_mail("bad@partner.example", body, now(), "not-the-secret-at-all"));
  EXPECT_EQ(o["outcome"], "held") << o.dump();
  EXPECT_NE(o["reason"].get<std::string>().find("does not match"), std::string::npos) << o.dump();
  o = deliver(api_mail("stranger@else.example", body, now(), kSecret, "mallory@else.example"));
  EXPECT_EQ(o["outcome"], "held") << o.dump();
  o = deliver(api_mail("unsigned@partner.example", body, std::nullopt));
  EXPECT_EQ(o["outcome"], "held") << o.dump();
  o = deliver(api_mail("late@partner.example", body, now() - 20 * 60));
  EXPECT_EQ(o["outcome"], "held") << o.dump();
  EXPECT_NE(o["reason"].get<std::string>().find("seconds from now"), std::string::npos) << o.dump();
  EXPECT_EQ(case_count(), 0u);
  EXPECT_TRUE(replies().empty()) << "a mail that proves nothing is answered with nothing";

  const int64_t t = now();
  const auto good = api_mail("good@partner.example", body, t);
  o = deliver(good);
  EXPECT_EQ(o["outcome"], "updated") << o.dump();
  EXPECT_EQ(case_count(), 1u);
  // The same mail again: a duplicate, nothing runs twice.
  o = deliver(good);
  EXPECT_EQ(o["outcome"], "duplicate") << o.dump();
  // The same body and signature under a new Message-ID: a replay.
  o = deliver(api_mail("again@partner.example", body, t));
  EXPECT_EQ(o["outcome"], "held") << o.dump();
  EXPECT_NE(o["reason"].get<std::string>().find("replay"), std::string::npos) << o.dump();
  EXPECT_EQ(case_count(), 1u);
  EXPECT_EQ(replies().size(), 1u);
}

TEST_F(MailApi, MalformedXmlGetsAClearErrorReply) {
  auto o = deliver(api_mail("x1@partner.example", "<mailcase-api><create-case><subject>S</subject>", now()));
  EXPECT_EQ(o["outcome"], "ignored") << o.dump();
  o = deliver(
      api_mail("x2@partner.example", xml("<create-case><subject>S</subject></create-case><frob/>"), now()));
  EXPECT_EQ(o["outcome"], "ignored") << o.dump();
  auto rs = replies();
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_NE(rs[0].raw.find("not well-formed XML"), std::string::npos) << rs[0].raw;
  EXPECT_NE(rs[1].raw.find("command 1 (create-case): contact-email: required"), std::string::npos)
      << rs[1].raw;
  EXPECT_NE(rs[1].raw.find("command 2 (frob): unknown command"), std::string::npos) << rs[1].raw;
  EXPECT_EQ(case_count(), 0u);
}

TEST_F(MailApi, OneFailingCommandUndoesThemAll) {
  auto o = deliver(api_mail("f1@partner.example",
                            xml("<add-account><name>Example Ltd</name></add-account>"
                                "<create-case><subject>S</subject><contact-email>dana@example-ltd.example"
                                "</contact-email><account>Example Ltd</account></create-case>"
                                "<add-comment><case>1999-999999</case><text>x</text></add-comment>"
                                "<close-case><case>1999-999999</case></close-case>"),
                            now()));
  EXPECT_EQ(o["outcome"], "ignored") << o.dump();
  EXPECT_NE(o["reason"].get<std::string>().find("command 3 (add-comment): no case 1999-999999"),
            std::string::npos)
      << o.dump();
  EXPECT_EQ(case_count(), 0u) << "the case made by command 2 is undone";
  auto rs = replies();
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_NE(rs[0].raw.find("Nothing was applied: command 3 (add-comment) failed"), std::string::npos)
      << rs[0].raw;
  EXPECT_NE(rs[0].raw.find("(undone)"), std::string::npos) << rs[0].raw;
  EXPECT_NE(rs[0].raw.find("4. close-case: not run"), std::string::npos) << rs[0].raw;
  // The account is undone too: the same commands without the bad ones now run.
  o = deliver(
      api_mail("f2@partner.example", xml("<add-account><name>Example Ltd</name></add-account>"), now()));
  EXPECT_EQ(o["outcome"], "updated") << o.dump();
}

// --dkim yes: a trusted Authentication-Results header whose DKIM/DMARC pass is aligned
// with the From proves the mail; a failing one, or one from a server not trusted, does not.
TEST_F(MailApi, DkimSenderIsProvenOnlyByATrustedAlignedPass) {
  std::ofstream(std::filesystem::path(data_) / "mailcase.toml")
      << "[outbound]\nfrom_address = \"support@corp.example\"\n[trust]\nauthserv_ids = "
         "[\"mx.corp.example\"]\n";
  auto r = run({"api-sender", "add", "ops@crm.example", "--dkim", "yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string body = xml(
      "<create-case><subject>S</subject><contact-email>ann@customer.example</contact-email></create-case>");
  auto ar = [](const std::string& server, const std::string& result) {
    return "Authentication-Results: " + server + "; dkim=" + result +
           " header.d=crm.example; dmarc=" + result + " header.from=crm.example\r\n";
  };
  auto o = deliver(api_mail("d1@crm.example", body, std::nullopt, kSecret, "ops@crm.example",
                            ar("mx.corp.example", "fail")));
  EXPECT_EQ(o["outcome"], "held") << o.dump();
  o = deliver(api_mail("d2@crm.example", body, std::nullopt, kSecret, "ops@crm.example",
                       ar("mx.elsewhere.example", "pass")));
  EXPECT_EQ(o["outcome"], "held") << o.dump();
  EXPECT_EQ(case_count(), 0u);
  EXPECT_TRUE(replies().empty());
  o = deliver(api_mail("d3@crm.example", body, std::nullopt, kSecret, "ops@crm.example",
                       ar("mx.corp.example", "pass")));
  EXPECT_EQ(o["outcome"], "updated") << o.dump();
  EXPECT_NE(o["reason"].get<std::string>().find("proven by dkim"), std::string::npos) << o.dump();
  EXPECT_EQ(case_count(), 1u);
  ASSERT_EQ(replies().size(), 1u);
  EXPECT_EQ(replies()[0].to, "ops@crm.example");
  // The signature sender is not proven by DKIM: it never said --dkim yes.
  o = deliver(
      api_mail("d4@partner.example", body, std::nullopt, kSecret, kSender, ar("mx.corp.example", "pass")));
  EXPECT_EQ(o["outcome"], "held") << o.dump();
}

}  // namespace
}  // namespace mailcase

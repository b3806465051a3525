// The conversation end to end against real mail servers: mailcase's outbox sends
// through a throw-away Postfix, which delivers into a throw-away Dovecot where the
// customer (alice@example.org) reads her mail over IMAP; the customer pages are
// fetched over HTTP from `mailcase serve --http`.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "support/test_support.h"

namespace mailcase::testing {
namespace {

const std::string kTool = std::string(MAILCASE_SOURCE_DIR) + "/tests/fixtures/mailtool.py";

std::string sh_out(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

std::vector<std::string> split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    auto p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + sep.size();
  }
  return out;
}

// Undoes quoted-printable soft line breaks and =3D, enough to read links in a mail.
std::string unqp(std::string s) {
  s = std::regex_replace(s, std::regex("=\r?\n"), "");
  return std::regex_replace(s, std::regex("=3D"), "=");
}

class ConversationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!dc.available()) GTEST_SKIP() << dc.why_not();
    pf = std::make_unique<Postfix>(dc.lmtp_port, dc.fixture_dir());
    if (!pf->available()) GTEST_SKIP() << pf->why_not();
    data = (dir.path() / "data").string();
    http_port = free_port();
    ASSERT_EQ(run_mailcase({"--data", data, "init"}).exit_code, 0);
    write_config(pf->smtp_port, 30);
    ASSERT_EQ(mc({"address", "add", "support@corp.example"}).exit_code, 0);
  }
  void TearDown() override {
    if (serve) serve->stop(SIGTERM);
  }

  void write_config(int smtp_port, int link_days, const std::string& extra = "") {
    std::ofstream(dir.path() / "data" / "mailcase.toml")
        << "[outbound]\nfrom_address = \"support@corp.example\"\nfrom_name = \"Corp Support\"\n"
        << "smtp_host = \"127.0.0.1\"\nsmtp_port = " << smtp_port
        << "\nbase_url = \"http://127.0.0.1:" << http_port << "\"\nlink_valid_days = " << link_days << "\n"
        << extra;
  }

  void start_serve() {
    serve = std::make_unique<Background>(std::vector<std::string>{"--data", data, "serve", "--http",
                                                                  "127.0.0.1:" + std::to_string(http_port)});
    ASSERT_TRUE(wait_until([&] { return serve->err().find("http: listening") != std::string::npos; }))
        << serve->err();
  }

  CommandResult mc(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data});
    return run_mailcase(args, in);
  }

  std::vector<std::string> inbox() {
    auto out = sh_out("python3 '" + kTool + "' imap-dump 127.0.0.1 " + std::to_string(dc.imap_port) +
                      " alice alice-secret INBOX");
    if (out.empty()) return {};
    return split(out, "\n=====SPLIT=====\n");
  }

  // Waits until alice has n mails; returns the newest.
  std::string nth_mail(size_t n) {
    std::vector<std::string> all;
    wait_until([&] { return (all = inbox()).size() >= n; }, 30000);
    EXPECT_GE(all.size(), n) << (serve ? serve->err() : "");
    return all.size() >= n ? unqp(all[n - 1]) : std::string();
  }

  // The first mail in the inbox that pred accepts, waiting for it. Mails queued together
  // (a confirmation and a solution, closed and the survey) may reach the mailbox in
  // either order: the MTA does not keep order, so tests find a mail by what it is.
  std::string mail_where(const std::function<bool(const std::string&)>& pred) {
    std::string found;
    wait_until(
        [&] {
          for (const auto& m : inbox()) {
            auto text = unqp(m);
            if (pred(text)) {
              found = text;
              return true;
            }
          }
          return false;
        },
        30000);
    EXPECT_FALSE(found.empty()) << (serve ? serve->err() : "");
    return found;
  }
  std::string mail_containing(const std::string& needle) {
    return mail_where([&](const std::string& m) { return m.find(needle) != std::string::npos; });
  }
  std::string mail_with_subject(const std::string& needle) {
    return mail_where(
        [&](const std::string& m) { return header(m, "Subject").find(needle) != std::string::npos; });
  }

  static std::string link_in(const std::string& mail, const std::string& suffix = "") {
    std::smatch m;
    std::regex re("http://127\\.0\\.0\\.1:[0-9]+/case/[A-Z0-9]+\\?t=[A-Za-z0-9_-]+" + suffix);
    return std::regex_search(mail, m, re) ? m.str() : std::string();
  }

  std::string http(const std::string& method, const std::string& url,
                   const std::vector<std::string>& form = {}) {
    std::string cmd = "python3 '" + kTool + "' http " + method + " '" + url + "'";
    for (const auto& f : form) cmd += " '" + f + "'";
    return sh_out(cmd);
  }

  std::string header(const std::string& mail, const std::string& name) {
    std::smatch m;
    std::regex re("(^|\n)" + name + ": *([^\r\n]*)", std::regex::icase);
    return std::regex_search(mail, m, re) ? m[2].str() : std::string();
  }

  std::string status(const std::string& number) {
    auto j = nlohmann::json::parse(mc({"case", "show", number, "--json"}).out, nullptr, false);
    return j.is_object() ? j.value("status", "") : "";
  }

  std::vector<std::string> outbox_kinds(const std::string& number) {
    auto j = nlohmann::json::parse(mc({"outbox", "list", "--case", number, "--json"}).out, nullptr, false);
    std::vector<std::string> kinds;
    if (j.is_array())
      for (auto it = j.rbegin(); it != j.rend(); ++it) kinds.push_back((*it).value("kind", ""));
    return kinds;
  }

  std::string customer_mail(const std::string& subject, const std::string& body, const std::string& id,
                            const std::string& in_reply_to = "") {
    return "From: Alice Customer <alice@example.org>\r\nTo: support@corp.example\r\nSubject: " + subject +
           "\r\nMessage-ID: <" + id + ">\r\n" +
           (in_reply_to.empty() ? "" : "In-Reply-To: " + in_reply_to + "\r\n") +
           "Date: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\n" + body + "\r\n";
  }

  TempDir dir;
  Dovecot dc;
  std::unique_ptr<Postfix> pf;
  std::unique_ptr<Background> serve;
  std::string data;
  int http_port = 0;
};

TEST_F(ConversationTest, FromFirstMailToSurveyByMail) {
  start_serve();
  auto d = mc({"deliver"}, customer_mail("Printer on floor 3", "It does not print.", "first@example.org"));
  ASSERT_NE(d.out.find("\"created\""), std::string::npos) << d.out;

  // Confirmation, with the case number in the subject and a working link.
  auto confirmation = nth_mail(1);
  EXPECT_NE(header(confirmation, "Subject").find("[CS0000001]"), std::string::npos) << confirmation;
  EXPECT_EQ(header(confirmation, "In-Reply-To"), "<first@example.org>");
  EXPECT_EQ(header(confirmation, "Auto-Submitted"), "auto-replied");
  auto link = link_in(confirmation);
  ASSERT_FALSE(link.empty()) << confirmation;
  auto page = http("GET", link);
  EXPECT_EQ(page.rfind("200", 0), 0u) << page.substr(0, 300);
  EXPECT_NE(page.find("Printer on floor 3"), std::string::npos);

  // An agent's public comment reaches the customer; an internal note does not.
  ASSERT_EQ(
      mc({"case", "comment", "CS0000001", "--internal", "--body", "Toner is probably empty."}).exit_code, 0);
  ASSERT_EQ(mc({"case", "comment", "CS0000001", "--public", "--body", "Is the display showing an error?"})
                .exit_code,
            0);
  auto comment = nth_mail(2);
  EXPECT_NE(comment.find("Is the display showing an error?"), std::string::npos);
  EXPECT_EQ(comment.find("Toner is probably empty."), std::string::npos);

  // Proposed solution; the customer answers "Accept" from her mail client.
  ASSERT_EQ(mc({"case", "propose-solution", "CS0000001", "--body", "Replace the toner cartridge."}).exit_code,
            0);
  auto solution = nth_mail(3);
  EXPECT_NE(solution.find("Replace the toner cartridge."), std::string::npos);
  auto reply =
      customer_mail("Re: " + header(solution, "Subject"), "Accept.\r\n\r\nThanks!\r\n\r\n> Replace the toner",
                    "reply@example.org", header(solution, "Message-Id"));
  auto r = mc({"deliver"}, reply);
  EXPECT_NE(r.out.find("\"updated\""), std::string::npos) << r.out;
  EXPECT_EQ(status("CS0000001"), "resolved");

  // Closing sends two mails: closed, and the survey invitation whose link records a rating.
  ASSERT_EQ(mc({"case", "close", "CS0000001"}).exit_code, 0);
  nth_mail(5);
  auto closed = mail_with_subject("Closed");
  auto survey = mail_containing("&do=survey");
  EXPECT_NE(header(closed, "Subject").find("Closed"), std::string::npos) << closed;
  auto survey_link = link_in(survey, "&do=survey");
  ASSERT_FALSE(survey_link.empty()) << survey;
  auto form = http("GET", survey_link);
  EXPECT_NE(form.find("How satisfied"), std::string::npos) << form.substr(0, 400);
  auto token = survey_link.substr(survey_link.find("t=") + 2);
  token = token.substr(0, token.find('&'));
  auto rated = http("POST", "http://127.0.0.1:" + std::to_string(http_port) + "/case/CS0000001/survey",
                    {"t=" + token, "rating=4", "comment=Quick and friendly"});
  EXPECT_NE(rated.find("Your rating: 4 of 5"), std::string::npos) << rated.substr(0, 400);
  EXPECT_NE(http("GET", link).find("Thank you for your rating: 4"), std::string::npos);
  EXPECT_EQ(outbox_kinds("CS0000001"),
            (std::vector<std::string>{"confirmation", "comment", "solution", "closed", "survey"}));
}

TEST_F(ConversationTest, AcceptOnTheWebPageGoesStraightToTheSurvey) {
  start_serve();
  ASSERT_EQ(mc({"deliver"}, customer_mail("VPN drops", "Every hour.", "vpn@example.org")).exit_code, 0);
  ASSERT_EQ(mc({"case", "propose-solution", "CS0000001", "--body", "Update the client to 5.2."}).exit_code,
            0);
  auto solution = mail_containing("&do=accept");
  auto accept_link = link_in(solution, "&do=accept");
  ASSERT_FALSE(accept_link.empty()) << solution;
  // Opening the link (as a mail scanner would) changes nothing.
  auto page = http("GET", accept_link);
  EXPECT_NE(page.find("Accept the solution"), std::string::npos) << page.substr(0, 400);
  EXPECT_EQ(status("CS0000001"), "solution proposed");
  auto token = accept_link.substr(accept_link.find("t=") + 2);
  token = token.substr(0, token.find('&'));
  auto accepted = http("POST", "http://127.0.0.1:" + std::to_string(http_port) + "/case/CS0000001/accept",
                       {"t=" + token});
  EXPECT_NE(accepted.find("You accepted the solution"), std::string::npos) << accepted.substr(0, 400);
  EXPECT_NE(accepted.find("How satisfied"), std::string::npos);
  EXPECT_EQ(status("CS0000001"), "resolved");
  ASSERT_EQ(mc({"case", "close", "CS0000001"}).exit_code, 0);
  nth_mail(3);
  EXPECT_EQ(outbox_kinds("CS0000001"), (std::vector<std::string>{"confirmation", "solution", "closed"}));
}

TEST_F(ConversationTest, ChangedExpiredOrOtherCaseLinksShowNothing) {
  start_serve();
  ASSERT_EQ(mc({"deliver"}, customer_mail("Secret subject one", "a", "s1@example.org")).exit_code, 0);
  ASSERT_EQ(mc({"deliver"}, customer_mail("Secret subject two", "b", "s2@example.org")).exit_code, 0);
  nth_mail(2);
  auto first = link_in(mail_with_subject("[CS0000001]"));
  auto second = link_in(mail_with_subject("[CS0000002]"));
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(second.empty());
  // Changed token.
  std::string changed = first;
  changed.back() = changed.back() == 'A' ? 'B' : 'A';
  auto p = http("GET", changed);
  EXPECT_EQ(p.rfind("403", 0), 0u);
  EXPECT_EQ(p.find("Secret subject"), std::string::npos);
  // The second case's token on the first case's page.
  auto other =
      "http://127.0.0.1:" + std::to_string(http_port) + "/case/CS0000001?" + second.substr(second.find("t="));
  p = http("GET", other);
  EXPECT_EQ(p.rfind("403", 0), 0u);
  EXPECT_EQ(p.find("Secret subject"), std::string::npos);
  // No token, and a POST with a changed token changes nothing.
  EXPECT_EQ(http("GET", "http://127.0.0.1:" + std::to_string(http_port) + "/case/CS0000001").rfind("403", 0),
            0u);
  EXPECT_EQ(http("POST", "http://127.0.0.1:" + std::to_string(http_port) + "/case/CS0000001/survey",
                 {"t=" + changed.substr(changed.find("t=") + 2), "rating=1"})
                .rfind("403", 0),
            0u);
  // Expired: links valid for zero days run out after the second they were made in.
  serve->stop(SIGTERM);
  serve.reset();
  write_config(pf->smtp_port, 0);
  start_serve();
  ASSERT_EQ(mc({"case", "comment", "CS0000001", "--public", "--body", "An update."}).exit_code, 0);
  auto expired = link_in(nth_mail(3));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  p = http("GET", expired);
  EXPECT_EQ(p.rfind("403", 0), 0u) << p.substr(0, 200);
  EXPECT_NE(p.find("expired"), std::string::npos);
  EXPECT_EQ(p.find("Secret subject"), std::string::npos);
}

TEST_F(ConversationTest, SmtpDownTemporaryOrPermanentFailureNeverLosesARow) {
  // Down: nothing listens on the configured port.
  write_config(free_port(), 30);
  start_serve();
  ASSERT_EQ(mc({"deliver"}, customer_mail("Down", "x", "down@example.org")).exit_code, 0);
  ASSERT_TRUE(wait_until([&] {
    auto j = nlohmann::json::parse(mc({"outbox", "list", "--json"}).out, nullptr, false);
    return j.is_array() && !j.empty() && j[0].value("attempts", 0) >= 1;
  }));
  auto j = nlohmann::json::parse(mc({"outbox", "list", "--json"}).out);
  EXPECT_EQ(j[0].value("state", ""), "queued");
  EXPECT_FALSE(j[0].value("last_error", "").empty());

  // Back up: the same row goes out.
  serve->stop(SIGTERM);
  serve.reset();
  write_config(pf->smtp_port, 30);
  start_serve();
  nth_mail(1);
  EXPECT_TRUE(wait_until([&] {
    auto k = nlohmann::json::parse(mc({"outbox", "list", "--json"}).out, nullptr, false);
    return k.is_array() && k.size() == 1 && k[0].value("state", "") == "sent";
  }));

  // 4xx: kept and retried; 5xx: failed, and said so on the case.
  ASSERT_EQ(mc({"contact", "add", "--name", "Busy", "--email", "tempfail@example.org"}).exit_code, 0);
  ASSERT_EQ(mc({"contact", "add", "--name", "Gone", "--email", "reject@example.org"}).exit_code, 0);
  auto mail_from = [&](const std::string& who, const std::string& id) {
    return "From: " + who + "\r\nTo: support@corp.example\r\nSubject: Hello " + id + "\r\nMessage-ID: <" +
           id + ">\r\n\r\nhi\r\n";
  };
  ASSERT_EQ(mc({"deliver"}, mail_from("tempfail@example.org", "t1@example.org")).exit_code, 0);
  ASSERT_EQ(mc({"deliver"}, mail_from("reject@example.org", "r1@example.org")).exit_code, 0);
  auto row_of = [&](const std::string& to) {
    auto k = nlohmann::json::parse(mc({"outbox", "list", "--json"}).out, nullptr, false);
    for (const auto& r : k)
      if (r.value("to", "") == to) return r;
    return nlohmann::json();
  };
  ASSERT_TRUE(wait_until([&] { return row_of("reject@example.org").value("state", "") == "failed"; }, 30000));
  EXPECT_NE(row_of("reject@example.org").value("last_error", "").find("550"), std::string::npos);
  auto shown = mc({"case", "show", "CS0000003", "--json"}).out;
  EXPECT_NE(shown.find("could not be delivered"), std::string::npos) << shown;
  ASSERT_TRUE(wait_until([&] { return row_of("tempfail@example.org").value("attempts", 0) >= 2; }, 30000));
  EXPECT_EQ(row_of("tempfail@example.org").value("state", ""), "queued");
  EXPECT_NE(row_of("tempfail@example.org").value("last_error", "").find("450"), std::string::npos);
}

// Submission with STARTTLS and AUTH, SMTPS with implicit TLS and AUTH, against the
// Postfix fixture with Dovecot's certificate (trusted through smtp_ca_file) and users.
// A wrong password keeps the mail queued: it is our configuration, not the customer.
TEST_F(ConversationTest, SendsOverStartTlsAndImplicitTlsWithAuth) {
  std::ofstream(dir.path() / "smtp.pw") << "alice-secret\n";
  std::ofstream(dir.path() / "wrong.pw") << "guess\n";
  auto tls = [&](const std::string& mode, const std::string& pw) {
    return "smtp_tls = \"" + mode + "\"\nsmtp_user = \"alice\"\nsmtp_password_file = \"" +
           (dir.path() / pw).string() + "\"\nsmtp_ca_file = \"" + dc.ca_file().string() + "\"\n";
  };
  write_config(pf->submission_port, 30, tls("starttls", "smtp.pw"));
  start_serve();
  ASSERT_EQ(mc({"deliver"}, customer_mail("Over STARTTLS", "x", "tls1@example.org")).exit_code, 0);
  EXPECT_NE(header(nth_mail(1), "Subject").find("[CS0000001]"), std::string::npos);

  serve->stop(SIGTERM);
  write_config(pf->smtps_port, 30, tls("implicit", "smtp.pw"));
  start_serve();
  ASSERT_EQ(mc({"deliver"}, customer_mail("Over SMTPS", "y", "tls2@example.org")).exit_code, 0);
  EXPECT_NE(header(nth_mail(2), "Subject").find("[CS0000002]"), std::string::npos);

  serve->stop(SIGTERM);
  write_config(pf->smtps_port, 30, tls("implicit", "wrong.pw"));
  start_serve();
  ASSERT_EQ(mc({"deliver"}, customer_mail("Wrong password", "z", "tls3@example.org")).exit_code, 0);
  auto row = [&] {
    auto j =
        nlohmann::json::parse(mc({"outbox", "list", "--case", "CS0000003", "--json"}).out, nullptr, false);
    return j.is_array() && !j.empty() ? j[0] : nlohmann::json::object();
  };
  ASSERT_TRUE(wait_until([&] { return row().value("attempts", 0) >= 1; }, 20000)) << serve->err();
  EXPECT_EQ(row().value("state", ""), "queued");
  EXPECT_NE(row().value("last_error", "").find("smtp_password_file"), std::string::npos) << row().dump();
  EXPECT_EQ(serve->err().find("guess"), std::string::npos);
}

}  // namespace
}  // namespace mailcase::testing

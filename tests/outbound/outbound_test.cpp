// Signed links, templates, the mail composer and the outbox's retry rules.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "mime/parser.h"
#include "outbound/compose.h"
#include "outbound/outbox_fixture.h"
#include "outbound/outbox_worker.h"
#include "outbound/signed_link.h"
#include "outbound/smtp.h"
#include "outbound/templates.h"
#include "spool/blob_store.h"
#include "store/store.h"
#include "support/test_support.h"
#include "util/text.h"

namespace mailcase::outbound {
namespace {

using Check = LinkSigner::Check;

TEST(SignedLink, OpensItsCaseUntilItExpires) {
  LinkSigner s(std::string(32, 'k'));
  auto t = s.sign(42, 1000, LinkAction::kView);
  EXPECT_EQ(s.verify(t, 42, 999).check, Check::kValid);
  EXPECT_EQ(s.verify(t, 42, 1000).check, Check::kValid);
  EXPECT_EQ(s.verify(t, 42, 1001).check, Check::kExpired);
}

TEST(SignedLink, AnotherCaseOrAChangedTokenOpensNothing) {
  LinkSigner s(std::string(32, 'k'));
  auto t = s.sign(42, 1000, LinkAction::kView);
  EXPECT_EQ(s.verify(t, 43, 10).check, Check::kOtherCase);
  for (size_t i = 0; i < t.size(); i += 7) {
    std::string bad = t;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    auto c = s.verify(bad, 42, 10).check;
    EXPECT_TRUE(c == Check::kBadSignature || c == Check::kMalformed) << i;
  }
  EXPECT_EQ(s.verify("", 42, 10).check, Check::kMalformed);
  EXPECT_EQ(s.verify(t + "x", 42, 10).check, Check::kMalformed);
  LinkSigner other(std::string(32, 'o'));
  EXPECT_EQ(other.verify(t, 42, 10).check, Check::kBadSignature);
}

TEST(SignedLink, KeyIsCreatedOnceAndKept) {
  mailcase::testing::TempDir d;
  auto a = LinkSigner::from_data_dir(d.path());
  ASSERT_TRUE(a);
  auto b = LinkSigner::from_data_dir(d.path());
  ASSERT_TRUE(b);
  EXPECT_EQ(b->verify(a->sign(1, 100, LinkAction::kView), 1, 50).check, Check::kValid);
  EXPECT_EQ(
      std::filesystem::status(d.path() / "secret.key").permissions() & std::filesystem::perms::others_read,
      std::filesystem::perms::none);
}

std::map<std::string, std::string> values() {
  return {{"case_number", "CS0000007"},    {"case_tag", "[CS0000007]"},
          {"subject", "Drucker <kaputt>"}, {"contact_name", "Anna"},
          {"body", "Try this & that."},    {"link", "https://h/case/CS0000007?t=x"},
          {"accept_link", "https://h/a"},  {"reject_link", "https://h/r"},
          {"survey_link", "https://h/s"},  {"from_name", "Support"}};
}

TEST(Templates, EveryMailInEveryLanguageRendersWithTheTag) {
  mailcase::testing::TempDir d;
  Templates t(d.path());
  for (const auto& lang : template_languages()) {
    for (const auto& kind : template_kinds()) {
      auto r = t.render(kind, lang, values());
      ASSERT_TRUE(r) << kind << " " << lang;
      EXPECT_EQ(r->subject.rfind("[CS0000007]", 0), 0u) << r->subject;
      EXPECT_NE(r->text.find("CS0000007"), std::string::npos) << kind << lang;
      EXPECT_NE(r->html.find("<html>"), std::string::npos);
    }
  }
  auto fr = t.render("solution", "fr", values());
  EXPECT_NE(fr->text.find("Accepter"), std::string::npos);
  auto pl = t.render("solution", "pl", values());
  EXPECT_NE(pl->text.find("Akceptuję"), std::string::npos);
}

TEST(Templates, TextStaysPlainAndHtmlIsEscaped) {
  mailcase::testing::TempDir d;
  auto r = Templates(d.path()).render("comment", "en", values());
  ASSERT_TRUE(r);
  EXPECT_NE(r->text.find("Try this & that."), std::string::npos);
  EXPECT_NE(r->html.find("Try this &amp; that."), std::string::npos);
  EXPECT_EQ(r->html.find("<kaputt>"), std::string::npos);
  EXPECT_NE(r->html.find("<a href=\"https://h/case/CS0000007?t=x\">"), std::string::npos);
}

// A value written by a sender (display name, subject, body) never becomes a link in the
// HTML part, however it is laid out; our own links do.
TEST(Templates, OnlyOurOwnLinksBecomeLinks) {
  mailcase::testing::TempDir d;
  auto v = values();
  v["contact_name"] = "Prize: http://evil.example/x";
  v["body"] = "https://evil.example/a\nSee: https://evil.example/b and https://h/case/CS0000007?t=x";
  for (const char* kind : {"confirmation", "comment", "solution"}) {
    auto r = Templates(d.path()).render(kind, "en", v);
    ASSERT_TRUE(r) << kind;
    EXPECT_EQ(r->html.find("href=\"http://evil"), std::string::npos) << kind << r->html;
    EXPECT_EQ(r->html.find("href=\"https://evil"), std::string::npos) << kind << r->html;
  }
  auto r = Templates(d.path()).render("solution", "en", v);
  EXPECT_NE(r->html.find("<a href=\"https://h/a\">https://h/a</a>"), std::string::npos) << r->html;
  EXPECT_NE(r->html.find("<a href=\"https://h/r\">"), std::string::npos);
  auto c = Templates(d.path()).render("comment", "en", v);
  EXPECT_NE(c->html.find("and <a href=\"https://h/case/CS0000007?t=x\">"), std::string::npos) << c->html;
}

TEST(Templates, TheLongestOfOurLinksWinsWhereOneStartsAnother) {
  const std::string html =
      text_to_html("Accept: https://h/c?t=x&do=accept\n", {"https://h/c?t=x", "https://h/c?t=x&do=accept"});
  EXPECT_NE(html.find("<a href=\"https://h/c?t=x&amp;do=accept\">"), std::string::npos) << html;
}

TEST(Templates, AnEditedFileWinsAndUnknownLanguageFallsBackToEnglish) {
  mailcase::testing::TempDir d;
  Templates t(d.path());
  ASSERT_TRUE(t.install());
  std::ofstream(d.path() / "en" / "closed.txt")
      << "Subject: {{{case_tag}}} done\n\nBye {{{contact_name}}}.\n";
  auto r = t.render("closed", "en", values());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->subject, "[CS0000007] done");
  EXPECT_EQ(r->text, "Bye Anna.\n");
  ASSERT_TRUE(t.install());  // never overwrites an edit
  EXPECT_EQ(t.render("closed", "de", values())->subject, "[CS0000007] done");
  std::ofstream(d.path() / "fr" / "closed.txt") << "no subject line\n";
  EXPECT_FALSE(t.render("closed", "fr", values()));
}

// An edited template may use mustache's usual {{value}}: the value still reaches the
// text part as it is and is escaped once (by text::html_escape) in the HTML part, and our
// links stay links.
TEST(Templates, DoubleBracesInAnEditedFileEscapeOnlyTheHtmlPartAndOnlyOnce) {
  mailcase::testing::TempDir d;
  Templates t(d.path());
  ASSERT_TRUE(t.install());
  std::ofstream(d.path() / "en" / "comment.txt")
      << "Subject: {{case_tag}} {{subject}}\n\n{{body}}\n\n{{link}}\n";
  auto v = values();
  v["subject"] = "Q&A <1/2>";
  v["body"] = "Use a/b & \"c\" or 'd' <e>.";
  auto r = t.render("comment", "en", v);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->subject, "[CS0000007] Q&A <1/2>");
  EXPECT_EQ(r->text, "Use a/b & \"c\" or 'd' <e>.\n\nhttps://h/case/CS0000007?t=x\n");
  EXPECT_NE(r->html.find("Use a/b &amp; &quot;c&quot; or &#39;d&#39; &lt;e&gt;."), std::string::npos)
      << r->html;
  EXPECT_EQ(r->html.find("&amp;amp;"), std::string::npos) << r->html;
  EXPECT_EQ(r->html.find("&#x2F;"), std::string::npos) << r->html;
  EXPECT_NE(r->html.find("<a href=\"https://h/case/CS0000007?t=x\">"), std::string::npos) << r->html;
}

// A mail of one word each way, from support to Zoë.
OutgoingMail short_mail() {
  OutgoingMail m;
  m.from_address = "support@corp.example";
  m.to_address = "zoe@example.org";
  m.subject = "s";
  m.text = "t";
  m.html = "<p>t</p>";
  m.message_id = new_message_id(m.from_address);
  return m;
}

TEST(Compose, ThreadingHeadersAlternativesAndAttachments) {
  OutgoingMail m = short_mail();
  m.from_name = "Support";
  m.to_name = "Zoë";
  m.subject = "[CS0000007] Drucker geht nicht";
  m.text = "Grüße";
  m.html = "<p>Grüße</p>";
  m.in_reply_to = "a@b";
  m.references = {"a@b", "c@d"};
  m.automatic = true;
  m.attachments.push_back({"log.txt", "text/plain", "line\n"});
  auto raw = compose(m);
  EXPECT_NE(raw.find("Message-Id: <" + m.message_id + ">"), std::string::npos) << raw;
  EXPECT_NE(m.message_id.find("@corp.example"), std::string::npos);
  EXPECT_NE(raw.find("In-Reply-To: <a@b>"), std::string::npos);
  EXPECT_NE(raw.find("References: <a@b> <c@d>"), std::string::npos);
  EXPECT_NE(raw.find("Auto-Submitted: auto-replied"), std::string::npos);
  EXPECT_NE(raw.find("multipart/alternative"), std::string::npos);
  EXPECT_NE(raw.find("multipart/mixed"), std::string::npos);
  EXPECT_NE(raw.find("filename=log.txt"), std::string::npos);
  EXPECT_NE(raw.find("charset=utf-8"), std::string::npos);
  EXPECT_NE(raw.find("\r\n"), std::string::npos);
  m.automatic = false;
  EXPECT_EQ(compose(m).find("Auto-Submitted"), std::string::npos);
}

// What a reader's parser gets back from a composed mail is what was composed, whatever
// the names, subject and text hold (quotes, commas, parentheses, angle brackets, non-ASCII,
// long lines, CRLF and bare LF, empty parts); every line ends in CRLF and none passes
// 998 bytes; a header line passes 78 columns only for a single word it cannot break.
TEST(Compose, EveryFieldReadsBackAsComposed) {
  struct Case {
    std::string from_name, to_name, subject, text, html;
    std::vector<std::string> cc, references;
    std::vector<OutgoingAttachment> attachments;
  };
  const std::string long_word(120, 'w');
  const std::vector<Case> cases = {
      {"Support", "Zoë", "[CS0000007] Drucker geht nicht", "Grüße\n", "<p>x</p>", {}, {}, {}},
      {"Help \"Desk\", Team",
       "O'Brien, Pat",
       "Re: \"quoted\" (parens) <angle> — " + long_word,
       "line one\r\nline two\nFrom the desk\n.\n" + std::string(1500, 'x') + "\n",
       "",
       {"a@example.org"},
       {},
       {}},
      {"日本語",
       "",
       std::string(300, 'a') + " " + std::string(40, 'b'),
       "",
       "<p>café " + std::string(2000, 'y') + "</p>",
       {"a@example.org", "b@example.org"},
       {"first@x.example", std::string(70, 'r') + "@h.example", "third@y.example"},
       {{"résumé final.pdf", "application/pdf", std::string("%PDF\0\x01\xff", 7)},
        {"log.txt", "text/plain", "line\n"}}},
  };
  for (const auto& c : cases) {
    OutgoingMail m = short_mail();
    m.from_name = c.from_name;
    m.to_name = c.to_name;
    m.cc = c.cc;
    m.subject = c.subject;
    m.text = c.text;
    m.html = c.html;
    m.references = c.references;
    if (!c.references.empty()) m.in_reply_to = c.references.back();
    m.attachments = c.attachments;
    const std::string raw = compose(m);
    SCOPED_TRACE(raw.substr(0, 2000));

    const size_t head_end = raw.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos);
    size_t start = 0;
    for (size_t nl = raw.find('\n'); nl != std::string::npos; start = nl + 1, nl = raw.find('\n', start)) {
      ASSERT_GT(nl, 0u);
      EXPECT_EQ(raw[nl - 1], '\r') << "a bare LF at " << nl;
      const std::string_view line(raw.data() + start, nl - 1 - start);
      EXPECT_LE(line.size(), 998u);
      if (start < head_end && line.size() > 78) {  // one word, after the field's name or the fold
        const size_t word =
            line[0] == ' ' || line[0] == '\t' ? line.find_first_not_of(" \t") : line.find(' ') + 1;
        EXPECT_EQ(line.find(' ', word), std::string_view::npos) << line;
      }
    }

    spool::MemoryBlobStore blobs;
    auto parsed = mime::parse_bytes(raw, blobs);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->from.name, c.from_name);
    EXPECT_EQ(parsed->from.email, "support@corp.example");
    ASSERT_EQ(parsed->to.size(), 1u);
    EXPECT_EQ(parsed->to[0].name, c.to_name);
    ASSERT_EQ(parsed->cc.size(), c.cc.size());
    for (size_t i = 0; i < c.cc.size(); ++i) EXPECT_EQ(parsed->cc[i].email, c.cc[i]);
    EXPECT_EQ(parsed->subject, c.subject);
    EXPECT_EQ(parsed->message_id, m.message_id);
    EXPECT_EQ(parsed->references, c.references);
    // The text, line ends aside: CRLF on the wire (quoted-printable) or as given (base64).
    auto lf = [](std::string t) {
      for (size_t at = 0; (at = t.find("\r\n", at)) != std::string::npos;) t.erase(at, 1);
      return t;
    };
    if (!c.text.empty()) {
      EXPECT_EQ(lf(parsed->text_body), lf(c.text));
    }
    EXPECT_EQ(parsed->html_body, c.html);
    ASSERT_EQ(parsed->attachments.size(), c.attachments.size());
    for (size_t i = 0; i < c.attachments.size(); ++i) {
      EXPECT_EQ(parsed->attachments[i].filename, c.attachments[i].filename);
      EXPECT_EQ(parsed->attachments[i].content_type, c.attachments[i].content_type);
      EXPECT_EQ(parsed->attachments[i].size, c.attachments[i].bytes.size());
    }
  }
}

// A message id with a line break in it cannot end a header early and start another (a
// Bcc, say): it is left out; the others stay.
TEST(Compose, AMessageIdWithALineBreakStartsNoHeader) {
  OutgoingMail m = short_mail();
  m.in_reply_to = "a@b>\r\nBcc: victim@example.org";
  m.references = {"ok@x", "c@d>\nBcc: victim@example.org", std::string("e@f\0g", 5)};
  const std::string raw = compose(m);
  EXPECT_EQ(raw.find("Bcc"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("In-Reply-To"), std::string::npos) << raw;
  EXPECT_NE(raw.find("References: <ok@x>\r\n"), std::string::npos) << raw;
  m.references = {"c@d>\nBcc: victim@example.org"};
  EXPECT_EQ(compose(m).find("References"), std::string::npos);
}

// A message id of thousands of characters (a mail may carry one) would make a line over
// RFC 5322's 998 bytes, which strict servers refuse: it is left out; one of 980 is kept.
TEST(Compose, AMessageIdTooLongForALineIsLeftOut) {
  OutgoingMail m = short_mail();
  const std::string huge = std::string(5000, 'x') + "@example.org";
  const std::string longest = std::string(980 - 12, 'y') + "@example.org";
  m.in_reply_to = huge;
  m.references = {"ok@x", huge, longest};
  std::string raw = compose(m);
  EXPECT_EQ(raw.find("In-Reply-To"), std::string::npos);
  EXPECT_EQ(raw.find(huge), std::string::npos);
  EXPECT_NE(raw.find("<" + longest + ">"), std::string::npos);
  m.in_reply_to = longest;
  raw = compose(m);
  EXPECT_NE(raw.find("In-Reply-To: <" + longest + ">\r\n"), std::string::npos);
  for (size_t at = 0, end = 0; at < raw.size(); at = end + 2) {
    end = raw.find("\r\n", at);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - at, 998u) << raw.substr(at, 60);
  }
}

// Whatever bytes a name, subject, text, Cc or attachment holds (CR, LF, NUL, invalid UTF-8,
// colons, "Bcc:"), the mail has only the headers compose writes, each once, and it parses.
TEST(Compose, NoFieldAddsAHeader) {
  std::mt19937 rng(17);
  const std::string pieces[] = {"\r\n",
                                "\n",
                                "\r",
                                std::string(1, '\0'),
                                "Bcc: victim@example.org",
                                ":",
                                "\xff\xfe",
                                "\xc3",
                                "é",
                                " ",
                                "\t",
                                "=?utf-8?q?x?=",
                                "a",
                                "--",
                                "<>"};
  auto junk = [&] {
    std::string out;
    for (size_t n = rng() % 12; n > 0; --n) out += pieces[rng() % std::size(pieces)];
    return out;
  };
  const std::set<std::string> expected = {"date",
                                          "from",
                                          "subject",
                                          "to",
                                          "cc",
                                          "message-id",
                                          "in-reply-to",
                                          "references",
                                          "auto-submitted",
                                          "x-auto-response-suppress",
                                          "mime-version",
                                          "content-type"};
  for (int i = 0; i < 300; ++i) {
    OutgoingMail m = short_mail();
    m.from_name = junk();
    m.to_name = junk();
    m.subject = junk();
    m.text = junk();
    m.html = junk();
    m.cc = {"a@example.org", junk() + "@example.org"};
    m.in_reply_to = junk() + "@x";
    m.references = {junk() + "@y", "z@z"};
    m.generated = i % 2 == 0;
    if (i % 3 == 0) m.attachments.push_back({junk() + ".txt", "text/plain" + junk(), junk()});
    const std::string raw = compose(m);
    spool::MemoryBlobStore blobs;
    auto parsed = mime::parse_bytes(raw, blobs);
    ASSERT_TRUE(parsed) << raw;
    std::map<std::string, int> seen;
    for (const auto& h : parsed->headers) ++seen[text::ascii_lower(h.name)];
    for (const auto& [name, count] : seen) {
      EXPECT_TRUE(expected.count(name)) << name << " in\n" << raw;
      EXPECT_EQ(count, 1) << name << " in\n" << raw;
    }
    EXPECT_EQ(parsed->bcc.size(), 0u) << raw;
  }
}

// A CR in a text (an agent's comment may hold one) ends its line on the wire: a bare CR
// in a 7-bit part breaks RFC 5322, and "CR . CR" is the end of the data to some servers.
TEST(Compose, ABareCarriageReturnNeverReachesTheWire) {
  OutgoingMail m = short_mail();
  m.text = "Thanks\r.\rMAIL FROM:<x@evil.example>\rend\r";
  m.html = "<p>a\r.\rb</p>";
  const std::string raw = compose(m);
  for (size_t at = raw.find('\r'); at != std::string::npos; at = raw.find('\r', at + 1))
    ASSERT_EQ(raw[at + 1], '\n') << "a bare CR at " << at << " in\n" << raw;
  spool::MemoryBlobStore blobs;
  auto parsed = mime::parse_bytes(raw, blobs);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_NE(parsed->text_body.find("MAIL FROM:<x@evil.example>"), std::string::npos) << parsed->text_body;
}

// Each multipart has a boundary of its own, new for every mail, that delimits its parts
// and closes it.
TEST(Compose, EveryMultipartHasItsOwnBoundary) {
  OutgoingMail m = short_mail();
  m.attachments.push_back({"log.txt", "text/plain", "line\n"});
  auto boundaries = [](const std::string& raw) {
    std::vector<std::string> out;
    for (size_t at = raw.find("boundary=\""); at != std::string::npos; at = raw.find("boundary=\"", at + 1)) {
      const size_t start = at + 10;
      out.push_back(raw.substr(start, raw.find('"', start) - start));
    }
    return out;
  };
  const auto first = compose(m);
  const auto b1 = boundaries(first);
  ASSERT_EQ(b1.size(), 2u) << first;  // mixed, then alternative
  EXPECT_NE(b1[0], b1[1]);
  for (const auto& b : b1) {
    EXPECT_GE(b.size(), 30u);
    EXPECT_NE(first.find("\r\n--" + b + "\r\n"), std::string::npos) << b;
    EXPECT_NE(first.find("\r\n--" + b + "--"), std::string::npos) << b;
  }
  const auto b2 = boundaries(compose(m));
  ASSERT_EQ(b2.size(), 2u);
  EXPECT_NE(b2[0], b1[0]);
  EXPECT_NE(b2[1], b1[1]);
}

TEST(Outbox, RetryDelaysGrowAndAreCapped) {
  EXPECT_EQ(retry_delay(1), 2);
  EXPECT_EQ(retry_delay(2), 4);
  EXPECT_LT(retry_delay(3), retry_delay(4));
  EXPECT_EQ(retry_delay(50), 2048);
}

class OutboxStore : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::open_with_one_queued_mail(dir.path() / "t.db", st));
  }
  store::OutboxMail row() { return st->list_outbox(std::nullopt, 10)->front(); }
  // Records the notes send_due asks for (the case services write them in serve).
  FailureNote note = [this](store::UnitOfWork&, const store::OutboxMail& m,
                            const std::string& text) -> Status {
    notes.push_back(m.message_id + ": " + text);
    return {};
  };
  std::vector<std::string> notes;
  mailcase::testing::TempDir dir;
  std::unique_ptr<store::Store> st;
  config::Outbound cfg;
};

TEST(Outbox, OnlyThisHostsEndedSendersAreJudgedEnded) {
  auto alive = [](int pid) { return pid == 42; };
  EXPECT_TRUE(claimed_by_ended_process("mx1:4242:17", "mx1", 7, alive));
  EXPECT_FALSE(claimed_by_ended_process("mx1:42:17", "mx1", 7, alive)) << "it runs";
  EXPECT_FALSE(claimed_by_ended_process("mx1:7:3", "mx1", 7, alive)) << "this process";
  EXPECT_FALSE(claimed_by_ended_process("mx2:4242:17", "mx1", 7, alive)) << "another host's";
  EXPECT_FALSE(claimed_by_ended_process("mx1.example:4242:17", "mx1", 7, alive));
  for (const char* odd : {"", "mx1", "mx1:", "mx1::17", "mx1:-5:1", "mx1:12a:1", "mx1:0:1", "mx1:4242",
                          "mx1:99999999999999999999:1"})
    EXPECT_FALSE(claimed_by_ended_process(odd, "mx1", 7, alive)) << odd;
}

// A serve killed while sending (or with mail waiting to be tried again) left its rows
// claimed for 70 minutes; the outbox starting again sends them at once.
TEST_F(OutboxStore, MailHeldByASenderThatEndedIsDueAgainAtOnce) {
  for (const char* id : {"m2@x", "m3@x", "m4@x"}) {
    store::OutboxMail m;
    m.kind = "comment";
    m.to = "anna@example.org";
    m.message_id = id;
    m.raw = "Subject: x\r\n\r\nhi\r\n";
    ASSERT_TRUE(st->add_outbox(m));
  }
  // A process of this host that has ended.
  const pid_t ended = ::fork();
  ASSERT_GE(ended, 0);
  if (ended == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(ended, nullptr, 0), ended);
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  const std::string here(host);
  const std::string dead = here + ":" + std::to_string(ended) + ":1";
  const std::string running = here + ":" + std::to_string(::getpid()) + ":2";
  const std::string elsewhere = "elsewhere.example:" + std::to_string(ended) + ":1";
  for (const auto& worker : {dead, running, elsewhere}) {
    auto unit = st->open_unit(store::Access::kWrite);
    ASSERT_TRUE(unit);
    auto claimed = unit->outbox().claim_due(worker, 1000, 1, 4200);
    ASSERT_TRUE(claimed && claimed->size() == 1u);
    ASSERT_TRUE(unit->commit());
  }
  auto released = release_ended_claims(*st, 1100);
  ASSERT_TRUE(released) << released.error().message;
  EXPECT_EQ(*released, 1);
  std::map<std::string, store::OutboxMail> rows;
  const auto listed = st->list_outbox(std::nullopt, 10);
  ASSERT_TRUE(listed);
  for (const auto& m : *listed) rows[m.message_id] = m;
  EXPECT_EQ(rows["m1@x"].next_attempt_at, 1100) << "the ended sender's";
  EXPECT_EQ(rows["m1@x"].claimed_by, dead);
  EXPECT_EQ(rows["m2@x"].next_attempt_at, 5200) << "a running sender's stays its own";
  EXPECT_EQ(rows["m3@x"].next_attempt_at, 5200) << "another host's is not judged from here";
  // Sent now: the ended sender's mail and the one nobody held.
  std::vector<std::string> sent;
  Sender up = [&](const std::string&, const std::string& raw) {
    sent.push_back(raw);
    return SmtpResult{SmtpResult::Kind::kSent, 250, "sent"};
  };
  ASSERT_EQ(*send_due(*st, cfg, up, 1100, note), 2);
  EXPECT_EQ(*release_ended_claims(*st, 1200), 0) << "nothing twice";
}

TEST_F(OutboxStore, TemporaryFailureKeepsTheRowForLater) {
  Sender down = [](const std::string&, const std::string&) {
    return SmtpResult{SmtpResult::Kind::kTemporary, 451, "451 try later"};
  };
  ASSERT_EQ(*send_due(*st, cfg, down, 100, note), 1);
  auto r = row();
  EXPECT_EQ(r.state, store::OutboxState::kQueued);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.next_attempt_at, 102);
  EXPECT_EQ(r.last_error, "451 try later");
  EXPECT_EQ(*send_due(*st, cfg, down, 101, note), 0);  // not due yet
  Sender up = [](const std::string&, const std::string&) {
    return SmtpResult{SmtpResult::Kind::kSent, 250, "sent"};
  };
  ASSERT_EQ(*send_due(*st, cfg, up, 102, note), 1);
  EXPECT_EQ(row().state, store::OutboxState::kSent);
  EXPECT_EQ(*send_due(*st, cfg, up, 10000, note), 0);  // sent once
}

TEST_F(OutboxStore, PermanentFailureOrTooManyAttemptsFails) {
  Sender reject = [](const std::string&, const std::string&) {
    return SmtpResult{SmtpResult::Kind::kPermanent, 550, "550 no such user"};
  };
  ASSERT_EQ(*send_due(*st, cfg, reject, 100, note), 1);
  EXPECT_EQ(row().state, store::OutboxState::kFailed);
  EXPECT_EQ(row().last_error, "550 no such user");

  cfg.max_attempts = 2;
  store::OutboxMail m;
  m.kind = "comment";
  m.to = "b@example.org";
  m.message_id = "m2@x";
  m.raw = "x";
  ASSERT_TRUE(st->add_outbox(m));
  Sender down = [](const std::string&, const std::string&) {
    return SmtpResult{SmtpResult::Kind::kTemporary, 0, "connection refused"};
  };
  ASSERT_EQ(*send_due(*st, cfg, down, 100, note), 1);
  ASSERT_EQ(*send_due(*st, cfg, down, 1000, note), 1);
  EXPECT_EQ(st->find_outbox_by_message_id("m2@x")->value().state, store::OutboxState::kFailed);
}

// The note on a failed mail's case is written in the unit of work that marks its row
// failed: when the note cannot be written, the row is not failed either (it comes due
// again) rather than failing without its case saying so.
// Two senders side by side (serve runs outbound.senders of them): while a slow relay
// holds one case's mail, another case's goes out, and the first case's next mail to the
// same address waits for the one before it. No timing: the slow send waits until the
// other sender has finished its pass.
TEST_F(OutboxStore, ASlowMailHoldsItsConversationButNotTheOutbox) {
  ASSERT_TRUE(st->update_outbox([&] {
    auto m = row();  // the fixture's mail, of no case: out of the way
    m.state = store::OutboxState::kSent;
    return m;
  }()));
  auto a = st->insert_case({.subject = "Printer"}, "C-", 4);
  auto b = st->insert_case({.subject = "Invoice"}, "C-", 4);
  ASSERT_TRUE(a && b);
  auto queue = [&](store::Id case_id, const std::string& to, const std::string& id) {
    store::OutboxMail m;
    m.kind = "comment";
    m.to = to;
    m.message_id = id;
    m.raw = "x";
    m.case_id = case_id;
    ASSERT_TRUE(st->add_outbox(m));
  };
  queue(a->id, "ann@example.org", "a1@x");
  queue(a->id, "ann@example.org", "a2@x");
  queue(b->id, "bob@example.org", "b1@x");
  std::mutex mu;
  std::condition_variable cv;
  bool slow_started = false, other_done = false;
  std::vector<std::string> sent;
  auto sender_for = [&](bool slow_one) -> Sender {
    return [&, slow_one](const std::string& to, const std::string&) {
      std::unique_lock lock(mu);
      if (slow_one && to == "ann@example.org" && !slow_started) {
        slow_started = true;
        cv.notify_all();
        cv.wait(lock, [&] { return other_done; });  // the relay is slow with this one
      }
      sent.push_back(to);
      return SmtpResult{SmtpResult::Kind::kSent, 250, "ok"};
    };
  };
  Result<int> first_handled = 0, second_handled = 0;
  std::thread first([&] { first_handled = send_due(*st, cfg, sender_for(true), 1000, note, "h:1:1"); });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return slow_started; });
  }
  second_handled = send_due(*st, cfg, sender_for(false), 1000, note, "h:1:2");
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(sent, std::vector<std::string>{"bob@example.org"}) << "b1 went while a1 was held; a2 waited";
    other_done = true;
  }
  cv.notify_all();
  first.join();
  ASSERT_TRUE(first_handled && second_handled);
  EXPECT_EQ(*second_handled, 1);
  EXPECT_EQ(*first_handled, 2) << "a1, then a2";
  EXPECT_EQ(sent, (std::vector<std::string>{"bob@example.org", "ann@example.org", "ann@example.org"}));
  auto rows = st->list_outbox(a->id, 10);
  ASSERT_TRUE(rows);
  for (const auto& m : *rows) EXPECT_EQ(m.state, store::OutboxState::kSent) << m.message_id;
}

TEST_F(OutboxStore, AFailedMailsNoteIsWrittenWithTheRowsUpdateOrNotAtAll) {
  auto c = st->insert_case({.subject = "Printer"}, "C-", 4);
  ASSERT_TRUE(c) << c.error().message;
  store::OutboxMail m;
  m.kind = "solution";
  m.to = "nobody@example.org";
  m.message_id = "m3@x";
  m.raw = "x";
  m.case_id = c->id;
  ASSERT_TRUE(st->add_outbox(m));
  Sender reject = [](const std::string& to, const std::string&) {
    return to == "nobody@example.org" ? SmtpResult{SmtpResult::Kind::kPermanent, 550, "550 no such user"}
                                      : SmtpResult{SmtpResult::Kind::kSent, 250, "sent"};
  };
  FailureNote broken = [](store::UnitOfWork&, const store::OutboxMail&, const std::string&) -> Status {
    return fail(ErrorCode::kTemporary, "database is busy");
  };
  EXPECT_FALSE(send_due(*st, cfg, reject, 100, broken));
  EXPECT_EQ(st->find_outbox_by_message_id("m3@x")->value().state, store::OutboxState::kQueued);
  EXPECT_EQ(st->find_outbox_by_message_id("m3@x")->value().attempts, 0);

  std::string seen_state;
  FailureNote look = [&](store::UnitOfWork& w, const store::OutboxMail& mail,
                         const std::string& text) -> Status {
    auto row = w.outbox().find_outbox_by_message_id(mail.message_id);
    if (row && *row) seen_state = store::to_string((*row)->state);
    return note(w, mail, text);
  };
  // Its lease over (longer than an SMTP attempt may last), the row comes due again.
  ASSERT_EQ(*send_due(*st, cfg, reject, 100 + 2 * 3600, look), 1);  // anna's row was sent before
  EXPECT_EQ(st->find_outbox_by_message_id("m3@x")->value().state, store::OutboxState::kFailed);
  EXPECT_EQ(seen_state, "failed");  // the row's update is in the note's unit
  ASSERT_EQ(notes.size(), 1u);      // only for the row of a case
  EXPECT_EQ(notes[0],
            "m3@x: The solution mail to nobody@example.org could not be delivered: 550 no such user");
}

}  // namespace
}  // namespace mailcase::outbound

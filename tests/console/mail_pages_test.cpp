// Held, failed and dismissed mail, the outbox and a mail's HTML in its sandbox: the cleaner of mail
// HTML against hostile input (pure), and the pages through a real HTTP server in this
// process, logged in with a session as the browser would be.
#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "console/console.h"
#include "console/console_test_support.h"
#include "console/mail_frame.h"
#include "console/mail_html.h"
#include "console/sessions.h"
#include "ingest/pipeline.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "support/test_support.h"
#include "util/text.h"
#include "web/http_server.h"

namespace mailcase::console {
namespace {

// ---- the cleaner (pure)

std::string clean(std::string_view html, bool remote = false) {
  return clean_mail_html(html, MailHtmlOptions{"/messages/7/cid/", remote}).html;
}

bool has(const std::string& s, std::string_view what) {
  return text::ascii_lower(s).find(text::ascii_lower(std::string(what))) != std::string::npos;
}

TEST(MailHtmlCleanTest, ScriptsAndEventHandlersAreGone) {
  const std::string out = clean(
      "<html><body onload=\"alert(1)\"><script>alert('s')</script><p onclick=\"alert(2)\">Hello</p>"
      "<img src=\"cid:a\" onerror=\"alert(3)\"><svg onload=\"alert(4)\"><script>alert(5)</script>"
      "<foreignObject><p>inside</p></foreignObject></svg><noscript><b>ns</b></noscript></body></html>");
  EXPECT_TRUE(has(out, "<p>Hello</p>")) << out;
  for (auto bad : {"<script", "alert", "onload", "onclick", "onerror", "<svg", "foreignobject", "noscript"})
    EXPECT_FALSE(has(out, bad)) << bad << " in " << out;
}

TEST(MailHtmlCleanTest, ElementsThatLoadSubmitOrNavigateAreGone) {
  const std::string out = clean(
      "<head><meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">"
      "<base href=\"https://evil.example/\"><link rel=\"stylesheet\" href=\"https://evil.example/a.css\">"
      "<title>Evil title</title></head><body><form action=\"https://evil.example/steal\">Your password:"
      "<input name=\"p\"><button formaction=\"https://evil.example/\">Send</button></form>"
      "<iframe srcdoc=\"&lt;script&gt;x&lt;/script&gt;\" src=\"https://evil.example/\"></iframe>"
      "<object data=\"https://evil.example/x.swf\"></object><embed src=\"https://evil.example/e\">"
      "<applet code=\"x\"></applet><math><mi xlink:href=\"javascript:alert(1)\">m</mi></math>"
      "<frameset><frame src=\"https://evil.example/\"></frameset></body>");
  for (auto bad : {"<meta", "refresh", "<base", "<link", "<title", "<form", "<input", "<button", "formaction",
                   "action=", "<iframe", "srcdoc", "<object", "<embed", "<applet", "<math", "xlink", "<frame",
                   "evil.example"})
    EXPECT_FALSE(has(out, bad)) << bad << " in " << out;
  EXPECT_TRUE(has(out, "Your password:")) << "a form's text stays: " << out;
}

TEST(MailHtmlCleanTest, ScriptUrlsAreDroppedWhateverTheirSpelling) {
  for (std::string href :
       {"javascript:alert(1)", "JaVaScRiPt:alert(1)", "jav&#x09;ascript:alert(1)", "jav&#10;ascript:alert(1)",
        "&#14;  javascript:alert(1)", "&#106;avascript:alert(1)", " vbscript:msgbox(1)",
        "data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;", "/logout", "//evil.example/x",
        "file:///etc/passwd"}) {
    const std::string out = clean("<a href=\"" + href + "\">x</a>");
    EXPECT_FALSE(has(out, "href")) << href << " gave " << out;
    EXPECT_FALSE(has(out, "script:")) << href << " gave " << out;
  }
  EXPECT_EQ(check_mail_url("\tjava\nscript:x", UrlUse::kLink, {}).verdict, UrlVerdict::kDrop);
  EXPECT_EQ(check_mail_url("mailto:a@b.example", UrlUse::kLink, {}).verdict, UrlVerdict::kKeep);
}

TEST(MailHtmlCleanTest, LinksOpenInANewTabWithoutOpenerOrReferrer) {
  const std::string out = clean(
      "<a href=\"https://corp.example/help\" target=\"_self\" rel=\"opener\" ping=\"https://t.example/\">"
      "help</a><a href=\"#top\">top</a>");
  EXPECT_TRUE(
      has(out, "<a href=\"https://corp.example/help\" target=\"_blank\" rel=\"noopener noreferrer\">help"))
      << out;
  EXPECT_FALSE(has(out, "_self")) << out;
  EXPECT_FALSE(has(out, "ping")) << out;
  EXPECT_TRUE(has(out, "<a href=\"#top\">top</a>")) << out;
}

TEST(MailHtmlCleanTest, ImagesComeFromTheMailUnlessRemoteImagesAreAsked) {
  const std::string html =
      "<img src=\"cid:logo@corp.example\" alt=\"logo\"><img src=\"https://track.example/p.gif\">"
      "<img src=\"http://track.example/q.gif\"><img src=\"data:image/png;base64,iVBORw0KGgo=\">"
      "<img src=\"data:image/svg+xml,&lt;svg onload=alert(1)&gt;\">"
      "<table background=\"https://track.example/bg.png\"><tr><td>x</td></tr></table>";
  auto local = clean_mail_html(html, MailHtmlOptions{"/messages/7/cid/", false});
  EXPECT_TRUE(has(local.html, "<img src=\"/messages/7/cid/logo%40corp.example\" alt=\"logo\">"))
      << local.html;
  EXPECT_TRUE(has(local.html, "data:image/png;base64")) << local.html;
  EXPECT_FALSE(has(local.html, "track.example")) << local.html;
  EXPECT_FALSE(has(local.html, "svg")) << local.html;
  EXPECT_EQ(local.remote_images, 3);

  auto remote = clean_mail_html(html, MailHtmlOptions{"/messages/7/cid/", true});
  EXPECT_TRUE(has(remote.html, "src=\"https://track.example/p.gif\"")) << remote.html;
  EXPECT_TRUE(has(remote.html, "background=\"https://track.example/bg.png\"")) << remote.html;
  EXPECT_FALSE(has(remote.html, "http://track.example")) << "never http: " << remote.html;
  EXPECT_EQ(remote.remote_images, 0);
}

TEST(MailHtmlCleanTest, CssLoadsAreRemovedUnlessRemoteImagesAreAsked) {
  const std::string html =
      "<style>@import \"https://evil.example/a.css\"; body{background:URL(https://evil.example/b.png)} "
      "p{background-image:image-set(\"https://evil.example/c.png\" 1x)} </style>"
      "<p style=\"background:u\\72 l(https://evil.example/d.png);color:red\">x</p>";
  const std::string out = clean(html);
  EXPECT_FALSE(has(out, "url(")) << out;
  EXPECT_FALSE(has(out, "@import")) << out;
  EXPECT_FALSE(has(out, "image-set(")) << out;
  EXPECT_FALSE(has(out, "\\72")) << out;
  EXPECT_TRUE(has(out, "color:red")) << out;
  EXPECT_TRUE(has(clean(html, true), "url(https://evil.example/b.png)"));
  // Nothing in a style element can end it early.
  EXPECT_FALSE(has(clean("<style>p{}</sty<x>le><script>alert(1)</script></style>"), "<script"));
  EXPECT_EQ(clean_mail_css("a{b:u\\rl(x)}", false).find("url("), std::string::npos);
}

TEST(MailHtmlCleanTest, HostileSizeAndNestingAreBounded) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<div>";
  auto nested = clean_mail_html(deep, {"/messages/1/cid/", false});
  EXPECT_TRUE(nested.as_text);
  EXPECT_LT(nested.html.size(), 64u * 1024);

  std::string big;
  while (big.size() < kMaxMailHtmlBytes + 100000) big += "<p>line of a long mail &amp; more</p>\n";
  auto cut = clean_mail_html(big, {"/messages/1/cid/", false});
  EXPECT_TRUE(cut.cut);
  EXPECT_TRUE(has(cut.html, "only its beginning is shown")) << cut.html.substr(0, 300);
  EXPECT_LT(cut.html.size(), 2 * kMaxMailHtmlBytes);
}

TEST(MailFrameSrcTest, OnlyOurOwnMessagesPathFromAPlainHostHeader) {
  httplib::Request req;
  req.headers.emplace("Host", "console.example:8080");
  EXPECT_EQ(mail_frame_src(req), "http://console.example:8080/messages/");
  httplib::Request bad;
  bad.headers.emplace("Host", "evil.example; script-src *");
  EXPECT_EQ(mail_frame_src(bad), "'self'");
  EXPECT_EQ(mail_frame_src(httplib::Request{}), "'self'");
  EXPECT_EQ(
      mail_html_policy("http://h/messages/3/cid/", false),
      "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; style-src 'unsafe-inline'; "
      "img-src data: http://h/messages/3/cid/; frame-ancestors 'self'; base-uri 'none'; form-action 'none'");
}

// ---- the pages, over HTTP

const char kPng[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

std::string held_mail() {
  return "From: Carol <carol@customer.example>\r\nTo: support@corp.example\r\nSubject: Invoice is wrong\r\n"
         "Message-ID: <held1@customer.example>\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/related; boundary=\"b1\"\r\n\r\n"
         "--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
         "<html><head><meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">"
         "<base href=\"https://evil.example/\"></head><body onload=\"alert(1)\"><script>alert(1)</script>"
         "<p>Please fix invoice 42.</p><img src=\"cid:logo@corp.example\" alt=\"logo\">"
         "<img src=\"https://evil.example/pixel.gif\"><a href=\"javascript:alert(1)\">click</a>"
         "<iframe src=\"https://evil.example/\"></iframe><a href=\"https://corp.example/help\">help</a>"
         "</body></html>\r\n"
         "--b1\r\nContent-Type: image/png\r\nContent-ID: <logo@corp.example>\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgoAAAANSUhEUg==\r\n"
         "--b1\r\nContent-Type: text/html\r\nContent-ID: <page@corp.example>\r\n\r\n"
         "<script>alert(2)</script>\r\n--b1--\r\n";
}

using mailcase::testing::Answer;

class MailPagesTest : public mailcase::testing::ConsolePagesTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(
        make_data("[limits]\nmax_message_bytes = 100000\n[trust]\nauthserv_ids = [\"mx.corp.example\"]\n",
                  {"--unknown-sender", "hold"}));
    ASSERT_EQ(cli({"account", "add", "--name", "Customer Ltd"}).exit_code, 0);
    ASSERT_NO_FATAL_FAILURE(open_runtime());
    auto held = deliver(held_mail());
    ASSERT_EQ(held.kind, ingest::OutcomeKind::kHeld);
    held_id_ = held.message_id;
    auto failed = deliver(
        "From: Dan <dan@customer.example>\r\nTo: support@corp.example\r\nSubject: Huge\r\n"
        "Message-ID: <big1@customer.example>\r\n\r\n" +
        std::string(150000, 'x') + "\r\n");
    ASSERT_EQ(failed.kind, ingest::OutcomeKind::kFailed);
    failed_id_ = failed.message_id;
    ASSERT_NO_FATAL_FAILURE(serve());
    cookie_ = served_->cookie;
    csrf_ = served_->csrf;
  }

  store::RawMessage raw_row(store::Id id) {
    auto u = rt_->store().open_unit(store::Access::kRead);
    EXPECT_TRUE(u);
    auto r = u->raw_messages().get_raw(id);
    EXPECT_TRUE(r && *r);
    return r && *r ? **r : store::RawMessage{};
  }

  std::string id(store::Id i) const { return std::to_string(i); }

  std::string cookie_, csrf_;  // the session's
  store::Id held_id_ = 0, failed_id_ = 0;
};

TEST_F(MailPagesTest, WithoutASessionEveryMailPageGoesToTheLogin) {
  for (const std::string& path : std::vector<std::string>{
           "/mail", "/mail/" + id(held_id_), "/mail/" + id(held_id_) + "/raw", "/outbox",
           "/messages/" + id(held_id_) + "/html", "/messages/" + id(held_id_) + "/cid/logo%40corp.example"}) {
    auto a = get(path, false);
    EXPECT_EQ(a.status, 303) << path;
    EXPECT_TRUE(a.header("Location").starts_with("/login?next=")) << path << ": " << a.header("Location");
    EXPECT_EQ(a.body.find("Please fix invoice"), std::string::npos) << path;
  }
  httplib::Client c("127.0.0.1", served_->port());
  auto r = c.Post(("/mail/" + id(held_id_) + "/retry").c_str(), httplib::Params{{"csrf", csrf_}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(raw_row(held_id_).state, store::RawState::kHeld);
}

TEST_F(MailPagesTest, TheListsShowHeldAndFailedMailWithTheirReasons) {
  const auto held = raw_row(held_id_), failed = raw_row(failed_id_);
  ASSERT_FALSE(held.reason.empty());
  ASSERT_FALSE(failed.reason.empty());
  auto list = get("/mail");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find("Invoice is wrong"), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("carol@customer.example"), std::string::npos);
  EXPECT_NE(list.body.find(text::html_escape(held.reason)), std::string::npos) << held.reason;
  EXPECT_NE(list.body.find("href=\"/mail/" + id(held_id_) + "\""), std::string::npos);
  EXPECT_EQ(list.body.find("href=\"/mail/" + id(failed_id_) + "\""), std::string::npos)
      << "failed mail has its tab";
  EXPECT_NE(list.header("Content-Security-Policy").find("script-src 'self'"), std::string::npos);

  auto failed_list = get("/mail?state=failed");
  ASSERT_EQ(failed_list.status, 200);
  EXPECT_NE(failed_list.body.find("href=\"/mail/" + id(failed_id_) + "\""), std::string::npos)
      << failed_list.body;
  EXPECT_NE(failed_list.body.find(text::html_escape(failed.reason)), std::string::npos) << failed.reason;
  EXPECT_EQ(get("/mail?state=lost").status, 400);
  EXPECT_EQ(get("/mail?state=held&cursor=bm9wZQ").status, 400);
}

TEST_F(MailPagesTest, AMailShowsItsReasonAndItsRawTextAndDownloads) {
  auto page = get("/mail/" + id(held_id_));
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find(text::html_escape(raw_row(held_id_).reason)), std::string::npos);
  // The raw text, escaped: the mail's markup is text on this page.
  EXPECT_NE(page.body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(page.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(page.body.find("value=\"Carol\""), std::string::npos) << "the contact form suggests the name";
  // The envelope's recipients, named as such: the To line is the sender's, shown in the mail.
  EXPECT_NE(page.body.find("<dt>Envelope recipients</dt><dd>support@corp.example</dd>"), std::string::npos)
      << page.body;
  EXPECT_NE(page.body.find("href=\"/mail/" + id(held_id_) + "?view=html\""), std::string::npos);
  EXPECT_NE(page.header("Content-Security-Policy").find("frame-src 'none'"), std::string::npos)
      << page.header("Content-Security-Policy");

  auto framed = get("/mail/" + id(held_id_) + "?view=html");
  ASSERT_EQ(framed.status, 200);
  const std::string port = std::to_string(served_->port());
  EXPECT_NE(
      framed.header("Content-Security-Policy").find("frame-src http://127.0.0.1:" + port + "/messages/"),
      std::string::npos)
      << framed.header("Content-Security-Policy");
  EXPECT_NE(framed.body.find("sandbox=\"allow-popups allow-popups-to-escape-sandbox\" src=\"/messages/" +
                             id(held_id_) + "/html\""),
            std::string::npos)
      << framed.body;
  EXPECT_NE(framed.body.find("?view=html&amp;images=remote"), std::string::npos);

  auto raw = get("/mail/" + id(held_id_) + "/raw");
  ASSERT_EQ(raw.status, 200);
  EXPECT_EQ(raw.header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(raw.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(raw.header("Content-Disposition"), "attachment; filename=\"message-" + id(held_id_) + ".eml\"");
  EXPECT_EQ(raw.body, held_mail());
  EXPECT_EQ(get("/mail/999999").status, 404);
  EXPECT_EQ(get("/mail/999999/raw").status, 404);
}

TEST_F(MailPagesTest, RetryRunsTheMailThroughIngestAgain) {
  // Still from no contact: held again, and the page says so.
  auto again = post("/mail/" + id(held_id_) + "/retry", {});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_NE(again.body.find("The mail was held"), std::string::npos) << again.body;
  EXPECT_EQ(post("/mail/" + id(held_id_) + "/retry", {}, false).status, 403);

  ASSERT_EQ(cli({"contact", "add", "--name", "Carol", "--email", "carol@customer.example"}).exit_code, 0);
  auto retried = post("/mail/" + id(held_id_) + "/retry", {});
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_NE(retried.body.find("The mail was created"), std::string::npos) << retried.body;
  EXPECT_NE(retried.body.find("href=\"/cases/"), std::string::npos);
  EXPECT_EQ(raw_row(held_id_).state, store::RawState::kProcessed);
  EXPECT_EQ(get("/mail").body.find("Invoice is wrong"), std::string::npos);
  EXPECT_EQ(post("/mail/999999/retry", {}).status, 404);
}

TEST_F(MailPagesTest, DismissPutsAHeldMailAsideWhereARetryBringsItBack) {
  auto page = get("/mail/" + id(held_id_));
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("action=\"/mail/" + id(held_id_) + "/dismiss\""), std::string::npos) << page.body;
  EXPECT_NE(page.body.find(">Dismiss</button>"), std::string::npos) << page.body;
  EXPECT_EQ(post("/mail/" + id(held_id_) + "/dismiss", {}, false).status, 403);
  EXPECT_EQ(raw_row(held_id_).state, store::RawState::kHeld);
  EXPECT_EQ(post("/mail/" + id(held_id_) + "/dismiss", {{"reason", "two\nlines"}}).status, 422);

  // Back to the held list, which says so and no longer shows it.
  auto done = post("/mail/" + id(held_id_) + "/dismiss", {{"reason", "a sales pitch"}});
  ASSERT_EQ(done.status, 303) << done.body;
  const std::string back = done.header("Location");
  EXPECT_EQ(back, "/mail?state=held&dismissed=" + id(held_id_));
  auto held = get(back);
  ASSERT_EQ(held.status, 200) << held.body;
  EXPECT_NE(held.body.find("The mail was dismissed."), std::string::npos) << held.body;
  EXPECT_EQ(held.body.find("Invoice is wrong"), std::string::npos) << held.body;
  EXPECT_NE(held.body.find("No held mail."), std::string::npos) << held.body;

  // Kept, with who put it aside and why, under its own tab; no second dismissal.
  const auto row = raw_row(held_id_);
  EXPECT_EQ(row.state, store::RawState::kDismissed);
  EXPECT_NE(row.reason.find("dismissed by bob@corp.example: a sales pitch"), std::string::npos) << row.reason;
  auto dismissed = get("/mail?state=dismissed");
  ASSERT_EQ(dismissed.status, 200) << dismissed.body;
  EXPECT_NE(dismissed.body.find("href=\"/mail/" + id(held_id_) + "\""), std::string::npos) << dismissed.body;
  auto kept = get("/mail/" + id(held_id_));
  ASSERT_EQ(kept.status, 200);
  EXPECT_EQ(kept.body.find("/dismiss\""), std::string::npos) << kept.body;
  EXPECT_NE(kept.body.find("action=\"/mail/" + id(held_id_) + "/retry\""), std::string::npos) << kept.body;
  EXPECT_EQ(post("/mail/" + id(held_id_) + "/dismiss", {}).status, 409);
  EXPECT_EQ(post("/mail/999999/dismiss", {}).status, 404);

  // A failed mail goes back to the failed list.
  auto failed = post("/mail/" + id(failed_id_) + "/dismiss", {});
  ASSERT_EQ(failed.status, 303) << failed.body;
  EXPECT_EQ(failed.header("Location"), "/mail?state=failed&dismissed=" + id(failed_id_));

  // A retry runs it through again: Carol is a contact now, so it makes its case.
  ASSERT_EQ(cli({"contact", "add", "--name", "Carol", "--email", "carol@customer.example"}).exit_code, 0);
  auto retried = post("/mail/" + id(held_id_) + "/retry", {});
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_NE(retried.body.find("The mail was created"), std::string::npos) << retried.body;
  EXPECT_EQ(raw_row(held_id_).state, store::RawState::kProcessed);
  EXPECT_EQ(post("/mail/" + id(held_id_) + "/dismiss", {}).status, 409);
}

TEST_F(MailPagesTest, AMailHeldAsSpamHasANotSpamButton) {
  const std::string spam =
      "Authentication-Results: mx.corp.example; spf=pass smtp.mailfrom=customer.example\r\nX-Spam-Flag: YES\r\n"
      "From: Eve <eve@customer.example>\r\nTo: support@corp.example\r\nSubject: Cheap watches\r\n"
      "Message-ID: <spam1@customer.example>\r\n\r\nBuy now.\r\n";
  auto held = deliver(spam);
  ASSERT_EQ(held.kind, ingest::OutcomeKind::kHeld);
  const std::string spam_id = id(held.message_id);
  EXPECT_NE(get("/mail").body.find("spam: X-Spam-Flag YES"), std::string::npos);
  auto page = get("/mail/" + spam_id);
  EXPECT_NE(page.body.find("action=\"/mail/" + spam_id + "/not-spam\""), std::string::npos) << page.body;
  // Mail held for another reason has no such button.
  EXPECT_EQ(get("/mail/" + id(held_id_)).body.find("/not-spam"), std::string::npos);

  EXPECT_EQ(post("/mail/" + spam_id + "/not-spam", {}, false).status, 403);
  auto r = post("/mail/" + spam_id + "/not-spam", {{"allow_sender", "yes"}});
  ASSERT_EQ(r.status, 200) << r.body;
  // Past the spam check it meets this address's unknown-sender hold.
  const auto row = raw_row(held.message_id);
  EXPECT_EQ(row.reason.rfind("spam", 0), std::string::npos) << row.reason;
  EXPECT_NE(row.spam_detail.find("released as not spam by bob@corp.example"), std::string::npos) << row.spam_detail;
}

// What reading the mail read past is shown beside it, escaped; nothing when nothing was.
TEST_F(MailPagesTest, AMailsPageSaysWhatItsParseReadPast) {
  auto held = deliver(
      "From: Dora <dora@customer.example>\r\nTo: support@corp.example\r\nSubject: Odd\r\n"
      "Message-ID: <odd1@customer.example>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=\"x-<b>bad\"\r\n\r\nCaf\xe9\r\n");
  ASSERT_EQ(held.kind, ingest::OutcomeKind::kHeld);
  auto page = get("/mail/" + id(held.message_id));
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(page.has("id=\"mail-problems\"")) << page.body;
  EXPECT_TRUE(page.has("cannot decode charset x-&lt;b&gt;bad")) << page.body;
  EXPECT_FALSE(page.has("x-<b>bad"));
  EXPECT_FALSE(get("/mail/" + id(held_id_)).has("id=\"mail-problems\""));
}

TEST_F(MailPagesTest, MakingTheSenderAContactAndRetryingMakesACase) {
  auto bad = post("/mail/" + id(held_id_) + "/contact", {{"name", ""}});
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_NE(bad.body.find("id=\"contact-form\""), std::string::npos) << "the mail's page, with its form";
  // A refusal is the mail's page again: the reason beside the form, and what was typed.
  auto no_account =
      post("/mail/" + id(held_id_) + "/contact", {{"name", "Zoé Łukasiewicz"}, {"account", "Nobody Inc"}});
  EXPECT_EQ(no_account.status, 422) << no_account.body;
  EXPECT_NE(no_account.body.find("role=\"alert\">No account named Nobody Inc"), std::string::npos)
      << no_account.body;
  EXPECT_NE(no_account.body.find("name=\"name\" required maxlength=\"200\" value=\"Zoé Łukasiewicz\""),
            std::string::npos)
      << no_account.body;
  EXPECT_NE(no_account.body.find("name=\"account\" maxlength=\"200\" value=\"Nobody Inc\""),
            std::string::npos)
      << no_account.body;
  EXPECT_NE(no_account.body.find("Invoice is wrong"), std::string::npos) << "the mail is still shown";
  EXPECT_EQ(post("/mail/" + id(held_id_) + "/contact", {{"name", "Carol"}}, false).status, 403);
  EXPECT_EQ(raw_row(held_id_).state, store::RawState::kHeld);

  auto made =
      post("/mail/" + id(held_id_) + "/contact", {{"name", "Carol Customer"}, {"account", "Customer Ltd"}});
  ASSERT_EQ(made.status, 200) << made.body;
  EXPECT_NE(made.body.find("The mail was created"), std::string::npos) << made.body;
  const auto row = raw_row(held_id_);
  ASSERT_TRUE(row.case_id);
  auto u = rt_->store().open_unit(store::Access::kRead);
  ASSERT_TRUE(u);
  auto c = u->cases().get_case(*row.case_id);
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->subject, "Invoice is wrong");
  EXPECT_NE(made.body.find("href=\"/cases/" + (*c)->number + "\""), std::string::npos);
  auto contact = u->accounts().find_contact_by_email("carol@customer.example");
  ASSERT_TRUE(contact && *contact);
  EXPECT_EQ((*contact)->name, "Carol Customer");
  EXPECT_TRUE((*contact)->account_id);
}

TEST_F(MailPagesTest, TheOutboxShowsFailuresAndRetriesAFailedMail) {
  store::Id failed = 0;
  {
    auto u = rt_->store().open_unit(store::Access::kWrite);
    ASSERT_TRUE(u);
    store::OutboxMail m;
    m.kind = "comment";
    m.to = "carol@customer.example";
    m.message_id = "o1@corp.example";
    m.raw = "Subject: x\r\n\r\nsecret body\r\n";
    m.state = store::OutboxState::kFailed;
    m.attempts = 5;
    m.last_error = "550 <carol@customer.example>: mailbox unavailable";
    failed = *u->outbox().add_outbox(m);
    m.id = failed;
    ASSERT_TRUE(u->outbox().update_outbox(m));  // attempts and the failure are the sender's to record
    ASSERT_TRUE(u->commit());
  }
  auto list = get("/outbox?state=failed");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find("550 &lt;carol@customer.example&gt;: mailbox unavailable"), std::string::npos)
      << list.body;
  EXPECT_NE(list.body.find("action=\"/outbox/" + id(failed) + "/retry\""), std::string::npos);
  EXPECT_EQ(list.body.find("secret body"), std::string::npos);
  EXPECT_EQ(get("/outbox?state=queued").body.find("carol@customer.example"), std::string::npos);

  EXPECT_EQ(post("/outbox/" + id(failed) + "/retry", {}, false).status, 403);
  auto r = post("/outbox/" + id(failed) + "/retry", {});
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(r.header("Location"), "/outbox?state=queued&retried=1");
  auto queued = get("/outbox?state=queued&retried=1");
  EXPECT_NE(queued.body.find("carol@customer.example"), std::string::npos) << queued.body;
  EXPECT_NE(queued.body.find("queued again"), std::string::npos);
  auto u = rt_->store().open_unit(store::Access::kRead);
  ASSERT_TRUE(u);
  auto row = u->outbox().get_outbox(failed);
  ASSERT_TRUE(row && *row);
  EXPECT_EQ((*row)->state, store::OutboxState::kQueued);
  EXPECT_EQ((*row)->attempts, 0);
  EXPECT_EQ(post("/outbox/999999/retry", {}).status, 404);
}

TEST_F(MailPagesTest, TheMailHtmlIsCleanedAndAnsweredWithItsOwnPolicy) {
  const std::string port = std::to_string(served_->port());
  const std::string cid_src = "http://127.0.0.1:" + port + "/messages/" + id(held_id_) + "/cid/";
  auto a = get("/messages/" + id(held_id_) + "/html");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(
      a.header("Content-Security-Policy"),
      "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; style-src 'unsafe-inline'; "
      "img-src data: " +
          cid_src + "; frame-ancestors 'self'; base-uri 'none'; form-action 'none'");
  EXPECT_EQ(a.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(a.header("Cache-Control"), "no-store");
  EXPECT_EQ(a.header("X-Frame-Options"), "SAMEORIGIN");
  EXPECT_EQ(a.header("X-DNS-Prefetch-Control"), "off") << "a link's host looked up tells its sender";
  EXPECT_EQ(a.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(a.header("Set-Cookie"), "");
  EXPECT_NE(a.body.find("Please fix invoice 42."), std::string::npos) << a.body;
  const std::string img = "src=\"/messages/" + id(held_id_) + "/cid/logo%40corp.example?e=";
  ASSERT_NE(a.body.find(img), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("href=\"https://corp.example/help\" target=\"_blank\" rel=\"noopener noreferrer\""),
            std::string::npos);
  for (auto bad : {"<script", "onload", "javascript:", "<iframe", "<meta", "<base", "evil.example"})
    EXPECT_EQ(a.body.find(bad), std::string::npos) << bad << " in " << a.body;
  // Nothing of ours: no session, no CSRF token.
  EXPECT_EQ(a.body.find(csrf_), std::string::npos);
  EXPECT_EQ(a.body.find(cookie_), std::string::npos);

  auto remote = get("/messages/" + id(held_id_) + "/html?images=remote");
  ASSERT_EQ(remote.status, 200);
  EXPECT_NE(remote.header("Content-Security-Policy").find("img-src data: " + cid_src + " https:;"),
            std::string::npos)
      << remote.header("Content-Security-Policy");
  // Never plain http: images (only our own origin's cid: proxy is named with http://).
  EXPECT_EQ(remote.header("Content-Security-Policy").find(" http:;"), std::string::npos);
  EXPECT_EQ(remote.header("Content-Security-Policy").find(" http: "), std::string::npos);
  EXPECT_NE(remote.body.find("src=\"https://evil.example/pixel.gif\""), std::string::npos) << remote.body;

  EXPECT_EQ(get("/messages/999999/html").status, 404);
  auto text_only = get("/messages/" + id(failed_id_) + "/html");
  EXPECT_EQ(text_only.status, 200);
  EXPECT_NE(text_only.body.find("no HTML part"), std::string::npos) << text_only.body;
}

// The frame's document has an opaque origin: its image requests carry no cookie, so its
// cid: links carry a token of their own, for that message only, that expires.
TEST_F(MailPagesTest, TheFramesImageLinksWorkWithoutACookieForTheirMessageOnly) {
  auto a = get("/messages/" + id(held_id_) + "/html");
  ASSERT_EQ(a.status, 200);
  const std::string prefix = "src=\"/messages/" + id(held_id_) + "/cid/logo%40corp.example?";
  const auto at = a.body.find(prefix);
  ASSERT_NE(at, std::string::npos) << a.body;
  const auto start = at + 5, end = a.body.find('"', start);
  std::string link = a.body.substr(start, end - start);
  for (auto pos = link.find("&amp;"); pos != std::string::npos; pos = link.find("&amp;"))
    link.replace(pos, 5, "&");
  auto img = get(link, false);
  ASSERT_EQ(img.status, 200) << link;
  EXPECT_EQ(img.header("Content-Type"), "image/png");
  EXPECT_EQ(img.body, std::string(kPng, sizeof kPng - 1));

  // The same token for another message, a changed signature or expiry: the login.
  const std::string query = link.substr(link.find('?'));
  EXPECT_EQ(get("/messages/" + id(failed_id_) + "/cid/logo%40corp.example" + query, false).status, 303);
  std::string forged = link;
  forged[forged.size() - 1] = forged.back() == '0' ? '1' : '0';
  EXPECT_EQ(get(forged, false).status, 303);
  const auto e = link.find("e=") + 2;
  std::string later = link;
  later.replace(e, link.find('&', e) - e, "99999999999");
  EXPECT_EQ(get(later, false).status, 303);
  EXPECT_EQ(get("/messages/" + id(held_id_) + "/cid/logo%40corp.example?e=1&s=" + std::string(64, '0'), false)
                .status,
            303);
  // Another session's name in it: the signature is the session's own.
  const auto k = link.find("k=") + 2;
  std::string other = link;
  other.replace(k, link.find('&', k) - k, std::string(64, 'a'));
  EXPECT_EQ(get(other, false).status, 303);
  // Once the session that asked for the links ends (logout), they show nothing.
  EXPECT_EQ(get(link, false).status, 200);
  ASSERT_TRUE(console::Sessions(rt_->store(), rt_->config().http, rt_->clock()).end(served_->cookie));
  EXPECT_EQ(get(link, false).status, 303);
}

TEST_F(MailPagesTest, TheCidProxyServesTheMailsInlineImagesOnly) {
  auto img = get("/messages/" + id(held_id_) + "/cid/logo%40corp.example");
  ASSERT_EQ(img.status, 200) << img.body;
  EXPECT_EQ(img.header("Content-Type"), "image/png");
  EXPECT_EQ(img.header("X-Content-Type-Options"), "nosniff");
  EXPECT_NE(img.header("Content-Security-Policy").find("sandbox"), std::string::npos);
  EXPECT_EQ(img.body, std::string(kPng, sizeof kPng - 1));
  // An HTML part with a Content-ID is no image; unknown ids and messages are nothing.
  EXPECT_EQ(get("/messages/" + id(held_id_) + "/cid/page%40corp.example").status, 404);
  EXPECT_EQ(get("/messages/" + id(held_id_) + "/cid/nope").status, 404);
  EXPECT_EQ(get("/messages/999999/cid/logo%40corp.example").status, 404);
}

TEST_F(MailPagesTest, WithoutIngestRetryAndTheMailSayTheServiceIsUnavailable) {
  Console bare(rt_->store(), rt_->cases(), rt_->config(), rt_->clock(), data_);
  web::HttpServer server{web::HttpLimits{}};
  bare.mount(server);
  ASSERT_TRUE(server.listen("127.0.0.1", 0));
  std::thread t([&server] { server.serve(); });
  httplib::Client c("127.0.0.1", server.bound_port());
  httplib::Headers h{{"Cookie", std::string(kSessionCookie) + "=" + cookie_}};
  auto retry = c.Post(("/mail/" + id(held_id_) + "/retry").c_str(), h, httplib::Params{{"csrf", csrf_}});
  auto page = c.Get(("/mail/" + id(held_id_)).c_str(), h);
  auto frame = c.Get(("/messages/" + id(held_id_) + "/html").c_str(), h);
  server.stop();
  t.join();
  ASSERT_TRUE(retry && page && frame);
  EXPECT_EQ(retry->status, 503);
  EXPECT_EQ(page->status, 503);
  EXPECT_EQ(frame->status, 503);
  EXPECT_EQ(raw_row(held_id_).state, store::RawState::kHeld);
}

}  // namespace
}  // namespace mailcase::console

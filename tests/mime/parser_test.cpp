// The MIME parser on hand-written mails: one property per test.
#include "mime/parser.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "mime/filename.h"
#include "spool/blob_store.h"
#include "support/test_support.h"

namespace mailcase::mime {
namespace {

ParsedMessage parse(const std::string& raw, spool::MemoryBlobStore* store = nullptr, ParseLimits limits = {}) {
  spool::MemoryBlobStore local;
  auto r = parse_bytes(raw, store ? *store : local, limits);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : ParsedMessage{};
}

TEST(MimeParser, DecodesEncodedWordsInSubjectAndNames) {
  auto m = parse(
      "From: =?ISO-8859-1?Q?Andr=E9_Pirard?= <andre@example.org>\r\n"
      "To: =?UTF-8?B?xbt1a293c2tp?= <support@example.com>\r\n"
      "Subject: =?utf-8?q?Probl=C3=A8me_de?= =?utf-8?q?_connexion?=\r\n"
      "Message-ID: <abc@example.org>\r\n\r\nbody\r\n");
  EXPECT_EQ(m.from.name, "André Pirard");
  EXPECT_EQ(m.from.email, "andre@example.org");
  ASSERT_EQ(m.to.size(), 1u);
  EXPECT_EQ(m.to[0].name, "Żukowski");
  EXPECT_EQ(m.subject, "Problème de connexion");
  EXPECT_EQ(m.message_id, "abc@example.org");
}

TEST(MimeParser, Rfc2231FileNameWithCharsetAndContinuations) {
  auto m = parse(
      "From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
      "--b\r\nContent-Type: application/pdf\r\n"
      "Content-Disposition: attachment;\r\n filename*0*=UTF-8''Rapport%20d%C3%A9;\r\n filename*1*=taill%C3%A9.pdf\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8=\r\n--b--\r\n");
  ASSERT_EQ(m.attachments.size(), 1u);
  EXPECT_EQ(m.attachments[0].filename, "Rapport détaillé.pdf");
  EXPECT_EQ(m.attachments[0].size, 5u);
  EXPECT_EQ(m.attachments[0].content_type, "application/pdf");
  EXPECT_EQ(m.text_body.substr(0, 12), "see attached");
}

TEST(MimeParser, ConvertsDeclaredCharsetToUtf8) {
  auto m = parse(
      "From: a@example.org\r\nSubject: x\r\nContent-Type: text/plain; charset=iso-8859-2\r\n"
      "Content-Transfer-Encoding: 8bit\r\n\r\nZa\xbf\xf3\xb3\xe6 g\xea\x9cl\xb9 ja\xbc\xf1\r\n");
  EXPECT_NE(m.text_body.find("Zażółć"), std::string::npos) << m.text_body;
}

TEST(MimeParser, UndeclaredEightBitTextFallsBackToWindows1252) {
  auto m = parse("From: a@example.org\r\nSubject: x\r\n\r\nCaf\xe9 cr\xe8me\r\n");
  EXPECT_NE(m.text_body.find("Café crème"), std::string::npos) << m.text_body;
}

TEST(MimeParser, UndeclaredUtf8IsKept) {
  auto m = parse("From: a@example.org\r\nSubject: x\r\n\r\nZażółć gęślą\r\n");
  EXPECT_NE(m.text_body.find("Zażółć gęślą"), std::string::npos);
}

TEST(MimeParser, WrongDeclaredCharsetDoesNotLoseText) {
  // Declared us-ascii but the bytes are UTF-8: the text must come out readable.
  auto m = parse(
      "From: a@example.org\r\nSubject: x\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nna\xc3\xafve\r\n");
  EXPECT_NE(m.text_body.find("naïve"), std::string::npos) << m.text_body;
}

TEST(MimeParser, HtmlOnlyMailBecomesReadableText) {
  auto m = parse(
      "From: a@example.org\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
      "<html><head><style>p{color:red}</style><script>alert(1)</script></head>"
      "<body><p>Hello&nbsp;there,</p><p>the <b>printer</b> is broken.</p><ul><li>one</li></ul></body></html>\r\n");
  EXPECT_NE(m.html_body.find("<b>printer</b>"), std::string::npos);
  EXPECT_NE(m.text_body.find("Hello"), std::string::npos);
  EXPECT_NE(m.text_body.find("the printer is broken."), std::string::npos) << m.text_body;
  EXPECT_EQ(m.text_body.find("color:red"), std::string::npos);
  EXPECT_EQ(m.text_body.find("alert"), std::string::npos);
}

TEST(MimeParser, AlternativePrefersTextAndKeepsHtml) {
  auto m = parse(
      "From: a@example.org\r\nSubject: x\r\nContent-Type: multipart/alternative; boundary=z\r\n\r\n"
      "--z\r\nContent-Type: text/plain\r\n\r\nplain version\r\n"
      "--z\r\nContent-Type: text/html\r\n\r\n<p>html version</p>\r\n--z--\r\n");
  EXPECT_EQ(m.text_body.substr(0, 13), "plain version");
  EXPECT_NE(m.html_body.find("html version"), std::string::npos);
  EXPECT_TRUE(m.attachments.empty());
}

TEST(MimeParser, InlineImageReferencedByCid) {
  spool::MemoryBlobStore store;
  auto m = parse(
      "From: a@example.org\r\nSubject: x\r\nContent-Type: multipart/related; boundary=r\r\n\r\n"
      "--r\r\nContent-Type: text/html\r\n\r\n<p>see <img src=\"cid:logo@x\"></p>\r\n"
      "--r\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "iVBORw0KGgo=\r\n--r--\r\n",
      &store);
  ASSERT_EQ(m.attachments.size(), 1u);
  EXPECT_TRUE(m.attachments[0].is_inline);
  EXPECT_EQ(m.attachments[0].content_id, "logo@x");
  EXPECT_EQ(m.attachments[0].content_type, "image/png");
  EXPECT_FALSE(m.attachments[0].filename.empty());
  EXPECT_EQ(store.blobs().count(m.attachments[0].sha256), 1u);
  EXPECT_EQ(store.blobs().at(m.attachments[0].sha256), std::string("\x89PNG\r\n\x1a\n", 8));
}

TEST(MimeParser, NestedMessageIsAnAttachmentAndItsPartsAreNotMixedIn) {
  auto m = parse(
      "From: a@example.org\r\nSubject: Fwd: question\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n"
      "--o\r\nContent-Type: text/plain\r\n\r\nforwarding this\r\n"
      "--o\r\nContent-Type: message/rfc822\r\n\r\n"
      "From: c@example.net\r\nSubject: question\r\nContent-Type: text/plain\r\n\r\ninner text\r\n"
      "--o--\r\n");
  EXPECT_EQ(m.subject, "Fwd: question");
  EXPECT_EQ(m.text_body.substr(0, 15), "forwarding this");
  ASSERT_EQ(m.attachments.size(), 1u);
  EXPECT_EQ(m.attachments[0].content_type, "message/rfc822");
  EXPECT_NE(m.attachments[0].filename.find(".eml"), std::string::npos) << m.attachments[0].filename;
}

TEST(MimeParser, HostileAttachmentNamesAreMadeSafe) {
  auto m = parse(
      "From: a@example.org\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=h\r\n\r\n"
      "--h\r\nContent-Type: text/plain\r\n\r\nx\r\n"
      "--h\r\nContent-Type: application/octet-stream\r\n"
      "Content-Disposition: attachment; filename=\"../../etc/pass\x01wd\"\r\n\r\nroot\r\n"
      "--h\r\nContent-Type: application/octet-stream\r\n"
      "Content-Disposition: attachment; filename=\"C:\\\\Windows\\\\evil.exe\"\r\n\r\nMZ\r\n--h--\r\n");
  ASSERT_EQ(m.attachments.size(), 2u);
  for (const auto& a : m.attachments) {
    EXPECT_EQ(a.filename.find('/'), std::string::npos) << a.filename;
    EXPECT_EQ(a.filename.find('\\'), std::string::npos) << a.filename;
    EXPECT_EQ(a.filename.find('\x01'), std::string::npos) << a.filename;
    EXPECT_NE(a.filename, "..");
  }
  EXPECT_EQ(m.attachments[0].filename, "passwd");
  EXPECT_EQ(m.attachments[1].filename, "evil.exe");
}

TEST(SafeFilename, NeverEmptyNeverHidden) {
  EXPECT_EQ(safe_filename("", "attachment-2.pdf"), "attachment-2.pdf");
  EXPECT_FALSE(safe_filename("..", "attachment.txt").empty());
  EXPECT_NE(safe_filename("..", "attachment.txt"), "..");
  EXPECT_NE(safe_filename(".bashrc", "attachment.txt")[0], '.');
  EXPECT_LE(safe_filename(std::string(1000, 'a') + ".pdf", "a.pdf").size(), 200u);
}

TEST(MimeParser, DeepNestingStopsAtTheLimitWithoutCrashing) {
  std::string raw = "From: a@example.org\r\nSubject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n";
  const int depth = 200;
  for (int i = 0; i < depth; ++i) {
    raw += "--b" + std::to_string(i) + "\r\nContent-Type: multipart/mixed; boundary=b" + std::to_string(i + 1) + "\r\n\r\n";
  }
  raw += "--b" + std::to_string(depth) + "\r\nContent-Type: text/plain\r\n\r\nbottom\r\n";
  for (int i = depth; i >= 0; --i) raw += "--b" + std::to_string(i) + "--\r\n";
  ParseLimits limits;
  limits.max_depth = 16;
  auto m = parse(raw, nullptr, limits);
  EXPECT_EQ(m.subject, "deep");
  EXPECT_FALSE(m.problems.empty());
}

TEST(MimeParser, LargeAttachmentIsStreamedIntoTheSink) {
  std::string payload;
  payload.reserve(200000 * 34);
  for (int i = 0; i < 200000; ++i) payload += "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY\r\n";  // 24 bytes a line
  auto m = parse("From: a@example.org\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=g\r\n\r\n"
                 "--g\r\nContent-Type: text/plain\r\n\r\nbig one\r\n"
                 "--g\r\nContent-Type: application/zip; name=big.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
                 payload + "--g--\r\n");
  ASSERT_EQ(m.attachments.size(), 1u);
  EXPECT_EQ(m.attachments[0].filename, "big.zip");
  EXPECT_EQ(m.attachments[0].size, 200000u * 24u);
}

// A mail taken by LMTP or IMAP has CR LF line ends; GMime's uudecoding reads the CR as a
// character of the line and spoils the bytes after it.
TEST(MimeParser, UuencodedAttachmentWithCrLfLineEndsIsDecodedWhole) {
  // 90,000 bytes of every value (more than one block of GMime's reading), 45 a line.
  std::string text;
  for (int i = 0; i < 90000; ++i) text += static_cast<char>((i * 7 + i / 256) & 0xff);
  static constexpr char kUu[] = "`!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_";
  std::string uu = "begin 644 data.bin\r\n";
  for (size_t at = 0; at < text.size(); at += 45) {
    const std::string line = text.substr(at, 45);
    uu += kUu[line.size()];
    for (size_t i = 0; i < line.size(); i += 3) {
      unsigned char b[3] = {0, 0, 0};
      for (size_t k = 0; k < 3 && i + k < line.size(); ++k) b[k] = static_cast<unsigned char>(line[i + k]);
      uu += kUu[b[0] >> 2];
      uu += kUu[((b[0] & 3) << 4) | (b[1] >> 4)];
      uu += kUu[((b[1] & 15) << 2) | (b[2] >> 6)];
      uu += kUu[b[2] & 63];
    }
    uu += "\r\n";
  }
  uu += "`\r\nend\r\n";
  spool::MemoryBlobStore store;
  auto m = parse(
      "From: a@example.org\r\nSubject: uu\r\nContent-Type: multipart/mixed; boundary=g\r\n\r\n"
      "--g\r\nContent-Type: text/plain\r\n\r\nthe data\r\n"
      "--g\r\nContent-Type: application/octet-stream; name=data.bin\r\n"
      "Content-Transfer-Encoding: x-uuencode\r\n\r\n" +
          uu + "--g--\r\n",
      &store);
  ASSERT_EQ(m.attachments.size(), 1u);
  EXPECT_EQ(m.attachments[0].size, text.size());
  const auto blobs = store.blobs();
  ASSERT_EQ(blobs.count(m.attachments[0].sha256), 1u);
  EXPECT_TRUE(blobs.at(m.attachments[0].sha256) == text) << "the decoded bytes differ";
}

TEST(MimeParser, DeliveryStatusReportIsExposed) {
  auto m = parse(
      "From: MAILER-DAEMON@mx.example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=d\r\n\r\n"
      "--d\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n"
      "--d\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
      "Final-Recipient: rfc822; nobody@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n"
      "--d\r\nContent-Type: message/rfc822\r\n\r\nMessage-ID: <out-1@mailcase>\r\nSubject: Case:CS0000001\r\n\r\nhi\r\n"
      "--d--\r\n");
  ASSERT_TRUE(m.report.has_value());
  EXPECT_EQ(m.report->report_type, "delivery-status");
  EXPECT_NE(m.report->status_fields.find("Status: 5.1.1"), std::string::npos);
  EXPECT_NE(m.report->original_headers.find("out-1@mailcase"), std::string::npos);
}

TEST(MimeParser, GarbageIsNeverACrash) {
  spool::NullBlobSink sink;
  for (std::string raw : {std::string(), std::string("\0\0\0", 3), std::string("--\r\n--\r\n"),
                          std::string("Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n"),
                          std::string(100000, '\n'), std::string("From:\r\n\r\n") + std::string(70000, 'x')}) {
    auto r = parse_bytes(raw, sink);
    (void)r;  // an error or a message; both fine, a crash is not
  }
  SUCCEED();
}

// A multipart/mixed with a text body and n - 2 attachments: n parts as the limits count them.
std::string mail_with_parts(int n) {
  std::string raw = "From: a@example.org\r\nSubject: many\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
                    "--m\r\nContent-Type: text/plain\r\n\r\nthe customer's text\r\n";
  for (int i = 1; i <= n - 2; ++i)
    raw += "--m\r\nContent-Type: application/octet-stream; name=f" + std::to_string(i) + ".bin\r\n\r\nx\r\n";
  return raw + "--m--\r\n";
}

TEST(MimeParser, MailExactlyAtThePartLimitParsesIntoAllItsParts) {
  ParseLimits limits;
  limits.max_parts = 10;
  auto m = parse(mail_with_parts(10), nullptr, limits);
  EXPECT_EQ(m.attachments.size(), 8u);
  EXPECT_EQ(m.text_body.substr(0, 19), "the customer's text");
  EXPECT_TRUE(m.problems.empty()) << m.problems.front();
}

TEST(MimeParser, PartsPastTheLimitAreLeftOutAndSaid) {
  ParseLimits limits;
  limits.max_parts = 10;
  auto m = parse(mail_with_parts(12), nullptr, limits);
  ASSERT_EQ(m.attachments.size(), 8u);
  EXPECT_EQ(m.attachments.back().filename, "f8.bin");
  EXPECT_EQ(m.text_body.substr(0, 19), "the customer's text");
  ASSERT_EQ(m.problems.size(), 1u);
  EXPECT_EQ(m.problems[0].rfind("more than 10 MIME parts", 0), 0u) << m.problems[0];
}

TEST(MimeParser, NestingExactlyAtTheDepthLimitReachesTheInnermostText) {
  std::string raw = "From: a@example.org\r\nSubject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n";
  const int depth = 7;  // the text part is at depth 8
  for (int i = 0; i < depth; ++i)
    raw += "--b" + std::to_string(i) + "\r\nContent-Type: multipart/mixed; boundary=b" + std::to_string(i + 1) + "\r\n\r\n";
  raw += "--b" + std::to_string(depth) + "\r\nContent-Type: text/plain\r\n\r\nbottom\r\n";
  for (int i = depth; i >= 0; --i) raw += "--b" + std::to_string(i) + "--\r\n";
  ParseLimits limits;
  limits.max_depth = 8;
  auto m = parse(raw, nullptr, limits);
  EXPECT_EQ(m.text_body.substr(0, 6), "bottom");
  EXPECT_TRUE(m.problems.empty());
  limits.max_depth = 7;
  m = parse(raw, nullptr, limits);
  EXPECT_EQ(m.text_body.find("bottom"), std::string::npos);
  ASSERT_EQ(m.problems.size(), 1u);
  EXPECT_EQ(m.problems[0].rfind("MIME parts nested deeper than 7", 0), 0u) << m.problems[0];
}

TEST(MimeParser, MailCutInsideItsFirstHeadersIsAnErrorThatSaysWhy) {
  std::string raw = "Subject: " + std::string(2 * 1024 * 1024, 'x') + "\r\n\r\nbody\r\n";
  spool::NullBlobSink sink;
  auto r = parse_bytes(raw, sink);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("bytes of headers"), std::string::npos) << r.error().message;
}

// limits.max_addresses and limits.max_kept_headers bound what the parser keeps (both
// were fixed numbers, 1,000 and 2,000, whatever the setting).
TEST(MimeParser, AddressesPerFieldAndKeptHeadersAreBoundedByTheLimits) {
  std::string raw = "From: a@example.org, b@example.org\r\nTo: ";
  for (int i = 0; i < 5; ++i) raw += (i ? ", " : "") + std::string("t") + std::to_string(i) + "@example.org";
  raw += "\r\nCc: c1@example.org, c2@example.org, c3@example.org\r\nSubject: bounds\r\n\r\nbody\r\n";
  auto all = parse(raw);
  EXPECT_EQ(all.to.size(), 5u);
  EXPECT_EQ(all.cc.size(), 3u);
  EXPECT_EQ(all.headers.size(), 4u);
  ParseLimits limits;
  limits.max_addresses = 2;
  limits.max_kept_headers = 3;
  auto m = parse(raw, nullptr, limits);
  ASSERT_EQ(m.to.size(), 2u);
  EXPECT_EQ(m.to[1].email, "t1@example.org");
  EXPECT_EQ(m.cc.size(), 2u);
  EXPECT_EQ(m.from.email, "a@example.org");
  ASSERT_EQ(m.headers.size(), 3u);
  EXPECT_EQ(m.headers[2].name, "Cc");
  EXPECT_EQ(m.subject, "bounds") << "the subject is read from the mail, not from the kept headers";
  EXPECT_EQ(m.text_body.find("body"), 0u);
}

// Where attachments go, failing as a full disk does: after `room` bytes in all.
class FullDiskSink final : public spool::BlobSink {
 public:
  explicit FullDiskSink(size_t room) : room_(room) {}
  Result<std::unique_ptr<spool::BlobWriter>> open() override {
    if (refuse_open) return fail(ErrorCode::kTemporary, "no space left on device");
    return std::unique_ptr<spool::BlobWriter>(new Writer(*this));
  }
  bool refuse_open = false;

 private:
  struct Writer final : spool::BlobWriter {
    explicit Writer(FullDiskSink& s) : sink(s) {}
    Status write(std::string_view bytes) override {
      if (bytes.size() > sink.room_) return fail(ErrorCode::kTemporary, "no space left on device");
      sink.room_ -= bytes.size();
      kept += bytes.size();
      return {};
    }
    Result<spool::BlobRef> commit() override { return spool::BlobRef{std::string(64, 'a'), kept, "mem"}; }
    FullDiskSink& sink;
    uint64_t kept = 0;
  };
  size_t room_;
};

TEST(Parser, AnAttachmentThatCannotBeStoredMakesTheParseIncompleteNotSilent) {
  const std::string raw =
      "From: a@example.com\r\nSubject: logs\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
      "see attachment\r\n--b\r\nContent-Type: application/octet-stream\r\n"
      "Content-Disposition: attachment; filename=big.bin\r\n\r\n" +
      std::string(5000, 'x') +
      "\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
      "From: b@example.com\r\nSubject: inner\r\n\r\nhi\r\n--b--\r\n";
  FullDiskSink small(100);
  auto m = parse_bytes(raw, small, ParseLimits{});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->storage_error, "cannot store an attachment: no space left on device");
  EXPECT_NE(m->text_body.find("see attachment"), std::string::npos);
  FullDiskSink none(0);
  none.refuse_open = true;
  m = parse_bytes(raw, none, ParseLimits{});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->storage_error, "cannot store an attachment: no space left on device");
  FullDiskSink room(1 << 20);
  m = parse_bytes(raw, room, ParseLimits{});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->storage_error, "");
  EXPECT_EQ(m->attachments.size(), 2u);
}

// A multipart whose boundary is missing, or never comes in the body: its content is the
// mail's text (noted among the parse's problems), not lost.
TEST(Parser, AMultipartWithoutItsBoundaryKeepsItsTextAsTheBody) {
  for (const std::string type : {"multipart/mixed", "multipart/mixed; boundary=never-seen"}) {
    auto m =
        parse("From: a@example.com\r\nSubject: order\r\nMIME-Version: 1.0\r\nContent-Type: " + type +
              "\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nhello, my order 4711 is missing\r\n--X--\r\n");
    EXPECT_NE(m.text_body.find("my order 4711 is missing"), std::string::npos) << type << ": " << m.text_body;
    EXPECT_FALSE(m.problems.empty()) << type;
  }
  // A well-formed multipart is not touched: its prologue is no text.
  auto ok = parse(
      "From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
      "This is a multi-part message in MIME format.\r\n--b\r\nContent-Type: text/plain\r\n\r\nthe "
      "text\r\n--b--\r\n");
  EXPECT_EQ(ok.text_body.find("multi-part message"), std::string::npos) << ok.text_body;
  EXPECT_NE(ok.text_body.find("the text"), std::string::npos);
}

// A broken mail is read as far as it can be, and each way it is broken is said in its
// problems, so that an agent knows to look at the original; nothing is lost in silence.
bool has_problem(const ParsedMessage& m, const std::string& words) {
  for (const auto& p : m.problems)
    if (p.find(words) != std::string::npos) return true;
  return false;
}

TEST(MimeParser, ANulInTheHeadersEndsNoSubject) {
  const std::string raw = std::string("From: anna@example.org\r\nSubject: Printer") + '\0' +
                          " broken on floor 3\r\n\r\nHello\r\n";
  auto m = parse(raw);
  EXPECT_EQ(m.subject, "Printer\uFFFD broken on floor 3");
  EXPECT_TRUE(has_problem(m, "a NUL byte in the headers")) << ::testing::PrintToString(m.problems);
}

TEST(MimeParser, BareCrLineEndsAreLineEnds) {
  auto m = parse("From: anna@example.org\rSubject: old Mac\r\rLine one.\rLine two.\r");
  EXPECT_EQ(m.subject, "old Mac");
  EXPECT_EQ(m.from.email, "anna@example.org");
  EXPECT_NE(m.text_body.find("Line one."), std::string::npos) << m.text_body;
  EXPECT_NE(m.text_body.find("Line two."), std::string::npos) << m.text_body;
  EXPECT_TRUE(has_problem(m, "bare CR")) << ::testing::PrintToString(m.problems);
  // A CR inside a line of an ordinary mail changes nothing.
  auto ok = parse("From: anna@example.org\r\nSubject: a\rb\r\n\r\ntext\r\n");
  EXPECT_FALSE(has_problem(ok, "bare CR")) << ::testing::PrintToString(ok.problems);
}

TEST(MimeParser, BrokenBase64IsSaid) {
  auto m = parse(
      "From: anna@example.org\r\nSubject: b\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8gd29y*!!bGQ=\r\nTm90IGhlcmU=\r\n");
  EXPECT_NE(m.text_body.find("Hello wor"), std::string::npos) << m.text_body;
  EXPECT_TRUE(has_problem(m, "the base64 of part text/plain is broken"))
      << ::testing::PrintToString(m.problems);
  auto att = parse(
      "From: anna@example.org\r\nSubject: b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\nmore\r\n--b--\r\n");
  EXPECT_TRUE(has_problem(att, "\u201cr.pdf\u201d")) << ::testing::PrintToString(att.problems);
  auto good = parse(
      "From: anna@example.org\r\nSubject: b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: "
      "base64\r\n\r\n"
      "SGVsbG8g\r\nd29ybGQ=\r\n\r\n");
  EXPECT_EQ(good.text_body, "Hello world");
  EXPECT_TRUE(good.problems.empty()) << ::testing::PrintToString(good.problems);
}

TEST(MimeParser, AMultipartWithoutItsClosingBoundaryIsSaid) {
  auto m = parse(
      "From: anna@example.org\r\nSubject: cut\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
      "Content-Type: text/plain\r\n\r\nFirst part.\r\n--XX\r\nContent-Type: text/plain; name=n.txt\r\n"
      "Content-Disposition: attachment; filename=n.txt\r\n\r\nattached line\r\n");
  EXPECT_NE(m.text_body.find("First part."), std::string::npos);
  ASSERT_EQ(m.attachments.size(), 1u);
  EXPECT_TRUE(has_problem(m, "without its closing boundary")) << ::testing::PrintToString(m.problems);
  auto whole = parse(
      "From: anna@example.org\r\nSubject: whole\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
      "Content-Type: text/plain\r\n\r\nFirst part.\r\n--XX--\r\n");
  EXPECT_FALSE(has_problem(whole, "closing boundary")) << ::testing::PrintToString(whole.problems);
}

TEST(MimeParser, AReadableCopyIsMadeOnlyWhenNeeded) {
  std::vector<std::string> problems;
  EXPECT_FALSE(readable_copy("From: a@b\r\nSubject: x\r\n\r\nbody\r\n", problems));
  const std::string with_nul_in_body = std::string("From: a@b\r\n\r\nbin") + '\0' + "ary\r\n";
  EXPECT_FALSE(readable_copy(with_nul_in_body, problems)) << "a NUL in the body is the body's";
  EXPECT_TRUE(problems.empty());
  auto cr = readable_copy("A: 1\rB: 2\r\rtext\r\n", problems);
  ASSERT_TRUE(cr);
  EXPECT_EQ(*cr, "A: 1\r\nB: 2\r\n\r\ntext\r\n");
  EXPECT_EQ(problems.size(), 1u);
}

// A stored mail is read from its file the same way, and one too big to mend in memory still
// says what it has (read as it is; the stored original keeps every byte).
TEST(MimeParser, AStoredMailIsMendedOrSaysWhyNot) {
  mailcase::testing::TempDir dir;
  spool::NullBlobSink sink;
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir.path() / name, std::ios::binary) << bytes;
    return dir.path() / name;
  };
  auto small =
      parse_file(write("small.eml", "From: anna@example.org\rSubject: old Mac\r\rLine one.\r"), sink);
  ASSERT_TRUE(small) << small.error().message;
  EXPECT_EQ(small->subject, "old Mac");
  EXPECT_TRUE(has_problem(*small, "read as line ends")) << ::testing::PrintToString(small->problems);

  const std::string line(76, 'x');
  std::string big_body = "From: anna@example.org\r\nSubject: old Mac\r\n\r\n";
  while (big_body.size() <= (16u << 20)) big_body += line + '\r';
  auto large = parse_file(write("large.eml", big_body), sink);
  ASSERT_TRUE(large) << large.error().message;
  EXPECT_EQ(large->subject, "old Mac");
  EXPECT_TRUE(has_problem(*large, "lines end in a bare CR: not mended (over 16 MiB)"))
      << ::testing::PrintToString(large->problems);
  // All of it in bare CRs is one endless header line: refused, and the reason says why.
  std::string big = "From: anna@example.org\rSubject: old Mac\r\r";
  while (big.size() <= (16u << 20)) big += line + '\r';
  auto refused = parse_file(write("refused.eml", big), sink);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("bare CR: not mended"), std::string::npos)
      << refused.error().message;

  auto plain = parse_file(write("plain.eml", "From: anna@example.org\r\nSubject: ok\r\n\r\nhi\r\n"), sink);
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->problems.empty()) << ::testing::PrintToString(plain->problems);
}

}  // namespace
}  // namespace mailcase::mime

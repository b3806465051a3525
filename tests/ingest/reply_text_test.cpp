// Reply splitting on hand-written bodies, one language or layout per test.
#include <gtest/gtest.h>

#include "ingest/reply_text.h"

namespace mailcase::ingest {
namespace {

TEST(ReplyText, EnglishQuoteHeaderAndQuotedLines) {
  auto r = split_reply("Thanks, that fixed it.\n\nOn Mon, 3 Nov 2026 at 10:00, Support <s@example.com> wrote:\n> Try again\n");
  EXPECT_EQ(r.new_text, "Thanks, that fixed it.");
  EXPECT_NE(r.quoted.find("Try again"), std::string::npos);
}

TEST(ReplyText, FrenchQuoteHeader) {
  auto r = split_reply("Merci beaucoup.\n\nLe lun. 3 nov. 2026 à 10:00, Support <s@example.com> a écrit :\n> Essayez\n");
  EXPECT_EQ(r.new_text, "Merci beaucoup.");
}

TEST(ReplyText, PolishQuoteHeader) {
  auto r = split_reply("Dziękuję, działa.\n\nW dniu 3.11.2026 o 10:00, Support <s@example.com> pisze:\n> Proszę\n");
  EXPECT_EQ(r.new_text, "Dziękuję, działa.");
}

TEST(ReplyText, GermanQuoteHeader) {
  auto r = split_reply("Danke.\n\nAm 03.11.2026 um 10:00 schrieb Support <s@example.com>:\n> Bitte\n");
  EXPECT_EQ(r.new_text, "Danke.");
}

TEST(ReplyText, OutlookOriginalMessageBlock) {
  auto r = split_reply(
      "Still broken.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nSubject: Case:CS0000002\n\nold text\n");
  EXPECT_EQ(r.new_text, "Still broken.");
  EXPECT_NE(r.quoted.find("old text"), std::string::npos);
}

TEST(ReplyText, OutlookHeaderBlockWithoutSeparator) {
  auto r = split_reply("See below.\n\nFrom: Support <s@example.com>\nSent: Monday, 3 November 2026 10:00\nTo: Anna\n"
                       "Subject: RE: Case:CS0000002\n\nold text\n");
  EXPECT_EQ(r.new_text, "See below.");
}

TEST(ReplyText, SignatureIsNotNewText) {
  auto r = split_reply("It works now.\n\n-- \nAnna Kowalska\nACME Ltd\n");
  EXPECT_EQ(r.new_text, "It works now.");
  EXPECT_NE(r.quoted.find("Anna Kowalska"), std::string::npos);
}

TEST(ReplyText, ARuleBetweenSectionsOfTheTextIsNoSignature) {
  // A customer's report in sections: the rule was taken for a signature's delimiter, and
  // the logs below it left the case's text for its history.
  std::string body = "The export fails.\n\nSteps:\n1. open the report\n2. press Export\n\n----------\nLog:\n";
  for (int i = 0; i < 20; ++i)
    body += "10:00:0" + std::to_string(i % 10) + " error E" + std::to_string(i) + "\n";
  const auto r = split_reply(body);
  EXPECT_NE(r.new_text.find("error E19"), std::string::npos) << r.new_text;
  EXPECT_TRUE(r.quoted.empty()) << r.quoted;
  // Below a rule, a signature's few lines, or a footer before the quoted mail, are still
  // no new text.
  for (const char* rule : {"--", "__________", "*****"}) {
    const auto sig =
        split_reply(std::string("It works now.\n\n") + rule +
                    "\nAnna Kowalska\nACME Ltd\n+48 22 000 00 00\n\nOn Mon, 3 Nov 2026 at 10:00, "
                    "Support <support@corp.example> wrote:\n> old\n");
    EXPECT_EQ(sig.new_text, "It works now.") << rule;
    EXPECT_NE(sig.quoted.find("Anna Kowalska"), std::string::npos) << rule;
  }
}

TEST(ReplyText, MobileSignature) {
  EXPECT_EQ(split_reply("ok\n\nSent from my iPhone\n").new_text, "ok");
}

TEST(ReplyText, NothingRecognisedKeepsEverything) {
  auto r = split_reply("Line one\nLine two\n");
  EXPECT_EQ(r.new_text, "Line one\nLine two");
  EXPECT_TRUE(r.quoted.empty());
}

TEST(ReplyText, InlineAnswersBetweenQuotesAreKept) {
  // Bottom- or inline-posting: the text after the quote is new too.
  auto r = split_reply("> Which version?\n2.4\n> Which OS?\nLinux\n");
  EXPECT_NE(r.new_text.find("2.4"), std::string::npos);
  EXPECT_NE(r.new_text.find("Linux"), std::string::npos);
}

TEST(ReplyText, EmptyQuotedLinesAreQuote) {
  // A bare ">" line has nothing after the quote mark; it once read before the string.
  auto r = split_reply("Thanks!\n\n> \n>\n> old\n");
  EXPECT_EQ(r.new_text, "Thanks!");
}

TEST(ReplyText, EmptyBody) {
  auto r = split_reply("");
  EXPECT_TRUE(r.new_text.empty());
}

// French typography: a no-break space (U+00A0) before the colon, and after "Le".
TEST(ReplyText, FrenchQuoteHeaderWithNoBreakSpaces) {
  auto r = split_reply("Merci.\n\nLe\xC2\xA0lun. 3 nov. 2026 à 10:00, Support <s@example.com> a écrit\xC2\xA0:\n> Essayez\n");
  EXPECT_EQ(r.new_text, "Merci.");
  EXPECT_NE(r.quoted.find("Essayez"), std::string::npos);
}

// The quick checks before the signature and date patterns refuse no line the patterns
// match: every form each pattern knows, in any case, with leading blanks.
TEST(ReplyText, EverySignatureFormAndDateHeaderIsStillFound) {
  for (const char* sig :
       {"Sent from my iPhone", "  SENT VIA the app", "From my Android phone", "Get Outlook for iOS",
        "Envoyé depuis mon iPad", "Envoye de ma tablette", "Von meinem iPhone gesendet",
        "Diese Nachricht wurde von meinem Android-Mobiltelefon mit GMX Mail gesendet.", "Wysłane z iPhone'a",
        "Enviado desde mi móvil", "Inviato da iPhone", "Verzonden met mijn telefoon", "Skickat från min iPhone",
        "Sendt fra min iPhone", "Lähetetty iPhonesta", "LÄHETETTY puhelimesta", "lahetetty puhelimesta",
        "\tſent from my phone"}) {
    EXPECT_EQ(split_reply(std::string("ok\n\n") + sig + "\n").new_text, "ok") << sig;
  }
  EXPECT_EQ(split_reply("ok\n\n2016-10-24 15:36 GMT+02:00 Foo Bar <foo@bar.example>:\n> old\n").new_text, "ok");
  EXPECT_EQ(split_reply("ok\n\n  2016/10/24 foo@bar.example :\n> old\n").new_text, "ok");
  // Words that open no signature stay text.
  EXPECT_EQ(split_reply("ok\n\nSend me the invoice\n").new_text, "ok\n\nSend me the invoice");
}

// Each quote header and separator pattern is compiled only for a line its exact check lets
// through (reply_text.cpp): every form, in either case, is still found.
TEST(ReplyText, EveryQuoteHeaderAndSeparatorFormIsStillFound) {
  for (const char* header :
       {"On Mon, 3 Nov 2026 at 10:00, Anna <anna@example.org> wrote:", "  -- ON MONDAY ANNA WROTE:",
        "Anna Smith <anna@example.org> wrote:", "Le lundi 3 nov., Anna <anna@example.org> a écrit :",
        "W dniu 3.11.2026 Anna <anna@example.org> napisała:", "Am Montag schrieb Anna <anna@example.org>:",
        "Op maandag schreef Anna <anna@example.org>:", "El lunes, Anna <anna@example.org> escribió:",
        "Il giorno lunedì Anna <anna@example.org> ha scritto:",
        "Em segunda, Anna <anna@example.org> escreveu:", "Den mandag skrev Anna <anna@example.org>:",
        "Anna <anna@example.org> kirjoitti:", "Анна <anna@example.org> написала:", "Анна пише:", "安娜写道：",
        "*Anna <anna@example.org> WROTE:*"}) {
    EXPECT_EQ(split_reply(std::string("ok\n\n") + header + "\n> old\n").new_text, "ok") << header;
  }
  for (const char* separator : {"-----Original Message-----", "  ----- Forwarded message -----",
                                "*-----Ursprüngliche Nachricht-----*", "Begin forwarded message:",
                                "BEGIN FORWARDED MESSAGE:", "Début du message réexpédié :"}) {
    EXPECT_EQ(split_reply(std::string("ok\n\n") + separator + "\nFrom: Support\n\nold\n").new_text, "ok")
        << separator;
  }
  // A header wrapped onto the next line, and Outlook blocks in German and Chinese.
  EXPECT_EQ(split_reply("ok\n\nOn Mon, 3 Nov 2026 at 10:00, Support Team\n<s@example.com> wrote:\n> old\n")
                .new_text,
            "ok");
  EXPECT_EQ(split_reply("ok\n\nVon: Support\nGesendet: Montag\nAn: Anna\nBetreff: Drucker\n\nold\n").new_text,
            "ok");
  EXPECT_EQ(split_reply("ok\n\n发件人：Support\n发送时间：周一\n收件人：Anna\n\nold\n").new_text, "ok");
  // Lines with none of the words stay text.
  EXPECT_EQ(split_reply("ok\n\nThe printer wrote nothing at all today\n").new_text,
            "ok\n\nThe printer wrote nothing at all today");
}

// Line ends of any kind split alike, and the new text and the quote are trimmed of the
// space around them (not of the space inside), whether the body is read in place (no
// '\r') or made over first.
TEST(ReplyText, AnyLineEndsGiveTheSameTrimmedParts) {
  const std::string lf =
      "  \n\t Thanks,\n\n  it works now.  \n\nOn Mon, 3 Nov 2026 at 10:00, Support <s@example.com> wrote:\n"
      "> Try again\n>  please \n \n";
  std::string crlf, cr;
  for (char c : lf) {
    crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    cr += c == '\n' ? '\r' : c;
  }
  for (const std::string& body : {lf, crlf, cr}) {
    auto r = split_reply(body);
    EXPECT_EQ(r.new_text, "Thanks,\n\n  it works now.");
    EXPECT_EQ(r.quoted,
              "On Mon, 3 Nov 2026 at 10:00, Support <s@example.com> wrote:\n> Try again\n>  please");
  }
  EXPECT_EQ(split_reply(" \r\n \n").new_text, "");
}

}  // namespace
}  // namespace mailcase::ingest

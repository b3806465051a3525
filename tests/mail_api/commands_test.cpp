// The API by mail's XML commands (mail_api/commands.h): every documented example reads,
// and every kind of bad document is refused with an error naming the command and field.
#include "mail_api/commands.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "support/test_support.h"

namespace mailcase::mail_api {
namespace {

// The ```xml blocks of docs/mail-api.md.
std::vector<std::string> documented_examples() {
  const std::string doc =
      mailcase::testing::read_file(std::filesystem::path(MAILCASE_SOURCE_DIR) / "docs/mail-api.md");
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = doc.find("```xml\n", at)) != std::string::npos) {
    at += 7;
    const size_t end = doc.find("```", at);
    out.push_back(doc.substr(at, end - at));
    at = end + 3;
  }
  return out;
}

std::string doc(const std::string& inner) {
  return "<mailcase-api>" + inner + "</mailcase-api>";
}

std::string first_error(const Commands& c) {
  return c.errors.empty() ? "" : describe(c.errors.front());
}

TEST(MailApiCommands, EveryDocumentedExampleReads) {
  const auto examples = documented_examples();
  ASSERT_GE(examples.size(), 7u);
  for (const auto& e : examples) {
    const auto c = parse_commands(e);
    EXPECT_TRUE(c.ok()) << first_error(c) << "\n" << e;
    EXPECT_FALSE(c.commands.empty()) << e;
  }
}

TEST(MailApiCommands, ReadsEachCommandsFields) {
  const auto c = parse_commands(doc(
      "<create-case><subject> Printer </subject><contact-email>Ann@Customer.Example</contact-email>"
      "<description><![CDATA[line 1\nline <2>]]></description><queue>hw</queue></create-case>"
      "<add-comment><case>2026-000001</case><text>hi</text><visibility>internal</visibility></add-comment>"
      "<update-case><case>2026-000001</case><status>resolved</status><owner></owner></update-case>"
      "<add-contact><name>Carl</name><email>c@x.example</email><email>c2@x.example</email></add-contact>"
      "<add-account><name>X</name><support-level>gold</support-level></add-account>"
      "<close-case><case>2026-000001</case></close-case>"));
  ASSERT_TRUE(c.ok()) << first_error(c);
  ASSERT_EQ(c.commands.size(), 6u);
  const auto& cc = std::get<CreateCase>(c.commands[0].body);
  EXPECT_EQ(cc.subject, "Printer");
  EXPECT_EQ(cc.contact_email, "ann@customer.example");
  EXPECT_EQ(cc.description, "line 1\nline <2>");
  EXPECT_EQ(cc.queue, "hw");
  EXPECT_FALSE(std::get<AddComment>(c.commands[1].body).is_public);
  const auto& up = std::get<UpdateCase>(c.commands[2].body);
  EXPECT_EQ(up.status, "resolved");
  EXPECT_EQ(up.owner, "") << "an empty owner is given: nobody";
  EXPECT_FALSE(up.priority.has_value());
  EXPECT_EQ(std::get<AddContact>(c.commands[3].body).emails.size(), 2u);
  EXPECT_EQ(std::get<AddAccount>(c.commands[4].body).support_level, "gold");
  EXPECT_FALSE(std::get<CloseCase>(c.commands[5].body).comment.has_value());
  EXPECT_EQ(c.commands[5].position, 6u);
  EXPECT_EQ(c.commands[5].element, "close-case");
}

TEST(MailApiCommands, BadDocumentsAreRefusedSayingWhere) {
  struct Case {
    std::string xml, error;
  } cases[] = {
      {"", "document: empty"},
      {"<mailcase-api><create-case>", "document: not well-formed XML"},
      {"<other/>", "document: the root element must be <mailcase-api>, not <other>"},
      {doc(""), "document: no command"},
      {doc("hello"), "document: text outside a command"},
      {doc("<frobnicate/>"), "command 1 (frobnicate): unknown command"},
      {doc("<close-case/>"), "command 1 (close-case): case: required"},
      {doc("<close-case case=\"1\"><case>1</case></close-case>"), "command 1 (close-case): attributes"},
      {doc("<close-case><case>1</case><colour>red</colour></close-case>"),
       "command 1 (close-case): colour: unknown field"},
      {doc("<close-case><case>1</case><case>2</case></close-case>"),
       "command 1 (close-case): case: given twice"},
      {doc("<close-case><case><b>1</b></case></close-case>"), "command 1 (close-case): case: holds elements"},
      {doc("<add-comment><case>1</case><text>x</text><visibility>secret</visibility></add-comment>"),
       "visibility: public or internal"},
      {doc("<update-case><case>1</case><status>gone</status></update-case>"),
       "status: open, resolved or closed"},
      {doc("<add-contact><name>A</name><email>not an address</email></add-contact>"),
       "email: not an email address"},
      {doc("<add-account><name>" + std::string(201, 'a') + "</name></add-account>"), "name: longer than 200"},
      {doc("<add-account><name>a&#10;b</name></add-account>"), "name: one line"},
      {doc("<add-comment><case>1</case><text>" + std::string(64 * 1024 + 1, 'a') + "</text></add-comment>"),
       "text: longer than 65536"},
      {"<!DOCTYPE x [<!ENTITY e \"boom\">]><mailcase-api><add-account><name>&e;</name></add-account>"
       "</mailcase-api>",
       "document: a DOCTYPE is not read"},
  };
  for (const auto& c : cases) {
    const auto r = parse_commands(c.xml);
    EXPECT_FALSE(r.ok()) << c.xml.substr(0, 200);
    EXPECT_TRUE(r.commands.empty()) << "no command may run";
    EXPECT_NE(first_error(r).find(c.error), std::string::npos) << first_error(r) << " / " << c.error;
  }
}

TEST(MailApiCommands, OneBadCommandStopsThemAll) {
  const auto r = parse_commands(doc("<add-account><name>A</name></add-account><add-account/>"));
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.commands.empty());
  EXPECT_EQ(describe(r.errors.front()), "command 2 (add-account): name: required");
}

// Found by the fuzz target: a good command followed by stray text gave the command and
// the error both.
TEST(MailApiCommands, StrayTextAfterAGoodCommandLeavesNoCommand) {
  const auto r = parse_commands(doc("<close-case><case>1</case></close-case>\x15"));
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.commands.empty());
  EXPECT_EQ(describe(r.errors.front()), "document: text outside a command");
}

TEST(MailApiCommands, CountAndSizeAreBounded) {
  std::string many;
  for (size_t i = 0; i <= kMaxCommands; ++i)
    many += "<add-account><name>a" + std::to_string(i) + "</name></add-account>";
  auto r = parse_commands(doc(many));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(first_error(r).find("more than 100 commands"), std::string::npos) << first_error(r);

  std::string big =
      doc("<add-account><name>a</name></add-account><!--" + std::string(kMaxXmlBytes, 'x') + "-->");
  r = parse_commands(big);
  EXPECT_NE(first_error(r).find("longer than 1048576 bytes"), std::string::npos) << first_error(r);
}

TEST(MailApiCommands, TheXmlIsFoundInTheBody) {
  EXPECT_EQ(xml_of_body("Hello\n<?xml version=\"1.0\"?><mailcase-api></mailcase-api>\n-- \nsig"),
            "<?xml version=\"1.0\"?><mailcase-api></mailcase-api>");
  EXPECT_EQ(xml_of_body("x <mailcase-api><a/></mailcase-api> y"), "<mailcase-api><a/></mailcase-api>");
  EXPECT_EQ(xml_of_body("  no xml here \n"), "no xml here");
}

}  // namespace
}  // namespace mailcase::mail_api

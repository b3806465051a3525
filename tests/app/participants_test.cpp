// Who may write to a case (SF3), through the command line as the MTA and an agent use it:
// a mail naming a case (subject tag, In-Reply-To/References) from someone who is not one
// of its participants never changes it; only the contact (or, when so configured, the
// contacts of its account) accepts, rejects or reopens by mail.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;
using nlohmann::json;

std::string mail(const std::string& from, const std::string& subject, const std::string& body,
                 const std::string& message_id, const std::string& extra_headers = "") {
  return "From: " + from + "\r\nTo: support@corp.example\r\nSubject: " + subject + "\r\nMessage-ID: <" +
         message_id + ">\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n" + extra_headers +
         "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body;
}

class Participants : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run({"init"}).exit_code, 0);
    config("");
    ASSERT_EQ(run({"address", "add", "support@corp.example"}).exit_code, 0);
    ASSERT_EQ(run({"account", "add", "--name", "Acme"}).exit_code, 0);
    ASSERT_EQ(run({"contact", "add", "--name", "Ann", "--email", "ann@acme.example", "--email",
                   "ann.home@mail.example", "--account", "Acme"})
                  .exit_code,
              0);
    ASSERT_EQ(run({"contact", "add", "--name", "Bob", "--email", "bob@acme.example", "--account", "Acme"})
                  .exit_code,
              0);
    ASSERT_EQ(run({"contact", "add", "--name", "Olga", "--email", "olga@other.example"}).exit_code, 0);
    // Ann's case, with a colleague of a partner firm in Cc.
    auto o = deliver(mail("Ann <ann@acme.example>", "Printer jams", "It jams.\n", "first@acme.example",
                          "Cc: Carl <Carl@Partner.example>, support@corp.example\r\n"));
    ASSERT_EQ(o["outcome"], "created");
    number_ = o["case"];
  }
  // The whole mailcase.toml: outgoing address plus `threading` settings.
  void config(const std::string& threading) {
    std::ofstream(std::filesystem::path(data_) / "mailcase.toml")
        << "[threading]\n"
        << threading << "[outbound]\nfrom_address = \"help@corp.example\"\n";
  }
  mailcase::testing::CommandResult run(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data_});
    return run_mailcase(args, in);
  }
  json deliver(const std::string& raw) {
    auto r = run({"deliver"}, raw);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  json show() {
    auto r = run({"case", "show", number_, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  std::string status() { return show().value("status", ""); }
  json last_comment() { return show()["comments"].back(); }
  size_t outbox_size() {
    auto j = json::parse(run({"outbox", "list", "--json"}).out, nullptr, false);
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

TEST_F(Participants, ToAndCcOfTheFirstMailAreRecordedNeverOurs) {
  auto people = show()["participants"];
  ASSERT_EQ(people.size(), 1u) << people.dump();
  EXPECT_EQ(people[0]["email"], "carl@partner.example");
  EXPECT_EQ(people[0]["source"], "mail");
  auto text = run({"case", "show", number_});
  EXPECT_NE(text.out.find("participants: carl@partner.example (mail)"), std::string::npos) << text.out;
}

// The comment shows the mail's Cc line as it was, ours included; a stranger's copies are
// shown on their comment without becoming participants.
TEST_F(Participants, EachCommentShowsItsMailsCcLine) {
  EXPECT_EQ(show()["comments"][0]["cc"], json::array({"carl@partner.example", "support@corp.example"}));
  auto text = run({"case", "show", number_});
  EXPECT_NE(text.out.find("cc: carl@partner.example, support@corp.example\nIt jams."), std::string::npos)
      << text.out;
  auto o = deliver(mail("Eve <eve@evil.example>", reply_subject(), "Hello\n", "eve0@evil.example",
                        "Cc: Mallory <Mallory@Evil.example>\r\n"));
  EXPECT_EQ(o["outcome"], "updated");
  EXPECT_EQ(last_comment()["cc"], json::array({"mallory@evil.example"}));
  EXPECT_EQ(show()["participants"].size(), 1u);
  // No Cc line: none.
  deliver(mail("Ann <ann@acme.example>", reply_subject(), "More\n", "ann2@acme.example"));
  EXPECT_EQ(last_comment()["cc"], json::array());
}

TEST_F(Participants, StrangerWithTagAndAcceptChangesNothing) {
  propose();
  const size_t sent = outbox_size();
  auto o = deliver(mail("Eve <eve@evil.example>", reply_subject(), "Accept\n", "eve1@evil.example",
                        "Cc: mallory@evil.example\r\n"));
  EXPECT_EQ(o["outcome"], "updated");
  EXPECT_EQ(o["case"], number_);
  EXPECT_EQ(status(), "solution proposed");
  auto c = last_comment();
  EXPECT_EQ(c["visibility"], "internal");
  EXPECT_NE(c["author"].get<std::string>().find("sender is not a participant"), std::string::npos)
      << c.dump();
  EXPECT_EQ(outbox_size(), sent);                // no confirmation, no mail about a change
  EXPECT_EQ(show()["participants"].size(), 1u);  // a stranger's Cc adds nobody
  EXPECT_EQ(show()["contact"]["name"], "Ann");
  // The stranger is not made a contact either: a second try is still a stranger's.
  deliver(mail("eve@evil.example", reply_subject(), "Accept\n", "eve2@evil.example"));
  EXPECT_EQ(status(), "solution proposed");
}

TEST_F(Participants, StrangerByInReplyToChangesNothing) {
  propose();
  const size_t sent = outbox_size();
  auto o = deliver(mail("eve@evil.example", "Re: Printer jams", "Reject\n", "eve3@evil.example",
                        "In-Reply-To: <first@acme.example>\r\nReferences: <first@acme.example>\r\n"));
  EXPECT_EQ(o["outcome"], "updated");
  EXPECT_EQ(o["case"], number_);
  EXPECT_EQ(status(), "solution proposed");
  EXPECT_EQ(last_comment()["visibility"], "internal");
  EXPECT_EQ(outbox_size(), sent);
}

// A stranger's mail kept as an internal note is no part of the conversation with the
// customer: the agent's next reply neither answers it (In-Reply-To) nor names it
// (References), so the Message-ID its sender chose never reaches the customer.
TEST_F(Participants, AnAgentsReplyDoesNotAnswerAStrangersMail) {
  deliver(mail("Ann <ann@acme.example>", reply_subject(), "Any news?\n", "ann2@acme.example"));
  auto o = deliver(mail("eve@evil.example", reply_subject(), "Hi\n", "call-555-0100-to-unlock@evil.example"));
  ASSERT_EQ(o["outcome"], "updated");
  ASSERT_EQ(last_comment()["visibility"], "internal");
  ASSERT_EQ(run({"case", "comment", number_, "--public", "--body", "The roller is on its way."}).exit_code,
            0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((std::filesystem::path(data_) / "mailcase.db").c_str(), &db, SQLITE_OPEN_READONLY,
                            nullptr),
            SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT raw FROM outbox WHERE kind = 'comment' ORDER BY id DESC LIMIT 1",
                               -1, &st, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  const std::string raw(static_cast<const char*>(sqlite3_column_blob(st, 0)),
                        static_cast<size_t>(sqlite3_column_bytes(st, 0)));
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_NE(raw.find("In-Reply-To: <ann2@acme.example>"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("call-555"), std::string::npos) << raw;
  EXPECT_NE(raw.find("<first@acme.example>"), std::string::npos) << "the conversation is still referred to";
}

TEST_F(Participants, StrangerHeldWhenSoConfigured) {
  config("non_participant = \"hold\"\n");
  propose();
  const size_t comments = show()["comments"].size();
  auto o = deliver(mail("eve@evil.example", reply_subject(), "Accept\n", "eve4@evil.example"));
  EXPECT_EQ(o["outcome"], "held");
  EXPECT_TRUE(o["case"].is_null());
  EXPECT_NE(o["reason"].get<std::string>().find("not a participant"), std::string::npos) << o.dump();
  EXPECT_EQ(status(), "solution proposed");
  EXPECT_EQ(show()["comments"].size(), comments);
  auto held = json::parse(run({"message", "list", "--state", "held", "--json"}).out);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_NE(held[0]["reason"].get<std::string>().find("not a participant"), std::string::npos);
}

TEST_F(Participants, StrangerGetsANewCaseWhenSoConfigured) {
  config("non_participant = \"new\"\n");
  propose();
  const size_t comments = show()["comments"].size();
  auto o = deliver(mail("eve@evil.example", reply_subject(), "Accept\n", "eve5@evil.example"));
  EXPECT_EQ(o["outcome"], "created");
  EXPECT_NE(o["case"], number_);
  EXPECT_EQ(status(), "solution proposed");
  EXPECT_EQ(show()["comments"].size(), comments);
}

TEST_F(Participants, CcdAddressRepliesPubliclyButOnlyTheContactAccepts) {
  propose();
  auto o = deliver(mail("carl@partner.example", reply_subject(), "Accept\n", "carl1@partner.example"));
  EXPECT_EQ(o["outcome"], "updated");
  EXPECT_EQ(last_comment()["visibility"], "public");
  EXPECT_EQ(status(), "solution proposed");
  // The contact by another of her addresses.
  deliver(mail("ann.home@mail.example", reply_subject(), "Accept\n", "ann2@mail.example"));
  EXPECT_EQ(status(), "resolved");
}

// A reply says Accept to the mail of an earlier proposal, after it was rejected and
// another proposed: it does not accept the later one, which the customer may not have
// read; the case's history says why. Accept in reply to the later mail does.
TEST_F(Participants, AnAcceptToAnEarlierSolutionsMailLeavesTheSolutionProposedSince) {
  auto solution_ids = [&] {
    std::vector<std::string> ids;
    auto rows = json::parse(run({"outbox", "list", "--json", "--case", number_}).out, nullptr, false);
    for (const auto& r : rows)
      if (r["kind"] == "solution") ids.insert(ids.begin(), r["message_id"].get<std::string>());
    return ids;  // oldest first
  };
  propose();
  deliver(mail("Ann <ann@acme.example>", reply_subject(), "Reject\nStill jams.\n", "ann-r@acme.example"));
  ASSERT_EQ(status(), "open");
  ASSERT_EQ(run({"case", "propose-solution", number_, "--body", "Replace the fuser."}).exit_code, 0);
  const auto ids = solution_ids();
  ASSERT_EQ(ids.size(), 2u);

  auto o = deliver(mail("Ann <ann@acme.example>", "Re: Printer jams", "Accept\n", "ann-a1@acme.example",
                        "In-Reply-To: <" + ids[0] + ">\r\nReferences: <" + ids[0] + ">\r\n"));
  EXPECT_EQ(o["outcome"], "updated");
  EXPECT_EQ(o["case"], number_);
  EXPECT_EQ(status(), "solution proposed");
  EXPECT_EQ(last_comment()["visibility"], "public");
  auto history = json::parse(run({"case", "history", number_, "--json"}).out, nullptr, false);
  ASSERT_TRUE(history.is_array());
  EXPECT_EQ(history.back()["action"], "verdict_not_taken") << history.dump();
  EXPECT_EQ(history.back()["details"]["reason"],
            "the reply's Accept answers an earlier proposed solution, not the one proposed since");

  o = deliver(mail("Ann <ann@acme.example>", "Re: Printer jams", "Accept\n", "ann-a2@acme.example",
                   "In-Reply-To: <" + ids[1] + ">\r\nReferences: <" + ids[0] + "> <" + ids[1] + ">\r\n"));
  EXPECT_EQ(o["outcome"], "updated");
  EXPECT_EQ(status(), "resolved");
}

TEST_F(Participants, AnotherContactOfTheAccountAcceptsOnlyWhenAllowed) {
  propose();
  deliver(mail("bob@acme.example", reply_subject(), "Accept\n", "bob1@acme.example"));
  EXPECT_EQ(last_comment()["visibility"], "public");
  EXPECT_EQ(status(), "solution proposed");
  // A contact of no account, or of another one, is a stranger.
  deliver(mail("olga@other.example", reply_subject(), "Accept\n", "olga1@other.example"));
  EXPECT_EQ(last_comment()["visibility"], "internal");
  EXPECT_EQ(status(), "solution proposed");
  config("verdict_from = \"account\"\n");
  deliver(mail("bob@acme.example", reply_subject(), "Accept\n", "bob2@acme.example"));
  EXPECT_EQ(status(), "resolved");
}

TEST_F(Participants, OnlyTheContactReopensAClosedCase) {
  ASSERT_EQ(run({"case", "close", number_}).exit_code, 0);
  deliver(mail("carl@partner.example", reply_subject(), "One more thing.\n", "carl2@partner.example"));
  EXPECT_EQ(last_comment()["visibility"], "public");
  EXPECT_EQ(status(), "closed");
  deliver(mail("bob@acme.example", reply_subject(), "Me too.\n", "bob3@acme.example"));
  EXPECT_EQ(status(), "closed");
  deliver(mail("eve@evil.example", reply_subject(), "Open up.\n", "eve6@evil.example"));
  EXPECT_EQ(status(), "closed");
  deliver(mail("ann@acme.example", reply_subject(), "It jams again.\n", "ann3@acme.example"));
  EXPECT_EQ(status(), "open");
}

TEST_F(Participants, AddedParticipantThreadsPublicly) {
  deliver(mail("Dora <dora@vendor.example>", reply_subject(), "Firmware 2.1 fixes it.\n",
               "dora1@vendor.example"));
  EXPECT_EQ(last_comment()["visibility"], "internal");
  auto r = run({"case", "add-participant", number_, "Dora@Vendor.example"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("dora@vendor.example"), std::string::npos) << r.out;
  deliver(mail("Dora <dora@vendor.example>", reply_subject(), "Firmware 2.2 too.\n", "dora2@vendor.example"));
  auto c = last_comment();
  EXPECT_EQ(c["visibility"], "public");
  EXPECT_EQ(c["author"].get<std::string>().find("not a participant"), std::string::npos) << c.dump();
  const json people = show()["participants"];
  bool listed = false;
  for (const auto& p : people)
    listed = listed || (p["email"] == "dora@vendor.example" && p["source"] == "agent");
  EXPECT_TRUE(listed) << people.dump();
  // Taken off again: her next mail is a stranger's again (internal), and the history says so.
  auto off = run({"case", "remove-participant", number_, "DORA@vendor.example"});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(show()["participants"].dump().find("dora@"), std::string::npos) << show()["participants"].dump();
  deliver(mail("Dora <dora@vendor.example>", reply_subject(), "And 2.3.\n", "dora3@vendor.example"));
  EXPECT_EQ(last_comment()["visibility"], "internal");
  EXPECT_NE(run({"case", "history", number_}).out.find("participant_removed"), std::string::npos);
  EXPECT_NE(run({"case", "remove-participant", number_, "dora@vendor.example"}).exit_code, 0);
}

// `case comment --public --cc`: the copy is on the mail's Cc, gets a copy of its own
// (the outbox), becomes a participant, and its reply lands publicly on the case.
TEST_F(Participants, ACopiedAddressGetsTheReplyAndMayAnswerIt) {
  const size_t before = outbox_size();
  auto r =
      run({"case", "comment", number_, "--public", "--body", "Which model?", "--cc", "Dora@Vendor.example"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = json::parse(run({"outbox", "list", "--case", number_, "--json"}).out, nullptr, false);
  ASSERT_TRUE(rows.is_array());
  ASSERT_EQ(outbox_size(), before + 2);
  std::vector<std::string> to;
  for (const auto& m : rows)
    if (m.value("kind", "") == "comment") to.push_back(m.value("to", ""));
  std::sort(to.begin(), to.end());
  EXPECT_EQ(to, (std::vector<std::string>{"ann@acme.example", "dora@vendor.example"})) << rows.dump();
  const json people = show()["participants"];
  bool listed = false;
  for (const auto& p : people) listed = listed || p["email"] == "dora@vendor.example";
  EXPECT_TRUE(listed) << people.dump();

  deliver(mail("Dora <dora@vendor.example>", reply_subject(), "Model 42.\n", "dora3@vendor.example"));
  EXPECT_EQ(last_comment()["visibility"], "public");

  // Copies go with a public comment only; a refused copy adds nothing.
  auto note = run({"case", "comment", number_, "--internal", "--body", "x", "--cc", "eve@example.org"});
  EXPECT_EQ(note.exit_code, 65);
  EXPECT_NE(note.err.find("cc: "), std::string::npos) << note.err;
  auto ours = run({"case", "comment", number_, "--public", "--body", "x", "--cc", "support@corp.example"});
  EXPECT_EQ(ours.exit_code, 65);
  EXPECT_NE(ours.err.find("our own addresses"), std::string::npos) << ours.err;
  EXPECT_EQ(outbox_size(), before + 2);
}

TEST_F(Participants, AddParticipantRefusesOurAddressesBadInputAndUnknownCases) {
  auto ours = run({"case", "add-participant", number_, "SUPPORT@corp.example"});
  EXPECT_EQ(ours.exit_code, 65);
  EXPECT_NE(ours.err.find("our own addresses"), std::string::npos) << ours.err;
  EXPECT_EQ(run({"case", "add-participant", number_, "help@corp.example"}).exit_code, 65);
  auto bad = run({"case", "add-participant", number_, "not an address"});
  EXPECT_EQ(bad.exit_code, 65);
  EXPECT_NE(bad.err.find("not an email address"), std::string::npos) << bad.err;
  auto missing = run({"case", "add-participant", "CS0009999", "dora@vendor.example"});
  EXPECT_EQ(missing.exit_code, 66);
  EXPECT_NE(missing.err.find("CS0009999"), std::string::npos) << missing.err;
  EXPECT_EQ(show()["participants"].size(), 1u);
}

TEST_F(Participants, OurOwnAddressInFromIsNeverAParticipant) {
  propose();
  deliver(mail("help@corp.example", reply_subject(), "Accept\n", "forged@corp.example"));
  EXPECT_EQ(status(), "solution proposed");
  EXPECT_EQ(last_comment()["visibility"], "internal");
}

TEST_F(Participants, UnknownSettingValueIsAClearError) {
  config("non_participant = \"public\"\n");
  auto r = run({"deliver"}, mail("eve@evil.example", reply_subject(), "Accept\n", "eve7@evil.example"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("threading.non_participant must be internal, hold or new"), std::string::npos)
      << r.err;
  config("verdict_from = \"anyone\"\n");
  r = run({"case", "show", number_});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("threading.verdict_from must be contact or account"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mailcase

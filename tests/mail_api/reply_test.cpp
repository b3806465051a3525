// The API reply's text (mail_api/run.h): each command's result, or which failed and that
// nothing was applied, or each error of a document that could not be read.
#include <gtest/gtest.h>

#include "mail_api/run.h"

namespace mailcase::mail_api {
namespace {

std::vector<Command> three() {
  return {{1, "create-case", CreateCase{}}, {2, "update-case", UpdateCase{}}, {3, "close-case", CloseCase{}}};
}

TEST(MailApiReply, ListsEachResultWhenAllRan) {
  RunResult run;
  run.actions = {{1, "create-case", true, "created case 2026-000001", 7},
                 {2, "update-case", true, "case 2026-000001 updated", 7},
                 {3, "close-case", true, "case 2026-000001 closed", 7}};
  EXPECT_TRUE(run.ok());
  EXPECT_EQ(run.first_case(), 7);
  EXPECT_EQ(reply_text(three(), run),
            "mailcase ran the 3 commands of your mail:\n\n"
            "1. create-case: created case 2026-000001\n"
            "2. update-case: case 2026-000001 updated\n"
            "3. close-case: case 2026-000001 closed\n");
}

TEST(MailApiReply, SaysWhichFailedAndThatNothingWasApplied) {
  RunResult run;
  run.actions = {{1, "create-case", true, "created case 2026-000001", 7},
                 {2, "update-case", false, "no case 2026-999999", std::nullopt}};
  EXPECT_FALSE(run.ok());
  EXPECT_EQ(
      reply_text(three(), run),
      "Nothing was applied: command 2 (update-case) failed, so none of the 3 commands of your mail took "
      "effect.\n\n"
      "1. create-case: created case 2026-000001 (undone)\n"
      "2. update-case: FAILED: no case 2026-999999\n"
      "3. close-case: not run\n");
}

TEST(MailApiReply, NamesEachErrorOfAnUnreadableDocument) {
  EXPECT_EQ(reply_text(std::vector<CommandError>{{0, "", "not well-formed XML: x at byte 3"},
                                                 {2, "frob", "unknown command"}}),
            "Nothing was applied: the XML of your mail could not be read.\n\n"
            "- document: not well-formed XML: x at byte 3\n"
            "- command 2 (frob): unknown command\n");
}

}  // namespace
}  // namespace mailcase::mail_api

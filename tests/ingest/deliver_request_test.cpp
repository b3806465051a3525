// Which command lines the small delivery client (mailcase-deliver) hands to serve itself
// (ingest/deliver_client.h): exactly those the full program would read as the same
// delivery; everything else goes to the full program, so that its help text and usage
// errors stay the only ones.
#include <gtest/gtest.h>

#include "ingest/deliver_client.h"

namespace mailcase::ingest::handoff {
namespace {

std::optional<Request> read(std::vector<std::string_view> args) {
  return handoff_request(args, "default-dir");
}

TEST(DeliverRequest, PlainDeliveryTakesTheDefaultDataDirectory) {
  auto r = read({"deliver"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->data_dir, "default-dir");
  EXPECT_FALSE(r->envelope.sender);
  EXPECT_TRUE(r->envelope.recipients.empty());
}

TEST(DeliverRequest, BothOptionFormsGiveTheSameRequest) {
  auto spaced = read({"--data", "/srv/mc", "deliver", "--recipient", "a@x.example", "--recipient",
                      "b@x.example", "--sender", "c@y.example"});
  auto joined = read({"--data=/srv/mc", "deliver", "--recipient=a@x.example", "--recipient=b@x.example",
                      "--sender=c@y.example"});
  for (const auto& r : {spaced, joined}) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->data_dir, "/srv/mc");
    EXPECT_EQ(r->envelope.sender, "c@y.example");
    EXPECT_EQ(r->envelope.recipients, (std::vector<std::string>{"a@x.example", "b@x.example"}));
  }
}

TEST(DeliverRequest, AnEmptySenderIsTheNullSenderOfABounce) {
  auto r = read({"deliver", "--sender", ""});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->envelope.sender, "");
}

TEST(DeliverRequest, WhatTheFullProgramMustAnswerIsNotHandedOver) {
  const std::vector<std::vector<std::string_view>> others = {
      {},                                                                 // no command
      {"--data", "/srv/mc"},                                              // no command either
      {"--help"},                                                         // its help text
      {"deliver", "--help"},                                              //
      {"import", "mails.mbox"},                                           // another command
      {"deliver", "--data", "/srv/mc"},                                   // --data belongs before the command
      {"--recipient", "a@x.example", "deliver"},                          // and --recipient after it
      {"deliver", "--sender", "a@x.example", "--sender", "b@x.example"},  // twice
      {"--data", "/a", "--data", "/b", "deliver"},                        //
      {"--data", "", "deliver"},                                          // an empty directory
      {"--data=", "deliver"},                                             //
      {"deliver", "--recipient="},                                        //
      {"deliver", "--recipient"},                                         // a value missing
      {"deliver", "--recipient", "--sender"},                             // a value that is an option
      {"deliver", "--recipient", "-x"},                                   //
      {"deliver", "deliver"},                                             // an argument it does not know
      {"deliver", "--recipient", "a@x.example\nb"},                       // not single-line text
      {"deliver", "--sender", std::string_view("a\0b", 3)},               //
      {"deliver", "--recipient=\x1b[2Ja@x.example"},                      //
  };
  for (const auto& args : others) {
    std::string shown;
    for (auto a : args) shown += "[" + std::string(a) + "] ";
    EXPECT_FALSE(read(args)) << shown;
  }
}

TEST(DeliverRequest, AValueMayHoldAnEqualsSignOrSpaces) {
  auto r = read({"--data=/srv/a=b", "deliver", "--recipient", "support team@x.example"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->data_dir, "/srv/a=b");
  EXPECT_EQ(r->envelope.recipients, std::vector<std::string>{"support team@x.example"});
}

}  // namespace
}  // namespace mailcase::ingest::handoff

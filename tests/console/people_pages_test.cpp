// Contacts and accounts in the console: the forms' reading (pure), and the pages through a
// real HTTP server in this process, logged in with a session as the browser would be.
#include <gtest/gtest.h>
#include <httplib.h>

#include "console/console_test_support.h"
#include "console/people_forms.h"
#include "ingest/pipeline.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "support/test_support.h"
#include "util/text.h"

namespace mailcase::console {
namespace {

// ---- the forms (pure)

TEST(PeopleForms, AddressesAreOneALineOrSeparatedByCommasOrSpaces) {
  EXPECT_EQ(
      split_addresses(" ann@a.example\r\n\r\nann.smith@a.example, ann@b.example;ann@c.example  "),
      (std::vector<std::string>{"ann@a.example", "ann.smith@a.example", "ann@b.example", "ann@c.example"}));
  EXPECT_TRUE(split_addresses(" \n ,; ").empty());
}

TEST(PeopleForms, AContactNeedsANameAndAnAddressAndTheFieldAtFaultIsNamed) {
  auto ok = contact_from_form({{"name", " Ann Smith "},
                               {"emails", "ann@a.example\nann@b.example"},
                               {"language", "fr"},
                               {"account", " Acme "}});
  EXPECT_TRUE(ok.errors.empty());
  EXPECT_EQ(ok.input.name, "Ann Smith");
  EXPECT_EQ(ok.input.emails, (std::vector<std::string>{"ann@a.example", "ann@b.example"}));
  EXPECT_EQ(ok.input.account_name, std::optional<std::string>("Acme"));
  EXPECT_FALSE(contact_from_form({{"name", "Ann"}, {"emails", "ann@a.example"}}).input.account_name);

  EXPECT_EQ(contact_from_form({{"name", " "}, {"emails", "ann@a.example"}}).errors.count("name"), 1u);
  EXPECT_EQ(contact_from_form({{"name", "Ann"}, {"emails", ""}}).errors.count("emails"), 1u);
  EXPECT_EQ(contact_from_form({{"name", "Ann"}, {"emails", "not an address"}}).errors.count("emails"), 1u);
  EXPECT_EQ(contact_from_form({{"name", "Ann"}, {"emails", "a@a.example"}, {"language", "French!"}})
                .errors.count("language"),
            1u);
  std::string many;
  for (int i = 0; i < 21; ++i) many += "a" + std::to_string(i) + "@a.example\n";
  EXPECT_EQ(contact_from_form({{"name", "Ann"}, {"emails", many}}).errors.count("emails"), 1u);
  EXPECT_EQ(
      contact_from_form({{"name", "Ann"}, {"emails", "a@a.example"}, {"account", std::string(300, 'x')}})
          .errors.count("account"),
      1u);
  // A field of megabytes is cut before it is looked at, and refused.
  auto huge = contact_from_form({{"name", "Ann"}, {"emails", std::string(5'000'000, 'a') + "@a.example"}});
  EXPECT_EQ(huge.errors.count("emails"), 1u);
}

TEST(PeopleForms, AnAccountNeedsANameOnlyAndItsAddressesMustBeAddresses) {
  auto ok = account_from_form({{"name", "Acme"}, {"support_level", " gold "}, {"emails", ""}});
  EXPECT_TRUE(ok.errors.empty());
  EXPECT_EQ(ok.input.support_level, "gold");
  EXPECT_EQ(account_from_form({{"name", ""}}).errors.count("name"), 1u);
  EXPECT_EQ(account_from_form({{"name", "Acme"}, {"emails", "acme"}}).errors.count("emails"), 1u);
  EXPECT_EQ(account_from_form({{"name", "Acme"}, {"support_level", "a\nb"}}).errors.count("support_level"),
            1u);
}

// ---- the pages

using mailcase::testing::Answer;

class PeoplePagesTest : public mailcase::testing::ConsolePagesTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(make_data());
    ASSERT_EQ(cli({"account", "add", "--name", "Customer Ltd", "--support-level", "gold"}).exit_code, 0);
    ASSERT_EQ(cli({"contact", "add", "--name", "Ann Smith", "--email", "ann@customer.example", "--account",
                   "Customer Ltd"})
                  .exit_code,
              0);
    ASSERT_EQ(cli({"contact", "add", "--name", "Carl", "--email", "carl@other.example"}).exit_code, 0);
    ASSERT_NO_FATAL_FAILURE(open_runtime());
    auto made = deliver(
        "From: Ann Smith <ann@customer.example>\r\nTo: support@corp.example\r\nSubject: Printer on fire\r\n"
        "Message-ID: <p1@customer.example>\r\n\r\nIt burns.\r\n");
    ASSERT_EQ(made.kind, ingest::OutcomeKind::kCreated);
    ASSERT_TRUE(made.case_number);
    case_number_ = *made.case_number;
    ann_ = contact_id("ann@customer.example");
    carl_ = contact_id("carl@other.example");
    ASSERT_NE(ann_, 0);
    ASSERT_NO_FATAL_FAILURE(serve());
  }

  store::Id contact_id(const std::string& email) {
    auto u = rt_->store().open_unit(store::Access::kRead);
    EXPECT_TRUE(u);
    auto c = u->accounts().find_contact_by_email(email);
    EXPECT_TRUE(c);
    return c && *c ? (*c)->id : 0;
  }

  store::Contact contact(store::Id id) {
    auto u = rt_->store().open_unit(store::Access::kRead);
    EXPECT_TRUE(u);
    auto c = u->accounts().get_contact(id);
    EXPECT_TRUE(c && *c);
    return c && *c ? **c : store::Contact{};
  }

  std::optional<store::Account> account_named(const std::string& name) {
    auto u = rt_->store().open_unit(store::Access::kRead);
    EXPECT_TRUE(u);
    auto a = u->accounts().find_account_by_name(name);
    EXPECT_TRUE(a);
    return a ? *a : std::nullopt;
  }

  std::string ann_path() const { return "/contacts/" + std::to_string(ann_); }

  std::string case_number_;
  store::Id ann_ = 0, carl_ = 0;
};

TEST_F(PeoplePagesTest, WithoutASessionThePagesGoToTheLoginAndNothingChanges) {
  for (const std::string& path : {std::string("/contacts"), ann_path(), std::string("/accounts")}) {
    auto a = get(path, false);
    EXPECT_EQ(a.status, 303) << path;
    EXPECT_TRUE(a.header("Location").starts_with("/login?next=")) << path;
    EXPECT_FALSE(a.has("ann@customer.example")) << path;
  }
  httplib::Client c("127.0.0.1", served_->port());
  auto r = c.Post(ann_path().c_str(),
                  httplib::Params{{"csrf", served_->csrf}, {"name", "Mallory"}, {"emails", "m@x.example"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  // Logged in but without the session's CSRF token: refused too.
  EXPECT_EQ(post(ann_path(), {{"name", "Mallory"}, {"emails", "m@x.example"}}, false).status, 403);
  EXPECT_EQ(contact(ann_).name, "Ann Smith");
  EXPECT_EQ(contact(ann_).emails, std::vector<std::string>{"ann@customer.example"});
}

TEST_F(PeoplePagesTest, AnAddressFindsItsContactWhosePageShowsTheirAccountAndCases) {
  auto found = get("/contacts?q=ANN%40Customer.example");
  EXPECT_EQ(found.status, 303);
  EXPECT_EQ(found.header("Location"), ann_path());

  auto page = get(ann_path());
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(page.has("<h1>Ann Smith</h1>")) << page.body;
  EXPECT_TRUE(page.has("ann@customer.example"));
  const auto acme = account_named("Customer Ltd");
  ASSERT_TRUE(acme);
  EXPECT_TRUE(page.has("href=\"/accounts/" + std::to_string(acme->id) + "\">Customer Ltd</a>")) << page.body;
  EXPECT_TRUE(page.has("href=\"/cases/" + case_number_ + "\"")) << page.body;
  EXPECT_TRUE(page.has("Printer on fire"));
  EXPECT_FALSE(page.has("scope=\"col\" class=\"optional\">Contact</th>"))
      << "their own cases: no contact column";
  EXPECT_TRUE(page.has("/cases?contact=ann%40customer.example")) << "the link to all their cases";

  // The case page leads to the contact and the account.
  auto c = get("/cases/" + case_number_);
  ASSERT_EQ(c.status, 200);
  EXPECT_TRUE(c.has("href=\"" + ann_path() + "\"")) << c.body;
  EXPECT_TRUE(c.has("href=\"/accounts/" + std::to_string(acme->id) + "\""));

  // An unknown address: said so, and the form below is ready to add it.
  auto none = get("/contacts?q=dora%40new.example");
  ASSERT_EQ(none.status, 200);
  EXPECT_TRUE(
      none.has("No contact's address, address's domain or word of their name starts with dora@new.example"))
      << none.body;
  EXPECT_TRUE(none.has(">dora@new.example</textarea>")) << none.body;
  // The start of a word of the name, of an address or of its domain finds the contacts,
  // whatever its letter case.
  for (const std::string q : {"ann", "ANN%20S", "ann%40cust", "car", "smith", "SMI%20a", "%40Customer",
                              "customer.ex", "%40other."}) {
    auto some = get("/contacts?q=" + q);
    ASSERT_EQ(some.status, 200) << q;
    EXPECT_TRUE(some.has("Contacts found (1)")) << q << some.body;
    const bool carl = q == "car" || q == "%40other.";
    EXPECT_EQ(some.has("href=\"" + ann_path() + "\""), !carl) << q;
    EXPECT_EQ(some.has(">Carl</a>"), carl) << q;
  }
  EXPECT_TRUE(get("/contacts?q=mith")
                  .has("No contact's address, address's domain or word of their name starts with mith"));
  // A domain nobody is at: no form filled with it, since it is no address.
  auto no_domain = get("/contacts?q=%40nowhere.example");
  ASSERT_EQ(no_domain.status, 200);
  EXPECT_TRUE(no_domain.has("starts with @nowhere.example.</p>")) << no_domain.body;
  EXPECT_FALSE(no_domain.has(">@nowhere.example</textarea>")) << no_domain.body;
  EXPECT_EQ(get("/contacts?q=ann%00x").status, 200) << "a NUL in the words is no server error";
  EXPECT_EQ(get("/contacts/999999").status, 404);
  EXPECT_EQ(get("/contacts/99999999999999999999").status, 404);
}

TEST_F(PeoplePagesTest, AnAgentCorrectsAContactAndTheirMailFindsThemByTheNewAddress) {
  auto saved = post(ann_path(), {{"name", "Ann Smith-Jones"},
                                 {"emails", "ann@customer.example\nann.smith@home.example"},
                                 {"language", "fr"},
                                 {"account", ""}});
  ASSERT_EQ(saved.status, 303) << saved.body;
  EXPECT_EQ(saved.header("Location"), ann_path() + "?done=saved");
  const auto c = contact(ann_);
  EXPECT_EQ(c.name, "Ann Smith-Jones");
  EXPECT_EQ(c.emails, (std::vector<std::string>{"ann@customer.example", "ann.smith@home.example"}));
  EXPECT_EQ(c.language, "fr");
  EXPECT_FALSE(c.account_id);
  auto page = get(ann_path() + "?done=saved");
  EXPECT_TRUE(page.has("The contact was saved.")) << page.body;
  EXPECT_TRUE(page.has("French"));

  // Mail from the new address lands with Ann.
  deliver(
      "From: Ann <ann.smith@home.example>\r\nTo: support@corp.example\r\nSubject: From home\r\n"
      "Message-ID: <h1@home.example>\r\n\r\nHello.\r\n");
  EXPECT_EQ(contact_id("ann.smith@home.example"), ann_);
  EXPECT_TRUE(get(ann_path()).has("From home"));

  // Back into the account by its name.
  ASSERT_EQ(post(ann_path(), {{"name", "Ann Smith-Jones"},
                              {"emails", "ann@customer.example"},
                              {"language", ""},
                              {"account", "Customer Ltd"}})
                .status,
            303);
  EXPECT_EQ(contact(ann_).account_id, account_named("Customer Ltd")->id);
}

// Ann writes from home: a second contact, until an agent merges it into hers.
TEST_F(PeoplePagesTest, AnAgentMergesTwoContactsOfOnePerson) {
  auto made = deliver(
      "From: Ann at home <ann.s@home.example>\r\nTo: support@corp.example\r\nSubject: Scanner jams\r\n"
      "Message-ID: <h2@home.example>\r\n\r\nIt jams.\r\n");
  ASSERT_TRUE(made.case_number);
  const store::Id home = contact_id("ann.s@home.example");
  ASSERT_NE(home, 0);
  ASSERT_NE(home, ann_);
  const std::string home_path = "/contacts/" + std::to_string(home);
  EXPECT_TRUE(get(home_path).has("Merge into another contact"));

  EXPECT_EQ(post(home_path + "/merge", {{"into", "ann@customer.example"}}, false).status, 403);
  auto unknown = post(home_path + "/merge", {{"into", "nobody@customer.example"}});
  EXPECT_EQ(unknown.status, 422);
  EXPECT_TRUE(unknown.has("No contact has the address or number nobody@customer.example.")) << unknown.body;
  EXPECT_TRUE(unknown.has("value=\"nobody@customer.example\"")) << "what was typed stays";
  EXPECT_TRUE(unknown.has("value=\"Ann at home\"")) << "the contact's form stays filled";
  auto itself = post(home_path + "/merge", {{"into", "ann.s@home.example"}});
  EXPECT_EQ(itself.status, 422);
  EXPECT_TRUE(itself.has("cannot be merged into itself")) << itself.body;
  EXPECT_EQ(post(home_path + "/merge", {{"into", " "}}).status, 422);
  EXPECT_EQ(post("/contacts/999999/merge", {{"into", "ann@customer.example"}}).status, 404);
  EXPECT_EQ(contact(home).emails, std::vector<std::string>{"ann.s@home.example"});

  // The agent first sees whom the address names, beside this contact, and confirms.
  auto asked = post(home_path + "/merge", {{"into", "ANN@customer.example"}});
  ASSERT_EQ(asked.status, 200) << asked.body;
  EXPECT_TRUE(asked.has("Merge Ann at home into Ann Smith?")) << asked.body;
  EXPECT_TRUE(asked.has("ann.s@home.example") && asked.has("ann@customer.example")) << asked.body;
  EXPECT_TRUE(asked.has("name=\"confirm\" value=\"yes\"")) << asked.body;
  EXPECT_EQ(contact(home).emails, std::vector<std::string>{"ann.s@home.example"}) << "nothing merged yet";
  auto merged = post(home_path + "/merge", {{"into", "ANN@customer.example"}, {"confirm", "yes"}});
  ASSERT_EQ(merged.status, 303) << merged.body;
  EXPECT_EQ(merged.header("Location"), ann_path() + "?done=merged");
  EXPECT_EQ(get(home_path).status, 404);
  const auto c = contact(ann_);
  EXPECT_EQ(c.name, "Ann Smith");
  EXPECT_EQ(c.emails, (std::vector<std::string>{"ann@customer.example", "ann.s@home.example"}));
  auto page = get(ann_path() + "?done=merged");
  EXPECT_TRUE(page.has("The other contact was merged into this one")) << page.body;
  EXPECT_TRUE(page.has("Scanner jams"));
  EXPECT_TRUE(page.has("Printer on fire"));

  // Her next mail from home is hers, on the case it answers.
  auto next =
      deliver("From: Ann at home <ann.s@home.example>\r\nTo: support@corp.example\r\nSubject: Re: [" +
              *made.case_number + "] Scanner jams\r\nMessage-ID: <h3@home.example>\r\n\r\nStill jams.\r\n");
  EXPECT_EQ(next.case_number, made.case_number);
  EXPECT_EQ(contact_id("ann.s@home.example"), ann_);
}

// The confirmation merges into the contact it showed: an address that moved to another
// contact between the question and the click does not take the merge with it.
TEST_F(PeoplePagesTest, AConfirmedMergeGoesToTheContactThatWasShown) {
  const std::string carl_path = "/contacts/" + std::to_string(carl_);
  auto asked = post(carl_path + "/merge", {{"into", "ann@customer.example"}});
  ASSERT_EQ(asked.status, 200) << asked.body;
  EXPECT_TRUE(asked.has("Merge Carl into Ann Smith?")) << asked.body;
  EXPECT_TRUE(asked.has("name=\"into\" value=\"" + std::to_string(ann_) + "\"")) << asked.body;
  // Meanwhile another agent makes a new contact of Ann's and merges Ann Smith into it.
  ASSERT_EQ(cli({"contact", "add", "--name", "Ann S.", "--email", "ann.smith@new.example"}).exit_code, 0);
  ASSERT_EQ(cli({"contact", "merge", "ann@customer.example", "ann.smith@new.example"}).exit_code, 0);
  const store::Id moved_to = contact_id("ann@customer.example");
  ASSERT_NE(moved_to, ann_);
  auto confirmed = post(carl_path + "/merge", {{"into", std::to_string(ann_)}, {"confirm", "yes"}});
  EXPECT_EQ(confirmed.status, 422) << confirmed.body;
  EXPECT_EQ(contact(carl_).emails, std::vector<std::string>{"carl@other.example"}) << "nothing merged";
  EXPECT_EQ(contact(moved_to).emails,
            (std::vector<std::string>{"ann.smith@new.example", "ann@customer.example"}));
}

TEST_F(PeoplePagesTest, AnAdminRemovesAContactWithoutCases) {
  ASSERT_EQ(
      cli({"agent", "add", "--name", "Ada", "--email", "ada@corp.example", "--role", "admin"}).exit_code, 0);
  testing::ServedConsole admin(*rt_, data_, "ada@corp.example");
  ASSERT_TRUE(admin.ok());
  const std::string carl_path = "/contacts/" + std::to_string(carl_);
  // Offered to an admin only, and only for a contact without cases: a case keeps its contact.
  EXPECT_FALSE(get(carl_path).has("Remove the contact"));
  EXPECT_EQ(post(carl_path + "/remove", {}).status, 403);
  EXPECT_TRUE(admin.get(carl_path).has("Remove the contact"));
  EXPECT_FALSE(admin.get(ann_path()).has("Remove the contact"));
  auto refused = admin.post(ann_path() + "/remove", {});
  EXPECT_EQ(refused.status, 409);
  EXPECT_TRUE(refused.has("merge the contact into the one that stays")) << refused.body;
  EXPECT_EQ(contact(ann_).emails, std::vector<std::string>{"ann@customer.example"});
  EXPECT_EQ(admin.post(carl_path + "/remove", {}, false).status, 403) << "without the form's CSRF token";
  EXPECT_NE(contact_id("carl@other.example"), 0);

  auto removed = admin.post(carl_path + "/remove", {});
  ASSERT_EQ(removed.status, 303) << removed.body;
  EXPECT_EQ(removed.header("Location"), "/contacts?done=removed");
  EXPECT_TRUE(admin.get("/contacts?done=removed").has("The contact was removed")) << "said where it lands";
  EXPECT_EQ(admin.get(carl_path).status, 404);
  EXPECT_EQ(contact_id("carl@other.example"), 0);
  EXPECT_EQ(admin.post(carl_path + "/remove", {}).status, 404);
}

TEST_F(PeoplePagesTest, AnAdminRemovesAnAccountNothingNames) {
  ASSERT_EQ(cli({"account", "add", "--name", "Gone Ltd"}).exit_code, 0);
  ASSERT_EQ(
      cli({"agent", "add", "--name", "Ada", "--email", "ada@corp.example", "--role", "admin"}).exit_code, 0);
  testing::ServedConsole admin(*rt_, data_, "ada@corp.example");
  ASSERT_TRUE(admin.ok());
  const auto gone = account_named("Gone Ltd");
  const auto customer = account_named("Customer Ltd");
  ASSERT_TRUE(gone && customer);
  const std::string gone_path = "/accounts/" + std::to_string(gone->id);
  const std::string customer_path = "/accounts/" + std::to_string(customer->id);
  // Offered to an admin, on an account no contact belongs to.
  EXPECT_FALSE(get(gone_path).has("Remove the account"));
  EXPECT_EQ(post(gone_path + "/remove", {}).status, 403);
  EXPECT_TRUE(admin.get(gone_path).has("Remove the account"));
  EXPECT_FALSE(admin.get(customer_path).has("Remove the account"));
  auto named = admin.post(customer_path + "/remove", {});
  EXPECT_EQ(named.status, 409);
  EXPECT_TRUE(named.has("has contacts")) << named.body;
  EXPECT_TRUE(account_named("Customer Ltd"));

  auto removed = admin.post(gone_path + "/remove", {});
  ASSERT_EQ(removed.status, 303) << removed.body;
  EXPECT_EQ(removed.header("Location"), "/accounts?done=removed");
  EXPECT_TRUE(admin.get("/accounts?done=removed").has("The account was removed"));
  EXPECT_EQ(admin.get(gone_path).status, 404);
  EXPECT_FALSE(account_named("Gone Ltd"));
}

TEST_F(PeoplePagesTest, ARefusedChangeKeepsWhatWasTypedAndChangesNothing) {
  // Carl's address is Carl's.
  auto taken = post(ann_path(), {{"name", "Ann S"}, {"emails", "ann@customer.example, carl@other.example"}});
  EXPECT_EQ(taken.status, 409) << taken.body;
  EXPECT_TRUE(taken.has("belongs to another contact")) << taken.body;
  EXPECT_TRUE(taken.has("value=\"Ann S\"")) << "what was typed stays";
  EXPECT_TRUE(taken.has("carl@other.example</textarea>"));
  EXPECT_EQ(contact(ann_).name, "Ann Smith");
  EXPECT_EQ(contact(carl_).emails, std::vector<std::string>{"carl@other.example"});

  auto no_account =
      post(ann_path(), {{"name", "Ann"}, {"emails", "ann@customer.example"}, {"account", "Nope Inc"}});
  EXPECT_EQ(no_account.status, 422);
  EXPECT_TRUE(no_account.has("No account is named Nope Inc")) << no_account.body;
  EXPECT_TRUE(no_account.has("aria-invalid=\"true\" aria-describedby=\"e-account\""));

  auto no_address = post(ann_path(), {{"name", "Ann"}, {"emails", " "}});
  EXPECT_EQ(no_address.status, 422);
  EXPECT_TRUE(no_address.has("At least one address is needed.")) << no_address.body;
  EXPECT_EQ(contact(ann_).emails, std::vector<std::string>{"ann@customer.example"});
  EXPECT_EQ(post("/contacts/999999", {{"name", "Ann"}, {"emails", "x@y.example"}}).status, 404);
}

TEST_F(PeoplePagesTest, ANewContactIsAddedWithItsAccountAndShownEscaped) {
  auto added = post("/contacts", {{"name", "<script>alert(1)</script> Dora"},
                                  {"emails", "dora@new.example"},
                                  {"language", "pl"},
                                  {"account", "Customer Ltd"}});
  ASSERT_EQ(added.status, 303) << added.body;
  const store::Id dora = contact_id("dora@new.example");
  ASSERT_NE(dora, 0);
  EXPECT_EQ(added.header("Location"), "/contacts/" + std::to_string(dora) + "?done=added");
  auto page = get("/contacts/" + std::to_string(dora));
  EXPECT_FALSE(page.has("<script>alert")) << page.body;
  EXPECT_TRUE(page.has("&lt;script&gt;alert(1)&lt;/script&gt; Dora"));
  EXPECT_TRUE(page.has("Polish"));
  EXPECT_EQ(contact(dora).account_id, account_named("Customer Ltd")->id);

  auto again = post("/contacts", {{"name", "Dora 2"}, {"emails", "DORA@new.example"}});
  EXPECT_EQ(again.status, 409);
  EXPECT_TRUE(again.has("value=\"Dora 2\""));
  auto list = get("/contacts");
  ASSERT_EQ(list.status, 200);
  EXPECT_TRUE(list.has("All contacts (3)")) << list.body;
  EXPECT_TRUE(list.has("href=\"" + ann_path() + "\">Ann Smith</a>"));
}

TEST_F(PeoplePagesTest, AnAccountIsAddedAndItsPageListsItsContacts) {
  auto added =
      post("/accounts", {{"name", "Globex"}, {"support_level", "silver"}, {"emails", "it@globex.example"}});
  ASSERT_EQ(added.status, 303) << added.body;
  const auto globex = account_named("Globex");
  ASSERT_TRUE(globex);
  EXPECT_EQ(globex->emails, std::vector<std::string>{"it@globex.example"});
  EXPECT_EQ(added.header("Location"), "/accounts/" + std::to_string(globex->id) + "?done=added");
  auto dup = post("/accounts", {{"name", "globex"}});
  EXPECT_EQ(dup.status, 409) << dup.body;
  EXPECT_TRUE(dup.has("exists already"));

  const auto acme = account_named("Customer Ltd");
  auto page = get("/accounts/" + std::to_string(acme->id));
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(page.has("gold"));
  EXPECT_TRUE(page.has("href=\"" + ann_path() + "\">Ann Smith</a>")) << page.body;
  EXPECT_FALSE(page.has("Carl")) << "Carl is no contact of this account";
  EXPECT_TRUE(page.has("Contacts (1)"));
  EXPECT_TRUE(get("/accounts").has("href=\"/accounts/" + std::to_string(globex->id) + "\">Globex</a>"));
  EXPECT_EQ(get("/accounts/" + std::to_string(globex->id)).status, 200);
  EXPECT_EQ(get("/accounts/999999").status, 404);
  EXPECT_EQ(get("/accounts?cursor=bm9wZQ").status, 400);
}

TEST_F(PeoplePagesTest, AnAccountIsChangedWithItsFormAndAClashChangesNothing) {
  const auto acme = account_named("Customer Ltd");
  ASSERT_TRUE(acme);
  const std::string path = "/accounts/" + std::to_string(acme->id);
  auto page = get(path);
  EXPECT_TRUE(page.has("value=\"gold\"")) << "the form holds the account as it is";
  auto saved = post(
      path, {{"name", "Customer Ltd"}, {"support_level", "platinum"}, {"emails", "it@customer.example"}});
  ASSERT_EQ(saved.status, 303) << saved.body;
  EXPECT_EQ(saved.header("Location"), path + "?done=saved");
  auto now = account_named("Customer Ltd");
  EXPECT_EQ(now->support_level, "platinum");
  EXPECT_EQ(now->emails, std::vector<std::string>{"it@customer.example"});
  EXPECT_TRUE(get(path + "?done=saved").has("The account was saved."));

  ASSERT_EQ(post("/accounts", {{"name", "Globex"}}).status, 303);
  auto clash = post(path, {{"name", "globex"}, {"support_level", "bronze"}, {"emails", ""}});
  EXPECT_EQ(clash.status, 409) << clash.body;
  EXPECT_TRUE(clash.has("exists already"));
  EXPECT_TRUE(clash.has("value=\"bronze\"")) << "what was typed stays";
  EXPECT_EQ(account_named("Customer Ltd")->support_level, "platinum");
  EXPECT_EQ(post(path, {{"name", "X"}, {"emails", "x@y.example"}}, false).status, 403);
  EXPECT_EQ(post("/accounts/999999", {{"name", "X"}}).status, 404);
}

}  // namespace
}  // namespace mailcase::console

// Bearer authentication against a real store: which tokens let a request in, as whom,
// and when their last use is written.
#include "access/authenticate.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "access/credentials.h"
#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::access {
namespace {

TEST(TokenUse, Iso8601TimesAsTheStoreWritesThemAreRead) {
  EXPECT_EQ(parse_iso8601_utc("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_iso8601_utc("2026-12-01T20:14:29Z"), 1796156069);
  EXPECT_EQ(parse_iso8601_utc("2000-02-29T00:00:01Z"), 951782401);
  for (const char* bad :
       {"", "2026-12-01", "2026-12-01T20:14:29", "2026-12-01 20:14:29Z", "2026-13-01T20:14:29Z",
        "2026-12-01T24:00:00Z", "2026-12-01T20:14:29+01:00", "2026-1a-01T20:14:29Z"})
    EXPECT_FALSE(parse_iso8601_utc(bad)) << bad;
}

TEST(TokenUse, IsRecordedWhenNewOrAMinuteOld) {
  EXPECT_TRUE(should_record_use(std::nullopt, "2026-12-01T20:00:00Z"));
  EXPECT_FALSE(should_record_use("2026-12-01T20:00:00Z", "2026-12-01T20:00:00Z"));
  EXPECT_FALSE(should_record_use("2026-12-01T20:00:00Z", "2026-12-01T20:00:59Z"));
  EXPECT_TRUE(should_record_use("2026-12-01T20:00:00Z", "2026-12-01T20:01:00Z"));
  EXPECT_TRUE(should_record_use("2026-11-30T23:59:30Z", "2026-12-01T00:00:30Z"));
  EXPECT_TRUE(should_record_use("not a time", "2026-12-01T20:00:00Z"));
  EXPECT_FALSE(should_record_use(std::nullopt, "not a time"));
  // A clock that went back writes nothing.
  EXPECT_FALSE(should_record_use("2026-12-01T20:05:00Z", "2026-12-01T20:00:00Z"));
}

class Authenticate : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_sqlite(dir_.path() / "t.db");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    marek_ = add_agent("Marek", "marek@corp.example", store::AgentRole::kAgent);
    ada_ = add_agent("Ada", "ada@corp.example", store::AgentRole::kAdmin);
  }

  store::Id add_agent(const std::string& name, const std::string& email, store::AgentRole role) {
    store::Agent a;
    a.name = name;
    a.email = email;
    a.role = role;
    auto work = store_->begin_work();
    EXPECT_TRUE(work);
    auto id = store_->add_agent(a);
    EXPECT_TRUE(id) << id.error().message;
    EXPECT_TRUE(work->commit());
    return id ? *id : 0;
  }

  // A new token of the agent; returns the token, its row id in *id.
  std::string add_token(store::Id agent_id, store::Id* id = nullptr) {
    std::string token = new_api_token();
    store::ApiToken t;
    t.agent_id = agent_id;
    t.label = "test";
    t.digest = token_digest(token);
    auto work = store_->begin_work();
    EXPECT_TRUE(work);
    auto added = store_->add_api_token(t);
    EXPECT_TRUE(added) << added.error().message;
    EXPECT_TRUE(work->commit());
    if (id && added) *id = *added;
    return token;
  }

  std::optional<std::string> last_used(store::Id id) {
    auto all = store_->list_api_tokens();
    EXPECT_TRUE(all);
    for (const auto& t : *all)
      if (t.id == id) return t.last_used_at;
    ADD_FAILURE() << "no token " << id;
    return std::nullopt;
  }

  mailcase::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  store::Id marek_ = 0, ada_ = 0;
  const std::string now_ = "2026-12-01T20:00:00Z";
};

TEST_F(Authenticate, AValidTokenIsItsAgentWithTheirRole) {
  auto m = add_token(marek_);
  auto a = add_token(ada_);
  auto who = authenticate(*store_, "Bearer " + m, now_);
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_EQ(who->email, "marek@corp.example");
  EXPECT_EQ(who->role, store::AgentRole::kAgent);
  who = authenticate(*store_, "bearer " + a, now_);
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_EQ(who->email, "ada@corp.example");
  EXPECT_EQ(who->role, store::AgentRole::kAdmin);
}

TEST_F(Authenticate, NoOrAMalformedHeaderIsInvalidInput) {
  add_token(marek_);
  for (std::string h : {"", "Basic bWFyZWs6cHc=", "Bearer", "Bearer  x", "Bearer a b"}) {
    auto who = authenticate(*store_, h, now_);
    ASSERT_FALSE(who) << h;
    EXPECT_EQ(who.error().code, ErrorCode::kInvalidInput) << h;
  }
}

TEST_F(Authenticate, UnknownRevokedAndInactiveAgentsTokensAreNotFoundAlike) {
  store::Id revoked_id = 0;
  auto revoked = add_token(marek_, &revoked_id);
  auto kept = add_token(marek_);
  auto unknown = new_api_token();
  {
    auto work = store_->begin_work();
    ASSERT_TRUE(work);
    ASSERT_TRUE(store_->revoke_api_token(revoked_id));
    ASSERT_TRUE(work->commit());
  }
  auto u = authenticate(*store_, "Bearer " + unknown, now_);
  auto r = authenticate(*store_, "Bearer " + revoked, now_);
  ASSERT_FALSE(u);
  ASSERT_FALSE(r);
  EXPECT_EQ(u.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(u.error().message, r.error().message);
  EXPECT_FALSE(last_used(revoked_id));  // a refused request records nothing

  ASSERT_TRUE(authenticate(*store_, "Bearer " + kept, now_));
  {
    auto work = store_->begin_work();
    ASSERT_TRUE(work);
    ASSERT_TRUE(store_->set_agent_active("marek@corp.example", false));
    ASSERT_TRUE(work->commit());
  }
  auto inactive = authenticate(*store_, "Bearer " + kept, now_);
  ASSERT_FALSE(inactive);
  EXPECT_EQ(inactive.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(inactive.error().message, u.error().message);
}

TEST_F(Authenticate, LastUseIsWrittenAtMostOnceAMinute) {
  store::Id id = 0;
  auto token = add_token(marek_, &id);
  EXPECT_FALSE(last_used(id));
  ASSERT_TRUE(authenticate(*store_, "Bearer " + token, "2026-12-01T20:00:00Z"));
  EXPECT_EQ(last_used(id), "2026-12-01T20:00:00Z");
  ASSERT_TRUE(authenticate(*store_, "Bearer " + token, "2026-12-01T20:00:59Z"));
  EXPECT_EQ(last_used(id), "2026-12-01T20:00:00Z");
  ASSERT_TRUE(authenticate(*store_, "Bearer " + token, "2026-12-01T20:01:00Z"));
  EXPECT_EQ(last_used(id), "2026-12-01T20:01:00Z");
}

// Recording a use is a courtesy: a request whose write cannot get the lock (ingest
// holding it, say) is still let in, and the use is recorded by a later one.
TEST_F(Authenticate, ABusyWriteLockDoesNotRefuseTheRequest) {
  store::Id id = 0;
  auto token = add_token(marek_, &id);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() / "t.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto who = authenticate(*store_, "Bearer " + token, now_);  // waits out the busy timeout
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_EQ(who->email, "marek@corp.example");
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  EXPECT_FALSE(last_used(id));
  ASSERT_TRUE(authenticate(*store_, "Bearer " + token, now_));
  EXPECT_EQ(last_used(id), now_);
}

}  // namespace
}  // namespace mailcase::access

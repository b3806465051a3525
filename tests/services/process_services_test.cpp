// Processes through the case services: a new case that names a process starts at its
// first stage, one naming a process that does not exist is still made (without one, its
// history saying why), and set_stage moves a case between its process's stages only.
#include <gtest/gtest.h>

#include <fstream>

#include "config/config.h"
#include "domain/clock.h"
#include "runtime/runtime.h"
#include "services/case_services.h"
#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::services {
namespace {

using store::EventAction;

constexpr int64_t kNow = 1'800'000'000;
constexpr const char* kAgent = "marek@corp.example";

class ProcessServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    run({"init"});
    run({"process", "add", "Support", "--stages", "New,Analysis,Fix,Done"});
    run({"agent", "add", "--name", "Marek", "--email", kAgent});
    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    auto rt = runtime::Runtime::open(data_, *cfg, clock_);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = std::move(*rt);
  }

  void run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_.string()});
    auto r = mailcase::testing::run_mailcase(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  CaseServices& svc() { return rt_->cases(); }

  store::Case create(std::string process, std::string stage = "") {
    auto w = rt_->store().open_unit(store::Access::kWrite);
    EXPECT_TRUE(w) << w.error().message;
    store::Case c;
    c.subject = "Printer on floor 3";
    c.process = std::move(process);
    c.stage = std::move(stage);
    auto made = svc().create(*w, Actor::mail("alice@example.org"), c, "a new mail");
    EXPECT_TRUE(made) << made.error().message;
    EXPECT_TRUE(w->commit());
    return made ? *made : store::Case{};
  }
  store::Case read(const std::string& number) {
    auto c = rt_->store().find_case_by_number(number);
    EXPECT_TRUE(c && *c) << number;
    return c && *c ? **c : store::Case{};
  }
  std::vector<store::Event> events(const store::Case& c) {
    auto e = rt_->store().events_of(c.id);
    EXPECT_TRUE(e) << e.error().message;
    return e ? *e : std::vector<store::Event>{};
  }

  mailcase::testing::TempDir dir_;
  std::filesystem::path data_;
  domain::FixedClock clock_{kNow};
  std::unique_ptr<runtime::Runtime> rt_;
};

TEST_F(ProcessServicesTest, ANewCaseOfAProcessStartsAtItsFirstStage) {
  auto c = create("Support");
  auto stored = read(c.number);
  EXPECT_EQ(stored.process, "Support");
  EXPECT_EQ(stored.stage, "New");
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].action, EventAction::kCreated);
  EXPECT_EQ(ev[0].details.at("process"), "Support");
  EXPECT_EQ(ev[0].details.at("stage"), "New");
  // Without a process: no stage, nothing said of one.
  auto plain = create("");
  EXPECT_EQ(read(plain.number).stage, "");
  EXPECT_FALSE(events(plain)[0].details.count("process"));
}

TEST_F(ProcessServicesTest, AnUnknownProcessNeverFailsTheMailAndTheHistorySaysSo) {
  auto c = create("Gone", "New");
  auto stored = read(c.number);
  EXPECT_EQ(stored.process, "");
  EXPECT_EQ(stored.stage, "");
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].details.at("process_unknown"), "Gone");
  EXPECT_EQ(ev[0].details.at("reason"), "a new mail");
}

TEST_F(ProcessServicesTest, SetStageMovesTheCaseWithAnEventFromTo) {
  auto c = create("Support");
  auto moved = svc().set_stage(Actor::agent(kAgent, "api"), c.number, "Fix");
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_EQ(moved->stage, "Fix");
  EXPECT_EQ(read(c.number).stage, "Fix");
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1].action, EventAction::kStageChanged);
  EXPECT_EQ(ev[1].actor, kAgent);
  EXPECT_EQ(ev[1].details,
            (std::map<std::string, std::string>{{"process", "Support"}, {"from", "New"}, {"to", "Fix"}}));
  // To where it stands already: no write, no event.
  ASSERT_TRUE(svc().set_stage(Actor::agent(kAgent), c.number, "Fix"));
  EXPECT_EQ(events(c).size(), 2u);
}

TEST_F(ProcessServicesTest, SetStageRefusesAStageOfNoProcessAndACaseOfNone) {
  auto c = create("Support");
  auto bad = svc().set_stage(Actor::agent(kAgent), c.number, "Shipped");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(bad.error().message.rfind("stage: ", 0), 0u) << bad.error().message;
  EXPECT_EQ(read(c.number).stage, "New");
  EXPECT_EQ(events(c).size(), 1u);

  auto plain = create("");
  auto none = svc().set_stage(Actor::agent(kAgent), plain.number, "New");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(none.error().message.find("follows no process"), std::string::npos);
  EXPECT_EQ(read(plain.number).stage, "");

  auto missing = svc().set_stage(Actor::agent(kAgent), "CS9999999", "New");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace mailcase::services

// The set-up the ingest tests share: a data directory made as `mailcase init` makes one,
// with the routing address support@corp.example, and the runtime opened on it with a fixed
// clock. A test's SetUp() calls open(), which may adjust the configuration first.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>

#include "config/config.h"
#include "domain/clock.h"
#include "runtime/runtime.h"
#include "support/test_support.h"

namespace mailcase::ingest::testing {

class IngestRuntimeTest : public ::testing::Test {
 protected:
  void open(const std::function<void(config::Config&)>& adjust = {}) {
    data_ = dir_.path() / "data";
    ASSERT_EQ(mailcase::testing::init_data_dir(data_, {"support@corp.example"}), "");
    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    cfg_ = *cfg;
    if (adjust) adjust(cfg_);
    auto rt = runtime::Runtime::open(data_, cfg_, clock_);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = std::move(*rt);
  }

  mailcase::testing::TempDir dir_;
  std::filesystem::path data_;
  config::Config cfg_;
  domain::FixedClock clock_{1'700'000'000};
  std::unique_ptr<runtime::Runtime> rt_;
};

}  // namespace mailcase::ingest::testing

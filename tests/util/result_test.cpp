// The error propagation macros: a failure passes through unchanged, a success goes on,
// and the expression is evaluated once either way.
#include "util/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace mailcase {
namespace {

// Counts its calls, so a test can see that the macro argument ran exactly once.
struct Source {
  int calls = 0;
  Result<int> number(bool ok, int value = 7) {
    ++calls;
    if (!ok) return fail(ErrorCode::kTemporary, "disk full");
    return value;
  }
  Status status(bool ok) {
    ++calls;
    if (!ok) return fail(ErrorCode::kNotFound, "no such case");
    return {};
  }
  Result<std::unique_ptr<std::string>> owned(bool ok) {
    ++calls;
    if (!ok) return fail(ErrorCode::kConflict, "exists already");
    return std::make_unique<std::string>("body");
  }
};

// A Result<T> checked in a function that returns Status.
Status check_number(Source& src, bool ok, int& seen) {
  MC_ASSIGN_OR_RETURN(int n, src.number(ok));
  seen = n;
  return {};
}

// A Status checked in a function that returns Result<U>.
Result<std::string> after_status(Source& src, bool ok) {
  MC_RETURN_IF_ERROR(src.status(ok));
  return std::string("went on");
}

// A Result<T> whose value is thrown away, in a Status function.
Status number_discarded(Source& src, bool ok) {
  MC_RETURN_IF_ERROR(src.number(ok));
  return {};
}

// A Result<T> into a Result<U> of another type, twice in one function, and into an
// existing variable.
Result<std::vector<int>> two_numbers(Source& src, bool first_ok, bool second_ok) {
  std::vector<int> out(2);
  MC_ASSIGN_OR_RETURN(auto a, src.number(first_ok, 1));
  MC_ASSIGN_OR_RETURN(out[1], src.number(second_ok, 2));
  out[0] = a;
  return out;
}

// A move-only value.
Result<std::string> owned_text(Source& src, bool ok) {
  MC_ASSIGN_OR_RETURN(auto p, src.owned(ok));
  return *p + "!";
}

TEST(ResultMacros, ResultIntoStatusFunctionPassesErrorUnchanged) {
  Source src;
  int seen = 0;
  auto s = check_number(src, false, seen);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kTemporary);
  EXPECT_EQ(s.error().message, "disk full");
  EXPECT_EQ(seen, 0);
  EXPECT_EQ(src.calls, 1);
}

TEST(ResultMacros, ResultIntoStatusFunctionAssignsOnSuccess) {
  Source src;
  int seen = 0;
  ASSERT_TRUE(check_number(src, true, seen));
  EXPECT_EQ(seen, 7);
  EXPECT_EQ(src.calls, 1);
}

TEST(ResultMacros, StatusIntoResultFunction) {
  Source src;
  auto bad = after_status(src, false);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(bad.error().message, "no such case");
  EXPECT_EQ(src.calls, 1);

  auto good = after_status(src, true);
  ASSERT_TRUE(good);
  EXPECT_EQ(*good, "went on");
  EXPECT_EQ(src.calls, 2);
}

TEST(ResultMacros, ReturnIfErrorTakesAResultToo) {
  Source src;
  auto bad = number_discarded(src, false);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kTemporary);
  EXPECT_TRUE(number_discarded(src, true));
  EXPECT_EQ(src.calls, 2);
}

TEST(ResultMacros, ResultIntoResultOfAnotherType) {
  Source src;
  auto both = two_numbers(src, true, true);
  ASSERT_TRUE(both);
  EXPECT_EQ(*both, (std::vector<int>{1, 2}));
  EXPECT_EQ(src.calls, 2);

  // The first failure returns at once: the second call never happens.
  auto first = two_numbers(src, false, true);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().message, "disk full");
  EXPECT_EQ(src.calls, 3);

  auto second = two_numbers(src, true, false);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kTemporary);
  EXPECT_EQ(src.calls, 5);
}

TEST(ResultMacros, MoveOnlyValue) {
  Source src;
  auto good = owned_text(src, true);
  ASSERT_TRUE(good);
  EXPECT_EQ(*good, "body!");
  auto bad = owned_text(src, false);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kConflict);
  EXPECT_EQ(src.calls, 2);
}

TEST(ResultMacros, LvalueStatusIsCheckedNotConsumed) {
  Status failed = fail(ErrorCode::kInvalidInput, "bad mail");
  auto pass_on = [&]() -> Status {
    MC_RETURN_IF_ERROR(failed);
    return {};
  };
  auto s = pass_on();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "bad mail");
  // The caller's own Status still holds its message.
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message, "bad mail");
}

TEST(ResultMacros, ReturnIfErrorIsOneStatement) {
  Source src;
  // As an unbraced if/else body: the else must bind to this if.
  auto f = [&](bool check, bool ok) -> Result<int> {
    if (check)
      MC_RETURN_IF_ERROR(src.status(ok));
    else
      return 2;
    return 1;
  };
  EXPECT_EQ(*f(true, true), 1);
  EXPECT_FALSE(f(true, false));
  EXPECT_EQ(*f(false, true), 2);
  EXPECT_EQ(src.calls, 2);
}

}  // namespace
}  // namespace mailcase

// A condition on a record as it is, checked inside the write unit of a change to it (the
// REST API's If-Match): an error it returns refuses the change, and nothing is written.
// An empty Expect checks nothing.
#pragma once

#include <functional>

#include "util/result.h"

namespace mailcase::admin {

template <typename T>
using Expect = std::function<Status(const T&)>;

template <typename T>
Status check_expect(const Expect<T>& expect, const T& current) {
  if (!expect) return {};
  return expect(current);
}

}  // namespace mailcase::admin

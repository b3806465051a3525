#include "console/login_throttle.h"

namespace mailcase::console {

LoginThrottle::LoginThrottle(int per_account, int per_address, int64_t window_seconds, size_t max_keys)
    : per_account_(per_account), per_address_(per_address), window_(window_seconds), max_keys_(max_keys) {}

void LoginThrottle::prune(Table& t, int64_t now) {
  for (auto it = t.begin(); it != t.end();) {
    if (now - it->second.start >= window_)
      it = t.erase(it);
    else
      ++it;
  }
}

int64_t LoginThrottle::wait_in(Table& t, std::string_view key, int limit, int64_t now) {
  auto it = t.find(std::string(key));
  if (it == t.end()) {
    if (t.size() < max_keys_) return 0;
    prune(t, now);
    return t.size() < max_keys_ ? 0 : window_;
  }
  if (now - it->second.start >= window_) return 0;
  if (it->second.count < limit) return 0;
  return window_ - (now - it->second.start);
}

void LoginThrottle::count_in(Table& t, std::string_view key, int64_t now) {
  auto it = t.find(std::string(key));
  if (it == t.end()) {
    if (t.size() >= max_keys_) prune(t, now);
    if (t.size() >= max_keys_) return;  // wait_in refuses this key anyway
    t.emplace(std::string(key), Window{now, 1});
    return;
  }
  if (now - it->second.start >= window_) it->second = Window{now, 0};
  ++it->second.count;
}

void LoginThrottle::give_back(Table& t, std::string_view key, int64_t now) {
  auto it = t.find(std::string(key));
  // Only the window the attempt was counted in holds it (now: when it was begun).
  if (it != t.end() && it->second.start <= now && now - it->second.start < window_ && it->second.count > 0)
    --it->second.count;
}

int64_t LoginThrottle::wait_seconds(std::string_view account, std::string_view address, int64_t now) {
  std::lock_guard lock(mu_);
  const int64_t a = wait_in(accounts_, account, per_account_, now);
  const int64_t b = wait_in(addresses_, address, per_address_, now);
  return a > b ? a : b;
}

int64_t LoginThrottle::begin_attempt(std::string_view account, std::string_view address, int64_t now) {
  std::lock_guard lock(mu_);
  const int64_t a = wait_in(accounts_, account, per_account_, now);
  const int64_t b = wait_in(addresses_, address, per_address_, now);
  if (a > 0 || b > 0) return a > b ? a : b;
  count_in(accounts_, account, now);
  count_in(addresses_, address, now);
  return 0;
}

void LoginThrottle::succeeded(std::string_view account, std::string_view address, int64_t now) {
  std::lock_guard lock(mu_);
  accounts_.erase(std::string(account));
  give_back(addresses_, address, now);
}

void LoginThrottle::unchecked(std::string_view account, std::string_view address, int64_t now) {
  std::lock_guard lock(mu_);
  give_back(accounts_, account, now);
  give_back(addresses_, address, now);
}

}  // namespace mailcase::console

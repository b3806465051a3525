#include "console/login_throttle.h"

#include <algorithm>

namespace mailcase::console {

LoginThrottle::LoginThrottle(int per_account, int per_address, int64_t window_seconds, size_t max_keys,
                             int per_account_all)
    : per_account_(per_account),
      per_address_(per_address),
      per_account_all_(per_account_all),
      window_(window_seconds),
      max_keys_(max_keys) {}

std::string LoginThrottle::pair_key(std::string_view account, std::string_view address) {
  // An account is a normalized address and has no NUL.
  std::string k(account);
  k += '\0';
  k += address;
  return k;
}

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
  const std::string pair = pair_key(account, address);
  return std::max({wait_in(pairs_, pair, per_account_, now),
                   wait_in(accounts_, account, per_account_all_, now),
                   wait_in(addresses_, address, per_address_, now)});
}

int64_t LoginThrottle::begin_attempt(std::string_view account, std::string_view address, int64_t now) {
  std::lock_guard lock(mu_);
  const std::string pair = pair_key(account, address);
  const int64_t wait =
      std::max({wait_in(pairs_, pair, per_account_, now), wait_in(accounts_, account, per_account_all_, now),
                wait_in(addresses_, address, per_address_, now)});
  if (wait > 0) return wait;
  count_in(pairs_, pair, now);
  count_in(accounts_, account, now);
  count_in(addresses_, address, now);
  return 0;
}

void LoginThrottle::succeeded(std::string_view account, std::string_view address, int64_t now) {
  std::lock_guard lock(mu_);
  // The account's own failures end where the good password came from; elsewhere they
  // stay counted (an agent logging in does not reset a guesser's count elsewhere), but
  // this attempt is given back.
  pairs_.erase(pair_key(account, address));
  give_back(accounts_, account, now);
  give_back(addresses_, address, now);
}

void LoginThrottle::unchecked(std::string_view account, std::string_view address, int64_t now) {
  std::lock_guard lock(mu_);
  give_back(pairs_, pair_key(account, address), now);
  give_back(accounts_, account, now);
  give_back(addresses_, address, now);
}

}  // namespace mailcase::console

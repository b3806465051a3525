// Failed console logins counted per account and client address, per client address, and
// per account, so that guessing a password costs an attacker days, not minutes (issue:
// console). Fixed windows of `window_seconds`: at most `per_account` failures for one
// account from one address, `per_address` from one address over all accounts, and
// `per_account_all` for one account from all addresses together; past any, such logins
// are refused until the window ends. An account is not locked for everyone by a few wrong
// passwords from one address (anyone who knows an agent's address could keep them out):
// only by `per_account_all`, which takes several addresses, each within its own limits. Kept in memory per
// node (a restart forgets them). Thread-safe. Time is passed in, so the rule is tested without waiting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mailcase::console {

class LoginThrottle {
 public:
  // Each table holds at most max_keys entries (attacker-chosen accounts and addresses
  // must not grow memory without bound); when full of live windows, a new key is refused
  // rather than an old one forgotten, which an attacker could use to reset a count.
  LoginThrottle(int per_account, int per_address, int64_t window_seconds, size_t max_keys = 100'000,
                int per_account_all = 100);

  // Takes a login attempt for account from address at now. 0 when it may be tried: it is
  // then counted as a failure at once, before its password is checked, so that guesses
  // sent together cannot all pass this check while the first are being verified (a
  // burst checks no more passwords than the limits allow). succeeded() or unchecked()
  // gives it back, given the same `now`. Else the seconds until one may be tried (for
  // Retry-After), and nothing is counted. account: the normalized email typed.
  int64_t begin_attempt(std::string_view account, std::string_view address, int64_t now);
  // The attempt begun was a good password: the account's count from this address ends;
  // the account's count from everywhere and the address's are given this attempt back,
  // not their failures (an agent logging in must not hide a guesser elsewhere, nor one
  // agent another's guessing from a shared office address).
  void succeeded(std::string_view account, std::string_view address, int64_t now);
  // The attempt begun checked no password (the store or the password checks were busy):
  // given back to every count.
  void unchecked(std::string_view account, std::string_view address, int64_t now);
  // What begin_attempt would answer, counting nothing: for a page that only shows it.
  int64_t wait_seconds(std::string_view account, std::string_view address, int64_t now);

 private:
  struct Window {
    int64_t start = 0;
    int count = 0;
  };
  using Table = std::unordered_map<std::string, Window>;
  int64_t wait_in(Table& t, std::string_view key, int limit, int64_t now);
  void count_in(Table& t, std::string_view key, int64_t now);
  void give_back(Table& t, std::string_view key, int64_t now);
  void prune(Table& t, int64_t now);

  // The key of an account tried from an address in pairs_.
  static std::string pair_key(std::string_view account, std::string_view address);

  const int per_account_;
  const int per_address_;
  const int per_account_all_;
  const int64_t window_;
  const size_t max_keys_;
  std::mutex mu_;
  Table pairs_;     // account and address: per_account
  Table accounts_;  // account from anywhere: per_account_all
  Table addresses_;
};

}  // namespace mailcase::console

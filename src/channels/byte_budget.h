// A number of bytes shared by the sessions of a server: the LMTP listener's budget for
// the mails its sessions hold in memory at once (lmtp.max_buffered_bytes). A session
// holds a Reservation and resizes it as its buffer grows or shrinks; whatever it holds
// goes back to the budget when it shrinks or is destroyed, however the session ended.
//
// When the budget is short, a reservation may wait a moment for others to give bytes
// back (resize_waiting) rather than fail at once: a mail that meets another one being
// committed then waits for it instead of being refused. Of reservations waiting at once,
// the one holding most waits on and the others give way (fail at once, and their
// sessions give their bytes back), so that two mails growing together end with the
// larger kept rather than both refused while each waits for the other.
//
// Threading: any number of reservations of one budget may be resized at once from
// different threads (one reservation by one thread at a time). The budget outlives its
// reservations.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

namespace mailcase::channels {

class ByteBudget {
 public:
  explicit ByteBudget(uint64_t total) : total_(total), free_(total) {}
  ByteBudget(const ByteBudget&) = delete;
  ByteBudget& operator=(const ByteBudget&) = delete;

  uint64_t total() const { return total_; }
  // Bytes no reservation holds now.
  uint64_t free() const {
    std::lock_guard lock(mu_);
    return free_;
  }

  class Reservation {
   public:
    explicit Reservation(ByteBudget& budget) : budget_(budget) {}
    ~Reservation() { resize(0); }
    Reservation(const Reservation&) = delete;
    Reservation& operator=(const Reservation&) = delete;

    // Holds `bytes` from now on. True when it does (giving bytes back always succeeds);
    // false, still holding what it held, when the budget has not that many free.
    bool resize(uint64_t bytes) {
      std::lock_guard lock(budget_.mu_);
      return budget_.take(*this, bytes);
    }
    // The same, but when the budget is short, waits up to `wait` for other reservations
    // to give bytes back, unless another reservation waiting holds more than this one
    // (or as much and waited first): then it gives way, false at once.
    bool resize_waiting(uint64_t bytes, std::chrono::milliseconds wait) {
      std::unique_lock lock(budget_.mu_);
      if (budget_.take(*this, bytes)) return true;
      const auto until = std::chrono::steady_clock::now() + wait;
      auto& waiting = budget_.waiting_;
      waiting.push_back(this);
      budget_.changed_.notify_all();  // a smaller waiter may have to give way now
      bool taken = false;
      for (;;) {
        if (budget_.take(*this, bytes)) {
          taken = true;
          break;
        }
        if (!budget_.first_waiter(*this)) break;
        if (budget_.changed_.wait_until(lock, until) == std::cv_status::timeout) {
          taken = budget_.take(*this, bytes);
          break;
        }
      }
      waiting.erase(std::find(waiting.begin(), waiting.end(), this));
      budget_.changed_.notify_all();
      return taken;
    }
    uint64_t held() const {
      std::lock_guard lock(budget_.mu_);
      return held_;
    }

   private:
    friend class ByteBudget;
    ByteBudget& budget_;
    uint64_t held_ = 0;  // under budget_.mu_
  };

 private:
  // Under mu_.
  bool take(Reservation& r, uint64_t bytes) {
    if (bytes <= r.held_) {
      free_ += r.held_ - bytes;
      if (bytes < r.held_) changed_.notify_all();
    } else {
      if (free_ < bytes - r.held_) return false;
      free_ -= bytes - r.held_;
    }
    r.held_ = bytes;
    return true;
  }
  // Under mu_: whether r goes first of the reservations waiting: none holds more, and
  // none that holds as much began to wait before it.
  bool first_waiter(const Reservation& r) const {
    bool earlier = true;  // w began to wait before r
    for (const Reservation* w : waiting_) {
      if (w == &r) {
        earlier = false;
        continue;
      }
      if (w->held_ > r.held_ || (w->held_ == r.held_ && earlier)) return false;
    }
    return true;
  }

  const uint64_t total_;
  mutable std::mutex mu_;
  std::condition_variable changed_;  // bytes given back, or the waiters changed
  uint64_t free_;
  std::vector<const Reservation*> waiting_;  // in the order they began to wait
};

}  // namespace mailcase::channels

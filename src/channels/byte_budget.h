// A number of bytes shared by the sessions of a server: the LMTP listener's budget for
// the mails its sessions hold in memory at once (lmtp.max_buffered_bytes). A session
// holds a Reservation and resizes it as its buffer grows or shrinks; whatever it holds
// goes back to the budget when it shrinks or is destroyed, however the session ended.
//
// Threading: any number of reservations of one budget may be resized at once from
// different threads (one reservation by one thread at a time). The budget outlives its
// reservations.
#pragma once

#include <atomic>
#include <cstdint>

namespace mailcase::channels {

class ByteBudget {
 public:
  explicit ByteBudget(uint64_t total) : total_(total), free_(total) {}
  ByteBudget(const ByteBudget&) = delete;
  ByteBudget& operator=(const ByteBudget&) = delete;

  uint64_t total() const { return total_; }
  // Bytes no reservation holds now.
  uint64_t free() const { return free_.load(); }

  class Reservation {
   public:
    explicit Reservation(ByteBudget& budget) : budget_(budget) {}
    ~Reservation() { resize(0); }
    Reservation(const Reservation&) = delete;
    Reservation& operator=(const Reservation&) = delete;

    // Holds `bytes` from now on. True when it does (giving bytes back always succeeds);
    // false, still holding what it held, when the budget has not that many free.
    bool resize(uint64_t bytes) {
      if (bytes <= held_) {
        budget_.free_.fetch_add(held_ - bytes);
      } else {
        const uint64_t more = bytes - held_;
        uint64_t free = budget_.free_.load();
        do {
          if (free < more) return false;
        } while (!budget_.free_.compare_exchange_weak(free, free - more));
      }
      held_ = bytes;
      return true;
    }
    uint64_t held() const { return held_; }

   private:
    ByteBudget& budget_;
    uint64_t held_ = 0;
  };

 private:
  const uint64_t total_;
  std::atomic<uint64_t> free_;
};

}  // namespace mailcase::channels

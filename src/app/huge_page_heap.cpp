#include "app/huge_page_heap.h"

#ifdef MAILCASE_TCMALLOC
#include <gperftools/malloc_extension.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <new>

namespace mailcase::app {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

// Wraps tcmalloc's own system allocator (sbrk, then mmap). Called under tcmalloc's page
// heap lock: it must not allocate from the heap, and does not.
class HugePageSysAllocator final : public SysAllocator {
 public:
  explicit HugePageSysAllocator(SysAllocator* system) : system_(system) {}

  void* Alloc(size_t size, size_t* actual_size, size_t alignment) override {
    size_t got = 0;
    // tcmalloc grows its heap by at least 1 MiB at a time and uses all it is given
    // (actual_size), so rounding up to whole huge pages wastes no address space it would
    // not have asked for soon after; its metadata comes here too, in small pieces, and is
    // left as it was.
    if (size >= kHugePage / 2) {
      const size_t whole = (size + kHugePage - 1) & ~(kHugePage - 1);
      if (void* p = system_->Alloc(whole, &got, std::max(alignment, kHugePage))) {
        (void)madvise(p, got, MADV_HUGEPAGE);
        if (actual_size != nullptr) *actual_size = got;
        return p;
      }
    }
    void* p = system_->Alloc(size, &got, alignment);
    if (p != nullptr && actual_size != nullptr) *actual_size = got;
    return p;
  }

 private:
  SysAllocator* system_;
};

}  // namespace

void back_heap_with_huge_pages() {
  MallocExtension* tcmalloc = MallocExtension::instance();
  SysAllocator* system = tcmalloc->GetSystemAllocator();
  if (system == nullptr) return;
  // Lives as long as the process: tcmalloc keeps calling it until exit.
  alignas(HugePageSysAllocator) static unsigned char storage[sizeof(HugePageSysAllocator)];
  tcmalloc->SetSystemAllocator(new (storage) HugePageSysAllocator(system));
}

}  // namespace mailcase::app
#endif  // MAILCASE_TCMALLOC

#pragma once

namespace mailcase::app {

// Backs tcmalloc's heap with transparent huge pages where the kernel grants them on request
// (transparent_hugepage "madvise", Debian's default): each region tcmalloc takes from the
// system is whole 2 MiB pages, aligned on them, advised MADV_HUGEPAGE. A first touch of a
// 4 KiB page costs a fault each; on a virtual machine a fault costs 15-18 us (measured on
// the 2-core hosts of README's "Speed"), and an import of 10,000 mails faulted in ~5,300 heap
// pages. A huge page is one fault for 512 of them. Call first thing in main(), before
// threads start, in a build linked with tcmalloc only (MAILCASE_TCMALLOC: not the
// sanitizers' builds). Where the kernel refuses the advice the heap stays in 4 KiB pages.
void back_heap_with_huge_pages();

}  // namespace mailcase::app

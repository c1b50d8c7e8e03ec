// Heap settings for services that receive message bodies of up to tens of
// MiB from many threads at once.
//
// glibc serves a block above its mmap threshold (128 KiB at start, raised as
// such blocks are freed, to 32 MiB at most) with a fresh mmap, and gives free
// memory at the top of the heap back to the kernel beyond twice that. With
// bodies of a MiB arriving on twenty connections the heap grows and shrinks
// all the time, and every message faults in zeroed pages: `clear_page_erms`
// was half of the mailstore's CPU samples at 1 MiB bodies.
#ifndef CMTP_LIB_COMMON_LARGE_BUFFERS_H_
#define CMTP_LIB_COMMON_LARGE_BUFFERS_H_

#include <cstddef>

namespace cmtp {

inline constexpr size_t kLargeBufferMmapThreshold = size_t{64} << 20;
inline constexpr size_t kLargeBufferTrimThreshold = size_t{32} << 20;

// Serves blocks up to `mmap_threshold` from the heap and keeps up to
// `trim_threshold` of free memory at its top for the next message. Leaves
// glibc's settings alone when GLIBC_TUNABLES sets either (the operator's
// choice wins). Returns whether the settings were applied.
bool KeepLargeBuffersInTheHeap(size_t mmap_threshold = kLargeBufferMmapThreshold,
                               size_t trim_threshold = kLargeBufferTrimThreshold);

}  // namespace cmtp

#endif  // CMTP_LIB_COMMON_LARGE_BUFFERS_H_

#include "lib/common/large_buffers.h"

#include <malloc.h>

#include <cstdlib>
#include <string_view>

namespace cmtp {

bool KeepLargeBuffersInTheHeap(size_t mmap_threshold, size_t trim_threshold) {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr) {
    const std::string_view set(tunables);
    if (set.find("malloc.mmap_threshold") != std::string_view::npos ||
        set.find("malloc.trim_threshold") != std::string_view::npos) {
      return false;
    }
  }
  // Setting either turns glibc's dynamic adjustment of both off.
  return mallopt(M_MMAP_THRESHOLD, static_cast<int>(mmap_threshold)) == 1 &&
         mallopt(M_TRIM_THRESHOLD, static_cast<int>(trim_threshold)) == 1;
}

}  // namespace cmtp

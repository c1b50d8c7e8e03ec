// The heap settings for large message bodies, and the operator's
// GLIBC_TUNABLES taking precedence over them.
#include "lib/common/large_buffers.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <memory>

// AddressSanitizer replaces glibc's malloc: mallopt has nothing to set there.
#if defined(__SANITIZE_ADDRESS__)
#define CMTP_GLIBC_MALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CMTP_GLIBC_MALLOC 0
#endif
#endif
#ifndef CMTP_GLIBC_MALLOC
#define CMTP_GLIBC_MALLOC 1
#endif

namespace cmtp {
namespace {

TEST(LargeBuffersTest, AppliesWithoutTunablesAndBuffersAreUsable) {
  unsetenv("GLIBC_TUNABLES");
  EXPECT_EQ(KeepLargeBuffersInTheHeap(), CMTP_GLIBC_MALLOC == 1);
  // A body-sized block from the heap, written through and freed.
  constexpr size_t kSize = size_t{4} << 20;
  auto block = std::make_unique<char[]>(kSize);
  std::memset(block.get(), 0x5a, kSize);
  EXPECT_EQ(block[kSize - 1], 0x5a);
}

TEST(LargeBuffersTest, TheOperatorsTunablesWin) {
  for (const char* tunables :
       {"glibc.malloc.mmap_threshold=1048576", "glibc.malloc.trim_threshold=0",
        "glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=131072"}) {
    setenv("GLIBC_TUNABLES", tunables, 1);
    EXPECT_FALSE(KeepLargeBuffersInTheHeap()) << tunables;
  }
  setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2", 1);
  EXPECT_EQ(KeepLargeBuffersInTheHeap(), CMTP_GLIBC_MALLOC == 1)
      << "other tunables leave these to us";
  unsetenv("GLIBC_TUNABLES");
}

}  // namespace
}  // namespace cmtp

// The heap settings for large message bodies, and the operator's
// GLIBC_TUNABLES taking precedence over them.
#include "lib/common/large_buffers.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <memory>

namespace cmtp {
namespace {

TEST(LargeBuffersTest, AppliesWithoutTunablesAndBuffersAreUsable) {
  unsetenv("GLIBC_TUNABLES");
  EXPECT_TRUE(KeepLargeBuffersInTheHeap());
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
  EXPECT_TRUE(KeepLargeBuffersInTheHeap()) << "other tunables leave these to us";
  unsetenv("GLIBC_TUNABLES");
}

}  // namespace
}  // namespace cmtp

// Shared pieces of the gateway tests: the reference accounts, connecting
// past the banner, and checking status signatures.
#ifndef CMTP_TESTS_UNIT_GATEWAY_TEST_UTIL_H_
#define CMTP_TESTS_UNIT_GATEWAY_TEST_UTIL_H_

#include <memory>
#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "lib/crypto/sodium.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/unit/gateway/gateway_harness.h"
#include "tests/unit/gateway/test_client.h"
#include "tests/unit/gateway/test_requests.h"

namespace cmtp::gateway::testing {

inline const std::string kBannerBytes("Welcome to CMTP version < 1\n\0", 29);

inline std::string Vector(const std::string& name) {
  return cmtp::testing::ReadFileOrDie(cmtp::testing::VectorPath(name));
}

// bob and alice of the reference capture (alice with her v1 xzibit).
inline void AddReferenceAccounts(GatewayHarness& harness) {
  FakeAccount bob;
  bob.public_key = Vector("bob_public.key");
  harness.keys().AddAccount("bob", bob);
  FakeAccount alice;
  alice.public_key = Vector("alice_public.key");
  alice.xzibit = Vector("alice.xzibit");
  harness.keys().AddAccount("alice", alice);
}

inline std::unique_ptr<TestClient> ConnectAndGreet(
    const GatewayHarness& harness, const std::string& host = "127.0.0.1") {
  auto client = std::make_unique<TestClient>(harness.port(), host);
  EXPECT_EQ(client->ReadBanner(), kBannerBytes);
  return client;
}

inline ::testing::AssertionResult SignedByServer(const GatewayHarness& harness,
                                                 const ParsedStatus& status,
                                                 std::string_view request_bytes) {
  if (!status.complete) return ::testing::AssertionFailure() << "incomplete status reply";
  bool success = status.word == "SUCCESS";
  if (!success && status.word != "FAILURE") {
    return ::testing::AssertionFailure() << "not a status word: " << status.word;
  }
  if (!crypto::Verify(harness.server_key().public_key,
                      ExpectedStatusSignedBytes(success, request_bytes, status.detail),
                      status.signature)) {
    return ::testing::AssertionFailure()
           << "signature does not verify over the request (detail \"" << status.detail
           << "\")";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace cmtp::gateway::testing

#endif  // CMTP_TESTS_UNIT_GATEWAY_TEST_UTIL_H_

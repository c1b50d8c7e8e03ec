// Two complete suites side by side, alpha.test and beta.test, with alice on
// alpha and bob on beta, for the federation tests. Each test gets fresh
// processes and folders; the folders stay behind (and are named) when a test
// fails, with the tail of every log printed.
#ifndef CMTP_TESTS_FEDERATION_FEDERATION_TEST_H_
#define CMTP_TESTS_FEDERATION_FEDERATION_TEST_H_

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/federation/cli_user.h"
#include "tests/federation/domain_suite.h"
#include "tests/support/process.h"

namespace cmtp::federation {

inline constexpr char kAlphaDomain[] = "alpha.test";
inline constexpr char kBetaDomain[] = "beta.test";
inline constexpr char kAlice[] = "alice@alpha.test";
inline constexpr char kBob[] = "bob@beta.test";

// Long enough for a relay's first retry; short enough to fail a test fast.
inline constexpr std::chrono::seconds kDeliveryPatience{20};

class FederationTest : public ::testing::Test {
 protected:
  FederationTest();
  ~FederationTest() override;

  // Each relay finds the other domain through the static map.
  void UseStaticPeers();
  // Starts both suites and registers alice and bob; fails the test (fatally,
  // through ASSERT in the caller) when anything does not come up.
  ::testing::AssertionResult StartBothAndRegister();

  // cmtpctl against `suite` (its relay.port etc. through --state-dir).
  cmtp::testing::CommandResult Ctl(const DomainSuite& suite,
                                   std::vector<std::string> args) const;

  // bob's key as alice learns it (through both servers, checked to agree),
  // fetched while beta is up so that nothing later needs to ask beta before
  // a mail is queued; empty (with a failure recorded) when it is not hex.
  std::string BobsKeyForAlice();

  std::string dir_;
  std::unique_ptr<DomainSuite> alpha_;
  std::unique_ptr<DomainSuite> beta_;
  std::unique_ptr<CliUser> alice_;
  std::unique_ptr<CliUser> bob_;
};

// gtest's view of a finished command: the exit code, with both outputs when
// it is not the expected one.
::testing::AssertionResult Exited(const cmtp::testing::CommandResult& result, int code);

// True when `text` contains `part`; the whole text otherwise.
::testing::AssertionResult Contains(const std::string& text, const std::string& part);

}  // namespace cmtp::federation

#endif  // CMTP_TESTS_FEDERATION_FEDERATION_TEST_H_

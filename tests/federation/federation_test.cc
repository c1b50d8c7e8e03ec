#include "tests/federation/federation_test.h"

#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "lib/crypto/sodium.h"
#include "tests/federation/mail_checks.h"
#include "tests/support/ports.h"

namespace cmtp::federation {

FederationTest::FederationTest() : dir_(cmtp::testing::MakeTempDir("cmtp-federation-")) {
  std::filesystem::create_directories(dir_ + "/alpha");
  std::filesystem::create_directories(dir_ + "/beta");
  alpha_ = std::make_unique<DomainSuite>(kAlphaDomain, dir_ + "/alpha");
  beta_ = std::make_unique<DomainSuite>(kBetaDomain, dir_ + "/beta");
  alice_ = std::make_unique<CliUser>(kAlice, dir_ + "/alice");
  bob_ = std::make_unique<CliUser>(kBob, dir_ + "/bob");
}

FederationTest::~FederationTest() {
  if (HasFailure()) {
    for (const DomainSuite* suite : {alpha_.get(), beta_.get()}) {
      for (const char* service : {"relay", "gateway"}) {
        std::fprintf(stderr, "---- %s %s log (tail) ----\n%s\n", suite->domain().c_str(),
                     service, suite->LogTail(service).c_str());
      }
    }
    std::fprintf(stderr, "federation test files kept in %s\n", dir_.c_str());
  }
  alpha_.reset();
  beta_.reset();
  if (!HasFailure()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

void FederationTest::UseStaticPeers() {
  alpha_->relay_setup().static_peers =
      absl::StrCat(kBetaDomain, "=", beta_->gateway_address());
  beta_->relay_setup().static_peers =
      absl::StrCat(kAlphaDomain, "=", alpha_->gateway_address());
}

::testing::AssertionResult FederationTest::StartBothAndRegister() {
  if (!alpha_->Start())
    return ::testing::AssertionFailure() << "alpha.test did not start";
  if (!beta_->Start()) return ::testing::AssertionFailure() << "beta.test did not start";
  for (auto [user, suite] :
       {std::pair{alice_.get(), alpha_.get()}, std::pair{bob_.get(), beta_.get()}}) {
    cmtp::testing::CommandResult registered = user->Register(suite->gateway_address());
    if (registered.exit_code != 0) {
      return ::testing::AssertionFailure()
             << user->address() << " could not register: " << registered.err;
    }
  }
  return ::testing::AssertionSuccess();
}

cmtp::testing::CommandResult FederationTest::Ctl(const DomainSuite& suite,
                                                 std::vector<std::string> args) const {
  std::vector<std::string> argv = {
      absl::StrCat(CMTP_BINARY_DIR, "/tools/cmtpctl/cmtpctl")};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--state-dir", suite.state_dir(), "--timeout-seconds", "10"});
  return cmtp::testing::RunCommand(argv, "", {}, std::chrono::seconds(30));
}

::testing::AssertionResult Exited(const cmtp::testing::CommandResult& result, int code) {
  if (result.exit_code == code) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "exit code " << result.exit_code << " (expected " << code << ")\nstdout:\n"
         << result.out << "\nstderr:\n"
         << result.err;
}

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << part << "\" not in:\n" << text;
}

std::string FederationTest::BobsKeyForAlice() {
  ExpectSameKeyThroughBothServers(*alice_, *bob_, kBob);
  cmtp::testing::CommandResult key = bob_->Cmtp({"key", kBob});
  absl::StatusOr<std::string> bytes = crypto::FromHex(key.out.substr(0, 64));
  EXPECT_TRUE(bytes.ok()) << key.out;
  return bytes.ok() ? *bytes : std::string();
}

}  // namespace cmtp::federation

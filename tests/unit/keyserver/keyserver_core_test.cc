#include "services/keyserver/keyserver_core.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "lib/crypto/protocol_signatures.h"
#include "lib/crypto/sodium.h"
#include "lib/crypto/xzibit.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/unit/keyserver/redis_fixture.h"
#include "tests/unit/keyserver/test_accounts.h"

namespace cmtp::keyserver {
namespace {

using test::kDomain;
using test::MakeV2User;
using test::NewUser;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr int64_t kStartMs = 1'700'000'000'000;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// Checks the 102-byte layout and the server's signature over the key.
void ExpectKeyBlock(const std::string& block, const std::string& key,
                    const std::string& server_public_key) {
  ASSERT_EQ(block.size(), 102u);
  EXPECT_EQ(block.substr(0, 4), std::string("\0\0\0\1", 4));
  EXPECT_EQ(block.substr(4, 32), key);
  EXPECT_EQ(block[36], '\0');
  EXPECT_TRUE(crypto::Verify(server_public_key, key, block.substr(37, 64)));
  EXPECT_EQ(block[101], '\0');
}

class KeyServerCoreTest : public test::RedisTest {
 protected:
  std::unique_ptr<KeyServerCore> MakeCore(KeyServerOptions options,
                                          crypto::KeyPair server_key) {
    return std::make_unique<KeyServerCore>(
        redis(), std::move(server_key), std::move(options), [this] { return now_ms_; });
  }
  std::unique_ptr<KeyServerCore> MakeCore(KeyServerOptions options) {
    return MakeCore(std::move(options), crypto::GenerateKeyPair());
  }
  static KeyServerOptions Options() {
    KeyServerOptions options;
    options.domain = kDomain;
    return options;
  }
  bool AccountStored(const std::string& account) {
    return Cli({"EXISTS", "cmtp:acct:{" + account + "}"}) == "1" ||
           Cli({"SISMEMBER", "cmtp:accounts", account}) == "1";
  }
  std::string LoginProof(const KeyServerCore& core, const crypto::KeyPair& login_key,
                         const std::string& account, const std::string& challenge) {
    return crypto::Sign(
        login_key.secret_key.view(),
        crypto::LoginSignedBytes(account, kDomain, challenge, core.server_public_key()));
  }
  std::string AuthProof(const crypto::KeyPair& identity, const std::string& account,
                        const std::string& challenge, const std::string& server_pk) {
    return crypto::Sign(identity.secret_key.view(),
                        crypto::AuthSignedBytes(account, kDomain, challenge, server_pk));
  }

  int64_t now_ms_ = kStartMs;
};

// ---- Register ----------------------------------------------------------

TEST_F(KeyServerCoreTest, RegisterWithValidProofStoresTheAccount) {
  auto core = MakeCore(Options());
  NewUser bob = MakeV2User("bob", kDomain);
  absl::StatusOr<int64_t> created = core->Register(bob.request);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(*created, kStartMs);

  EXPECT_EQ(Cli({"SISMEMBER", "cmtp:accounts", "bob"}), "1");
  EXPECT_EQ(Cli({"HGET", "cmtp:acct:{bob}", "xzibit_version"}), "2");
  EXPECT_EQ(Cli({"HGET", "cmtp:acct:{bob}", "created_ms"}), std::to_string(kStartMs));
  EXPECT_EQ(Cli({"HGET", "cmtp:acct:{bob}", "disabled"}), "0");
  EXPECT_EQ(Cli({"HSTRLEN", "cmtp:acct:{bob}", "public_key"}), "32");
  EXPECT_EQ(Cli({"HSTRLEN", "cmtp:acct:{bob}", "login_public_key"}), "32");
  EXPECT_EQ(Cli({"HSTRLEN", "cmtp:acct:{bob}", "xzibit"}),
            std::to_string(bob.request.xzibit.size()));

  absl::StatusOr<KeyBlock> block = core->AccountKey("bob");
  ASSERT_TRUE(block.ok()) << block.status();
  EXPECT_EQ(block->public_key, bob.identity.public_key);
  ExpectKeyBlock(block->block, bob.identity.public_key, core->server_public_key());
}

TEST_F(KeyServerCoreTest, ForgedProofIsRefusedAndNothingIsStored) {
  auto core = MakeCore(Options());
  NewUser bob = MakeV2User("bob", kDomain);

  Registration signed_by_other = bob.request;
  signed_by_other.signature =
      test::SignRegistration(crypto::GenerateKeyPair(), bob.request);
  Registration other_domain_signed = bob.request;
  {
    Registration as_signed = bob.request;
    as_signed.domain = "elsewhere.org";
    other_domain_signed.signature = test::SignRegistration(bob.identity, as_signed);
  }
  Registration swapped_xzibit = bob.request;
  swapped_xzibit.xzibit = MakeV2User("bob", kDomain).request.xzibit;
  Registration swapped_login_key = bob.request;
  swapped_login_key.login_public_key = crypto::GenerateKeyPair().public_key;
  Registration short_signature = bob.request;
  short_signature.signature.resize(63);

  for (const Registration* forged :
       {&signed_by_other, &other_domain_signed, &swapped_xzibit, &swapped_login_key,
        &short_signature}) {
    absl::StatusOr<int64_t> created = core->Register(*forged);
    EXPECT_EQ(created.status().code(), absl::StatusCode::kUnauthenticated);
  }
  EXPECT_FALSE(AccountStored("bob"));
  EXPECT_EQ(Cli({"DBSIZE"}), "0");
}

TEST_F(KeyServerCoreTest, DuplicateNameIsAlreadyExistsAndKeepsTheFirstKey) {
  auto core = MakeCore(Options());
  NewUser first = MakeV2User("bob", kDomain);
  NewUser second = MakeV2User("bob", kDomain);
  ASSERT_TRUE(core->Register(first.request).ok());
  absl::StatusOr<int64_t> again = core->Register(second.request);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(core->AccountKey("bob")->public_key, first.identity.public_key);
}

TEST_F(KeyServerCoreTest, InvitePolicyConsumesEachTokenOnce) {
  KeyServerOptions options = Options();
  options.registration = RegistrationPolicy::kInvite;
  auto core = MakeCore(options);

  NewUser bob = MakeV2User("bob", kDomain);
  absl::StatusOr<int64_t> without = core->Register(bob.request);
  EXPECT_EQ(without.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(Message(without.status()), HasSubstr("invite token"));

  bob.request.invite_token = std::string(32, 'a');
  EXPECT_EQ(core->Register(bob.request).status().code(),
            absl::StatusCode::kPermissionDenied);
  bob.request.invite_token = "../../not-a-token";
  EXPECT_EQ(core->Register(bob.request).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(AccountStored("bob"));

  absl::StatusOr<Invite> invite = core->CreateInvite(0);
  ASSERT_TRUE(invite.ok()) << invite.status();
  bob.request.invite_token = invite->token;
  ASSERT_TRUE(core->Register(bob.request).ok());
  EXPECT_EQ(Cli({"EXISTS", "cmtp:invite:" + invite->token}), "0");

  NewUser carol = MakeV2User("carol", kDomain);
  carol.request.invite_token = invite->token;
  absl::StatusOr<int64_t> reused = core->Register(carol.request);
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(Message(reused.status()), HasSubstr("unknown, used or expired"));
  EXPECT_FALSE(AccountStored("carol"));
}

TEST_F(KeyServerCoreTest, InviteIsNotConsumedWhenTheNameIsTaken) {
  KeyServerOptions options = Options();
  options.registration = RegistrationPolicy::kInvite;
  auto core = MakeCore(options);
  NewUser bob = MakeV2User("bob", kDomain);
  bob.request.invite_token = core->CreateInvite(0)->token;
  ASSERT_TRUE(core->Register(bob.request).ok());

  std::string token = core->CreateInvite(0)->token;
  NewUser impostor = MakeV2User("bob", kDomain);
  impostor.request.invite_token = token;
  EXPECT_EQ(core->Register(impostor.request).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Cli({"EXISTS", "cmtp:invite:" + token}), "1");

  NewUser carol = MakeV2User("carol", kDomain);
  carol.request.invite_token = token;
  EXPECT_TRUE(core->Register(carol.request).ok());
}

TEST_F(KeyServerCoreTest, AdminOnlyPolicyRefusesRegisterButNotTheOperator) {
  KeyServerOptions options = Options();
  options.registration = RegistrationPolicy::kAdminOnly;
  auto core = MakeCore(options);
  NewUser bob = MakeV2User("bob", kDomain);
  absl::StatusOr<int64_t> refused = core->Register(bob.request);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Message(refused.status()), "registration is admin-only on this server");
  EXPECT_FALSE(AccountStored("bob"));

  absl::StatusOr<int64_t> created = core->CreateAccount(bob.request, false, 0);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(*created, kStartMs);
  EXPECT_TRUE(core->AccountKey("bob").ok());
}

TEST_F(KeyServerCoreTest, BadNamesAreRefusedWithTheReason) {
  auto core = MakeCore(Options());
  for (const std::string& name :
       std::vector<std::string>{"Bob", "", std::string(65, 'b'), "b b", "b:b"}) {
    NewUser user = MakeV2User("placeholder", kDomain);
    user.request.account = name;
    user.request.signature = test::SignRegistration(user.identity, user.request);
    absl::StatusOr<int64_t> created = core->Register(user.request);
    EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
  NewUser upper = MakeV2User("Bob", kDomain);
  EXPECT_THAT(Message(core->Register(upper.request).status()), HasSubstr("lower-case"));
  EXPECT_EQ(Cli({"DBSIZE"}), "0");
}

TEST_F(KeyServerCoreTest, OtherDomainsArePermissionDeniedAndCaseDoesNotMatter) {
  auto core = MakeCore(Options());
  NewUser stranger = MakeV2User("bob", "other.org");
  absl::StatusOr<int64_t> refused = core->Register(stranger.request);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Message(refused.status()), "this server serves example.org");

  NewUser shouting = MakeV2User("bob", "EXAMPLE.ORG");
  EXPECT_TRUE(core->Register(shouting.request).ok());
}

TEST_F(KeyServerCoreTest, WrongSizesAndUnparsableXzibitsAreInvalidInput) {
  auto core = MakeCore(Options());
  NewUser bob = MakeV2User("bob", kDomain);
  auto resigned = [&](Registration request) {
    request.signature = test::SignRegistration(bob.identity, request);
    return request;
  };
  std::vector<std::pair<std::string, Registration>> cases;
  {
    Registration r = bob.request;
    r.public_key.pop_back();
    cases.emplace_back("short public key", r);
  }
  {
    Registration r = bob.request;
    r.login_public_key.pop_back();
    cases.emplace_back("short login key", resigned(r));
  }
  {
    Registration r = bob.request;
    r.login_public_key = std::string(32, '\0');
    cases.emplace_back("v2 without login key", resigned(r));
  }
  {
    Registration r = bob.request;
    r.login_public_key.clear();
    cases.emplace_back("v2 with empty login key", resigned(r));
  }
  {
    Registration r = bob.request;
    r.xzibit = "not an xzibit";
    cases.emplace_back("garbage xzibit", resigned(r));
  }
  {
    Registration r = bob.request;
    r.xzibit.clear();
    cases.emplace_back("missing xzibit", resigned(r));
  }
  {
    Registration r = bob.request;
    r.xzibit = bob.request.xzibit + std::string(5000, 'x');
    cases.emplace_back("oversize xzibit", resigned(r));
  }
  {
    Registration r = bob.request;
    r.xzibit = cmtp::testing::ReadFileOrDie(cmtp::testing::VectorPath("alice.xzibit"));
    cases.emplace_back("v1 xzibit with a login key", resigned(r));
  }
  for (const auto& [what, request] : cases) {
    absl::StatusOr<int64_t> created = core->Register(request);
    EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument)
        << what << ": " << created.status();
  }
  EXPECT_EQ(Cli({"DBSIZE"}), "0");
}

// ---- LOGIN, v1 ---------------------------------------------------------

class ReferenceAliceTest : public KeyServerCoreTest {
 protected:
  static KeyServerOptions HawaiiOptions() {
    KeyServerOptions options;
    options.domain = "hawaii.edu";
    return options;
  }
  // Imports alice as `cmtpctl import-reference` would: no proof exists.
  void ImportAlice(KeyServerCore& core) {
    Registration alice;
    alice.account = "alice";
    alice.domain = "hawaii.edu";
    alice.public_key = Vector("alice_public.key");
    alice.xzibit = Vector("alice.xzibit");
    absl::StatusOr<int64_t> created = core.CreateAccount(alice, true, 0);
    ASSERT_TRUE(created.ok()) << created.status();
  }
  static std::string Vector(const std::string& name) {
    return cmtp::testing::ReadFileOrDie(cmtp::testing::VectorPath(name));
  }
  static crypto::KeyPair ReferenceServerKey() {
    absl::StatusOr<crypto::KeyPair> key =
        crypto::KeyPairFromSecretKey(Vector("server_private.key"));
    if (!key.ok()) std::abort();
    return std::move(*key);
  }
};

TEST_F(ReferenceAliceTest, KeyBlocksAndLoginReplyMatchTheReferenceBytes) {
  auto core = MakeCore(HawaiiOptions(), ReferenceServerKey());
  ImportAlice(*core);
  EXPECT_EQ(core->ServerKey().block, Vector("keyreply_server.bin"));
  EXPECT_EQ(core->ServerKey().public_key, Vector("server_public.key"));
  EXPECT_EQ(core->AccountKey("alice")->block, Vector("keyreply_alice.bin"));

  absl::StatusOr<LoginStart> login = core->BeginLogin("alice", "127.0.0.1");
  ASSERT_TRUE(login.ok()) << login.status();
  EXPECT_EQ(login->xzibit_version, 1u);
  EXPECT_EQ(login->xzibit + login->signature, Vector("login_reply_alice.bin"));
}

TEST_F(ReferenceAliceTest, V1LoginSignatureVerifiesWithOurServerKey) {
  auto core = MakeCore(HawaiiOptions());
  ImportAlice(*core);
  absl::StatusOr<LoginStart> login = core->BeginLogin("alice", "127.0.0.1");
  ASSERT_TRUE(login.ok()) << login.status();
  EXPECT_EQ(login->xzibit, Vector("alice.xzibit"));
  EXPECT_TRUE(crypto::Verify(core->server_public_key(), login->xzibit, login->signature));
  EXPECT_FALSE(
      crypto::Verify(Vector("server_public.key"), login->xzibit, login->signature));
  ExpectKeyBlock(core->ServerKey().block, core->server_public_key(),
                 core->server_public_key());
}

TEST_F(ReferenceAliceTest, V1OpenLoginCanBeSwitchedOff) {
  KeyServerOptions options = HawaiiOptions();
  options.v1_open_login = false;
  auto core = MakeCore(options);
  ImportAlice(*core);
  absl::StatusOr<LoginStart> login = core->BeginLogin("alice", "127.0.0.1");
  EXPECT_EQ(login.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Message(login.status()),
            "open LOGIN for v1 accounts is disabled on this server");
  // The key itself is still published.
  EXPECT_TRUE(core->AccountKey("alice").ok());
}

TEST_F(ReferenceAliceTest, RegisterAcceptsAV1XzibitWithAZeroLoginKey) {
  auto core = MakeCore(HawaiiOptions());
  absl::StatusOr<crypto::KeyPair> identity =
      crypto::OpenXzibit(Vector("alice.xzibit"), "alicepw", "alice@hawaii.edu");
  ASSERT_TRUE(identity.ok()) << identity.status();
  Registration request;
  request.account = "alice";
  request.domain = "hawaii.edu";
  request.public_key = identity->public_key;
  request.xzibit = Vector("alice.xzibit");
  request.login_public_key = std::string(32, '\0');
  request.signature = test::SignRegistration(*identity, request);
  ASSERT_TRUE(core->Register(request).ok());
  EXPECT_EQ(Cli({"HGET", "cmtp:acct:{alice}", "xzibit_version"}), "1");
  EXPECT_EQ(core->BeginLogin("alice", "")->xzibit_version, 1u);
}

TEST_F(ReferenceAliceTest, ImportedAccountWithoutXzibitHasAKeyButNoLogin) {
  auto core = MakeCore(HawaiiOptions());
  Registration bob;
  bob.account = "bob";
  bob.public_key = Vector("bob_public.key");  // and an empty domain: ours
  ASSERT_TRUE(core->CreateAccount(bob, true, 1450000000000).ok());
  EXPECT_EQ(Cli({"HGET", "cmtp:acct:{bob}", "created_ms"}), "1450000000000");
  EXPECT_EQ(Cli({"HGET", "cmtp:acct:{bob}", "xzibit_version"}), "0");
  EXPECT_EQ(core->AccountKey("bob")->public_key, Vector("bob_public.key"));
  absl::StatusOr<LoginStart> login = core->BeginLogin("bob", "127.0.0.1");
  EXPECT_EQ(login.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Message(login.status()), "account has no sealed key pair on this server");
}

TEST_F(ReferenceAliceTest, ImportsStillCheckSizes) {
  auto core = MakeCore(HawaiiOptions());
  Registration bad;
  bad.account = "bob";
  bad.public_key = "short";
  EXPECT_EQ(core->CreateAccount(bad, true, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  bad.public_key = Vector("bob_public.key");
  bad.xzibit = "garbage";
  EXPECT_EQ(core->CreateAccount(bad, true, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(core->CreateAccount(bad, true, -5).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Cli({"DBSIZE"}), "0");
}

// ---- LOGIN, v2 ---------------------------------------------------------

TEST_F(KeyServerCoreTest, V2LoginReleasesTheXzibitToTheRightLoginKey) {
  auto core = MakeCore(Options());
  NewUser bob = MakeV2User("bob", kDomain, "bobs password");
  ASSERT_TRUE(core->Register(bob.request).ok());

  absl::StatusOr<LoginStart> start = core->BeginLogin("bob", "10.1.1.1:4000");
  ASSERT_TRUE(start.ok()) << start.status();
  EXPECT_EQ(start->xzibit_version, 2u);
  EXPECT_TRUE(start->xzibit.empty());
  EXPECT_TRUE(start->signature.empty());
  absl::StatusOr<crypto::XzibitInfo> info = crypto::InspectXzibit(bob.request.xzibit);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(start->salt, info->salt);
  EXPECT_EQ(start->opslimit, info->opslimit);
  EXPECT_EQ(start->memlimit, info->memlimit);

  // The client derives its login key from the password and what it got.
  absl::StatusOr<crypto::KeyPair> login_key = crypto::DeriveLoginKey(
      "bobs password", start->salt, start->opslimit, start->memlimit);
  ASSERT_TRUE(login_key.ok()) << login_key.status();
  EXPECT_EQ(login_key->public_key, bob.login_key.public_key);

  std::string challenge = crypto::RandomBytes(32);
  absl::StatusOr<SignedXzibit> released = core->CompleteLogin(
      "bob", challenge, LoginProof(*core, *login_key, "bob", challenge), "10.1.1.1:4000");
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(released->xzibit, bob.request.xzibit);
  EXPECT_TRUE(
      crypto::Verify(core->server_public_key(), released->xzibit, released->signature));
  absl::StatusOr<crypto::KeyPair> opened =
      crypto::OpenXzibit(released->xzibit, "bobs password", "bob@example.org");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->public_key, bob.identity.public_key);
}

TEST_F(KeyServerCoreTest, V2LoginRefusesWrongProofs) {
  auto core = MakeCore(Options());
  NewUser bob = MakeV2User("bob", kDomain, "right");
  ASSERT_TRUE(core->Register(bob.request).ok());
  std::string challenge = crypto::RandomBytes(32);

  absl::StatusOr<crypto::KeyPair> wrong_password_key =
      crypto::DeriveLoginKey("wrong", core->BeginLogin("bob", "")->salt,
                             crypto::InspectXzibit(bob.request.xzibit)->opslimit,
                             crypto::InspectXzibit(bob.request.xzibit)->memlimit);
  ASSERT_TRUE(wrong_password_key.ok());
  std::vector<std::pair<std::string, std::string>> proofs = {
      {"wrong password", LoginProof(*core, *wrong_password_key, "bob", challenge)},
      {"other challenge",
       LoginProof(*core, bob.login_key, "bob", crypto::RandomBytes(32))},
      {"identity key instead of login key",
       LoginProof(*core, bob.identity, "bob", challenge)},
      {"other server",
       crypto::Sign(bob.login_key.secret_key.view(),
                    crypto::LoginSignedBytes("bob", kDomain, challenge,
                                             crypto::GenerateKeyPair().public_key))},
      {"empty", ""}};
  for (const auto& [what, proof] : proofs) {
    absl::StatusOr<SignedXzibit> released =
        core->CompleteLogin("bob", challenge, proof, "");
    EXPECT_EQ(released.status().code(), absl::StatusCode::kUnauthenticated) << what;
    EXPECT_EQ(Message(released.status()), "wrong password") << what;
  }
  EXPECT_EQ(core->CompleteLogin("bob", "short", "", "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(core->CompleteLogin("nobody", challenge, "", "").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(KeyServerCoreTest, UnknownAccountsAreNotFound) {
  auto core = MakeCore(Options());
  EXPECT_EQ(core->AccountKey("nobody").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(core->AccountKey("No Body").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(core->BeginLogin("nobody", "").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(core->VerifyAuth("nobody", std::string(32, 'c'), std::string(64, 's')).code(),
            absl::StatusCode::kNotFound);
}

// ---- rate limits -------------------------------------------------------

int64_t RetryAfterSeconds(const absl::Status& status) {
  std::string text = Message(status);
  size_t at = text.find("try again in ");
  if (at == std::string::npos) return -1;
  std::string rest = text.substr(at + 13);
  int64_t seconds = -1;
  if (!absl::SimpleAtoi(rest.substr(0, rest.find(' ')), &seconds)) return -1;
  return seconds;
}

TEST_F(KeyServerCoreTest, RateLimitPerAccountKicksIn) {
  KeyServerOptions options = Options();
  options.login_limits = {.per_account = 3, .per_peer = 100, .window_seconds = 60};
  auto core = MakeCore(options);
  ASSERT_TRUE(core->Register(MakeV2User("bob", kDomain).request).ok());
  ASSERT_TRUE(core->Register(MakeV2User("carol", kDomain).request).ok());

  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(core->BeginLogin("bob", "10.0.0." + std::to_string(i)).ok()) << i;
  }
  absl::StatusOr<LoginStart> limited = core->BeginLogin("bob", "10.0.0.9");
  EXPECT_EQ(limited.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(Message(limited.status()),
              MatchesRegex("too many LOGIN attempts, try again in [0-9]+ s"));
  int64_t wait = RetryAfterSeconds(limited.status());
  EXPECT_GE(wait, 1);
  EXPECT_LE(wait, 60);
  EXPECT_EQ(
      core->CompleteLogin("bob", std::string(32, 'c'), "", "10.0.0.9").status().code(),
      absl::StatusCode::kResourceExhausted);
  // Another account is not affected, and the refused attempts charged no peer.
  EXPECT_TRUE(core->BeginLogin("carol", "10.0.0.9").ok());
  EXPECT_EQ(Cli({"GET", "cmtp:rl:peer:10.0.0.9"}), "1");

  // The window ends: attempts are allowed again.
  Cli({"DEL", "cmtp:rl:acct:bob"});
  EXPECT_TRUE(core->BeginLogin("bob", "10.0.0.9").ok());
}

TEST_F(KeyServerCoreTest, RateLimitCountersExpireWithTheirWindow) {
  KeyServerOptions options = Options();
  options.login_limits = {.per_account = 1, .per_peer = 1, .window_seconds = 1};
  auto core = MakeCore(options);
  ASSERT_TRUE(core->Register(MakeV2User("bob", kDomain).request).ok());
  EXPECT_TRUE(core->BeginLogin("bob", "10.0.0.1").ok());
  EXPECT_EQ(core->BeginLogin("bob", "10.0.0.1").status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(cmtp::testing::WaitFor(
      [&] { return core->BeginLogin("bob", "10.0.0.1").ok(); }, std::chrono::seconds(5)));
}

TEST_F(KeyServerCoreTest, WrongProofsCountAgainstTheAccountLimit) {
  KeyServerOptions options = Options();
  options.login_limits = {.per_account = 3, .per_peer = 0, .window_seconds = 300};
  auto core = MakeCore(options);
  NewUser bob = MakeV2User("bob", kDomain);
  ASSERT_TRUE(core->Register(bob.request).ok());
  std::string challenge = crypto::RandomBytes(32);
  std::string forged = LoginProof(*core, crypto::GenerateKeyPair(), "bob", challenge);

  ASSERT_TRUE(core->BeginLogin("bob", "10.0.0.1").ok());
  EXPECT_EQ(core->CompleteLogin("bob", challenge, forged, "10.0.0.1").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(core->CompleteLogin("bob", challenge, forged, "10.0.0.1").status().code(),
            absl::StatusCode::kUnauthenticated);
  // Even the right proof waits now: the guesser cannot tell it would work.
  absl::StatusOr<SignedXzibit> right = core->CompleteLogin(
      "bob", challenge, LoginProof(*core, bob.login_key, "bob", challenge), "10.0.0.1");
  EXPECT_EQ(right.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(KeyServerCoreTest, ASuccessfulLoginClearsTheAccountCounterOnly) {
  KeyServerOptions options = Options();
  options.login_limits = {.per_account = 3, .per_peer = 10, .window_seconds = 300};
  auto core = MakeCore(options);
  NewUser bob = MakeV2User("bob", kDomain);
  ASSERT_TRUE(core->Register(bob.request).ok());
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(core->BeginLogin("bob", "10.0.0.1").ok()) << round;
    std::string challenge = crypto::RandomBytes(32);
    ASSERT_TRUE(core->CompleteLogin("bob", challenge,
                                    LoginProof(*core, bob.login_key, "bob", challenge),
                                    "10.0.0.1")
                    .ok())
        << round;
  }
  EXPECT_EQ(Cli({"EXISTS", "cmtp:rl:acct:bob"}), "0");
  EXPECT_EQ(Cli({"GET", "cmtp:rl:peer:10.0.0.1"}), "6");
}

TEST_F(KeyServerCoreTest, RateLimitPerPeerKicksInAcrossAccounts) {
  KeyServerOptions options = Options();
  options.login_limits = {.per_account = 100, .per_peer = 3, .window_seconds = 300};
  auto core = MakeCore(options);
  for (const char* name : {"a1", "a2", "a3", "a4"}) {
    ASSERT_TRUE(core->Register(MakeV2User(name, kDomain).request).ok());
  }
  // Three connections from one host: ports and IPv4-mapped spelling differ.
  EXPECT_TRUE(core->BeginLogin("a1", "10.0.0.1:1111").ok());
  EXPECT_TRUE(core->BeginLogin("a2", "10.0.0.1:2222").ok());
  EXPECT_TRUE(core->BeginLogin("a3", "[::ffff:10.0.0.1]:3333").ok());
  absl::StatusOr<LoginStart> limited = core->BeginLogin("a4", "10.0.0.1:4444");
  EXPECT_EQ(limited.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_GE(RetryAfterSeconds(limited.status()), 1);
  // Unknown accounts cost the peer attempts too, so probing names is limited.
  EXPECT_EQ(core->BeginLogin("nobody", "10.0.0.1:5555").status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(core->BeginLogin("a4", "10.0.0.2:4444").ok());
}

// ---- AUTH --------------------------------------------------------------

TEST_F(KeyServerCoreTest, VerifyAuthAcceptsOnlyTheIdentityKeyForThisServer) {
  auto core = MakeCore(Options());
  NewUser bob = MakeV2User("bob", kDomain);
  ASSERT_TRUE(core->Register(bob.request).ok());
  std::string challenge = crypto::RandomBytes(32);
  const std::string& server_pk = core->server_public_key();

  EXPECT_TRUE(core->VerifyAuth("bob", challenge,
                               AuthProof(bob.identity, "bob", challenge, server_pk))
                  .ok());

  absl::Status forged =
      core->VerifyAuth("bob", challenge,
                       AuthProof(crypto::GenerateKeyPair(), "bob", challenge, server_pk));
  EXPECT_EQ(forged.code(), absl::StatusCode::kUnauthenticated);
  // A proof made for another server cannot be relayed here.
  absl::Status relayed = core->VerifyAuth(
      "bob", challenge,
      AuthProof(bob.identity, "bob", challenge, crypto::GenerateKeyPair().public_key));
  EXPECT_EQ(relayed.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(core->VerifyAuth("bob", crypto::RandomBytes(32),
                             AuthProof(bob.identity, "bob", challenge, server_pk))
                .code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(core->VerifyAuth("bob", challenge,
                             AuthProof(bob.login_key, "bob", challenge, server_pk))
                .code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(core->VerifyAuth("bob", "short", "").code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- operator ----------------------------------------------------------

TEST_F(KeyServerCoreTest, DisabledAccountsVanishFromKeysLoginAndAuth) {
  auto core = MakeCore(Options());
  NewUser bob = MakeV2User("bob", kDomain);
  ASSERT_TRUE(core->Register(bob.request).ok());
  ASSERT_TRUE(core->SetAccountDisabled("bob", true).ok());

  EXPECT_EQ(core->AccountKey("bob").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(core->BeginLogin("bob", "").status().code(), absl::StatusCode::kNotFound);
  std::string challenge = crypto::RandomBytes(32);
  EXPECT_EQ(core->CompleteLogin("bob", challenge,
                                LoginProof(*core, bob.login_key, "bob", challenge), "")
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  absl::Status auth = core->VerifyAuth(
      "bob", challenge,
      AuthProof(bob.identity, "bob", challenge, core->server_public_key()));
  EXPECT_EQ(auth.code(), absl::StatusCode::kPermissionDenied);
  // The name stays taken.
  EXPECT_EQ(core->Register(MakeV2User("bob", kDomain).request).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(core->ListAccounts()->at(0).disabled);

  ASSERT_TRUE(core->SetAccountDisabled("bob", false).ok());
  EXPECT_TRUE(core->AccountKey("bob").ok());
  EXPECT_EQ(core->SetAccountDisabled("nobody", true).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Cli({"EXISTS", "cmtp:acct:{nobody}"}), "0");
}

TEST_F(KeyServerCoreTest, ListAccountsIsSortedByName) {
  auto core = MakeCore(Options());
  EXPECT_TRUE(core->ListAccounts()->empty());
  for (const char* name : {"carol", "alice", "bob"}) {
    NewUser user = MakeV2User(name, kDomain);
    ASSERT_TRUE(core->Register(user.request).ok());
    now_ms_ += 1000;
  }
  absl::StatusOr<std::vector<AccountRecord>> accounts = core->ListAccounts();
  ASSERT_TRUE(accounts.ok()) << accounts.status();
  ASSERT_EQ(accounts->size(), 3u);
  EXPECT_EQ((*accounts)[0].name, "alice");
  EXPECT_EQ((*accounts)[1].name, "bob");
  EXPECT_EQ((*accounts)[2].name, "carol");
  EXPECT_EQ((*accounts)[0].created_ms, kStartMs + 1000);
  EXPECT_EQ((*accounts)[2].created_ms, kStartMs);
  EXPECT_EQ((*accounts)[1].xzibit_version, 2u);
  EXPECT_FALSE((*accounts)[1].disabled);
  EXPECT_EQ((*accounts)[1].public_key.size(), 32u);
}

TEST_F(KeyServerCoreTest, CreateAccountChecksTheProofUnlessSkipped) {
  auto core = MakeCore(Options());
  NewUser bob = MakeV2User("bob", kDomain);
  Registration forged = bob.request;
  forged.signature = test::SignRegistration(crypto::GenerateKeyPair(), bob.request);
  EXPECT_EQ(core->CreateAccount(forged, false, 0).status().code(),
            absl::StatusCode::kUnauthenticated);
  absl::StatusOr<int64_t> created = core->CreateAccount(forged, true, 1234);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(*created, 1234);
  Registration elsewhere = MakeV2User("carol", "other.org").request;
  EXPECT_EQ(core->CreateAccount(elsewhere, true, 0).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(KeyServerCoreTest, CreateInviteStoresAnExpiringToken) {
  KeyServerOptions options = Options();
  options.invite_ttl_seconds = 3600;
  auto core = MakeCore(options);
  absl::StatusOr<Invite> invite = core->CreateInvite(0);
  ASSERT_TRUE(invite.ok()) << invite.status();
  EXPECT_THAT(invite->token, MatchesRegex("[0-9a-f]{32}"));
  EXPECT_EQ(invite->expires_ms, kStartMs + 3600 * 1000);
  int64_t ttl = 0;
  ASSERT_TRUE(absl::SimpleAtoi(Cli({"TTL", "cmtp:invite:" + invite->token}), &ttl));
  EXPECT_GT(ttl, 3590);
  EXPECT_LE(ttl, 3600);

  absl::StatusOr<Invite> short_lived = core->CreateInvite(60);
  ASSERT_TRUE(short_lived.ok());
  EXPECT_NE(short_lived->token, invite->token);
  EXPECT_EQ(short_lived->expires_ms, kStartMs + 60 * 1000);
  EXPECT_EQ(core->CreateInvite(-1).status().code(), absl::StatusCode::kInvalidArgument);
}

// ---- Waiting for replicas (--wait-replicas) ------------------------------

TEST_F(KeyServerCoreTest, WritesWaitForReplicasAndFailWhenTheyLag) {
  KeyServerOptions options = Options();
  options.replica_wait = {.replicas = 1, .timeout_ms = 100};
  auto core = MakeCore(options);  // the test's Redis has no replica
  NewUser bob = MakeV2User("bob", kDomain);
  absl::StatusOr<int64_t> created = core->Register(bob.request);
  EXPECT_EQ(created.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(created.status().message(),
              HasSubstr("account bob stored, but only 0 of 1 replicas"));
  // Redis cannot take the write back: it stays, and a retry says so.
  EXPECT_TRUE(AccountStored("bob"));
  EXPECT_EQ(core->Register(bob.request).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(core->CreateInvite(60).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(core->SetAccountDisabled("bob", true).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Cli({"HGET", "cmtp:acct:{bob}", "disabled"}), "1");
  // Nothing written, nothing to wait for.
  EXPECT_EQ(core->SetAccountDisabled("nobody", true).code(), absl::StatusCode::kNotFound);
}

TEST_F(KeyServerCoreTest, WritesAnswerOnceAReplicaHasThem) {
  cmtp::testing::RedisServer replica;
  ASSERT_TRUE(replica.Start());
  // Redis otherwise waits 5 s for more replicas before a diskless sync.
  Cli({"CONFIG", "SET", "repl-diskless-sync-delay", "0"});
  ASSERT_EQ(replica.Cli({"REPLICAOF", "127.0.0.1", std::to_string(server_->port())}),
            "OK");
  ASSERT_TRUE(cmtp::testing::WaitFor([&] {
    return Cli({"INFO", "replication"}).find("state=online") != std::string::npos;
  }));
  KeyServerOptions options = Options();
  options.replica_wait = {.replicas = 1, .timeout_ms = 5000};
  auto core = MakeCore(options);
  NewUser bob = MakeV2User("bob", kDomain);
  absl::StatusOr<int64_t> created = core->Register(bob.request);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(replica.Cli({"SISMEMBER", "cmtp:accounts", "bob"}), "1");
  EXPECT_TRUE(core->CreateInvite(60).ok());
  EXPECT_TRUE(core->SetAccountDisabled("bob", true).ok());
  EXPECT_EQ(replica.Cli({"HGET", "cmtp:acct:{bob}", "disabled"}), "1");
  replica.Stop();
}

TEST(ReplicaWaitTest, OptionsAreChecked) {
  EXPECT_TRUE(ValidateReplicaWait({}).ok());
  EXPECT_EQ(ValidateReplicaWait({.replicas = -1}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateReplicaWait({.replicas = 1, .timeout_ms = 0}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(KeyServerCoreWithoutRedisTest, RedisDownIsUnavailable) {
  redis::PoolOptions options;
  options.address = "127.0.0.1:" + std::to_string(cmtp::testing::FreePort());
  options.connect_timeout = std::chrono::milliseconds(500);
  auto pool = redis::ConnectionPool::Create(options);
  ASSERT_TRUE(pool.ok());
  KeyServerOptions core_options;
  core_options.domain = kDomain;
  KeyServerCore core(**pool, crypto::GenerateKeyPair(), core_options,
                     [] { return kStartMs; });
  NewUser bob = MakeV2User("bob", kDomain);
  EXPECT_EQ(core.Register(bob.request).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(core.AccountKey("bob").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(core.BeginLogin("bob", "").status().code(), absl::StatusCode::kUnavailable);
  // The server's own key needs no database.
  EXPECT_EQ(core.ServerKey().block.size(), 102u);
}

}  // namespace
}  // namespace cmtp::keyserver

// Checking a message's path: each log entry against its domain's server key,
// each key asked for once, and what cannot be checked said so.
#include "lib/client/message_path.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "lib/common/errors.h"
#include "lib/crypto/log_entry.h"
#include "lib/crypto/sodium.h"
#include "lib/wire/limits.h"
#include "lib/wire/message_id.h"
#include "lib/wire/message_parser.h"
#include "lib/wire/serializer.h"

namespace cmtp::client {
namespace {

using std::string_literals::operator""s;

class MessagePathTest : public ::testing::Test {
 protected:
  // A message whose log holds `log`.
  wire::MailMessage Message(const std::string& log) {
    wire::MailHeader header;
    header.dst_account = "bob";
    header.dst_domain = "beta.test";
    header.src_account = "alice";
    header.src_domain = "alpha.test";
    absl::StatusOr<wire::MailMessage> message = wire::ParseMessage(
        wire::SerializeMessage(header, log, "sealed body", {}), wire::Limits());
    EXPECT_TRUE(message.ok());
    return *message;
  }

  std::string IdOf(const std::string& log) { return wire::MessageId(Message(log)); }

  std::vector<Hop> Check(const wire::MailMessage& message) {
    return CheckMessagePath(
        message, [this](std::string_view domain) -> absl::StatusOr<std::string> {
          ++lookups_[std::string(domain)];
          if (domain == "alpha.test") return alpha_.public_key;
          if (domain == "beta.test") return beta_.public_key;
          return error::NotFound("no server key for that domain");
        });
  }

  crypto::KeyPair alpha_ = crypto::GenerateKeyPair();
  crypto::KeyPair beta_ = crypto::GenerateKeyPair();
  std::map<std::string, int> lookups_;
};

TEST_F(MessagePathTest, EachHopVerifiesWithItsDomainsKey) {
  // The id does not cover the log, so it can be known before the entries.
  const std::string id = IdOf("");
  const std::string log =
      crypto::MakeLogEntry("alpha.test", 1000, id, alpha_.secret_key.view()) +
      crypto::MakeLogEntry("beta.test", 2000, id, beta_.secret_key.view());
  std::vector<Hop> hops = Check(Message(log));
  ASSERT_EQ(hops.size(), 2u);
  EXPECT_EQ(hops[0].verdict, HopVerdict::kVerified);
  EXPECT_EQ(hops[0].entry->domain, "alpha.test");
  EXPECT_EQ(hops[1].verdict, HopVerdict::kVerified);
  EXPECT_EQ(hops[1].entry->unix_ms, 2000);
}

TEST_F(MessagePathTest, AnEntrySignedByAnotherKeyIsNotVerified) {
  const std::string id = IdOf("");
  // beta's key signing an entry that claims to be alpha's.
  const std::string log =
      crypto::MakeLogEntry("alpha.test", 1000, id, beta_.secret_key.view());
  std::vector<Hop> hops = Check(Message(log));
  ASSERT_EQ(hops.size(), 1u);
  EXPECT_EQ(hops[0].verdict, HopVerdict::kNotVerified);
}

TEST_F(MessagePathTest, AnEntryCopiedFromAnotherMessageIsNotVerified) {
  const std::string other_id(32, 'a');
  const std::string log =
      crypto::MakeLogEntry("alpha.test", 1000, other_id, alpha_.secret_key.view());
  std::vector<Hop> hops = Check(Message(log));
  ASSERT_EQ(hops.size(), 1u);
  EXPECT_EQ(hops[0].verdict, HopVerdict::kNotVerified);
}

TEST_F(MessagePathTest, UnknownDomainsAreNotCheckedAndTextIsKept) {
  const std::string id = IdOf("");
  const crypto::KeyPair gamma = crypto::GenerateKeyPair();
  const std::string log =
      "hand-written hop\0"s +
      crypto::MakeLogEntry("gamma.test", 1, id, gamma.secret_key.view());
  std::vector<Hop> hops = Check(Message(log));
  ASSERT_EQ(hops.size(), 2u);
  EXPECT_EQ(hops[0].verdict, HopVerdict::kNotAnEntry);
  EXPECT_EQ(hops[0].text, "hand-written hop");
  EXPECT_EQ(hops[1].verdict, HopVerdict::kNotChecked);
  EXPECT_EQ(hops[1].reason, "no server key for that domain");
}

TEST_F(MessagePathTest, EachDomainIsLookedUpOnce) {
  const std::string id = IdOf("");
  const std::string log =
      crypto::MakeLogEntry("alpha.test", 1, id, alpha_.secret_key.view()) +
      crypto::MakeLogEntry("ALPHA.test", 2, id, alpha_.secret_key.view()) +
      crypto::MakeLogEntry("alpha.test", 3, id, alpha_.secret_key.view());
  std::vector<Hop> hops = Check(Message(log));
  ASSERT_EQ(hops.size(), 3u);
  for (const Hop& hop : hops) EXPECT_EQ(hop.verdict, HopVerdict::kVerified);
  EXPECT_EQ(lookups_["alpha.test"] + lookups_["ALPHA.test"], 1);
}

}  // namespace
}  // namespace cmtp::client

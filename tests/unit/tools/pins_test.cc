#include "tools/cmtp/pins.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "lib/client/failures.h"
#include "lib/crypto/sodium.h"
#include "tests/support/ports.h"
#include "tools/cmtp/key_trust.h"

namespace cmtp::cli {
namespace {

class PinsTest : public ::testing::Test {
 protected:
  PinsTest() { crypto::EnsureSodium(); }
  std::string path_ = cmtp::testing::MakeTempDir("cmtp-pins-") + "/state/pins";
  std::string key_a_ = crypto::GenerateKeyPair().public_key;
  std::string key_b_ = crypto::GenerateKeyPair().public_key;
};

TEST_F(PinsTest, MissingFileIsEmpty) {
  absl::StatusOr<PinStore> pins = PinStore::Load(path_);
  ASSERT_TRUE(pins.ok()) << pins.status();
  EXPECT_EQ(pins->size(), 0u);
  EXPECT_EQ(pins->Compare("bob@example.org", key_a_), PinStatus::kNew);
}

TEST_F(PinsTest, SavedPinsSurviveAReload) {
  absl::StatusOr<PinStore> pins = PinStore::Load(path_);
  ASSERT_TRUE(pins.ok());
  pins->Pin("bob@example.org", key_a_);
  pins->Pin("carol@other.net", key_b_);
  ASSERT_TRUE(pins->Save().ok());

  absl::StatusOr<PinStore> reloaded = PinStore::Load(path_);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_EQ(reloaded->size(), 2u);
  EXPECT_EQ(reloaded->Find("bob@example.org"), key_a_);
  EXPECT_EQ(reloaded->Compare("bob@example.org", key_a_), PinStatus::kMatches);
  EXPECT_EQ(reloaded->Compare("bob@example.org", key_b_), PinStatus::kChanged);

  std::ifstream file(path_);
  std::stringstream content;
  content << file.rdbuf();
  EXPECT_NE(content.str().find("bob@example.org " + crypto::ToHex(key_a_)),
            std::string::npos)
      << content.str();
}

TEST_F(PinsTest, MalformedLineIsAnError) {
  absl::StatusOr<PinStore> pins = PinStore::Load(path_);
  ASSERT_TRUE(pins->Save().ok());  // creates the folder
  std::ofstream(path_) << "# comment\n\nbob@example.org nothex\n";
  absl::StatusOr<PinStore> broken = PinStore::Load(path_);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("line 3"), std::string::npos)
      << broken.status();
}

TEST_F(PinsTest, TrustKeyPinsOnFirstUseAndRefusesAChange) {
  absl::StatusOr<PinStore> pins = PinStore::Load(path_);
  std::ostringstream err;
  absl::StatusOr<PinStatus> first =
      TrustKey(*pins, "bob@example.org", key_a_, false, err);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, PinStatus::kNew);
  EXPECT_EQ(PinStore::Load(path_)->Find("bob@example.org"), key_a_);  // saved

  EXPECT_EQ(*TrustKey(*pins, "bob@example.org", key_a_, false, err), PinStatus::kMatches);

  absl::StatusOr<PinStatus> changed =
      TrustKey(*pins, "bob@example.org", key_b_, false, err);
  ASSERT_FALSE(changed.ok());
  EXPECT_TRUE(client::IsCryptoFailure(changed.status()));
  EXPECT_NE(err.str().find("CHANGED"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("--accept-new-key"), std::string::npos) << err.str();
  EXPECT_EQ(PinStore::Load(path_)->Find("bob@example.org"), key_a_);  // unchanged

  absl::StatusOr<PinStatus> accepted =
      TrustKey(*pins, "bob@example.org", key_b_, true, err);
  ASSERT_TRUE(accepted.ok());
  EXPECT_EQ(*accepted, PinStatus::kChanged);
  EXPECT_EQ(PinStore::Load(path_)->Find("bob@example.org"), key_b_);
}

}  // namespace
}  // namespace cmtp::cli

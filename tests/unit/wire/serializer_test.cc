#include "lib/wire/serializer.h"

#include <string>

#include "gtest/gtest.h"

namespace cmtp::wire {
namespace {

const std::string kSignature(64, '\x11');

TEST(SerializerTest, BigEndianHelpers) {
  std::string out;
  AppendU32(out, 0x01020304u);
  AppendU64(out, 0x1122334455667788ull);
  EXPECT_EQ(out, "\x01\x02\x03\x04\x11\x22\x33\x44\x55\x66\x77\x88");
  EXPECT_EQ(ReadU32(out.data()), 0x01020304u);
  EXPECT_EQ(ReadU64(out.data() + 4), 0x1122334455667788ull);
  std::string high;
  AppendU32(high, 0xfffefdfcu);
  EXPECT_EQ(ReadU32(high.data()), 0xfffefdfcu);
}

TEST(SerializerTest, ReferenceRepliesAreExactBytes) {
  EXPECT_EQ(TextReply(kOhaiReply), std::string("HAI!!! :3\n\0", 11));
  EXPECT_EQ(TextReply(kNoopReply), std::string("O_O\n\0", 5));
  EXPECT_EQ(TextReply(kObaiReply), std::string("Good bye\n\0", 10));
  EXPECT_EQ(TextReply(kBanner), std::string("Welcome to CMTP version < 1\n\0", 29));
  const std::string none = NotAvailableReply(kSignature);
  EXPECT_EQ(none, std::string("\0\0\0\0KEYNOTAVAILABLE\0", 20) + kSignature + '\0');
  EXPECT_EQ(NotAvailableSignedBytes(), std::string("KEYNOTAVAILABLE\0", 16));
}

TEST(SerializerTest, StatusReplyLayout) {
  Status status;
  status.success = true;
  status.signature = kSignature;
  status.detail = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(StatusReply(status), "SUCCESS" + kSignature + status.detail + '\0');
  status.success = false;
  status.detail = "";
  EXPECT_EQ(StatusReply(status), "FAILURE" + kSignature + '\0');
}

std::string DetailSent(const std::string& detail) {
  Status status;
  status.signature = kSignature;
  status.detail = detail;
  const std::string reply = StatusReply(status);
  return reply.substr(7 + 64, reply.size() - 7 - 64 - 1);
}

TEST(SerializerTest, StatusDetailIsCutToAStr) {
  EXPECT_EQ(DetailSent(std::string(300, 'a')), std::string(255, 'a'));
  EXPECT_EQ(DetailSent(std::string(255, 'a')), std::string(255, 'a'));
  // A NUL would end the str early: the detail stops there.
  EXPECT_EQ(DetailSent(std::string("before\0after", 12)), "before");
  // "é" is two bytes: 254 ASCII bytes then "é" would straddle the limit, so
  // the cut backs off to before it.
  const std::string straddling = std::string(254, 'a') + "\xc3\xa9" + "tail";
  EXPECT_EQ(DetailSent(straddling), std::string(254, 'a'));
  // A 3-byte character ending exactly at 255 stays.
  const std::string fitting = std::string(252, 'a') + "\xe2\x82\xac" + "tail";
  EXPECT_EQ(DetailSent(fitting), std::string(252, 'a') + "\xe2\x82\xac");
}

TEST(SerializerTest, LoginChallengeLayout) {
  const std::string salt(16, 's');
  const std::string challenge(32, 'c');
  const std::string signed_bytes =
      LoginChallengeSignedBytes(salt, 3, 268435456, challenge);
  ASSERT_EQ(signed_bytes.size(), 68u);
  EXPECT_EQ(ReadU32(signed_bytes.data()), 2u);
  EXPECT_EQ(signed_bytes.substr(4, 16), salt);
  EXPECT_EQ(ReadU64(signed_bytes.data() + 20), 3u);
  EXPECT_EQ(ReadU64(signed_bytes.data() + 28), 268435456u);
  EXPECT_EQ(signed_bytes.substr(36), challenge);
  EXPECT_EQ(LoginChallengeReply(signed_bytes, kSignature), signed_bytes + kSignature);
}

TEST(SerializerTest, PayloadLayouts) {
  EXPECT_EQ(BlobPayload("abc"), std::string("\0\0\0\0\0\0\0\x03"
                                            "abc",
                                            11));
  EXPECT_EQ(XzibitPayload("xz", kSignature), std::string("\0\0\0\x02xz", 6) + kSignature);
  ListEntry entry;
  entry.message_id = "id";
  entry.size = 5;
  entry.arrival_unix_ms = 6;
  entry.src_account = "alice";
  entry.src_domain = "d";
  EXPECT_EQ(ListPayload({entry}), std::string("\0\0\0\x01id\0"
                                              "\0\0\0\0\0\0\0\x05"
                                              "\0\0\0\0\0\0\0\x06"
                                              "alice\0d\0",
                                              31));
}

TEST(SerializerTest, MessageLayoutTakesSizesFromTheArguments) {
  MailHeader header;
  header.log_len = 999;  // ignored: the log argument decides
  header.body_len = 999;
  header.attachment_count = 9;
  header.dst_account = "b";
  header.dst_domain = "h";
  header.src_account = "a";
  header.src_domain = "e";
  const std::string bytes = SerializeMessage(header, "L", "BODY", {"x"});
  EXPECT_EQ(bytes, std::string("\0\0\0\x01\0\0\0\x01"
                               "\0\0\0\0\0\0\0\x01"
                               "\0\0\0\0\0\0\0\x04"
                               "b\0h\0a\0e\0"
                               "LBODY"
                               "\0\0\0\0\0\0\0\x01x",
                               46));
}

TEST(SerializerDeathTest, FramingBugsCrashLoudly) {
  Command auth;
  auth.kind = CommandKind::kAuth;
  auth.account = "alice";
  auth.signature = "short";
  EXPECT_DEATH(SerializeCommand(auth), "signature must be 64 bytes");
  auth.signature = kSignature;
  auth.account = std::string("al\0ice", 6);
  EXPECT_DEATH(SerializeCommand(auth), "contains a NUL");
  EXPECT_DEATH(KeyBlockReply("short key", kSignature), "public key must be 32 bytes");
}

}  // namespace
}  // namespace cmtp::wire

#include "lib/wire/message_id.h"

#include <string>

#include "gtest/gtest.h"
#include "lib/wire/message_parser.h"
#include "lib/wire/serializer.h"

namespace cmtp::wire {
namespace {

MailMessage Message(std::string_view log, std::string_view body,
                    const std::vector<std::string>& attachments = {}) {
  MailHeader header;
  header.dst_account = "bob";
  header.dst_domain = "hawaii.edu";
  header.src_account = "alice";
  header.src_domain = "hawaii.edu";
  absl::StatusOr<MailMessage> message =
      ParseMessage(SerializeMessage(header, log, body, attachments), Limits());
  EXPECT_TRUE(message.ok()) << message.status();
  return *std::move(message);
}

TEST(MessageIdTest, StableAcrossLogChanges) {
  const std::string id = MessageId(Message("", "sealed body"));
  EXPECT_TRUE(IsMessageId(id));
  EXPECT_EQ(MessageId(Message(std::string("relay.example hop\0", 18), "sealed body")),
            id);
  EXPECT_EQ(MessageId(Message(std::string(1000, 'L'), "sealed body")), id);
}

TEST(MessageIdTest, ChangesWithTheContent) {
  const std::string id = MessageId(Message("", "sealed body"));
  EXPECT_NE(MessageId(Message("", "sealed bodY")), id);
  EXPECT_NE(MessageId(Message("", "sealed body", {"attachment"})), id);
  EXPECT_NE(MessageId(Message("", "sealed body", {"attachment"})),
            MessageId(Message("", "sealed body", {"attachmenT"})));
  // Moving bytes between the body and an attachment changes the id too: the
  // lengths are part of what is hashed.
  EXPECT_NE(MessageId(Message("", "ab", {"c"})), MessageId(Message("", "a", {"bc"})));
}

TEST(MessageIdTest, Shape) {
  EXPECT_TRUE(IsMessageId("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(IsMessageId("0123456789ABCDEF0123456789abcdef"));
  EXPECT_FALSE(IsMessageId("0123456789abcdef0123456789abcde"));
  EXPECT_FALSE(IsMessageId("0123456789abcdef0123456789abcdef0"));
  EXPECT_FALSE(IsMessageId("0123456789abcdef0123456789abcdeg"));
  EXPECT_FALSE(IsMessageId(""));
}

}  // namespace
}  // namespace cmtp::wire

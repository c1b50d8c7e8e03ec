// The one serializer: requests (client side) and replies (server side).
// Signatures are made by the caller (lib/crypto) and passed in as bytes.
#ifndef CMTP_LIB_WIRE_SERIALIZER_H_
#define CMTP_LIB_WIRE_SERIALIZER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/wire/command.h"
#include "lib/wire/message.h"
#include "lib/wire/reply.h"

namespace cmtp::wire {

inline constexpr std::string_view kBanner = "Welcome to CMTP version < 1\n";
inline constexpr std::string_view kOhaiReply = "HAI!!! :3\n";
inline constexpr std::string_view kNoopReply = "O_O\n";
inline constexpr std::string_view kObaiReply = "Good bye\n";
inline constexpr std::string_view kNotAvailable = "KEYNOTAVAILABLE";  // + NUL on the wire

// The message bytes of a MAIL (without "MAIL\0"). `header.log_len`,
// `body_len` and `attachment_count` are taken from the arguments, not trusted
// from `header`.
std::string SerializeMessage(const MailHeader& header, std::string_view log,
                             std::string_view body,
                             const std::vector<std::string>& attachments);

// A whole request as a client sends it, "MAIL\0" + message bytes included.
// For MAIL, `command.mail.bytes` is sent as is.
std::string SerializeCommand(const Command& command);

// Server replies.
std::string TextReply(std::string_view text);  // appends the NUL
std::string KeyBlockReply(std::string_view public_key, std::string_view signature);
std::string NotAvailableReply(std::string_view signature);
// The 16 bytes the not-available signature covers: "KEYNOTAVAILABLE\0".
std::string_view NotAvailableSignedBytes();
std::string StatusReply(const Status& status);  // detail truncated to 255 bytes
std::string LoginV1Reply(std::string_view xzibit, std::string_view signature);
// The 68 bytes a v2 login challenge's signature covers.
std::string LoginChallengeSignedBytes(std::string_view salt, uint64_t opslimit,
                                      uint64_t memlimit, std::string_view challenge);
std::string LoginChallengeReply(std::string_view signed_bytes, std::string_view signature);
std::string ListPayload(const std::vector<ListEntry>& entries);
std::string BlobPayload(std::string_view message_bytes);
std::string XzibitPayload(std::string_view xzibit, std::string_view signature);

// Big-endian helpers shared by the codec and the crypto formats.
void AppendU32(std::string& out, uint32_t v);
void AppendU64(std::string& out, uint64_t v);
uint32_t ReadU32(const char* p);
uint64_t ReadU64(const char* p);

}  // namespace cmtp::wire

#endif  // CMTP_LIB_WIRE_SERIALIZER_H_

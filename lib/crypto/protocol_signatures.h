// The byte strings each protocol signature covers (docs/protocol.md), and
// the key blocks servers sign. Kept together so both sides build them alike.
#ifndef CMTP_LIB_CRYPTO_PROTOCOL_SIGNATURES_H_
#define CMTP_LIB_CRYPTO_PROTOCOL_SIGNATURES_H_

#include <string>
#include <string_view>

#include "lib/wire/reply.h"

namespace cmtp::crypto {

// "CMTP-STATUS-1\0" | word | H(request) | detail
std::string StatusSignedBytes(bool success, std::string_view request_bytes,
                              std::string_view detail);
// A signed status reply, ready for wire::StatusReply.
wire::Status MakeStatus(std::string_view server_secret_key, bool success,
                        std::string_view request_bytes, std::string_view detail);
bool VerifyStatus(std::string_view server_public_key, const wire::Status& status,
                  std::string_view request_bytes);

std::string RegisterSignedBytes(std::string_view account, std::string_view domain,
                                std::string_view public_key,
                                std::string_view login_public_key,
                                std::string_view xzibit);
std::string AuthSignedBytes(std::string_view account, std::string_view domain,
                            std::string_view challenge,
                            std::string_view server_public_key);
std::string LoginSignedBytes(std::string_view account, std::string_view domain,
                             std::string_view challenge,
                             std::string_view server_public_key);

// Wire-ready key blocks signed with the server's key.
std::string MakeKeyBlock(std::string_view server_secret_key,
                         std::string_view public_key);
std::string MakeNotAvailableBlock(std::string_view server_secret_key);

}  // namespace cmtp::crypto

#endif  // CMTP_LIB_CRYPTO_PROTOCOL_SIGNATURES_H_

// What every session of one gateway shares: who the gateway is (domain,
// server key), the services behind it, and replies that never change. Built
// once at start; sessions hold a reference, so it outlives them all.
#ifndef CMTP_SERVICES_GATEWAY_GATEWAY_CONTEXT_H_
#define CMTP_SERVICES_GATEWAY_GATEWAY_CONTEXT_H_

#include <string>
#include <string_view>

#include "lib/crypto/sodium.h"
#include "services/gateway/backends.h"
#include "services/gateway/recipient_cache.h"

namespace cmtp::gateway {

class GatewayContext {
 public:
  GatewayContext(std::string domain, crypto::KeyPair server_key, KeyDirectory& keys,
                 Mailboxes& mailboxes, RecipientCache& recipients);
  GatewayContext(const GatewayContext&) = delete;
  GatewayContext& operator=(const GatewayContext&) = delete;

  const std::string& domain() const { return domain_; }
  // Case-insensitive, as DNS names compare.
  bool IsLocalDomain(std::string_view domain) const;

  std::string_view server_public_key() const { return server_key_.public_key; }
  std::string_view server_secret_key() const { return server_key_.secret_key.view(); }

  // Ed25519 signatures are deterministic, so these two replies are signed
  // once rather than per request.
  const std::string& server_key_block() const { return server_key_block_; }
  const std::string& not_available_block() const { return not_available_block_; }

  KeyDirectory& keys() const { return keys_; }
  Mailboxes& mailboxes() const { return mailboxes_; }
  RecipientCache& recipients() const { return recipients_; }

 private:
  std::string domain_;
  crypto::KeyPair server_key_;
  std::string server_key_block_;
  std::string not_available_block_;
  KeyDirectory& keys_;
  Mailboxes& mailboxes_;
  RecipientCache& recipients_;
};

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_GATEWAY_CONTEXT_H_

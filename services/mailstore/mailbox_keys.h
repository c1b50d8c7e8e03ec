// The Redis keys of a mailbox (docs/services.md). Every key of one mailbox
// carries the hash tag {<mailbox>} so that the mailbox lives on one cluster
// slot and one Lua script may touch all of them.
#ifndef CMTP_SERVICES_MAILSTORE_MAILBOX_KEYS_H_
#define CMTP_SERVICES_MAILSTORE_MAILBOX_KEYS_H_

#include <string>
#include <string_view>

namespace cmtp::mailstore {

// The set of every mailbox that ever stored a message.
inline constexpr std::string_view kMailboxesKey = "cmtp:mailboxes";

struct MailboxKeys {
  explicit MailboxKeys(std::string_view mailbox);

  std::string index;  // sorted set: message id → sequence
  std::string meta;   // hash: message id → packed metadata
  std::string seq;    // counter drawing sequences

  // String holding one message's bytes.
  std::string Blob(std::string_view message_id) const;

 private:
  std::string prefix_;  // "cmtp:mbox:{<mailbox>}:"
};

}  // namespace cmtp::mailstore

#endif  // CMTP_SERVICES_MAILSTORE_MAILBOX_KEYS_H_

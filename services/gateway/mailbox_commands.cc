// LIST, FETCH, DELETE: the authenticated account's own mailbox only.
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/common/strings.h"
#include "lib/wire/message_id.h"
#include "lib/wire/reply.h"
#include "lib/wire/serializer.h"
#include "services/gateway/command_handlers.h"
#include "services/gateway/status_reply.h"

namespace cmtp::gateway {
namespace {

constexpr std::string_view kAuthenticateFirst = "authenticate first (CHALLENGE, AUTH)";

std::string FailureFrom(const GatewayContext& gateway, const wire::Command& command,
                        const absl::Status& status) {
  return FailureReply(gateway, command, FromAbsl(status.message()));
}

wire::ListEntry ToListEntry(MessageMeta meta) {
  wire::ListEntry entry;
  entry.message_id = std::move(meta.message_id);
  entry.size = meta.size;
  // Arrival times come from the mailstore's clock; one before 1970 is a
  // broken clock, shown as 0 rather than wrapped around.
  entry.arrival_unix_ms =
      meta.arrival_unix_ms > 0 ? static_cast<uint64_t>(meta.arrival_unix_ms) : 0;
  entry.src_account = std::move(meta.src_account);
  entry.src_domain = std::move(meta.src_domain);
  return entry;
}

}  // namespace

asio::awaitable<std::string> HandleList(const GatewayContext& gateway,
                                        const SessionState& session,
                                        const wire::Command& command) {
  if (!session.authenticated_account.has_value()) {
    co_return FailureReply(gateway, command, kAuthenticateFirst);
  }
  absl::StatusOr<std::vector<MessageMeta>> listed =
      co_await gateway.mailboxes().List(*session.authenticated_account);
  if (!listed.ok()) co_return FailureFrom(gateway, command, listed.status());
  std::vector<wire::ListEntry> entries;
  entries.reserve(listed->size());
  for (MessageMeta& meta : *listed) entries.push_back(ToListEntry(std::move(meta)));
  std::string reply = SuccessReply(
      gateway, command,
      absl::StrCat(entries.size(), entries.size() == 1 ? " message" : " messages"));
  reply += wire::ListPayload(entries);
  co_return reply;
}

asio::awaitable<std::string> HandleFetch(const GatewayContext& gateway,
                                         const SessionState& session,
                                         const wire::Command& command) {
  if (!session.authenticated_account.has_value()) {
    co_return FailureReply(gateway, command, kAuthenticateFirst);
  }
  if (!wire::IsMessageId(command.argument)) {
    co_return FailureReply(gateway, command, "malformed message id");
  }
  absl::StatusOr<StoredMessage> fetched =
      co_await gateway.mailboxes().Get(*session.authenticated_account, command.argument);
  if (!fetched.ok()) co_return FailureFrom(gateway, command, fetched.status());
  std::string reply = SuccessReply(gateway, command, command.argument);
  reply += wire::BlobPayload(fetched->blob);
  co_return reply;
}

asio::awaitable<std::string> HandleDelete(const GatewayContext& gateway,
                                          const SessionState& session,
                                          const wire::Command& command) {
  if (!session.authenticated_account.has_value()) {
    co_return FailureReply(gateway, command, kAuthenticateFirst);
  }
  if (!wire::IsMessageId(command.argument)) {
    co_return FailureReply(gateway, command, "malformed message id");
  }
  absl::Status deleted = co_await gateway.mailboxes().Delete(
      *session.authenticated_account, command.argument);
  if (!deleted.ok()) co_return FailureFrom(gateway, command, deleted);
  co_return SuccessReply(gateway, command, "deleted");
}

}  // namespace cmtp::gateway

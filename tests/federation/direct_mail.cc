#include "tests/federation/direct_mail.h"

#include <chrono>
#include <string>
#include <vector>

#include "lib/client/endpoint.h"
#include "lib/client/mail_address.h"
#include "lib/client/outgoing_mail.h"
#include "lib/client/session.h"

namespace cmtp::federation {

absl::StatusOr<std::string> SendDirect(const DirectMail& mail) {
  absl::StatusOr<std::vector<std::string>> sent = SendDirectBatch(mail, 1);
  if (!sent.ok()) return sent.status();
  return sent->front();
}

absl::StatusOr<std::vector<std::string>> SendDirectBatch(const DirectMail& mail,
                                                         int count) {
  absl::StatusOr<client::Endpoint> endpoint = client::ParseEndpoint(mail.server);
  if (!endpoint.ok()) return endpoint.status();
  absl::StatusOr<client::MailAddress> sender = client::ParseMailAddress(mail.sender);
  if (!sender.ok()) return sender.status();
  absl::StatusOr<client::MailAddress> recipient =
      client::ParseMailAddress(mail.recipient);
  if (!recipient.ok()) return recipient.status();

  absl::StatusOr<client::Session> session = client::Session::Connect(*endpoint);
  if (!session.ok()) return session.status();
  absl::StatusOr<client::LoginResult> login = session->Login(*sender, mail.password);
  if (!login.ok()) return login.status();
  if (absl::Status authenticated = session->Authenticate(*sender, login->identity);
      !authenticated.ok()) {
    return authenticated;
  }

  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    client::OutgoingMail outgoing;
    outgoing.sender = *sender;
    outgoing.recipient = *recipient;
    outgoing.recipient_public_key = mail.recipient_key;
    outgoing.inner.timestamp_unix_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count();
    outgoing.inner.from = sender->ToString();
    outgoing.inner.to = recipient->ToString();
    outgoing.inner.subject = mail.subject;
    // One message alone keeps its text as given.
    outgoing.inner.text =
        count == 1 ? mail.text : mail.text + " " + std::to_string(i) + "\n";
    absl::StatusOr<wire::MailMessage> message =
        client::BuildMail(outgoing, login->identity);
    if (!message.ok()) return message.status();
    absl::StatusOr<std::string> id = session->SendMail(*message);
    if (!id.ok()) return id.status();
    ids.push_back(*std::move(id));
  }
  return ids;
}

}  // namespace cmtp::federation

// cmtpctl import-reference DIR: moves a reference server's users and stored
// messages into this suite. Accounts are created with skip_proof (reference
// data carries no proof of possession); messages are put under their
// content id, so running the import twice stores nothing twice.
#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "tools/cmtpctl/operator_commands.h"
#include "tools/cmtpctl/reference_import.h"

namespace cmtp::ctl {
namespace {

struct ImportTally {
  int users_created = 0;
  int users_present = 0;
  int users_failed = 0;
  int messages_stored = 0;
  int messages_present = 0;
  int messages_failed = 0;
};

enum class UserOutcome { kCreated, kPresent, kFailed };

UserOutcome ImportUser(OperatorContext& context, v1::KeyServer::StubInterface& keyserver,
                       const ReferenceUser& user, const std::string& domain) {
  v1::CreateAccountRequest request;
  request.set_skip_proof(true);
  v1::RegisterRequest& registration = *request.mutable_registration();
  registration.set_account(user.name);
  registration.set_domain(domain);
  registration.set_public_key(user.public_key);
  if (user.xzibit.has_value()) registration.set_xzibit(*user.xzibit);
  v1::CreateAccountResponse response;
  const grpc::Status status =
      keyserver.CreateAccount(context.NewCall().get(), request, &response);
  std::ostream& err = context.terminal().err;
  if (status.ok()) {
    err << "user " << user.name << ": created\n";
    return UserOutcome::kCreated;
  }
  if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
    err << "user " << user.name << ": already exists, skipped\n";
    return UserOutcome::kPresent;
  }
  err << "user " << user.name << ": " << RpcFailure("CreateAccount", status).message()
      << "; its messages are not imported\n";
  return UserOutcome::kFailed;
}

void ImportMessages(OperatorContext& context, v1::MailStore::StubInterface& mailstore,
                    const ReferenceUser& user, ImportTally& tally) {
  for (const ReferenceMessage& stored : user.messages) {
    v1::PutRequest request;
    request.set_mailbox(user.name);
    request.set_message_id(stored.id);
    request.set_blob(stored.message.bytes);
    request.set_src_account(stored.message.header.src_account);
    request.set_src_domain(stored.message.header.src_domain);
    v1::PutResponse response;
    const grpc::Status status =
        mailstore.Put(context.NewCall().get(), request, &response);
    if (!status.ok()) {
      context.terminal().err << "message " << stored.path << ": "
                             << RpcFailure("Put", status).message() << "\n";
      ++tally.messages_failed;
    } else if (response.duplicate()) {
      ++tally.messages_present;
    } else {
      ++tally.messages_stored;
    }
  }
}

}  // namespace

absl::Status ImportReference(OperatorContext& context, const std::string& dir) {
  const std::string domain = context.line().Get("domain");
  if (domain.empty()) {
    return error::InvalidInput(
        "import-reference needs --domain: the domain the keyserver serves");
  }
  absl::StatusOr<ReferenceScan> scan = ScanReferenceFolder(dir);
  if (!scan.ok()) return scan.status();
  absl::StatusOr<v1::KeyServer::StubInterface*> keyserver = context.KeyServer();
  if (!keyserver.ok()) return keyserver.status();
  absl::StatusOr<v1::MailStore::StubInterface*> mailstore = context.MailStore();
  if (!mailstore.ok()) return mailstore.status();

  std::ostream& err = context.terminal().err;
  for (const SkippedFile& skipped : scan->skipped) {
    err << "skipped " << skipped.path << ": " << skipped.reason << "\n";
  }
  ImportTally tally;
  for (const ReferenceUser& user : scan->users) {
    switch (ImportUser(context, **keyserver, user, domain)) {
      case UserOutcome::kCreated:
        ++tally.users_created;
        break;
      case UserOutcome::kPresent:
        ++tally.users_present;
        break;
      case UserOutcome::kFailed:
        ++tally.users_failed;
        continue;
    }
    ImportMessages(context, **mailstore, user, tally);
  }
  context.terminal().out << "users: " << tally.users_created << " created, "
                         << tally.users_present << " already present, "
                         << tally.users_failed << " failed\n"
                         << "messages: " << tally.messages_stored << " stored, "
                         << tally.messages_present << " already present, "
                         << tally.messages_failed << " failed\n"
                         << "skipped: " << scan->skipped.size() << "\n";
  if (tally.users_failed > 0 || tally.messages_failed > 0) {
    return error::Unavailable("some users or messages could not be imported (see above)");
  }
  return absl::OkStatus();
}

}  // namespace cmtp::ctl

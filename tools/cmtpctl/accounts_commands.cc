// cmtpctl accounts list|create|disable|enable. `create` makes the key pair
// and its v2 xzibit on the operator's machine: the keyserver only ever sees
// the public key and the sealed pair, as with `cmtp register`.
#include "absl/strings/str_cat.h"
#include "lib/client/mail_address.h"
#include "lib/client/new_account.h"
#include "lib/client/password.h"
#include "lib/common/errors.h"
#include "lib/crypto/sodium.h"
#include "lib/crypto/xzibit.h"
#include "tools/cmtp/time_format.h"
#include "tools/cmtpctl/operator_commands.h"

namespace cmtp::ctl {
namespace {

absl::StatusOr<client::MailAddress> AccountAddress(const OperatorContext& context,
                                                   const std::string& who) {
  if (who.find('@') != std::string::npos) return client::ParseMailAddress(who);
  const std::string domain = context.line().Get("domain");
  if (domain.empty()) {
    return error::InvalidInput(
        absl::StrCat("give the account as ", who, "@DOMAIN or pass --domain"));
  }
  return client::ParseMailAddress(absl::StrCat(who, "@", domain));
}

}  // namespace

absl::Status ListAccounts(OperatorContext& context) {
  absl::StatusOr<v1::KeyServer::StubInterface*> keyserver = context.KeyServer();
  if (!keyserver.ok()) return keyserver.status();
  v1::ListAccountsResponse response;
  const grpc::Status status =
      (*keyserver)
          ->ListAccounts(context.NewCall().get(), v1::ListAccountsRequest(), &response);
  if (!status.ok()) return RpcFailure("ListAccounts", status);
  std::ostream& out = context.terminal().out;
  for (const v1::Account& account : response.accounts()) {
    out << account.account() << "  v" << account.xzibit_version() << "  "
        << cli::FormatUtc(account.created_unix_ms()) << "  "
        << (account.disabled() ? "disabled" : "enabled") << "  "
        << crypto::ToHex(account.public_key()) << "\n";
  }
  context.terminal().err << response.accounts_size() << " accounts\n";
  return absl::OkStatus();
}

absl::Status CreateAccount(OperatorContext& context, const std::string& who) {
  absl::StatusOr<client::MailAddress> address = AccountAddress(context, who);
  if (!address.ok()) return address.status();
  absl::StatusOr<v1::KeyServer::StubInterface*> keyserver = context.KeyServer();
  if (!keyserver.ok()) return keyserver.status();
  absl::StatusOr<crypto::SecretBytes> password = client::ObtainPassword(
      context.line().Get("password-file"),
      absl::StrCat("Password for the new account ", address->ToString()),
      /*confirm=*/true);
  if (!password.ok()) return password.status();
  absl::StatusOr<client::NewAccount> account = client::MakeNewAccount(
      *address, password->view(), crypto::KdfCostFromEnvironment());
  if (!account.ok()) return account.status();

  v1::CreateAccountRequest request;
  v1::RegisterRequest& registration = *request.mutable_registration();
  registration.set_account(address->account);
  registration.set_domain(address->domain);
  registration.set_public_key(account->identity.public_key);
  registration.set_xzibit(account->xzibit);
  registration.set_login_public_key(account->login_public_key);
  registration.set_signature(account->signature);
  v1::CreateAccountResponse response;
  const grpc::Status status =
      (*keyserver)->CreateAccount(context.NewCall().get(), request, &response);
  if (!status.ok()) return RpcFailure("CreateAccount", status);
  context.terminal().out << "created " << address->ToString() << " "
                         << crypto::ToHex(account->identity.public_key) << "\n";
  return absl::OkStatus();
}

absl::Status SetAccountDisabled(OperatorContext& context, const std::string& user,
                                bool disabled) {
  absl::StatusOr<v1::KeyServer::StubInterface*> keyserver = context.KeyServer();
  if (!keyserver.ok()) return keyserver.status();
  // The keyserver serves one domain: it names accounts by their local part.
  const std::string account = user.substr(0, user.find('@'));
  v1::SetAccountDisabledRequest request;
  request.set_account(account);
  request.set_disabled(disabled);
  v1::SetAccountDisabledResponse response;
  const grpc::Status status =
      (*keyserver)->SetAccountDisabled(context.NewCall().get(), request, &response);
  if (!status.ok()) return RpcFailure("SetAccountDisabled", status);
  context.terminal().out << (disabled ? "disabled " : "enabled ") << account << "\n";
  return absl::OkStatus();
}

}  // namespace cmtp::ctl

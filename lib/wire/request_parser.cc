#include "lib/wire/request_parser.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/wire/field_reader.h"
#include "lib/wire/serializer.h"

namespace cmtp::wire {
namespace {

using internal::FieldReader;

constexpr size_t kMailHeaderSize = 24;  // u32 crypto | u32 count | u64 log | u64 body
constexpr size_t kU32Size = 4;
constexpr size_t kU64Size = 8;
constexpr size_t kKeySize = 32;
constexpr size_t kSignatureSize = 64;
// Room for the four strs of a MAIL envelope (each at most max_str + NUL).
constexpr size_t kEnvelopeStrs = 4;

constexpr CommandKind kAllKinds[] = {
    CommandKind::kOhai,  CommandKind::kNoop,       CommandKind::kHelp,
    CommandKind::kObai,  CommandKind::kKeyRequest, CommandKind::kLogin,
    CommandKind::kMail,  CommandKind::kRegister,   CommandKind::kChallenge,
    CommandKind::kAuth,  CommandKind::kLoginProof, CommandKind::kList,
    CommandKind::kFetch, CommandKind::kDelete,
};

std::optional<CommandKind> KindForWord(std::string_view word) {
  for (CommandKind kind : kAllKinds) {
    if (CommandWord(kind) == word) return kind;
  }
  return std::nullopt;
}

// The argument-less commands may also end with "\n" or "\r\n" (typed by hand
// with nc); a command with arguments must end its word with NUL.
bool AcceptsLineTerminator(CommandKind kind) {
  switch (kind) {
    case CommandKind::kOhai:
    case CommandKind::kNoop:
    case CommandKind::kHelp:
    case CommandKind::kObai:
    case CommandKind::kChallenge:
    case CommandKind::kList:
      return true;
    default:
      return false;
  }
}

bool IsCommandLetter(char c) { return c >= 'A' && c <= 'Z'; }

// Every field of every command, in the order the wire carries them.
enum class Step {
  kAccount,
  kDomain,
  kInviteToken,
  kCryptoType,
  kPublicKey,
  kLoginPublicKey,
  kXzibitLength,
  kXzibit,
  kSignature,
  kMessageIdArgument,
  kMailHeader,
  kDstAccount,
  kDstDomain,
  kSrcAccount,
  kSrcDomain,
  kLog,
  kBody,
  kAttachmentLength,
  kAttachment,
  kDone,
};

bool IsStrStep(Step step) {
  switch (step) {
    case Step::kAccount:
    case Step::kDomain:
    case Step::kInviteToken:
    case Step::kMessageIdArgument:
    case Step::kDstAccount:
    case Step::kDstDomain:
    case Step::kSrcAccount:
    case Step::kSrcDomain:
      return true;
    default:
      return false;
  }
}

// How a field is called in an error message.
std::string_view StepName(Step step) {
  switch (step) {
    case Step::kAccount:
      return "account";
    case Step::kDomain:
      return "domain";
    case Step::kInviteToken:
      return "invite token";
    case Step::kCryptoType:
      return "crypto type";
    case Step::kPublicKey:
      return "public key";
    case Step::kLoginPublicKey:
      return "login public key";
    case Step::kXzibitLength:
      return "xzibit length";
    case Step::kXzibit:
      return "xzibit";
    case Step::kSignature:
      return "signature";
    case Step::kMessageIdArgument:
      return "message id";
    case Step::kMailHeader:
      return "MAIL header";
    case Step::kDstAccount:
      return "destination account";
    case Step::kDstDomain:
      return "destination domain";
    case Step::kSrcAccount:
      return "source account";
    case Step::kSrcDomain:
      return "source domain";
    case Step::kLog:
      return "log";
    case Step::kBody:
      return "body";
    case Step::kAttachmentLength:
      return "attachment length";
    case Step::kAttachment:
      return "attachment";
    case Step::kDone:
      return "end of command";
  }
  std::fprintf(stderr, "wire: unhandled request parser step\n");
  std::abort();
}

Step FirstStep(CommandKind kind) {
  switch (kind) {
    case CommandKind::kKeyRequest:
    case CommandKind::kLogin:
    case CommandKind::kRegister:
    case CommandKind::kAuth:
    case CommandKind::kLoginProof:
      return Step::kAccount;
    case CommandKind::kFetch:
    case CommandKind::kDelete:
      return Step::kMessageIdArgument;
    case CommandKind::kMail:
      return Step::kMailHeader;
    case CommandKind::kOhai:
    case CommandKind::kNoop:
    case CommandKind::kHelp:
    case CommandKind::kObai:
    case CommandKind::kChallenge:
    case CommandKind::kList:
      return Step::kDone;
  }
  std::fprintf(stderr, "wire: unhandled command kind\n");
  std::abort();
}

absl::Status UnsupportedCryptoType(uint32_t crypto_type) {
  if (crypto_type == 0) {
    return error::InvalidInput("crypto type 0 (plaintext) is not supported");
  }
  return error::InvalidInput(
      absl::StrCat("crypto type ", crypto_type, " is not supported (only 1, Ed25519)"));
}

}  // namespace

class RequestParser::Impl {
 public:
  explicit Impl(const Limits& limits) : limits_(limits) {}

  Result Feed(std::string_view data) {
    const size_t offered = data.size();
    auto finish = [&](State state) { return Result{state, offered - data.size()}; };
    while (true) {
      switch (phase_) {
        case Phase::kReady:
          return finish(State::kCommandReady);
        case Phase::kError:
          return finish(State::kError);
        case Phase::kWord:
        case Phase::kWordLineFeed:
          if (data.empty()) return finish(State::kNeedMore);
          ReadWordByte(data);
          break;
        case Phase::kFields:
          if (!ReadFields(data)) return finish(State::kNeedMore);
          break;
      }
    }
  }

  Command TakeCommand() {
    if (phase_ != Phase::kReady) {
      std::fprintf(stderr, "wire: RequestParser::TakeCommand without a ready command\n");
      std::abort();
    }
    Command command = std::move(command_);
    command_ = Command();
    word_.clear();
    step_ = Step::kDone;
    attachments_read_ = 0;
    message_size_used_ = 0;
    phase_ = Phase::kWord;
    return command;
  }

  const absl::Status& error() const { return error_; }

  bool InMailPayload() const {
    return phase_ == Phase::kFields && command_.kind == CommandKind::kMail &&
           step_ != Step::kMailHeader;
  }

 private:
  enum class Phase { kWord, kWordLineFeed, kFields, kReady, kError };

  void Fail(absl::Status status) {
    error_ = std::move(status);
    phase_ = Phase::kError;
  }

  // Command words are at most a few letters: read them one byte at a time
  // and refuse a bad byte the moment it arrives.
  void ReadWordByte(std::string_view& data) {
    const char c = data.front();
    data.remove_prefix(1);
    if (phase_ == Phase::kWordLineFeed) {
      if (c != '\n') {
        Fail(error::InvalidInput("unknown command (carriage return without line feed)"));
        return;
      }
      EndWord("\r\n");
      return;
    }
    if (IsCommandLetter(c)) {
      if (word_.size() >= limits_.max_command_word) {
        Fail(error::LimitExceeded(
            absl::StrCat("unknown command (command word longer than ",
                         limits_.max_command_word, " bytes)")));
        return;
      }
      word_.push_back(c);
      return;
    }
    switch (c) {
      case '\0':
        EndWord(std::string_view("\0", 1));
        return;
      case '\n':
        EndWord("\n");
        return;
      case '\r':
        phase_ = Phase::kWordLineFeed;
        return;
      default:
        Fail(error::InvalidInput(
            absl::StrFormat("unknown command (byte 0x%02x is not an upper-case letter)",
                            static_cast<unsigned char>(c))));
    }
  }

  void EndWord(std::string_view terminator) {
    phase_ = Phase::kWord;
    // An empty command (a lone NUL, which the reference client sends after
    // KEYREQUEST, or an empty line typed into nc) is skipped.
    if (word_.empty()) return;
    const std::optional<CommandKind> kind = KindForWord(word_);
    if (!kind.has_value()) {
      Fail(error::InvalidInput("unknown command"));
      return;
    }
    if (terminator != std::string_view("\0", 1) && !AcceptsLineTerminator(*kind)) {
      Fail(error::InvalidInput(absl::StrCat(ToAbsl(CommandWord(*kind)),
                                            " takes arguments: end its word with NUL, "
                                            "not a line break")));
      return;
    }
    command_.kind = *kind;
    if (*kind != CommandKind::kMail) {
      command_.request_bytes = word_;
      command_.request_bytes.append(terminator);
    }
    phase_ = Phase::kFields;
    EnterStep(FirstStep(*kind));
  }

  // The record a field's bytes are appended to: the message bytes for MAIL,
  // the request bytes otherwise.
  std::string& Record() {
    return command_.kind == CommandKind::kMail ? command_.mail.bytes
                                               : command_.request_bytes;
  }

  uint64_t FieldLength(Step step) const {
    switch (step) {
      case Step::kCryptoType:
      case Step::kXzibitLength:
        return kU32Size;
      case Step::kPublicKey:
      case Step::kLoginPublicKey:
        return kKeySize;
      case Step::kXzibit:
        return xzibit_length_;
      case Step::kSignature:
        return kSignatureSize;
      case Step::kMailHeader:
        return kMailHeaderSize;
      case Step::kLog:
        return command_.mail.header.log_len;
      case Step::kBody:
        return command_.mail.header.body_len;
      case Step::kAttachmentLength:
        return kU64Size;
      case Step::kAttachment:
        return attachment_length_;
      default:
        std::fprintf(stderr, "wire: step %d has no fixed length\n",
                     static_cast<int>(step));
        std::abort();
    }
  }

  void EnterStep(Step step) {
    step_ = step;
    if (step == Step::kDone) return;
    const size_t offset = Record().size();
    if (IsStrStep(step)) {
      reader_.StartStr(offset, limits_.max_str);
    } else {
      reader_.StartBytes(offset, FieldLength(step));
    }
  }

  // Reads fields until the command is complete (true) or the input is used
  // up (false). An error also returns true: the phase says which.
  bool ReadFields(std::string_view& data) {
    while (step_ != Step::kDone) {
      std::string& record = Record();
      const uint64_t remaining = reader_.Remaining(record);
      if (IsStrStep(step_) || remaining > 0) {
        if (data.empty()) return false;
        if (command_.kind == CommandKind::kMail && remaining > 0) {
          internal::GrowForAppend(record, std::min<uint64_t>(remaining, data.size()),
                                  planned_message_size_);
        }
        switch (reader_.Read(data, record)) {
          case FieldReader::Outcome::kNeedMore:
            return false;
          case FieldReader::Outcome::kTooLong:
            Fail(error::LimitExceeded(absl::StrCat(
                ToAbsl(StepName(step_)), " longer than ", limits_.max_str, " bytes")));
            return true;
          case FieldReader::Outcome::kDone:
            break;
        }
      }
      absl::Status status = CompleteStep(reader_.Value(record));
      if (!status.ok()) {
        Fail(std::move(status));
        return true;
      }
    }
    phase_ = Phase::kReady;
    return true;
  }

  // Stores a complete field, checks what can be checked from it, and moves
  // to the next field.
  absl::Status CompleteStep(std::string_view value) {
    Command& c = command_;
    MailMessage& mail = c.mail;
    switch (step_) {
      case Step::kAccount:
        c.account = std::string(value);
        switch (c.kind) {
          case CommandKind::kKeyRequest:
            // `KEYREQUEST\0\0` asks for the server's own key: no domain follows.
            EnterStep(value.empty() ? Step::kDone : Step::kDomain);
            break;
          case CommandKind::kRegister:
            EnterStep(Step::kDomain);
            break;
          case CommandKind::kAuth:
          case CommandKind::kLoginProof:
            EnterStep(Step::kSignature);
            break;
          default:
            EnterStep(Step::kDone);
        }
        return absl::OkStatus();
      case Step::kDomain:
        c.domain = std::string(value);
        EnterStep(c.kind == CommandKind::kRegister ? Step::kInviteToken : Step::kDone);
        return absl::OkStatus();
      case Step::kInviteToken:
        c.argument = std::string(value);
        EnterStep(Step::kCryptoType);
        return absl::OkStatus();
      case Step::kCryptoType:
        c.crypto_type = ReadU32(value.data());
        if (c.crypto_type != kCryptoTypeEd25519)
          return UnsupportedCryptoType(c.crypto_type);
        EnterStep(Step::kPublicKey);
        return absl::OkStatus();
      case Step::kPublicKey:
        c.public_key = std::string(value);
        EnterStep(Step::kLoginPublicKey);
        return absl::OkStatus();
      case Step::kLoginPublicKey:
        c.login_public_key = std::string(value);
        EnterStep(Step::kXzibitLength);
        return absl::OkStatus();
      case Step::kXzibitLength:
        xzibit_length_ = ReadU32(value.data());
        if (xzibit_length_ > limits_.max_xzibit) {
          return error::LimitExceeded(absl::StrCat("xzibit of ", xzibit_length_,
                                                   " bytes exceeds the limit of ",
                                                   limits_.max_xzibit, " bytes"));
        }
        EnterStep(Step::kXzibit);
        return absl::OkStatus();
      case Step::kXzibit:
        c.xzibit = std::string(value);
        EnterStep(Step::kSignature);
        return absl::OkStatus();
      case Step::kSignature:
        c.signature = std::string(value);
        EnterStep(Step::kDone);
        return absl::OkStatus();
      case Step::kMessageIdArgument:
        c.argument = std::string(value);
        EnterStep(Step::kDone);
        return absl::OkStatus();
      case Step::kMailHeader:
        return AcceptMailHeader(value);
      case Step::kDstAccount:
        mail.header.dst_account = std::string(value);
        EnterStep(Step::kDstDomain);
        return absl::OkStatus();
      case Step::kDstDomain:
        mail.header.dst_domain = std::string(value);
        EnterStep(Step::kSrcAccount);
        return absl::OkStatus();
      case Step::kSrcAccount:
        mail.header.src_account = std::string(value);
        EnterStep(Step::kSrcDomain);
        return absl::OkStatus();
      case Step::kSrcDomain:
        mail.header.src_domain = std::string(value);
        EnterStep(Step::kLog);
        mail.log_span = Span{reader_.start(), mail.header.log_len};
        return absl::OkStatus();
      case Step::kLog:
        EnterStep(Step::kBody);
        mail.body_span = Span{reader_.start(), mail.header.body_len};
        return absl::OkStatus();
      case Step::kBody:
        EnterNextAttachmentOrFinish();
        return absl::OkStatus();
      case Step::kAttachmentLength:
        return AcceptAttachmentLength(ReadU64(value.data()));
      case Step::kAttachment:
        ++attachments_read_;
        EnterNextAttachmentOrFinish();
        return absl::OkStatus();
      case Step::kDone:
        break;
    }
    std::fprintf(stderr, "wire: request parser completed a field after the command\n");
    std::abort();
  }

  // Every size in the header is checked here, before any payload byte is
  // read, so an oversize MAIL is refused without receiving it.
  absl::Status AcceptMailHeader(std::string_view header_bytes) {
    MailHeader& header = command_.mail.header;
    header.crypto_type = ReadU32(header_bytes.data());
    header.attachment_count = ReadU32(header_bytes.data() + 4);
    header.log_len = ReadU64(header_bytes.data() + 8);
    header.body_len = ReadU64(header_bytes.data() + 16);
    if (header.crypto_type != kCryptoTypeEd25519) {
      return UnsupportedCryptoType(header.crypto_type);
    }
    if (header.attachment_count > limits_.max_attachments) {
      return error::LimitExceeded(
          absl::StrCat("too many attachments: ", header.attachment_count, " (at most ",
                       limits_.max_attachments, ")"));
    }
    if (header.log_len > limits_.max_log) {
      return error::LimitExceeded(absl::StrCat("log of ", header.log_len,
                                               " bytes exceeds the limit of ",
                                               limits_.max_log, " bytes"));
    }
    // The body and each attachment's u64 length are known now; the attachment
    // bytes are added as their lengths arrive. No overflow: both terms are
    // bounded (body_len by the first test, the count by max_attachments).
    const uint64_t announced =
        header.body_len > limits_.max_message
            ? header.body_len
            : header.body_len + uint64_t{header.attachment_count} * kU64Size;
    if (announced > limits_.max_message) {
      return error::LimitExceeded(absl::StrCat("message of at least ", announced,
                                               " bytes exceeds the limit of ",
                                               limits_.max_message, " bytes"));
    }
    message_size_used_ = announced;
    planned_message_size_ = kMailHeaderSize + kEnvelopeStrs * (limits_.max_str + 1) +
                            header.log_len + announced;
    command_.mail.attachment_spans.reserve(header.attachment_count);
    EnterStep(Step::kDstAccount);
    return absl::OkStatus();
  }

  absl::Status AcceptAttachmentLength(uint64_t length) {
    // message_size_used_ already counts this attachment's u64.
    if (length > limits_.max_message - message_size_used_) {
      return error::LimitExceeded(
          absl::StrCat("attachment ", attachments_read_ + 1, " of ", length,
                       " bytes makes the message exceed the limit of ",
                       limits_.max_message, " bytes"));
    }
    message_size_used_ += length;
    planned_message_size_ += length;
    attachment_length_ = length;
    EnterStep(Step::kAttachment);
    command_.mail.attachment_spans.push_back(Span{reader_.start(), length});
    return absl::OkStatus();
  }

  void EnterNextAttachmentOrFinish() {
    EnterStep(attachments_read_ < command_.mail.header.attachment_count
                  ? Step::kAttachmentLength
                  : Step::kDone);
  }

  const Limits limits_;
  Phase phase_ = Phase::kWord;
  absl::Status error_;
  std::string word_;
  Command command_;
  Step step_ = Step::kDone;
  FieldReader reader_;
  uint32_t xzibit_length_ = 0;
  uint64_t attachment_length_ = 0;
  uint32_t attachments_read_ = 0;
  // MAIL: body + attachments (with their u64s) announced so far, against
  // max_message; and the most the message bytes can grow to.
  uint64_t message_size_used_ = 0;
  uint64_t planned_message_size_ = 0;
};

RequestParser::RequestParser(const Limits& limits)
    : impl_(std::make_unique<Impl>(limits)) {}
RequestParser::~RequestParser() = default;

RequestParser::Result RequestParser::Feed(std::string_view data) {
  return impl_->Feed(data);
}
Command RequestParser::TakeCommand() { return impl_->TakeCommand(); }
const absl::Status& RequestParser::error() const { return impl_->error(); }
bool RequestParser::InMailPayload() const { return impl_->InMailPayload(); }

}  // namespace cmtp::wire

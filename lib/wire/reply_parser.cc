#include "lib/wire/reply_parser.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/wire/field_reader.h"
#include "lib/wire/serializer.h"

namespace cmtp::wire {
namespace {

using internal::FieldReader;

constexpr std::string_view kSuccessWord = "SUCCESS";
constexpr std::string_view kFailureWord = "FAILURE";
constexpr size_t kStatusWordSize = 7;
constexpr size_t kLeadSize = 4;  // the u32 (or "FAIL"/"SUCC") that tells replies apart
constexpr size_t kKeySize = 32;
constexpr size_t kSignatureSize = 64;
constexpr size_t kChallengeSize = 32;
constexpr size_t kSaltSize = 16;
// u32 1 | key | 0x00 | sig | 0x00, and u32 0 | "KEYNOTAVAILABLE\0" | sig | 0x00.
constexpr size_t kKeyBlockSize = kLeadSize + kKeySize + 1 + kSignatureSize + 1;
constexpr size_t kNotAvailableSize = kLeadSize + 16 + kSignatureSize + 1;
constexpr size_t kXzibitV1Size = 156;
// u32 2 | salt | u64 opslimit | u64 memlimit | challenge.
constexpr size_t kLoginChallengeSize = kLeadSize + kSaltSize + 8 + 8 + kChallengeSize;
// The banner and the argument-less replies are short; a server that keeps
// sending without a NUL is cut off here rather than buffered without end.
constexpr size_t kMaxTextReply = 4096;
// A FETCH blob is the message bytes: the MAIL header and envelope strs and
// the log come on top of max_message.
constexpr uint64_t kMailHeaderSize = 24;
constexpr uint64_t kEnvelopeStrs = 4;

// Each field a reply can have, in wire order.
enum class Step {
  kTextOrStatus,       // kText: a str, unless it turns out to be a status reply
  kText,               // the rest of a text str
  kLead,               // kKeyBlock, kLogin: the first 4 bytes
  kStatusOrChallenge,  // kChallenge: the first 7 bytes
  kStatusWord,         // the status word (whole, or its last 3 bytes after kLead)
  kStatusSignature,
  kStatusDetail,
  kKeyBlockRest,
  kNotAvailableRest,
  kLoginV1Rest,
  kLoginV2Rest,
  kChallengeRest,
  kListCount,
  kEntryId,
  kEntrySize,
  kEntryArrival,
  kEntryAccount,
  kEntryDomain,
  kBlobLength,
  kBlob,
  kXzibitLength,
  kXzibit,
  kXzibitSignature,
  kDone,
};

bool IsStrStep(Step step) {
  switch (step) {
    case Step::kText:
    case Step::kStatusDetail:
    case Step::kEntryId:
    case Step::kEntryAccount:
    case Step::kEntryDomain:
      return true;
    default:
      return false;
  }
}

std::string_view StepName(Step step) {
  switch (step) {
    case Step::kText:
      return "text reply";
    case Step::kStatusDetail:
      return "status detail";
    case Step::kEntryId:
      return "message id";
    case Step::kEntryAccount:
      return "source account";
    case Step::kEntryDomain:
      return "source domain";
    default:
      return "field";
  }
}

bool StartsStatusWord(std::string_view prefix) {
  return kSuccessWord.starts_with(prefix) || kFailureWord.starts_with(prefix);
}

}  // namespace

class ReplyParser::Impl {
 public:
  Impl(ReplyKind expected, const Limits& limits) : limits_(limits) {
    reply_.kind = expected;
    switch (expected) {
      case ReplyKind::kText:
        step_ = Step::kTextOrStatus;
        break;
      case ReplyKind::kKeyBlock:
      case ReplyKind::kLogin:
        EnterStep(Step::kLead);
        break;
      case ReplyKind::kChallenge:
        EnterStep(Step::kStatusOrChallenge);
        break;
      case ReplyKind::kStatus:
      case ReplyKind::kStatusList:
      case ReplyKind::kStatusBlob:
      case ReplyKind::kStatusXzibit:
        EnterStep(Step::kStatusWord);
        break;
    }
  }

  Result Feed(std::string_view data) {
    const size_t offered = data.size();
    auto finish = [&](State state) { return Result{state, offered - data.size()}; };
    while (true) {
      switch (phase_) {
        case Phase::kReady:
          return finish(State::kReplyReady);
        case Phase::kError:
          return finish(State::kError);
        case Phase::kReading:
          if (!ReadFields(data)) return finish(State::kNeedMore);
          break;
        case Phase::kSpent:
          std::fprintf(stderr, "wire: ReplyParser fed after TakeReply\n");
          std::abort();
      }
    }
  }

  Reply TakeReply() {
    if (phase_ != Phase::kReady) {
      std::fprintf(stderr, "wire: ReplyParser::TakeReply without a ready reply\n");
      std::abort();
    }
    phase_ = Phase::kSpent;
    return std::move(reply_);
  }

  const absl::Status& error() const { return error_; }

 private:
  enum class Phase { kReading, kReady, kError, kSpent };

  void Fail(absl::Status status) {
    error_ = std::move(status);
    phase_ = Phase::kError;
  }

  uint64_t FieldLength(Step step) const {
    switch (step) {
      case Step::kLead:
        return kLeadSize;
      case Step::kStatusOrChallenge:
        return kStatusWordSize;
      case Step::kStatusWord:
        return kStatusWordSize - (reply_.raw.size() - status_start_);
      case Step::kStatusSignature:
      case Step::kXzibitSignature:
        return kSignatureSize;
      case Step::kKeyBlockRest:
        return kKeyBlockSize - kLeadSize;
      case Step::kNotAvailableRest:
        return kNotAvailableSize - kLeadSize;
      case Step::kLoginV1Rest:
        return kXzibitV1Size + kSignatureSize - kLeadSize;
      case Step::kLoginV2Rest:
        return kLoginChallengeSize + kSignatureSize - kLeadSize;
      case Step::kChallengeRest:
        return kChallengeSize - kStatusWordSize;
      case Step::kListCount:
        return 4;
      case Step::kEntrySize:
      case Step::kEntryArrival:
      case Step::kBlobLength:
        return 8;
      case Step::kBlob:
        return blob_length_;
      case Step::kXzibitLength:
        return 4;
      case Step::kXzibit:
        return xzibit_length_;
      default:
        std::fprintf(stderr, "wire: reply step %d has no fixed length\n",
                     static_cast<int>(step));
        std::abort();
    }
  }

  void EnterStep(Step step) {
    step_ = step;
    if (step == Step::kDone || step == Step::kTextOrStatus) return;
    if (IsStrStep(step)) {
      const size_t max = step == Step::kText ? kMaxTextReply : limits_.max_str;
      // A text str may have begun while telling it from a status word.
      reader_.StartStr(step == Step::kText ? 0 : reply_.raw.size(), max);
    } else {
      reader_.StartBytes(reply_.raw.size(), FieldLength(step));
    }
  }

  bool ReadFields(std::string_view& data) {
    std::string& raw = reply_.raw;
    while (step_ != Step::kDone) {
      if (step_ == Step::kTextOrStatus) {
        if (data.empty()) return false;
        ReadTextOrStatusByte(data);
        if (phase_ == Phase::kError) return true;
        continue;
      }
      const uint64_t remaining = reader_.Remaining(raw);
      if (IsStrStep(step_) || remaining > 0) {
        if (data.empty()) return false;
        if (step_ == Step::kBlob) {
          internal::GrowForAppend(raw, std::min<uint64_t>(remaining, data.size()),
                                  planned_size_);
        }
        switch (reader_.Read(data, raw)) {
          case FieldReader::Outcome::kNeedMore:
            return false;
          case FieldReader::Outcome::kTooLong:
            Fail(error::LimitExceeded(absl::StrCat(
                ToAbsl(StepName(step_)), " longer than ",
                step_ == Step::kText ? kMaxTextReply : limits_.max_str, " bytes")));
            return true;
          case FieldReader::Outcome::kDone:
            break;
        }
      }
      absl::Status status = CompleteStep(reader_.Value(raw));
      if (!status.ok()) {
        Fail(std::move(status));
        return true;
      }
    }
    phase_ = Phase::kReady;
    return true;
  }

  // A text reply and a status reply differ only in their first bytes, and a
  // text reply can be shorter than a status word ("O_O\n\0"): decide byte by
  // byte, as soon as the bytes stop spelling SUCCESS or FAILURE.
  void ReadTextOrStatusByte(std::string_view& data) {
    std::string& raw = reply_.raw;
    raw.push_back(data.front());
    data.remove_prefix(1);
    if (StartsStatusWord(raw)) {
      if (raw.size() == kStatusWordSize) {
        status_start_ = 0;
        AcceptStatusWord();
      }
      return;
    }
    if (raw.back() == '\0') {
      reply_.text = raw.substr(0, raw.size() - 1);
      step_ = Step::kDone;
      return;
    }
    EnterStep(Step::kText);
  }

  void AcceptStatusWord() {
    const std::string_view word = std::string_view(reply_.raw).substr(status_start_);
    reply_.has_status = true;
    reply_.status.success = word == kSuccessWord;
    EnterStep(Step::kStatusSignature);
  }

  absl::Status CompleteStep(std::string_view value) {
    Reply& r = reply_;
    switch (step_) {
      case Step::kText:
        r.text = std::string(value);
        EnterStep(Step::kDone);
        return absl::OkStatus();
      case Step::kLead:
        return AcceptLead(value);
      case Step::kStatusOrChallenge:
        status_start_ = 0;
        if (value == kSuccessWord || value == kFailureWord) {
          AcceptStatusWord();
        } else {
          EnterStep(Step::kChallengeRest);
        }
        return absl::OkStatus();
      case Step::kStatusWord: {
        const std::string_view word = std::string_view(r.raw).substr(status_start_);
        if (word != kSuccessWord && word != kFailureWord) {
          return error::InvalidInput("unexpected reply: expected SUCCESS or FAILURE");
        }
        AcceptStatusWord();
        return absl::OkStatus();
      }
      case Step::kStatusSignature:
        r.status.signature = std::string(value);
        EnterStep(Step::kStatusDetail);
        return absl::OkStatus();
      case Step::kStatusDetail:
        r.status.detail = std::string(value);
        EnterAfterStatus();
        return absl::OkStatus();
      case Step::kKeyBlockRest:
        return AcceptKeyBlock();
      case Step::kNotAvailableRest:
        return AcceptNotAvailable();
      case Step::kLoginV1Rest:
        r.login_version = 1;
        r.xzibit = r.raw.substr(0, kXzibitV1Size);
        r.signed_part = r.xzibit;
        r.signature = r.raw.substr(kXzibitV1Size, kSignatureSize);
        EnterStep(Step::kDone);
        return absl::OkStatus();
      case Step::kLoginV2Rest:
        AcceptLoginChallenge();
        return absl::OkStatus();
      case Step::kChallengeRest:
        r.challenge = r.raw.substr(0, kChallengeSize);
        EnterStep(Step::kDone);
        return absl::OkStatus();
      case Step::kListCount:
        return AcceptListCount(ReadU32(value.data()));
      case Step::kEntryId:
        r.entries.emplace_back().message_id = std::string(value);
        EnterStep(Step::kEntrySize);
        return absl::OkStatus();
      case Step::kEntrySize:
        r.entries.back().size = ReadU64(value.data());
        EnterStep(Step::kEntryArrival);
        return absl::OkStatus();
      case Step::kEntryArrival:
        r.entries.back().arrival_unix_ms = ReadU64(value.data());
        EnterStep(Step::kEntryAccount);
        return absl::OkStatus();
      case Step::kEntryAccount:
        r.entries.back().src_account = std::string(value);
        EnterStep(Step::kEntryDomain);
        return absl::OkStatus();
      case Step::kEntryDomain:
        r.entries.back().src_domain = std::string(value);
        EnterStep(r.entries.size() < list_count_ ? Step::kEntryId : Step::kDone);
        return absl::OkStatus();
      case Step::kBlobLength:
        return AcceptBlobLength(ReadU64(value.data()));
      case Step::kBlob:
        r.blob = std::string(value);
        EnterStep(Step::kDone);
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
        r.xzibit = std::string(value);
        r.signed_part = r.xzibit;
        EnterStep(Step::kXzibitSignature);
        return absl::OkStatus();
      case Step::kXzibitSignature:
        r.signature = std::string(value);
        EnterStep(Step::kDone);
        return absl::OkStatus();
      case Step::kTextOrStatus:
      case Step::kDone:
        break;
    }
    std::fprintf(stderr, "wire: reply parser completed an impossible step\n");
    std::abort();
  }

  // The first 4 bytes of a KEYREQUEST or LOGIN reply say which reply it is.
  absl::Status AcceptLead(std::string_view lead) {
    if (lead == kSuccessWord.substr(0, kLeadSize) ||
        lead == kFailureWord.substr(0, kLeadSize)) {
      status_start_ = 0;
      EnterStep(Step::kStatusWord);
      return absl::OkStatus();
    }
    const uint32_t value = ReadU32(lead.data());
    const bool login = reply_.kind == ReplyKind::kLogin;
    if (value == 0) {
      EnterStep(Step::kNotAvailableRest);
    } else if (value == 1) {
      EnterStep(login ? Step::kLoginV1Rest : Step::kKeyBlockRest);
    } else if (value == 2 && login) {
      EnterStep(Step::kLoginV2Rest);
    } else {
      return error::InvalidInput(absl::StrCat(
          login ? "unknown LOGIN reply version " : "unsupported key block crypto type ",
          value));
    }
    return absl::OkStatus();
  }

  absl::Status AcceptKeyBlock() {
    Reply& r = reply_;
    constexpr size_t kKeyEnd = kLeadSize + kKeySize;
    if (r.raw[kKeyEnd] != '\0' || r.raw[kKeyBlockSize - 1] != '\0') {
      return error::InvalidInput("malformed key block: missing NUL separators");
    }
    r.key_available = true;
    r.crypto_type = ReadU32(r.raw.data());
    r.public_key = r.raw.substr(kLeadSize, kKeySize);
    r.signed_part = r.public_key;
    r.signature = r.raw.substr(kKeyEnd + 1, kSignatureSize);
    EnterStep(Step::kDone);
    return absl::OkStatus();
  }

  absl::Status AcceptNotAvailable() {
    Reply& r = reply_;
    const std::string_view marker = NotAvailableSignedBytes();
    if (std::string_view(r.raw).substr(kLeadSize, marker.size()) != marker ||
        r.raw[kNotAvailableSize - 1] != '\0') {
      return error::InvalidInput("malformed key-not-available block");
    }
    r.key_available = false;
    r.crypto_type = 0;
    r.login_version = 0;
    r.signed_part = std::string(marker);
    r.signature = r.raw.substr(kLeadSize + marker.size(), kSignatureSize);
    EnterStep(Step::kDone);
    return absl::OkStatus();
  }

  void AcceptLoginChallenge() {
    Reply& r = reply_;
    const char* p = r.raw.data() + kLeadSize;
    r.login_version = 2;
    r.salt = std::string(p, kSaltSize);
    r.opslimit = ReadU64(p + kSaltSize);
    r.memlimit = ReadU64(p + kSaltSize + 8);
    r.challenge = std::string(p + kSaltSize + 16, kChallengeSize);
    r.signed_part = r.raw.substr(0, kLoginChallengeSize);
    r.signature = r.raw.substr(kLoginChallengeSize, kSignatureSize);
    EnterStep(Step::kDone);
  }

  // A SUCCESS to LIST, FETCH or LOGINPROOF carries a payload after the status.
  void EnterAfterStatus() {
    if (!reply_.status.success) {
      EnterStep(Step::kDone);
      return;
    }
    switch (reply_.kind) {
      case ReplyKind::kStatusList:
        EnterStep(Step::kListCount);
        return;
      case ReplyKind::kStatusBlob:
        EnterStep(Step::kBlobLength);
        return;
      case ReplyKind::kStatusXzibit:
        EnterStep(Step::kXzibitLength);
        return;
      default:
        EnterStep(Step::kDone);
    }
  }

  absl::Status AcceptListCount(uint32_t count) {
    if (count > limits_.max_list_entries) {
      return error::LimitExceeded(absl::StrCat("LIST reply of ", count,
                                               " entries exceeds the limit of ",
                                               limits_.max_list_entries));
    }
    list_count_ = count;
    // Reserve for what a typical mailbox holds, not for what the count claims.
    constexpr uint32_t kEntriesReservedUpFront = 1024;
    reply_.entries.reserve(std::min(count, kEntriesReservedUpFront));
    EnterStep(count == 0 ? Step::kDone : Step::kEntryId);
    return absl::OkStatus();
  }

  absl::Status AcceptBlobLength(uint64_t length) {
    const uint64_t max_blob = limits_.max_message + kMailHeaderSize +
                              kEnvelopeStrs * (limits_.max_str + 1) + limits_.max_log;
    if (length > max_blob) {
      return error::LimitExceeded(absl::StrCat(
          "FETCH reply of ", length, " bytes exceeds the limit of ", max_blob, " bytes"));
    }
    blob_length_ = length;
    planned_size_ = reply_.raw.size() + length;
    EnterStep(Step::kBlob);
    return absl::OkStatus();
  }

  const Limits limits_;
  Phase phase_ = Phase::kReading;
  absl::Status error_;
  Reply reply_;
  Step step_ = Step::kDone;
  FieldReader reader_;
  size_t status_start_ = 0;  // where the status word starts in raw
  uint32_t list_count_ = 0;
  uint64_t blob_length_ = 0;
  uint32_t xzibit_length_ = 0;
  uint64_t planned_size_ = 0;
};

ReplyParser::ReplyParser(ReplyKind expected, const Limits& limits)
    : impl_(std::make_unique<Impl>(expected, limits)) {}
ReplyParser::~ReplyParser() = default;

ReplyParser::Result ReplyParser::Feed(std::string_view data) { return impl_->Feed(data); }
Reply ReplyParser::TakeReply() { return impl_->TakeReply(); }
const absl::Status& ReplyParser::error() const { return impl_->error(); }

}  // namespace cmtp::wire

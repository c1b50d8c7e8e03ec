// Debian's Abseil 20220623 is built with ABSL_OPTION_USE_STD_STRING_VIEW=0:
// absl::string_view is its own type and does not convert from
// std::string_view. The suite's APIs use std::string_view; this is the one
// bridge for handing such a view to Abseil (StrCat, Status messages, ...).
#ifndef CMTP_LIB_COMMON_STRINGS_H_
#define CMTP_LIB_COMMON_STRINGS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace cmtp {

inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

inline std::string_view FromAbsl(absl::string_view s) {
  return std::string_view(s.data(), s.size());
}

}  // namespace cmtp

#endif  // CMTP_LIB_COMMON_STRINGS_H_

// The streams a subcommand talks through; tests pass string streams.
#ifndef CMTP_TOOLS_CMTP_TERMINAL_H_
#define CMTP_TOOLS_CMTP_TERMINAL_H_

#include <istream>
#include <ostream>

namespace cmtp::cli {

struct Terminal {
  std::istream& in;
  std::ostream& out;  // results, for scripts
  std::ostream& err;  // progress, warnings and errors, for people
};

}  // namespace cmtp::cli

#endif  // CMTP_TOOLS_CMTP_TERMINAL_H_

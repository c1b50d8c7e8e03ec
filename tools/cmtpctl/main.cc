// cmtpctl: the operator's tool (docs/services.md, "CLIs").
#include <iostream>
#include <string>
#include <vector>

#include "tools/cmtpctl/ctl_cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  cmtp::cli::Terminal terminal{std::cin, std::cout, std::cerr};
  const int code = cmtp::ctl::RunCtl(args, terminal);
  std::cout.flush();
  return code;
}

// cmtp: the user's command-line client (docs/services.md, "CLIs").
#include <iostream>
#include <string>
#include <vector>

#include "tools/cmtp/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  cmtp::cli::Terminal terminal{std::cin, std::cout, std::cerr};
  const int code = cmtp::cli::RunCli(args, terminal);
  std::cout.flush();
  return code;
}

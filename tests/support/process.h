// A child process for integration tests: started with fork/exec, its output
// going to a log file, stopped with a signal of the test's choosing.
#ifndef CMTP_TESTS_SUPPORT_PROCESS_H_
#define CMTP_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace cmtp::testing {

class Process {
 public:
  Process() = default;
  ~Process();  // SIGKILLs a process still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;

  // argv[0] is the program path. `env` entries are added to (and override)
  // the current environment. stdout and stderr go to `log_path` (appended).
  bool Start(const std::vector<std::string>& argv,
             const std::map<std::string, std::string>& env,
             const std::string& log_path);

  // Sends `signal` and waits up to `timeout` for the exit; SIGKILL after it.
  // Returns the wait status (or -1 when nothing was running).
  int Stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // SIGKILL, wait.
  void Kill();
  bool Running();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// Runs a command to completion, feeding `stdin_data`, and returns its exit
// code with stdout and stderr captured.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::string& stdin_data = "",
                         const std::map<std::string, std::string>& env = {},
                         std::chrono::seconds timeout = std::chrono::seconds(120));

// Polls `ready` every 20 ms until it returns true or `timeout` passes.
template <typename F>
bool WaitFor(F ready, std::chrono::milliseconds timeout = std::chrono::seconds(15));

// Reads an integer port from a file written by a service's --port-file,
// waiting for it to appear. Returns 0 on timeout.
int WaitForPortFile(const std::string& path,
                    std::chrono::milliseconds timeout = std::chrono::seconds(15));

// True when something accepts TCP connections on 127.0.0.1:port.
bool CanConnect(int port);

}  // namespace cmtp::testing

#include <thread>

namespace cmtp::testing {
template <typename F>
bool WaitFor(F ready, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return ready();
}
}  // namespace cmtp::testing

#endif  // CMTP_TESTS_SUPPORT_PROCESS_H_

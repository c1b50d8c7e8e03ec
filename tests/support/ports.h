#ifndef CMTP_TESTS_SUPPORT_PORTS_H_
#define CMTP_TESTS_SUPPORT_PORTS_H_

#include <string>

namespace cmtp::testing {

// A TCP port on 127.0.0.1 that was free a moment ago, for processes that do
// not take port 0 themselves. It is drawn at random from below the system's
// ephemeral range (/proc/sys/net/ipv4/ip_local_port_range), where no
// outgoing connection takes its local port: a port from port 0 is in that
// range, and any connection opened before the process binds it may take it.
// Each port is also claimed for the life of the calling process (a lock file
// in /tmp/cmtp-test-ports), so tests running side by side never pick the
// same one.
int FreePort();

// Path of a fixture file in shared/vectors/reference.
std::string VectorPath(const std::string& name);
// Whole file contents; aborts the test binary when the file is missing.
std::string ReadFileOrDie(const std::string& path);
// A fresh directory under $TMPDIR (or /tmp), removed by the caller if wanted.
std::string MakeTempDir(const std::string& prefix);

}  // namespace cmtp::testing

#endif  // CMTP_TESTS_SUPPORT_PORTS_H_

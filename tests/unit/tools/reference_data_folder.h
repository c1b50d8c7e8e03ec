// Builds a reference server's data folder from the captured vectors:
// mail/alice/{public.key, alice.xzibit}, mail/bob/{public.key, <message>}.
#ifndef CMTP_TESTS_UNIT_TOOLS_REFERENCE_DATA_FOLDER_H_
#define CMTP_TESTS_UNIT_TOOLS_REFERENCE_DATA_FOLDER_H_

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "tests/support/ports.h"

namespace cmtp::testing {

inline void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// The stored message: the capture minus "MAIL\0" and the trailing "OBAI\0".
inline std::string ReferenceMessageBytes() {
  const std::string capture = ReadFileOrDie(VectorPath("mail_from_alice_client.bin"));
  return capture.substr(5, capture.size() - 10);
}

inline std::string MakeReferenceDataFolder() {
  const std::string root = MakeTempDir("cmtp-reference-");
  mkdir((root + "/mail").c_str(), 0700);
  mkdir((root + "/mail/alice").c_str(), 0700);
  mkdir((root + "/mail/bob").c_str(), 0700);
  WriteBytes(root + "/mail/alice/public.key",
             ReadFileOrDie(VectorPath("alice_public.key")));
  WriteBytes(root + "/mail/alice/alice.xzibit",
             ReadFileOrDie(VectorPath("alice.xzibit")));
  WriteBytes(root + "/mail/bob/public.key", ReadFileOrDie(VectorPath("bob_public.key")));
  WriteBytes(root + "/mail/bob/1453370400", ReferenceMessageBytes());
  return root;
}

}  // namespace cmtp::testing

#endif  // CMTP_TESTS_UNIT_TOOLS_REFERENCE_DATA_FOLDER_H_

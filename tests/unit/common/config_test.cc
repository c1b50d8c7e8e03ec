// Config: flag > environment > file > default, and file errors that name
// the line.
#include "lib/common/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

namespace cmtp {
namespace {

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/config_test_" + std::to_string(getpid());
    ::mkdir(dir_.c_str(), 0700);
    unsetenv("CMTP_TEST_COLOUR");
    unsetenv("CMTP_CONFIG");
  }
  void TearDown() override {
    unsetenv("CMTP_TEST_COLOUR");
    unsetenv("CMTP_CONFIG");
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  static void Declare(Config& config) {
    config.Add("colour", "CMTP_TEST_COLOUR", "red", "a colour");
    config.Add("size", "", "1", "a size");
    config.Add("verbose", "", "false", "talk more");
  }

  absl::Status ParseArgs(Config& config, std::vector<std::string> args) {
    args.insert(args.begin(), "prog");
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    return config.Parse(static_cast<int>(argv.size()), argv.data());
  }

  std::string dir_;
};

TEST_F(ConfigFileTest, FileValuesReplaceDefaults) {
  std::string path = WriteFile("a.conf",
                               "# settings\n"
                               "\n"
                               "colour = blue\n"
                               "  size=  42  \n"
                               "verbose = \"true\"\n");
  Config config("prog", "test");
  Declare(config);
  ASSERT_TRUE(ParseArgs(config, {"--config", path}).ok());
  EXPECT_EQ(config.Get("colour"), "blue");
  EXPECT_EQ(config.GetInt("size"), 42);
  EXPECT_TRUE(config.GetBool("verbose"));
}

TEST_F(ConfigFileTest, FlagBeatsEnvironmentBeatsFile) {
  std::string path = WriteFile("b.conf", "colour = blue\nsize = 7\n");
  {
    Config config("prog", "test");
    Declare(config);
    setenv("CMTP_TEST_COLOUR", "green", 1);
    ASSERT_TRUE(ParseArgs(config, {"--config=" + path}).ok());
    EXPECT_EQ(config.Get("colour"), "green");
    EXPECT_EQ(config.Get("size"), "7");
  }
  {
    Config config("prog", "test");
    Declare(config);
    ASSERT_TRUE(ParseArgs(config, {"--colour", "white", "--config", path}).ok());
    EXPECT_EQ(config.Get("colour"), "white");
  }
}

TEST_F(ConfigFileTest, EnvironmentNamesTheFile) {
  std::string path = WriteFile("c.conf", "size = 9\n");
  setenv("CMTP_CONFIG", path.c_str(), 1);
  Config config("prog", "test");
  Declare(config);
  ASSERT_TRUE(ParseArgs(config, {}).ok());
  EXPECT_EQ(config.Get("size"), "9");
}

TEST_F(ConfigFileTest, UnknownNameIsAnErrorNamingTheLine) {
  std::string path = WriteFile("d.conf", "colour = blue\n# fine\nshape = round\n");
  Config config("prog", "test");
  Declare(config);
  absl::Status status = ParseArgs(config, {"--config", path});
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), path + ":3: unknown option \"shape\"");
  // A bad file applies nothing.
  EXPECT_EQ(config.Get("colour"), "red");
}

TEST_F(ConfigFileTest, MalformedLinesAreErrors) {
  for (const std::string& bad :
       {std::string("colour blue\n"), std::string(" = blue\n"),
        std::string("colour = a\ncolour = b\n"), std::string("config = other.conf\n")}) {
    Config config("prog", "test");
    Declare(config);
    absl::Status status = config.LoadText(bad, "x.conf");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(status.message().rfind("x.conf:", 0) == 0) << status.message();
  }
  Config config("prog", "test");
  Declare(config);
  EXPECT_EQ(config.LoadText("size = 1\nsize = 2\n", "y.conf").message(),
            "y.conf:2: option \"size\" given twice");
}

TEST_F(ConfigFileTest, MissingFileIsAnError) {
  Config config("prog", "test");
  Declare(config);
  absl::Status status = ParseArgs(config, {"--config", dir_ + "/absent.conf"});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("absent.conf"), absl::string_view::npos);
}

TEST_F(ConfigFileTest, ValuesMayContainEqualsSigns) {
  Config config("prog", "test");
  Declare(config);
  ASSERT_TRUE(config.LoadText("colour = a=b\n", "z.conf").ok());
  EXPECT_EQ(config.Get("colour"), "a=b");
}

}  // namespace
}  // namespace cmtp

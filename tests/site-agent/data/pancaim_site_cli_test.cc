// Tests of the pancaim-site executable (site-agent/data/cli): exit codes, --json output, --help.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "synthetic_site.h"

namespace pancaim::sitedata {
namespace {

struct Result {
  int exit_code = -1;
  std::string out;
};

Result RunSite(const std::string& args) {
  const std::string command =
      std::string(PANCAIM_BINARY_DIR) + "/bin/pancaim-site " + args + " 2>/dev/null";
  Result result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  std::size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.out.append(buffer.data(), got);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST(PancaimSiteCli, ExitCodesAndJson) {
  testing::SyntheticSite site(/*bad_records=*/true);
  const std::string config = "--config " + site.config_path().string();
  Result lenient = RunSite("check-data --no-progress --json " + config);
  EXPECT_EQ(lenient.exit_code, 0);
  const auto json = nlohmann::json::parse(lenient.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(json.is_discarded()) << lenient.out;
  EXPECT_EQ(json.at("problems"), 7);
  EXPECT_EQ(RunSite("check-data --no-progress --strict " + config).exit_code, 1);
  EXPECT_EQ(RunSite("check-data --config /nonexistent.json").exit_code, 105);  // CLI11: file missing
  Result help = RunSite("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("check-data"), std::string::npos);
}

TEST(PancaimSiteCli, InvalidUtf8InTheManifestStillGivesJson) {
  testing::SyntheticSite site(/*bad_records=*/false);
  FILE* file = std::fopen(site.manifest_path().c_str(), "a");
  std::fputs("P10,test,,,,,,,\xff\xfe,F,,,1,3,1\n", file);
  std::fclose(file);
  Result result = RunSite("check-data --no-progress --json --config " + site.config_path().string());
  EXPECT_EQ(result.exit_code, 0);
  const auto json = nlohmann::json::parse(result.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(json.is_discarded()) << result.out;
  EXPECT_EQ(json.at("problems"), 1);
}

TEST(PancaimSiteCli, BadConfigIsExitTwo) {
  imaging::testing::TempDir dir;
  const auto path = dir.path() / "site.json";
  FILE* file = std::fopen(path.c_str(), "w");
  std::fputs("{\"site\": {\"id\": \"x\"}}", file);
  std::fclose(file);
  EXPECT_EQ(RunSite("check-data --config " + path.string()).exit_code, 2);
}

}  // namespace
}  // namespace pancaim::sitedata

#include "pancaim/coordinator/audit_log.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "pancaim/common/files.h"

namespace pancaim::coordinator {
namespace {

std::filesystem::path FreshFile(const std::string& name) {
  std::filesystem::path path = std::filesystem::path(::testing::TempDir()) / ("audit_" + name);
  std::filesystem::remove(path);
  return path;
}

std::vector<std::string> Lines(const std::filesystem::path& path) {
  std::vector<std::string> lines;
  std::istringstream text(*ReadFile(path));
  for (std::string line; std::getline(text, line);) lines.push_back(line);
  return lines;
}

void WriteLines(const std::filesystem::path& path, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  ASSERT_TRUE(WriteFileAtomic(path, text).ok());
}

// A log of a small round: run submitted, round opened, two updates, closed, model produced.
std::filesystem::path WriteSampleLog(const std::string& name) {
  std::filesystem::path path = FreshFile(name);
  auto log = AuditLog::Open(path, [] { return std::string("2026-11-28T08:00:00.000Z"); });
  EXPECT_TRUE(log.ok()) << log.status();
  EXPECT_TRUE((*log)->Append(audit::kRunSubmitted, {{"run_id", "r1"}, {"operator", "alice"}}).ok());
  EXPECT_TRUE((*log)->Append(audit::kRoundOpened, {{"run_id", "r1"}, {"round", 1}}).ok());
  EXPECT_TRUE((*log)->Append(audit::kUpdateAccepted,
                             {{"site", "umcg"}, {"bytes", 1234}, {"sha256", std::string(64, 'a')}})
                  .ok());
  EXPECT_TRUE((*log)->Append(audit::kUpdateRejected,
                             {{"site", "radboud"}, {"reason", "tensor 'w' element 3 is nan"}})
                  .ok());
  EXPECT_TRUE((*log)->Append(audit::kRoundClosed, {{"run_id", "r1"}, {"round", 1}}).ok());
  EXPECT_TRUE((*log)->Append(audit::kModelProduced, {{"round", 1}, {"sha256", std::string(64, 'b')}}).ok());
  return path;
}

TEST(AuditLogTest, ChainVerifiesAndReopensAtTheHead) {
  std::filesystem::path path = WriteSampleLog("verify");
  auto verified = VerifyAuditLog(path);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->records, 6);
  auto log = AuditLog::Open(path);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ((*log)->records(), 6);
  EXPECT_EQ((*log)->head_hash(), verified->head_hash);
  ASSERT_TRUE((*log)->Append(audit::kRoundOpened, {{"round", 2}}).ok());
  EXPECT_EQ(VerifyAuditLog(path)->records, 7);
  // Records are canonical JSON with the chain fields.
  nlohmann::json first = nlohmann::json::parse(Lines(path)[0]);
  EXPECT_EQ(first["prev"], AuditGenesisHash());
  EXPECT_EQ(first["type"], "run_submitted");
  EXPECT_EQ(first["data"]["operator"], "alice");
}

void ExpectBrokenAt(const std::filesystem::path& path, int line, bool check_open = true) {
  auto verified = VerifyAuditLog(path);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(verified.status().message().find(path.string() + ":" + std::to_string(line) + ":"),
            std::string::npos)
      << verified.status();
  // A broken log is not appended to.
  if (check_open) {
    EXPECT_EQ(AuditLog::Open(path).status().code(), StatusCode::kDataLoss);
  }
}

TEST(AuditLogTest, DetectsAnEditedByte) {
  std::filesystem::path path = WriteSampleLog("edit");
  std::vector<std::string> lines = Lines(path);
  const std::size_t at = lines[2].find("umcg");
  lines[2][at] = 'x';  // "xmcg": still valid JSON, different content
  WriteLines(path, lines);
  ExpectBrokenAt(path, 3);
}

TEST(AuditLogTest, DetectsAnEditOfTheLastLine) {
  std::filesystem::path path = WriteSampleLog("edit_last");
  std::vector<std::string> lines = Lines(path);
  lines[5][lines[5].find("\"round\":1") + 8] = '2';
  WriteLines(path, lines);
  ExpectBrokenAt(path, 6);
}

TEST(AuditLogTest, DetectsWhitespaceEdits) {
  std::filesystem::path path = WriteSampleLog("space");
  std::vector<std::string> lines = Lines(path);
  lines[1].insert(1, " ");
  WriteLines(path, lines);
  ExpectBrokenAt(path, 2);
}

TEST(AuditLogTest, DetectsADeletedLine) {
  std::filesystem::path path = WriteSampleLog("delete");
  std::vector<std::string> lines = Lines(path);
  lines.erase(lines.begin() + 3);
  WriteLines(path, lines);
  ExpectBrokenAt(path, 4);
}

TEST(AuditLogTest, DetectsReorderedLines) {
  std::filesystem::path path = WriteSampleLog("reorder");
  std::vector<std::string> lines = Lines(path);
  std::swap(lines[1], lines[2]);
  WriteLines(path, lines);
  ExpectBrokenAt(path, 2);
}

TEST(AuditLogTest, VerifyReportsATornLastLine) {
  std::filesystem::path path = WriteSampleLog("torn");
  std::string text = *ReadFile(path);
  text += "{\"data\":{\"site\":\"um";  // a crash in the middle of an append
  ASSERT_TRUE(WriteFileAtomic(path, text).ok());
  ExpectBrokenAt(path, 7, /*check_open=*/false);  // Open repairs it instead: see below
}

TEST(AuditLogTest, OpenCutsTornTailAndRecordsIt) {
  std::filesystem::path path = WriteSampleLog("torn_open");
  std::string text = *ReadFile(path);
  ASSERT_TRUE(WriteFileAtomic(path, text + "{\"data\":{\"si").ok());
  auto log = AuditLog::Open(path);
  ASSERT_TRUE(log.ok()) << log.status();
  auto verified = VerifyAuditLog(path);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->records, 7);
  nlohmann::json last = nlohmann::json::parse(Lines(path).back());
  EXPECT_EQ(last["type"], "log_repaired");
  EXPECT_EQ(last["data"]["dropped_bytes"], 12);
}

TEST(AuditLogTest, CommandLineVerify) {
  const std::string binary = std::string(PANCAIM_BINARY_DIR) + "/bin/pancaim-coordinator";
  if (!std::filesystem::exists(binary)) GTEST_SKIP() << binary << " not built";
  std::filesystem::path path = WriteSampleLog("cli");
  EXPECT_EQ(std::system((binary + " audit verify " + path.string() + " > /dev/null").c_str()), 0);
  std::vector<std::string> lines = Lines(path);
  std::swap(lines[3], lines[4]);
  WriteLines(path, lines);
  EXPECT_NE(std::system((binary + " audit verify " + path.string() + " 2> /dev/null").c_str()), 0);
  EXPECT_EQ(std::system((binary + " --help > /dev/null").c_str()), 0);
}

}  // namespace
}  // namespace pancaim::coordinator

// Tests of csv.h: RFC 4180 quoting, line endings, and located syntax errors.
#include "pancaim/site_data/csv.h"

#include <gtest/gtest.h>

namespace pancaim::sitedata {
namespace {

TEST(Csv, QuotingAndLineEndings) {
  const std::string text =
      "\xEF\xBB\xBF" "a,b,c\r\n"
      "1,\"x, y\",\"say \"\"hi\"\"\"\r\n"
      "\n"
      "2,\"two\nlines\",\n"
      "3,,last";
  StatusOr<std::vector<CsvRecord>> rows = ParseCsv(text, "m.csv");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ((*rows)[0].fields, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ((*rows)[1].fields, (std::vector<std::string>{"1", "x, y", "say \"hi\""}));
  EXPECT_EQ((*rows)[2].line, 4);
  EXPECT_EQ((*rows)[2].fields, (std::vector<std::string>{"2", "two\nlines", ""}));
  EXPECT_EQ((*rows)[3].line, 6);
  EXPECT_EQ((*rows)[3].fields, (std::vector<std::string>{"3", "", "last"}));
}

TEST(Csv, QuotedFieldAfterComma) {
  StatusOr<std::vector<CsvRecord>> rows = ParseCsv("x,\"a;b\",\"\"\n", "m.csv");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ((*rows)[0].fields, (std::vector<std::string>{"x", "a;b", ""}));
}

TEST(Csv, SyntaxErrorsNameLineAndField) {
  StatusOr<std::vector<CsvRecord>> open = ParseCsv("a,b\n1,\"never closed\n", "m.csv");
  EXPECT_EQ(open.status().message(), "m.csv:2: field 2: unterminated quoted field");
  StatusOr<std::vector<CsvRecord>> stray = ParseCsv("a,b\nx,ab\"c\n", "m.csv");
  EXPECT_NE(stray.status().message().find("m.csv:2: field 2: quote inside"), std::string::npos);
  StatusOr<std::vector<CsvRecord>> after = ParseCsv("\"a\"b\n", "m.csv");
  EXPECT_NE(after.status().message().find("after a closing quote"), std::string::npos);
}

TEST(Csv, Limits) {
  CsvLimits limits;
  limits.max_records = 2;
  EXPECT_EQ(ParseCsv("a\nb\nc\n", "m.csv", limits).status().code(), StatusCode::kResourceExhausted);
  limits = CsvLimits();
  limits.max_field_bytes = 4;
  EXPECT_EQ(ParseCsv("abcdef\n", "m.csv", limits).status().code(), StatusCode::kResourceExhausted);
  limits = CsvLimits();
  limits.max_fields = 2;
  EXPECT_EQ(ParseCsv("a,b,c\n", "m.csv", limits).status().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace pancaim::sitedata

#include "pancaim/common/config_schema.h"

#include <gtest/gtest.h>

namespace pancaim::config {
namespace {

using nlohmann::json;

Schema ServerSchema() {
  Schema tls("TLS files.");
  tls.Add("ca", Field::String("CA certificate").Required());
  tls.Add("crl_grace_s", Field::Integer("CRL grace").Default(0).Min(0));
  Schema site("One site.");
  site.Add("name", Field::String("site id").Required());
  site.Add("weight", Field::Number("weight").Default(1.0).Range(0, 10));
  Schema schema("A test server.");
  schema.Add("port", Field::Integer("TCP port").Default(8443).Range(1, 65535));
  schema.Add("mode", Field::String("mode").Default("fedavg").OneOf({"fedavg", "median"}));
  schema.Add("verbose", Field::Boolean("chatty").Default(false));
  schema.Add("tls", Field::Object(tls, "TLS"));
  schema.Add("sites", Field::Array(Field::Object(site, "site"), "sites").Default(json::array()));
  schema.Add("extra", Field::Any("free-form"));
  return schema;
}

TEST(ConfigSchemaTest, FillsDefaultsRecursively) {
  auto result = ServerSchema().Validate(json{{"tls", {{"ca", "ca.pem"}}}});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ((*result)["port"], 8443);
  EXPECT_EQ((*result)["mode"], "fedavg");
  EXPECT_EQ((*result)["tls"]["crl_grace_s"], 0);
  EXPECT_FALSE(result->contains("extra"));
}

TEST(ConfigSchemaTest, UnknownKeyNamesItsPath) {
  auto result = ServerSchema().Validate(json{{"tls", {{"ca", "x"}, {"cert", "y"}}}});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("unknown key 'tls.cert'"), std::string::npos)
      << result.status();
}

TEST(ConfigSchemaTest, WrongTypeNamesPathAndTypes) {
  auto result = ServerSchema().Validate(json{{"port", "8443"}, {"tls", {{"ca", "x"}}}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "key 'port': expected an integer, got string");
}

TEST(ConfigSchemaTest, RangeAndChoicesEnforced) {
  auto port = ServerSchema().Validate(json{{"port", 70000}, {"tls", {{"ca", "x"}}}});
  EXPECT_EQ(port.status().code(), StatusCode::kOutOfRange);
  auto mode = ServerSchema().Validate(json{{"mode", "krum"}, {"tls", {{"ca", "x"}}}});
  ASSERT_FALSE(mode.ok());
  EXPECT_NE(mode.status().message().find("'krum' is not one of fedavg, median"), std::string::npos);
}

TEST(ConfigSchemaTest, ArrayElementsValidatedWithIndex) {
  json input = {{"tls", {{"ca", "x"}}},
                {"sites", json::array({{{"name", "a"}}, {{"name", "b"}, {"weight", -1}}})}};
  auto result = ServerSchema().Validate(input);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("key 'sites[1].weight'"), std::string::npos)
      << result.status();
}

TEST(ConfigSchemaTest, MissingRequiredKey) {
  auto result = ServerSchema().Validate(json::object());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "missing required key 'tls.ca'");
}

TEST(ConfigSchemaTest, ParseJsonReportsLineAndColumn) {
  auto result = ParseJson("{\n  \"port\": 1,\n  oops\n}", "site.json");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message().rfind("site.json:3:", 0), 0u) << result.status();
}

TEST(ConfigSchemaTest, MarkdownListsNestedKeys) {
  std::string markdown = ServerSchema().Markdown("Server");
  EXPECT_NE(markdown.find("| `tls.ca` | string | required | CA certificate |"), std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("`sites[].weight`"), std::string::npos);
  EXPECT_NE(markdown.find("integer, 1…65535"), std::string::npos);
}

}  // namespace
}  // namespace pancaim::config

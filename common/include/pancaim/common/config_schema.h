// Declarative schemas for the JSON configuration files (coordinator, site, scenario, run).
//
// A Schema lists an object's keys with type, default, range and a sentence of documentation.
// Validate() refuses unknown keys and wrong types with the key's full path ("server.port",
// "sites[2].name"), fills in defaults, and returns the completed document. The same schema renders
// the Markdown in docs/configuration.md, and a test keeps that file in step with the code.
//
// Schemas are immutable once built and safe to share between threads for validation.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"

namespace pancaim::config {

class Schema;

// One key of an object: what it holds and how it is checked. Built with the named constructors
// and chained setters: Field::Integer("TCP port").Default(8443).Range(1, 65535).
class Field {
 public:
  enum class Kind { kString, kInteger, kNumber, kBoolean, kObject, kArray, kAny };

  static Field String(std::string doc);
  static Field Integer(std::string doc);
  static Field Number(std::string doc);
  static Field Boolean(std::string doc);
  static Field Object(Schema schema, std::string doc);
  static Field Array(Field element, std::string doc);
  // Any JSON value, validated by the component that consumes it (e.g. a model's own options).
  static Field Any(std::string doc);

  Field& Default(nlohmann::json value);
  Field& Required();
  Field& Min(double min);
  Field& Max(double max);
  Field& Range(double min, double max) { return Min(min).Max(max); }
  Field& OneOf(std::vector<std::string> choices);
  Field& MinItems(std::size_t count);

  Kind kind() const { return kind_; }
  const std::string& doc() const { return doc_; }
  bool required() const { return required_; }
  const std::optional<nlohmann::json>& default_value() const { return default_; }

  // Checks `value` at `path`; returns the value with nested defaults filled in.
  StatusOr<nlohmann::json> Validate(const nlohmann::json& value, const std::string& path) const;

  // "integer, 1..65535" and similar, for documentation.
  std::string Describe() const;

  const Schema* object_schema() const { return object_.get(); }
  const Field* element() const { return element_.get(); }

 private:
  Field(Kind kind, std::string doc) : kind_(kind), doc_(std::move(doc)) {}

  Kind kind_;
  std::string doc_;
  bool required_ = false;
  std::optional<nlohmann::json> default_;
  std::optional<double> min_;
  std::optional<double> max_;
  std::vector<std::string> choices_;
  std::size_t min_items_ = 0;
  std::shared_ptr<const Schema> object_;
  std::shared_ptr<const Field> element_;
};

// An object's keys, in declaration order.
class Schema {
 public:
  explicit Schema(std::string description = "") : description_(std::move(description)) {}

  Schema& Add(std::string key, Field field);

  // Validates an object: every key known, every value of its type and range, required keys present;
  // missing optional keys take their defaults. `path` prefixes key names in errors.
  StatusOr<nlohmann::json> Validate(const nlohmann::json& value, const std::string& path = "") const;

  // Markdown table of keys, recursing into nested objects, under a heading of `level` '#'s.
  std::string Markdown(const std::string& title, int level = 2) const;

  const std::string& description() const { return description_; }
  const std::vector<std::pair<std::string, Field>>& fields() const { return fields_; }

 private:
  void AppendRows(std::string& out, const std::string& prefix) const;

  std::string description_;
  std::vector<std::pair<std::string, Field>> fields_;
};

// Parses JSON text; a syntax error names `source` and the line and column.
StatusOr<nlohmann::json> ParseJson(std::string_view text, std::string_view source);

// Reads, parses and validates a configuration file; errors start with the file's path.
StatusOr<nlohmann::json> LoadConfigFile(const std::filesystem::path& path, const Schema& schema);

}  // namespace pancaim::config

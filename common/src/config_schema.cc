#include "pancaim/common/config_schema.h"

#include <cmath>
#include <sstream>

#include "pancaim/common/files.h"

namespace pancaim::config {
namespace {

using nlohmann::json;

std::string TypeName(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    case json::value_t::string: return "string";
    case json::value_t::array: return "array";
    case json::value_t::object: return "object";
    default: return "value";
  }
}

std::string Quote(const std::string& path) { return "key '" + path + "'"; }

std::string FormatNumber(double value) {
  // Whole numbers print in full ("4294967296", not "4.29497e+09"): they are limits people copy.
  if (std::abs(value) < 1e15 && value == std::floor(value)) {
    return std::to_string(static_cast<long long>(value));
  }
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string Join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

}  // namespace

Field Field::String(std::string doc) { return Field(Kind::kString, std::move(doc)); }
Field Field::Integer(std::string doc) { return Field(Kind::kInteger, std::move(doc)); }
Field Field::Number(std::string doc) { return Field(Kind::kNumber, std::move(doc)); }
Field Field::Boolean(std::string doc) { return Field(Kind::kBoolean, std::move(doc)); }
Field Field::Any(std::string doc) { return Field(Kind::kAny, std::move(doc)); }

Field Field::Object(Schema schema, std::string doc) {
  Field field(Kind::kObject, std::move(doc));
  field.object_ = std::make_shared<const Schema>(std::move(schema));
  return field;
}

Field Field::Array(Field element, std::string doc) {
  Field field(Kind::kArray, std::move(doc));
  field.element_ = std::make_shared<const Field>(std::move(element));
  return field;
}

Field& Field::Default(json value) {
  default_ = std::move(value);
  return *this;
}
Field& Field::Required() {
  required_ = true;
  return *this;
}
Field& Field::Min(double min) {
  min_ = min;
  return *this;
}
Field& Field::Max(double max) {
  max_ = max;
  return *this;
}
Field& Field::OneOf(std::vector<std::string> choices) {
  choices_ = std::move(choices);
  return *this;
}
Field& Field::MinItems(std::size_t count) {
  min_items_ = count;
  return *this;
}

StatusOr<json> Field::Validate(const json& value, const std::string& path) const {
  auto mistyped = [&](const char* expected) {
    return InvalidArgumentError(Quote(path) + ": expected " + expected + ", got " +
                                TypeName(value));
  };
  switch (kind_) {
    case Kind::kAny:
      return value;
    case Kind::kBoolean:
      if (!value.is_boolean()) return mistyped("a boolean");
      return value;
    case Kind::kString: {
      if (!value.is_string()) return mistyped("a string");
      if (!choices_.empty()) {
        const auto& text = value.get_ref<const std::string&>();
        bool known = false;
        for (const auto& choice : choices_) known = known || choice == text;
        if (!known) {
          return InvalidArgumentError(Quote(path) + ": '" + text + "' is not one of " +
                                      Join(choices_, ", "));
        }
      }
      return value;
    }
    case Kind::kInteger:
    case Kind::kNumber: {
      if (kind_ == Kind::kInteger && !value.is_number_integer()) return mistyped("an integer");
      if (kind_ == Kind::kNumber && !value.is_number()) return mistyped("a number");
      double number = value.get<double>();
      if (!std::isfinite(number)) return InvalidArgumentError(Quote(path) + ": not finite");
      if (min_ && number < *min_) {
        return OutOfRangeError(Quote(path) + ": " + value.dump() + " is below the minimum " +
                               FormatNumber(*min_));
      }
      if (max_ && number > *max_) {
        return OutOfRangeError(Quote(path) + ": " + value.dump() + " is above the maximum " +
                               FormatNumber(*max_));
      }
      return value;
    }
    case Kind::kObject:
      if (!value.is_object()) return mistyped("an object");
      return object_->Validate(value, path);
    case Kind::kArray: {
      if (!value.is_array()) return mistyped("an array");
      if (value.size() < min_items_) {
        return InvalidArgumentError(Quote(path) + ": needs at least " +
                                    std::to_string(min_items_) + " item(s), got " +
                                    std::to_string(value.size()));
      }
      json out = json::array();
      for (std::size_t i = 0; i < value.size(); ++i) {
        PANCAIM_ASSIGN_OR_RETURN(json item,
                                 element_->Validate(value[i], path + "[" + std::to_string(i) + "]"));
        out.push_back(std::move(item));
      }
      return out;
    }
  }
  return InternalError("unhandled field kind");
}

std::string Field::Describe() const {
  std::string text;
  switch (kind_) {
    case Kind::kString: text = "string"; break;
    case Kind::kInteger: text = "integer"; break;
    case Kind::kNumber: text = "number"; break;
    case Kind::kBoolean: text = "boolean"; break;
    case Kind::kObject: text = "object"; break;
    case Kind::kArray: text = "array of " + element_->Describe(); break;
    case Kind::kAny: text = "any JSON"; break;
  }
  if (min_ && max_) {
    text += ", " + FormatNumber(*min_) + "…" + FormatNumber(*max_);
  } else if (min_) {
    text += ", ≥ " + FormatNumber(*min_);
  } else if (max_) {
    text += ", ≤ " + FormatNumber(*max_);
  }
  if (!choices_.empty()) text += ": one of `" + Join(choices_, "`, `") + "`";
  if (min_items_ > 0) text += ", at least " + std::to_string(min_items_);
  return text;
}

Schema& Schema::Add(std::string key, Field field) {
  for (const auto& [existing, unused] : fields_) {
    PANCAIM_CHECK(existing != key) << "duplicate schema key " << key;
  }
  fields_.emplace_back(std::move(key), std::move(field));
  return *this;
}

StatusOr<json> Schema::Validate(const json& value, const std::string& path) const {
  const std::string where = path.empty() ? "document" : Quote(path);
  if (!value.is_object()) {
    return InvalidArgumentError(where + ": expected an object, got " + TypeName(value));
  }
  auto child = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
  for (const auto& [key, unused] : value.items()) {
    bool known = false;
    for (const auto& [name, field] : fields_) known = known || name == key;
    if (!known) {
      std::vector<std::string> names;
      for (const auto& [name, field] : fields_) names.push_back(name);
      return InvalidArgumentError("unknown " + Quote(child(key)) + " (known keys here: " +
                                  Join(names, ", ") + ")");
    }
  }
  json out = json::object();
  for (const auto& [name, field] : fields_) {
    auto found = value.find(name);
    if (found == value.end()) {
      if (field.required()) return InvalidArgumentError("missing required " + Quote(child(name)));
      if (field.default_value()) {
        PANCAIM_ASSIGN_OR_RETURN(out[name], field.Validate(*field.default_value(), child(name)));
      } else if (field.kind() == Field::Kind::kObject) {
        // An absent section takes all of its own defaults.
        PANCAIM_ASSIGN_OR_RETURN(out[name], field.Validate(json::object(), child(name)));
      }
      continue;
    }
    PANCAIM_ASSIGN_OR_RETURN(out[name], field.Validate(*found, child(name)));
  }
  return out;
}

std::string Schema::Markdown(const std::string& title, int level) const {
  std::string out(static_cast<std::size_t>(level), '#');
  out += " " + title + "\n\n";
  if (!description_.empty()) out += description_ + "\n\n";
  out += "| key | type | default | meaning |\n|---|---|---|---|\n";
  AppendRows(out, "");
  out += "\n";
  return out;
}

void Schema::AppendRows(std::string& out, const std::string& prefix) const {
  for (const auto& [name, field] : fields_) {
    std::string key = prefix + name;
    std::string fallback = field.required()         ? "required"
                           : field.default_value() ? "`" + field.default_value()->dump() + "`"
                                                   : "—";
    out += "| `" + key + "` | " + field.Describe() + " | " + fallback + " | " + field.doc() +
           " |\n";
    if (field.kind() == Field::Kind::kObject) {
      field.object_schema()->AppendRows(out, key + ".");
    } else if (field.kind() == Field::Kind::kArray &&
               field.element()->kind() == Field::Kind::kObject) {
      field.element()->object_schema()->AppendRows(out, key + "[].");
    }
  }
}

StatusOr<json> ParseJson(std::string_view text, std::string_view source) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& error) {
    // Convert the byte offset into line and column for people editing the file.
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i + 1 < error.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return InvalidArgumentError(std::string(source) + ":" + std::to_string(line) + ":" +
                                std::to_string(column) + ": invalid JSON: " + error.what());
  }
}

StatusOr<json> LoadConfigFile(const std::filesystem::path& path, const Schema& schema) {
  PANCAIM_ASSIGN_OR_RETURN(std::string text, ReadFile(path, /*max_bytes=*/16 << 20));
  PANCAIM_ASSIGN_OR_RETURN(json document, ParseJson(text, path.string()));
  auto validated = schema.Validate(document);
  if (!validated.ok()) return validated.status().WithContext(path.string());
  return validated;
}

}  // namespace pancaim::config

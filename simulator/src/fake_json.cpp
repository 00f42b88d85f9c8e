// Synthetic JSON that validates against a JSON Schema (tool arguments, structured output).
// Deterministic from the Random it is given. Covers what the SDKs' schema helpers emit (zod
// via openai's zodResponseFormat, the Vercel AI SDK's jsonSchema): type (or a list of types),
// enum, const, properties + required, additionalProperties, items, anyOf / oneOf / allOf,
// local $ref ("#", "#/$defs/…", "#/definitions/…"), minimum / maximum (and the exclusive
// forms), minLength / maxLength, minItems / maxItems, and the string formats date-time,
// date, time, email, uuid, uri. Recursion past kMaxDepth takes a branch that ends it
// (null, an empty array) when the schema allows one.
#include <cmath>
#include <cstdio>
#include <string>

#include "openai_wire.h"

namespace ploke::simulator::detail {
namespace {

constexpr int kMaxDepth = 6;
using WordFn = std::string_view (*)(Random&);

struct Gen {
  const Json& root;
  Random& rng;
  WordFn word;

  const Json& resolve(const Json& s, int guard = 0) const {
    if (!s.is_object() || guard > 16) return s;
    const auto r = s.find("$ref");
    if (r == s.end() || !r->is_string()) return s;
    const std::string& ref = r->get_ref<const std::string&>();
    if (ref == "#") return root;
    if (ref.rfind("#/", 0) != 0) return s;
    try {
      return resolve(root.at(Json::json_pointer(ref.substr(1))), guard + 1);
    } catch (const std::exception&) {
      return s;
    }
  }

  // The type to produce: the first listed (non-null first, unless deep), else inferred.
  std::string type_of(const Json& s, int depth) const {
    const auto t = s.find("type");
    if (t != s.end() && t->is_string()) return t->get<std::string>();
    if (t != s.end() && t->is_array() && !t->empty()) {
      bool has_null = false;
      std::string first;
      for (const Json& x : *t) {
        if (!x.is_string()) continue;
        if (x == "null") has_null = true;
        else if (first.empty()) first = x.get<std::string>();
      }
      if (has_null && (first.empty() || depth >= kMaxDepth)) return "null";
      return first.empty() ? "string" : first;
    }
    if (s.contains("properties")) return "object";
    if (s.contains("items")) return "array";
    return "string";
  }

  Json any_of(const Json& branches, int depth) {
    if (depth >= kMaxDepth) {
      for (const Json& b : branches) {
        const Json& rb = resolve(b);
        if (rb.is_object() && rb.value("type", Json()) == "null") return nullptr;
      }
    }
    return value(branches[rng.below(branches.size())], depth + 1);
  }

  Json number(const Json& s, bool integer) {
    double lo = s.value("minimum", integer ? 1.0 : 0.0), hi = s.value("maximum", lo + 100.0);
    if (s.contains("exclusiveMinimum") && s["exclusiveMinimum"].is_number()) lo = s["exclusiveMinimum"].get<double>() + (integer ? 1 : 0.5);
    if (s.contains("exclusiveMaximum") && s["exclusiveMaximum"].is_number()) hi = s["exclusiveMaximum"].get<double>() - (integer ? 1 : 0.5);
    if (hi < lo) hi = lo;
    // Unbounded in practice (zod's int() spans ±2^53): small, human-looking values.
    if (hi - lo > 1000) {
      const double start = lo <= 0 && hi >= 1 ? (integer ? 1.0 : 0.0) : lo;
      lo = start;
      hi = std::min(hi, start + 100.0);
    }
    if (integer) {
      const auto a = static_cast<int64_t>(std::ceil(lo)), b = static_cast<int64_t>(std::floor(hi));
      return b <= a ? a : a + static_cast<int64_t>(rng.below(static_cast<uint64_t>(b - a) + 1));
    }
    const double v = std::round((lo + (hi - lo) * rng.uniform01()) * 10.0) / 10.0;
    return v < lo || v > hi ? lo : v;
  }

  int draw(uint64_t n) { return static_cast<int>(rng.below(n)); }

  std::string hex(size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out += "0123456789abcdef"[rng.below(16)];
    return out;
  }

  std::string string(const Json& s) {
    const std::string fmt = s.value("format", std::string());
    char buf[64];
    // One draw per statement, last field first: what a seed produces must not depend on the
    // compiler's (unspecified) order of evaluating function arguments.
    if (fmt == "date-time") {
      const int hour = draw(24), day = 1 + draw(28), month = 1 + draw(12);
      std::snprintf(buf, sizeof buf, "2026-%02d-%02dT%02d:00:00Z", month, day, hour);
      return buf;
    }
    if (fmt == "date") {
      const int day = 1 + draw(28), month = 1 + draw(12);
      std::snprintf(buf, sizeof buf, "2026-%02d-%02d", month, day);
      return buf;
    }
    if (fmt == "time") {
      const int minute = draw(60), hour = draw(24);
      std::snprintf(buf, sizeof buf, "%02d:%02d:00", hour, minute);
      return buf;
    }
    if (fmt == "email") return std::string(word(rng)) + "@example.com";
    if (fmt == "uri" || fmt == "url") return "https://example.com/" + std::string(word(rng));
    if (fmt == "uuid") {
      const std::string e = hex(12), d = hex(3), c = hex(3), b = hex(4), a = hex(8);  // last group first
      return a + "-" + b + "-4" + c + "-8" + d + "-" + e;
    }
    std::string out(word(rng));
    if (rng.chance(0.5)) { out += ' '; out += word(rng); }
    const size_t min_len = s.value("minLength", size_t{0}), max_len = s.value("maxLength", size_t{0});
    while (out.size() < min_len) out += 'x';
    if (max_len != 0 && out.size() > max_len) out.resize(max_len);
    return out;
  }

  Json array(const Json& s, int depth) {
    Json arr = Json::array();
    const size_t lo = s.value("minItems", size_t{0});
    size_t hi = s.value("maxItems", lo + 2);
    if (hi < lo) hi = lo;
    size_t n = depth >= kMaxDepth ? lo : lo + static_cast<size_t>(rng.below(hi - lo + 1));
    if (n == 0 && depth < kMaxDepth && hi > 0) n = 1;
    const Json items = s.value("items", Json::object());
    for (size_t i = 0; i < n; ++i) arr.push_back(value(items, depth + 1));
    return arr;
  }

  Json object(const Json& s, int depth) {
    Json obj = Json::object();
    const Json props = s.value("properties", Json::object());
    if (!props.is_object()) return obj;
    std::vector<std::string> keys;
    if (auto r = s.find("required"); r != s.end() && r->is_array()) {
      for (const Json& k : *r) if (k.is_string()) keys.push_back(k.get<std::string>());
    }
    if (keys.empty() && !props.empty() && depth < kMaxDepth) keys.push_back(props.begin().key());
    for (const auto& k : keys) obj[k] = value(props.contains(k) ? props[k] : Json::object(), depth + 1);
    return obj;
  }

  Json value(const Json& schema_in, int depth) {
    const Json& s = resolve(schema_in);
    if (!s.is_object()) return string(Json::object());
    if (auto c = s.find("const"); c != s.end()) return *c;
    if (auto e = s.find("enum"); e != s.end() && e->is_array() && !e->empty()) return (*e)[rng.below(e->size())];
    for (const char* k : {"anyOf", "oneOf"}) {
      if (auto a = s.find(k); a != s.end() && a->is_array() && !a->empty()) return any_of(*a, depth);
    }
    if (auto a = s.find("allOf"); a != s.end() && a->is_array() && !a->empty()) return value((*a)[0], depth + 1);
    const std::string type = type_of(s, depth);
    if (type == "integer") return number(s, true);
    if (type == "number") return number(s, false);
    if (type == "boolean") return rng.chance(0.5);
    if (type == "null") return nullptr;
    if (type == "array") return array(s, depth);
    if (type == "object") return object(s, depth);
    return string(s);
  }
};

}  // namespace

Json fake_json_value(const Json& schema, Random& rng, std::string_view (*word)(Random&), int depth) {
  Gen g{schema, rng, word};
  return g.value(schema, depth);
}

// response_format json_schema → its schema; json_object → a small object schema.
}  // namespace ploke::simulator::detail

// OTLP/HTTP JSON sink of `ploke-sim serve` (otlp_sink.h).
#include "otlp_sink.h"

#include <nlohmann/json.hpp>

#include "ploke/json/limits.h"

namespace ploke::simulator {
namespace {

using nlohmann::json;

// The first shape problem found: "PATH: MESSAGE".
struct ShapeError {
  std::string what;
};

Result<json> parse_body(std::string_view body) {
  PLOKE_RETURN_IF_ERROR(ploke::json::check_json_limits(body));
  try {
    json j = json::parse(body);
    if (!j.is_object()) return InvalidRequestError("byte 0: the body must be a JSON object");
    return j;
  } catch (const json::parse_error& e) {
    return InvalidRequestError("byte " + std::to_string(e.byte) + ": invalid JSON");
  }
}

// The array at `key` of `obj` (missing = empty, as OTLP's JSON mapping allows).
const json& array_at(const json& obj, const char* key, const std::string& path) {
  static const json kEmpty = json::array();
  if (!obj.is_object()) throw ShapeError{path + ": must be an object"};
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return kEmpty;
  if (!it->is_array()) throw ShapeError{path + "." + key + ": must be an array"};
  return *it;
}

bool is_hex(const json& v, size_t n) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  return s.size() == n && s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

json flat_value(const json& v) {
  if (!v.is_object()) return v;
  if (auto it = v.find("stringValue"); it != v.end()) return *it;
  if (auto it = v.find("boolValue"); it != v.end()) return *it;
  if (auto it = v.find("doubleValue"); it != v.end()) return *it;
  if (auto it = v.find("intValue"); it != v.end()) {
    if (it->is_string()) {
      try {
        return json(std::stoll(it->get<std::string>()));
      } catch (const std::exception&) {
        return *it;
      }
    }
    return *it;
  }
  return v;
}

json flat_attributes(const json& owner, const std::string& path) {
  json out = json::object();
  const json& attrs = array_at(owner, "attributes", path);
  for (size_t i = 0; i < attrs.size(); ++i) {
    const std::string p = path + ".attributes[" + std::to_string(i) + "]";
    const json& a = attrs[i];
    if (!a.is_object() || !a.contains("key") || !a["key"].is_string()) throw ShapeError{p + ".key: must be a string"};
    out[a["key"].get<std::string>()] = a.contains("value") ? flat_value(a["value"]) : json(nullptr);
  }
  return out;
}

json flat_span(const json& s, const std::string& p, const json& service) {
  if (!s.is_object()) throw ShapeError{p + ": must be an object"};
  if (!s.contains("traceId") || !is_hex(s["traceId"], 32)) throw ShapeError{p + ".traceId: must be 32 hex digits"};
  if (!s.contains("spanId") || !is_hex(s["spanId"], 16)) throw ShapeError{p + ".spanId: must be 16 hex digits"};
  const json parent = s.value("parentSpanId", json(""));
  if (!(parent == "" || is_hex(parent, 16))) throw ShapeError{p + ".parentSpanId: must be 16 hex digits or empty"};
  if (!s.contains("name") || !s["name"].is_string()) throw ShapeError{p + ".name: must be a string"};
  return {{"name", s["name"]},
          {"traceId", s["traceId"]},
          {"spanId", s["spanId"]},
          {"parentSpanId", parent},
          {"kind", s.value("kind", json(0))},
          {"startTimeUnixNano", s.value("startTimeUnixNano", json("0"))},
          {"endTimeUnixNano", s.value("endTimeUnixNano", json("0"))},
          {"status", s.value("status", json::object())},
          {"service", service},
          {"attributes", flat_attributes(s, p)}};
}

json service_of(const json& resource_owner, const std::string& path) {
  auto it = resource_owner.find("resource");
  if (it == resource_owner.end() || !it->is_object()) return nullptr;
  return flat_attributes(*it, path + ".resource").value("service.name", json(nullptr));
}

std::vector<std::string> flatten_traces(const json& root) {
  std::vector<std::string> out;
  const json& rss = array_at(root, "resourceSpans", "");
  for (size_t r = 0; r < rss.size(); ++r) {
    const std::string rp = "resourceSpans[" + std::to_string(r) + "]";
    const json& sss = array_at(rss[r], "scopeSpans", rp);
    const json service = service_of(rss[r], rp);
    for (size_t s = 0; s < sss.size(); ++s) {
      const std::string sp = rp + ".scopeSpans[" + std::to_string(s) + "]";
      const json& spans = array_at(sss[s], "spans", sp);
      for (size_t i = 0; i < spans.size(); ++i) {
        out.push_back(flat_span(spans[i], sp + ".spans[" + std::to_string(i) + "]", service).dump());
      }
    }
  }
  return out;
}

void flatten_metric(const json& m, const std::string& p, std::vector<std::string>& out) {
  if (!m.is_object() || !m.contains("name") || !m["name"].is_string()) throw ShapeError{p + ".name: must be a string"};
  static constexpr const char* kTypes[] = {"histogram", "sum", "gauge", "exponentialHistogram", "summary"};
  for (const char* type : kTypes) {
    auto it = m.find(type);
    if (it == m.end()) continue;
    const json& points = array_at(*it, "dataPoints", p + "." + type);
    for (size_t i = 0; i < points.size(); ++i) {
      const std::string pp = p + "." + type + ".dataPoints[" + std::to_string(i) + "]";
      if (!points[i].is_object()) throw ShapeError{pp + ": must be an object"};
      json point = points[i];
      point["attributes"] = flat_attributes(points[i], pp);
      out.push_back(json{{"name", m["name"]}, {"type", type}, {"unit", m.value("unit", "")}, {"point", std::move(point)}}.dump());
    }
    return;
  }
  throw ShapeError{p + ": has no data (histogram, sum, gauge, exponentialHistogram or summary)"};
}

std::vector<std::string> flatten_metrics(const json& root) {
  std::vector<std::string> out;
  const json& rms = array_at(root, "resourceMetrics", "");
  for (size_t r = 0; r < rms.size(); ++r) {
    const std::string rp = "resourceMetrics[" + std::to_string(r) + "]";
    const json& sms = array_at(rms[r], "scopeMetrics", rp);
    for (size_t s = 0; s < sms.size(); ++s) {
      const std::string sp = rp + ".scopeMetrics[" + std::to_string(s) + "]";
      const json& metrics = array_at(sms[s], "metrics", sp);
      for (size_t i = 0; i < metrics.size(); ++i) flatten_metric(metrics[i], sp + ".metrics[" + std::to_string(i) + "]", out);
    }
  }
  return out;
}

}  // namespace

Status OtlpSink::accept_traces(std::string_view body) {
  auto j = parse_body(body);
  if (!j.ok()) return j.status();
  try {
    keep(Payload{true, flatten_traces(*j)});
  } catch (const ShapeError& e) {
    return InvalidRequestError(e.what);
  }
  return Status::Ok();
}

Status OtlpSink::accept_metrics(std::string_view body) {
  auto j = parse_body(body);
  if (!j.ok()) return j.status();
  try {
    keep(Payload{false, flatten_metrics(*j)});
  } catch (const ShapeError& e) {
    return InvalidRequestError(e.what);
  }
  return Status::Ok();
}

void OtlpSink::keep(Payload p) {
  MutexLock lk(mu_);
  payloads_.push_back(std::move(p));
  while (payloads_.size() > max_payloads_) payloads_.pop_front();
}

void OtlpSink::clear() {
  MutexLock lk(mu_);
  payloads_.clear();
}

std::string OtlpSink::to_json() const {
  json spans = json::array();
  json metrics = json::object();
  size_t traces = 0, metric_payloads = 0;
  MutexLock lk(mu_);
  for (const auto& p : payloads_) {
    (p.traces ? traces : metric_payloads) += 1;
    for (const auto& item : p.items) {
      json j = json::parse(item);
      if (p.traces) {
        spans.push_back(std::move(j));
        continue;
      }
      json& m = metrics[j["name"].get<std::string>()];
      if (m.is_null()) m = {{"type", j["type"]}, {"unit", j["unit"]}, {"dataPoints", json::array()}};
      m["dataPoints"].push_back(std::move(j["point"]));
    }
  }
  return json{{"payloads", {{"traces", traces}, {"metrics", metric_payloads}}}, {"spans", std::move(spans)},
              {"metrics", std::move(metrics)}}
      .dump();
}

}  // namespace ploke::simulator

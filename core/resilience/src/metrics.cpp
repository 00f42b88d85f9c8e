#include "ploke/resilience/metrics.h"

#include <cmath>
#include <cstdio>

#include "ploke/resilience/endpoint_stats.h"

namespace ploke::resilience {

const std::array<MetricDef, static_cast<size_t>(MetricId::kCount)>& metric_defs() {
  static const std::array<MetricDef, static_cast<size_t>(MetricId::kCount)> defs = {{
#define PLOKE_METRIC_DEF_(id, name, type, help, labels) MetricDef{name, MetricType::type, help, labels},
      PLOKE_RESILIENCE_METRICS(PLOKE_METRIC_DEF_)
#undef PLOKE_METRIC_DEF_
  }};
  return defs;
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string MetricsRegistry::label_key(std::initializer_list<std::string_view> values) {
  std::string k;
  bool first = true;
  for (auto v : values) {
    if (!first) k += '\x1f';
    k.append(v);
    first = false;
  }
  return k;
}

void MetricsRegistry::add(MetricId id, std::initializer_list<std::string_view> lv, double v) {
  values_[{static_cast<uint8_t>(id), label_key(lv)}] += v;
}

void MetricsRegistry::set(MetricId id, std::initializer_list<std::string_view> lv, double v) {
  values_[{static_cast<uint8_t>(id), label_key(lv)}] = v;
}

void MetricsRegistry::observe(MetricId id, std::initializer_list<std::string_view> lv, Duration d) {
  histograms_[{static_cast<uint8_t>(id), label_key(lv)}].record(to_us(d));
}

double MetricsRegistry::value(MetricId id, std::initializer_list<std::string_view> lv) const {
  auto it = values_.find({static_cast<uint8_t>(id), label_key(lv)});
  return it == values_.end() ? 0.0 : it->second;
}

uint64_t MetricsRegistry::histogram_count(MetricId id, std::initializer_list<std::string_view> lv) const {
  auto it = histograms_.find({static_cast<uint8_t>(id), label_key(lv)});
  return it == histograms_.end() ? 0 : it->second.count();
}

void MetricsRegistry::clear_gauge(MetricId id) {
  const auto m = static_cast<uint8_t>(id);
  for (auto it = values_.lower_bound({m, std::string()}); it != values_.end() && it->first.first == m;) {
    it = values_.erase(it);
  }
}

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  if (s.empty()) return out;
  size_t pos = 0;
  for (;;) {
    const size_t e = s.find(sep, pos);
    out.push_back(s.substr(pos, e == std::string_view::npos ? std::string_view::npos : e - pos));
    if (e == std::string_view::npos) return out;
    pos = e + 1;
  }
}

// `{a="x",b="y"}` from the declared names and the \x1f-joined values (+ an extra pair).
std::string labels_text(std::string_view names, const std::string& values, std::string_view extra = {}) {
  const auto ns = split(names, ',');
  const auto vs = split(values, '\x1f');
  std::string out;
  for (size_t i = 0; i < ns.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out.append(ns[i]);
    out += "=\"" + escape_label_value(i < vs.size() ? vs[i] : std::string_view()) + "\"";
  }
  if (!extra.empty()) {
    out += out.empty() ? "{" : ",";
    out.append(extra);
  }
  if (!out.empty()) out += "}";
  return out;
}

void append_number(std::string& out, double v) {
  char buf[40];
  if (std::isinf(v)) std::snprintf(buf, sizeof buf, v > 0 ? "+Inf" : "-Inf");
  else if (v == std::floor(v) && std::fabs(v) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.9g", v);
  out += buf;
}

constexpr double kLeSeconds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

}  // namespace

std::string MetricsRegistry::render_prometheus() const {
  std::string out;
  const auto& defs = metric_defs();
  for (size_t i = 0; i < defs.size(); ++i) {
    const MetricDef& d = defs[i];
    out += "# HELP ";
    out.append(d.name);
    out += ' ';
    out.append(d.help);
    out += "\n# TYPE ";
    out.append(d.name);
    out += d.type == MetricType::kCounter ? " counter\n" : d.type == MetricType::kGauge ? " gauge\n" : " histogram\n";
    const auto m = static_cast<uint8_t>(i);
    if (d.type != MetricType::kHistogram) {
      for (auto it = values_.lower_bound({m, std::string()}); it != values_.end() && it->first.first == m; ++it) {
        out.append(d.name);
        out += labels_text(d.labels, it->first.second);
        out += ' ';
        append_number(out, it->second);
        out += '\n';
      }
      continue;
    }
    for (auto it = histograms_.lower_bound({m, std::string()}); it != histograms_.end() && it->first.first == m; ++it) {
      const LogLinearHistogram& h = it->second;
      for (double le : kLeSeconds) {
        char lb[48];
        std::snprintf(lb, sizeof lb, "le=\"%g\"", le);
        out.append(d.name);
        out += "_bucket" + labels_text(d.labels, it->first.second, lb) + ' ';
        append_number(out, static_cast<double>(h.count_at_or_below(static_cast<uint64_t>(le * 1e6))));
        out += '\n';
      }
      out.append(d.name);
      out += "_bucket" + labels_text(d.labels, it->first.second, "le=\"+Inf\"") + ' ';
      append_number(out, static_cast<double>(h.count()));
      out += '\n';
      out.append(d.name);
      out += "_sum" + labels_text(d.labels, it->first.second) + ' ';
      append_number(out, static_cast<double>(h.sum()) / 1e6);
      out += '\n';
      out.append(d.name);
      out += "_count" + labels_text(d.labels, it->first.second) + ' ';
      append_number(out, static_cast<double>(h.count()));
      out += '\n';
    }
  }
  return out;
}

}  // namespace ploke::resilience

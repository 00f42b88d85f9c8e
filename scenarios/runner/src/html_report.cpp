// The self-contained HTML scenario report: inline CSS and inline SVG only (no script, no
// external URL, no xmlns attribute either, so the page holds no "http" of its own). Every
// piece of text from the result goes through redact_secrets() and then HTML escaping.
//
// Per scenario: a summary table, the expectations (observed vs threshold), the providers
// (outcomes, breaker openings, faults matched/fired), and six SVG charts on one time axis:
//   1. per-provider timeline: breaker state bands (one per endpoint, from the exact
//      transition log) above stacked ok / error attempt bars;
//   2. latency percentiles (p50, p95, p99 of successful requests finishing in each column);
//   3. queue depth (in flight, queued in admission, outstanding workload calls);
//   4. attempts per column split into first attempts and retries;
//   5. requests finished per column, ok vs failed;
//   6. cumulative cost.
// Columns are the run's sample_interval, widened so a chart never has more than
// detail::kMaxReportColumns of them (a one-hour run at 1 s stays a few hundred KB); the series are
// recomputed from the request and attempt logs, so merged columns keep exact percentiles.
#include "ploke/scenarios/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <string_view>

#include "ploke/core/markup.h"
#include "ploke/core/secret.h"
#include "report_series.h"

namespace ploke::scenarios {

namespace {

constexpr double kWidth = 960;
constexpr double kLeft = 64, kRight = 16, kTop = 28, kBottom = 30;
constexpr size_t kMaxQueuePoints = 1200;

// ---- text ----

std::string esc(std::string_view raw) { return markup_escape(raw); }

double finite(double v) { return std::isfinite(v) ? v : 0.0; }

std::string num(double v, int decimals = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, finite(v));
  return buf;
}

std::string u64(uint64_t v) { return std::to_string(v); }

std::string usd(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "$%.4f", finite(v));
  return buf;
}

std::string ms_text(double ms) {
  ms = finite(ms);
  char buf[64];
  if (ms >= 60000) {
    std::snprintf(buf, sizeof buf, "%.1f min", ms / 60000);
  } else if (ms >= 10000) {
    std::snprintf(buf, sizeof buf, "%.1f s", ms / 1000);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f ms", ms);
  }
  return buf;
}

// Axis label for a time offset in ms.
std::string time_label(double ms, double step_ms) {
  char buf[64];
  const double s = ms / 1000;
  if (step_ms < 1000) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else if (s < 120 && step_ms < 60000) {
    std::snprintf(buf, sizeof buf, "%.0fs", s);
  } else if (s < 7200) {
    const long m = static_cast<long>(s / 60);
    const long rest = static_cast<long>(s) % 60;
    if (rest == 0) std::snprintf(buf, sizeof buf, "%ldm", m);
    else std::snprintf(buf, sizeof buf, "%ldm%02lds", m, rest);
  } else {
    const long h = static_cast<long>(s / 3600);
    const long m = (static_cast<long>(s) % 3600) / 60;
    std::snprintf(buf, sizeof buf, "%ldh%02ld", h, m);
  }
  return buf;
}

// The expectation's observed / threshold in its unit.
std::string with_unit(double v, const std::string& unit) {
  if (unit == "ratio") return num(v * 100, 2) + "%";
  if (unit == "%") return num(v, 2) + "%";
  if (unit == "ms") return ms_text(v);
  if (unit == "usd") return usd(v);
  if (std::floor(v) == v && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v)) + (unit.empty() ? "" : " " + unit);
  }
  return num(v, 3) + (unit.empty() ? "" : " " + unit);
}

// 1, 2, 2.5, 5 × 10^k at or above v (v > 0).
double nice_ceil(double v) {
  if (!(v > 0) || !std::isfinite(v)) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * p >= v * (1 - 1e-12)) return m * p;
  }
  return 10 * p;
}

// ---- columns (report_series.h) ----

using detail::Column;
using detail::ProviderColumn;
using detail::Series;

// ---- SVG helpers ----

struct Frame {
  double height = 220;          // whole svg
  double plot_w() const { return kWidth - kLeft - kRight; }
  double plot_h() const { return height - kTop - kBottom; }
  double span_ms = 1;
  double x(double ms) const { return kLeft + plot_w() * std::clamp(ms / span_ms, 0.0, 1.0); }
};

std::string svg_open(const Frame& f, const std::string& label) {
  return "<svg class=\"chart-svg\" viewBox=\"0 0 " + num(kWidth, 0) + " " + num(f.height, 0) + "\" width=\"" +
         num(kWidth, 0) + "\" height=\"" + num(f.height, 0) + "\" role=\"img\" aria-label=\"" + esc(label) +
         "\" font-family=\"sans-serif\" font-size=\"11\">\n";
}

// Time ticks along the bottom of a plot whose area is [top, bottom].
std::string time_axis(const Frame& f, double top, double bottom) {
  static const double kSteps[] = {100,    200,    500,    1000,   2000,    5000,    10000,   15000,
                                  30000,  60000,  120000, 300000, 600000,  900000,  1800000, 3600000,
                                  7200000, 14400000, 21600000, 43200000, 86400000};
  double step = kSteps[sizeof kSteps / sizeof kSteps[0] - 1];
  for (double st : kSteps) {
    if (f.span_ms / st <= 10) {
      step = st;
      break;
    }
  }
  std::string out = "<g class=\"axis\">";
  out += "<line x1=\"" + num(kLeft) + "\" y1=\"" + num(bottom) + "\" x2=\"" + num(kLeft + f.plot_w()) + "\" y2=\"" +
         num(bottom) + "\" stroke=\"#888\"/>";
  for (double t = 0; t <= f.span_ms + 1e-9; t += step) {
    const double x = f.x(t);
    out += "<line x1=\"" + num(x) + "\" y1=\"" + num(top) + "\" x2=\"" + num(x) + "\" y2=\"" + num(bottom) +
           "\" stroke=\"#eee\"/>";
    out += "<text x=\"" + num(x) + "\" y=\"" + num(bottom + 14) + "\" text-anchor=\"middle\" fill=\"#555\">" +
           esc(time_label(t, step)) + "</text>";
  }
  out += "</g>\n";
  return out;
}

// Y grid and labels for [0, ymax] mapped onto [top, bottom].
std::string value_axis(double top, double bottom, double ymax, const std::function<std::string(double)>& label) {
  std::string out = "<g class=\"axis\">";
  for (int i = 0; i <= 4; ++i) {
    const double v = ymax * i / 4;
    const double y = bottom - (bottom - top) * i / 4;
    out += "<line x1=\"" + num(kLeft) + "\" y1=\"" + num(y) + "\" x2=\"" + num(kWidth - kRight) + "\" y2=\"" + num(y) +
           "\" stroke=\"#eee\"/>";
    out += "<text x=\"" + num(kLeft - 6) + "\" y=\"" + num(y + 4) + "\" text-anchor=\"end\" fill=\"#555\">" +
           esc(label(v)) + "</text>";
  }
  out += "</g>\n";
  return out;
}

std::string legend(const std::vector<std::pair<std::string, std::string>>& items, double y) {
  std::string out = "<g class=\"legend\">";
  double x = kLeft;
  for (const auto& [color, name] : items) {
    out += "<rect x=\"" + num(x) + "\" y=\"" + num(y - 9) + "\" width=\"10\" height=\"10\" fill=\"" + color + "\"/>";
    out += "<text x=\"" + num(x + 14) + "\" y=\"" + num(y) + "\" fill=\"#333\">" + esc(name) + "</text>";
    x += 24 + 6.5 * static_cast<double>(name.size());
  }
  out += "</g>\n";
  return out;
}

std::string rect(double x, double y, double w, double h, const char* fill, const std::string& title = {}) {
  std::string out = "<rect x=\"" + num(x, 2) + "\" y=\"" + num(y, 2) + "\" width=\"" + num(std::max(w, 0.0), 2) +
                    "\" height=\"" + num(std::max(h, 0.0), 2) + "\" fill=\"" + fill + "\"";
  if (title.empty()) return out + "/>";
  return out + "><title>" + esc(title) + "</title></rect>";
}

// A polyline broken where `present` is false.
std::string line_path(const Series& s, const Frame& f, double top, double bottom, double ymax,
                      const std::function<double(const Column&)>& value,
                      const std::function<bool(const Column&)>& present, const char* color, const char* dash = "") {
  std::string d;
  bool pen = false;
  for (size_t i = 0; i < s.cols.size(); ++i) {
    const Column& c = s.cols[i];
    if (!present(c)) {
      pen = false;
      continue;
    }
    const double x = f.x((static_cast<double>(i) + 0.5) * s.col_ms);
    const double y = bottom - (bottom - top) * std::clamp(finite(value(c)) / ymax, 0.0, 1.0);
    d += (pen ? "L" : "M") + num(x) + " " + num(y) + " ";
    pen = true;
  }
  if (d.empty()) return {};
  std::string out = "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + color + "\" stroke-width=\"1.6\"";
  if (*dash) out += std::string(" stroke-dasharray=\"") + dash + "\"";
  return out + "/>\n";
}

std::string figure(const std::string& title, const std::string& note, const std::string& svg) {
  std::string out = "<figure class=\"chart\"><figcaption>" + esc(title);
  if (!note.empty()) out += " <span class=\"note\">" + esc(note) + "</span>";
  return out + "</figcaption>\n" + svg + "</svg></figure>\n";
}

const char* kOkColor = "#4caf50";
const char* kErrColor = "#e53935";
const char* kRetryColor = "#fb8c00";
const char* kFirstColor = "#1e88e5";

const char* state_color(const std::string& state) {
  if (state == "open") return "#e57373";
  if (state == "half_open") return "#ffb74d";
  return "#c8e6c9";
}

// ---- charts ----

constexpr double kBand = 14, kBars = 44, kGap = 26;  // timeline rows: breaker band, attempt bars, gap

// The provider's endpoints whose breaker ever moved, in order of their first transition.
std::vector<std::string> endpoints_that_moved(const ScenarioResult& r, const std::string& provider) {
  std::vector<std::string> endpoints;
  for (const auto& b : r.breaker_log) {
    if (b.provider == provider && std::find(endpoints.begin(), endpoints.end(), b.endpoint_id) == endpoints.end()) {
      endpoints.push_back(b.endpoint_id);
    }
  }
  return endpoints;
}

// One endpoint's breaker band at [y, y + h]: a rect per state, a marker per transition.
std::string endpoint_band(const ScenarioResult& r, const Frame& f, const std::string& ep, double y, double h) {
  std::string svg;
  std::string state = "closed";
  double since = 0;
  for (const auto& b : r.breaker_log) {
    if (b.endpoint_id != ep) continue;
    const double at = to_ms(b.at);
    if (at > since) {
      svg += rect(f.x(since), y, f.x(at) - f.x(since), h, state_color(state),
                  ep + ": " + state + " from " + ms_text(since) + " to " + ms_text(at));
    }
    // Transition marker with its reason.
    svg += "<line x1=\"" + num(f.x(at), 2) + "\" y1=\"" + num(y) + "\" x2=\"" + num(f.x(at), 2) + "\" y2=\"" +
           num(y + h) + "\" stroke=\"#555\" stroke-width=\"0.6\"><title>" +
           esc(ms_text(at) + " " + ep + ": " + b.from + " -> " + b.to + (b.reason.empty() ? "" : " (" + b.reason + ")")) +
           "</title></line>";
    state = b.to;
    since = std::max(since, at);
  }
  if (since < f.span_ms) {
    svg += rect(f.x(since), y, f.x(f.span_ms) - f.x(since), h, state_color(state),
                ep + ": " + state + " from " + ms_text(since) + " to the end");
  }
  return svg;
}

// Breaker bands: one per endpoint of the provider that ever moved (else one closed band).
std::string breaker_bands(const ScenarioResult& r, const Frame& f, const std::string& prov, double band_top) {
  const std::vector<std::string> endpoints = endpoints_that_moved(r, prov);
  if (endpoints.empty()) {
    return rect(kLeft, band_top, f.plot_w(), kBand, state_color("closed"), prov + ": breaker closed throughout");
  }
  std::string svg;
  const double sub_h = kBand / static_cast<double>(endpoints.size());
  for (size_t ei = 0; ei < endpoints.size(); ++ei) {
    svg += endpoint_band(r, f, endpoints[ei], band_top + sub_h * static_cast<double>(ei), sub_h);
  }
  return svg;
}

// Stacked ok / failed attempt bars of one provider, standing on `bars_bottom`, and their scale.
std::string attempt_bars(const Series& s, const Frame& f, const std::string& prov, double bars_bottom, double ymax) {
  std::string svg;
  const double cw = f.plot_w() / static_cast<double>(s.cols.size());
  for (size_t i = 0; i < s.cols.size(); ++i) {
    auto it = s.cols[i].providers.find(prov);
    if (it == s.cols[i].providers.end()) continue;
    const ProviderColumn& pc = it->second;
    const double x = kLeft + cw * static_cast<double>(i);
    const double h_ok = kBars * static_cast<double>(pc.ok) / ymax;
    const double h_err = kBars * static_cast<double>(pc.errors) / ymax;
    const std::string t = prov + " at " + ms_text(static_cast<double>(i) * s.col_ms) + ": " + u64(pc.ok) + " ok, " +
                          u64(pc.errors) + " failed attempts";
    if (pc.ok) svg += rect(x, bars_bottom - h_ok, std::max(cw - 0.3, 0.4), h_ok, kOkColor, t);
    if (pc.errors) svg += rect(x, bars_bottom - h_ok - h_err, std::max(cw - 0.3, 0.4), h_err, kErrColor, t);
  }
  svg += "<text x=\"" + num(kLeft - 6) + "\" y=\"" + num(bars_bottom - kBars + 8) +
         "\" text-anchor=\"end\" fill=\"#555\">" + num(ymax, 0) + "</text>";
  svg += "<text x=\"" + num(kLeft - 6) + "\" y=\"" + num(bars_bottom) + "\" text-anchor=\"end\" fill=\"#555\">0</text>\n";
  return svg;
}

std::string timeline_chart(const ScenarioResult& r, const Series& s) {
  const double row_h = kBand + kBars + kGap;
  Frame f;
  f.span_ms = s.span_ms;
  f.height = kTop + row_h * static_cast<double>(std::max<size_t>(s.providers.size(), 1)) + kBottom + 4;
  uint64_t max_attempts = 1;
  for (const auto& c : s.cols) {
    for (const auto& [name, pc] : c.providers) max_attempts = std::max(max_attempts, pc.ok + pc.errors);
  }
  const double ymax = nice_ceil(static_cast<double>(max_attempts));
  std::string svg = svg_open(f, "Per-provider timeline: breaker state and attempt outcomes");
  svg += legend({{state_color("closed"), "breaker closed"},
                 {state_color("half_open"), "half-open"},
                 {state_color("open"), "open"},
                 {kOkColor, "ok attempts"},
                 {kErrColor, "failed attempts"}},
                14);
  svg += time_axis(f, kTop, f.height - kBottom);
  for (size_t pi = 0; pi < s.providers.size(); ++pi) {
    const std::string& prov = s.providers[pi];
    const double top = kTop + row_h * static_cast<double>(pi) + 12;
    svg += "<text x=\"" + num(kLeft) + "\" y=\"" + num(top - 2) + "\" fill=\"#222\" font-weight=\"bold\">" + esc(prov) +
           "</text>";
    const double band_top = top + 2;
    svg += breaker_bands(r, f, prov, band_top);
    svg += attempt_bars(s, f, prov, band_top + kBand + kBars, ymax);
  }
  return figure("Per-provider timeline: breaker state and attempt outcomes",
                "(bars: attempts per " + ms_text(s.col_ms) + ", by outcome at the wire)", svg);
}

std::string latency_chart(const Series& s) {
  Frame f;
  f.span_ms = s.span_ms;
  double vmax = 0;
  for (const auto& c : s.cols) {
    if (c.has_latency) vmax = std::max(vmax, c.p99);
  }
  const double ymax = nice_ceil(vmax);
  const double top = kTop, bottom = f.height - kBottom;
  std::string svg = svg_open(f, "Latency percentiles over time");
  svg += legend({{"#8e24aa", "p99"}, {"#e53935", "p95"}, {"#1e88e5", "p50"}}, 14);
  svg += value_axis(top, bottom, ymax, [](double v) { return ms_text(v); });
  svg += time_axis(f, top, bottom);
  auto has = [](const Column& c) { return c.has_latency; };
  svg += line_path(s, f, top, bottom, ymax, [](const Column& c) { return c.p99; }, has, "#8e24aa", "4 2");
  svg += line_path(s, f, top, bottom, ymax, [](const Column& c) { return c.p95; }, has, "#e53935");
  svg += line_path(s, f, top, bottom, ymax, [](const Column& c) { return c.p50; }, has, "#1e88e5");
  return figure("Latency percentiles over time", "(successful requests, by the interval they finished in)", svg);
}

std::string queue_chart(const ScenarioResult& r, const Series& s) {
  Frame f;
  f.span_ms = s.span_ms;
  const double top = kTop, bottom = f.height - kBottom;
  // Downsample to at most kMaxQueuePoints by taking each group's maximum.
  std::vector<QueueSample> pts;
  const size_t group = std::max<size_t>(1, (r.queue_samples.size() + kMaxQueuePoints - 1) / kMaxQueuePoints);
  for (size_t i = 0; i < r.queue_samples.size(); i += group) {
    QueueSample q = r.queue_samples[i];
    for (size_t j = i + 1; j < std::min(i + group, r.queue_samples.size()); ++j) {
      q.in_flight = std::max(q.in_flight, r.queue_samples[j].in_flight);
      q.queued = std::max(q.queued, r.queue_samples[j].queued);
      q.outstanding = std::max(q.outstanding, r.queue_samples[j].outstanding);
    }
    pts.push_back(q);
  }
  uint64_t vmax = 0;
  for (const auto& q : pts) vmax = std::max({vmax, q.in_flight, q.queued, q.outstanding});
  const double ymax = nice_ceil(static_cast<double>(std::max<uint64_t>(vmax, 1)));
  std::string svg = svg_open(f, "Queue depth");
  svg += legend({{"#6d4c41", "outstanding calls"}, {"#1e88e5", "in flight (admitted)"}, {"#fb8c00", "queued in admission"}},
                14);
  svg += value_axis(top, bottom, ymax, [](double v) { return num(v, v == std::floor(v) ? 0 : 1); });
  svg += time_axis(f, top, bottom);
  auto step_path = [&](uint64_t QueueSample::*field, const char* color) {
    if (pts.empty()) return std::string();
    std::string d;
    double prev_y = 0;
    for (size_t i = 0; i < pts.size(); ++i) {
      const double x = f.x(to_ms(pts[i].at));
      const double y = bottom - (bottom - top) * static_cast<double>(pts[i].*field) / ymax;
      if (i == 0) d += "M" + num(x) + " " + num(y) + " ";
      else d += "L" + num(x) + " " + num(prev_y) + " L" + num(x) + " " + num(y) + " ";
      prev_y = y;
    }
    return "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + color + "\" stroke-width=\"1.4\"/>\n";
  };
  svg += step_path(&QueueSample::outstanding, "#6d4c41");
  svg += step_path(&QueueSample::in_flight, "#1e88e5");
  svg += step_path(&QueueSample::queued, "#fb8c00");
  return figure("Queue depth", "(sampled every " + ms_text(to_ms(r.sample_interval)) + ")", svg);
}

// Stacked bars of two counts per column.
std::string stacked_chart(const Series& s, const std::string& title, const std::string& note,
                          const std::function<uint64_t(const Column&)>& lower, const char* lower_color,
                          const std::string& lower_name, const std::function<uint64_t(const Column&)>& upper,
                          const char* upper_color, const std::string& upper_name) {
  Frame f;
  f.span_ms = s.span_ms;
  const double top = kTop, bottom = f.height - kBottom;
  uint64_t vmax = 1;
  for (const auto& c : s.cols) vmax = std::max(vmax, lower(c) + upper(c));
  const double ymax = nice_ceil(static_cast<double>(vmax));
  std::string svg = svg_open(f, title);
  svg += legend({{lower_color, lower_name}, {upper_color, upper_name}}, 14);
  svg += value_axis(top, bottom, ymax, [](double v) { return num(v, v == std::floor(v) ? 0 : 1); });
  svg += time_axis(f, top, bottom);
  const double cw = f.plot_w() / static_cast<double>(s.cols.size());
  for (size_t i = 0; i < s.cols.size(); ++i) {
    const uint64_t lo = lower(s.cols[i]), up = upper(s.cols[i]);
    if (lo + up == 0) continue;
    const double x = kLeft + cw * static_cast<double>(i);
    const double h_lo = (bottom - top) * static_cast<double>(lo) / ymax;
    const double h_up = (bottom - top) * static_cast<double>(up) / ymax;
    const std::string t = ms_text(static_cast<double>(i) * s.col_ms) + ": " + u64(lo) + " " + lower_name + ", " +
                          u64(up) + " " + upper_name;
    if (lo) svg += rect(x, bottom - h_lo, std::max(cw - 0.3, 0.4), h_lo, lower_color, t);
    if (up) svg += rect(x, bottom - h_lo - h_up, std::max(cw - 0.3, 0.4), h_up, upper_color, t);
  }
  return figure(title, note, svg);
}

std::string cost_chart(const ScenarioResult& r, const Series& s) {
  Frame f;
  f.span_ms = s.span_ms;
  const double top = kTop, bottom = f.height - kBottom;
  std::vector<double> cum(s.cols.size());
  double total = 0;
  for (size_t i = 0; i < s.cols.size(); ++i) {
    total += s.cols[i].cost;
    cum[i] = total;
  }
  const double ymax = nice_ceil(std::max(total, 1e-6));
  std::string svg = svg_open(f, "Cumulative cost");
  svg += legend({{"#00897b", "cumulative cost (USD)"}}, 14);
  svg += value_axis(top, bottom, ymax, [](double v) { return usd(v); });
  svg += time_axis(f, top, bottom);
  std::string d = "M" + num(kLeft) + " " + num(bottom) + " ";
  for (size_t i = 0; i < cum.size(); ++i) {
    const double x = f.x(static_cast<double>(i + 1) * s.col_ms);
    d += "L" + num(x) + " " + num(bottom - (bottom - top) * cum[i] / ymax) + " ";
  }
  svg += "<path d=\"" + d + "\" fill=\"none\" stroke=\"#00897b\" stroke-width=\"1.8\"><title>" +
         esc("total " + usd(r.cost_usd)) + "</title></path>\n";
  return figure("Cumulative cost", "(total " + usd(r.cost_usd) + ", by the interval each request finished in)", svg);
}

// ---- tables ----

std::string row(const std::string& key, const std::string& value_html) {
  return "<tr><th>" + esc(key) + "</th><td>" + value_html + "</td></tr>\n";
}

std::string summary_table(const ScenarioResult& r) {
  std::string h = "<table class=\"summary\">\n";
  if (!r.file.empty()) h += row("file", "<code>" + esc(r.file) + "</code>");
  if (!r.tags.empty()) {
    std::string tags;
    for (const auto& t : r.tags) tags += "<span class=\"tag\">" + esc(t) + "</span> ";
    h += row("tags", tags);
  }
  h += row("seed", esc(u64(r.seed)));
  if (r.real_time()) {
    h += row("clock", "real: loopback HTTP against simulator servers <span class=\"note\">(times are wall times; "
                      "not deterministic, no digest)</span>");
    h += row("duration / covered", esc(ms_text(to_ms(r.duration)) + " / " + ms_text(to_ms(r.simulated))));
    h += row("wall time", esc(ms_text(r.wall_ms)));
  } else {
    h += row("digest", "<code>" + esc(r.digest) + "</code>");
    h += row("duration / simulated", esc(ms_text(to_ms(r.duration)) + " / " + ms_text(to_ms(r.simulated))));
    h += row("wall time", esc(ms_text(r.wall_ms)) + " <span class=\"note\">(not in the digest)</span>");
  }
  h += row("requests", esc(u64(r.requests) + " (ok " + u64(r.ok) + ", failed " + u64(r.failed) + ", lost " +
                            u64(r.lost) + ")"));
  std::string outcomes;
  for (const auto& [k, v] : r.outcomes) outcomes += (outcomes.empty() ? "" : ", ") + k + " " + u64(v);
  if (!outcomes.empty()) h += row("outcomes", esc(outcomes));
  h += row("attempts", esc(u64(r.attempts) + " (" + u64(r.retries) + " beyond each request's first)"));
  h += row("latency (ok) p50 / p95 / p99 / max",
           esc(ms_text(r.p50_ms) + " / " + ms_text(r.p95_ms) + " / " + ms_text(r.p99_ms) + " / " + ms_text(r.max_ms)));
  h += row("cost", esc(usd(r.cost_usd)));
  for (const auto& b : r.budgets) {
    std::string v = usd(b.spent_usd) + " of " + usd(b.limit_usd) + " spent (" + b.action + "), " + u64(b.refusals) +
                    " refusal(s)";
    if (b.first_refusal) v += ", first at " + ms_text(to_ms(*b.first_refusal));
    h += row("budget " + b.period + " " + b.scope + (b.name.empty() ? "" : "=" + b.name), esc(v));
  }
  h += "</table>\n";
  return h;
}

std::string expectations_table(const ScenarioResult& r) {
  if (r.expectations.empty()) return "<p class=\"note\">No expectations.</p>\n";
  std::string h =
      "<table class=\"expectations\">\n<tr><th>result</th><th>path</th><th>expectation</th><th>observed</th>"
      "<th>threshold</th><th>detail</th></tr>\n";
  for (const auto& e : r.expectations) {
    h += std::string("<tr class=\"") + (e.passed ? "pass" : "fail") + "\"><td class=\"verdict\">" +
         (e.passed ? "PASS" : "FAIL") + "</td><td><code>" + esc(e.path) + "</code></td><td>" + esc(e.description) +
         " <span class=\"note\">" + esc(e.kind) + "</span></td><td>" + esc(with_unit(e.observed, e.unit)) + "</td><td>" +
         esc(with_unit(e.threshold, e.unit)) + "</td><td>" + esc(e.detail) + "</td></tr>\n";
  }
  return h + "</table>\n";
}

std::string providers_table(const ScenarioResult& r) {
  if (r.providers.empty()) return {};
  std::string h =
      "<table class=\"providers\">\n<tr><th>provider</th><th>protocol</th><th>attempts</th><th>ok</th><th>outcomes at "
      "the wire</th><th>breaker openings</th><th>cost</th><th>faults (matched / fired)</th></tr>\n";
  for (const auto& p : r.providers) {
    std::string outcomes;
    for (const auto& [k, v] : p.outcomes) outcomes += (outcomes.empty() ? "" : ", ") + k + " " + u64(v);
    std::string faults;
    for (const auto& f : p.faults) {
      faults += std::string("<span class=\"") + (f.fired ? "fired" : "unfired") + "\">" +
                esc(f.id + " (" + f.kind + ") " + u64(f.matched) + " / " + u64(f.fired)) + "</span><br>";
    }
    h += "<tr><td>" + esc(p.name) + "</td><td>" + esc(p.protocol) + "</td><td>" + esc(u64(p.attempts)) + "</td><td>" +
         esc(u64(p.ok)) + "</td><td>" + esc(outcomes) + "</td><td>" + esc(u64(p.breaker_openings)) + "</td><td>" +
         esc(usd(p.cost_usd)) + "</td><td>" + faults + "</td></tr>\n";
  }
  return h + "</table>\n";
}

std::string breaker_table(const ScenarioResult& r) {
  if (r.breaker_log.empty()) return {};
  constexpr size_t kMaxRows = 200;
  std::string h = "<details><summary>Breaker transitions (" + esc(u64(r.breaker_log.size())) +
                  ")</summary>\n<table class=\"breaker\">\n<tr><th>at</th><th>endpoint</th><th>from</th><th>to</th>"
                  "<th>reason</th></tr>\n";
  for (size_t i = 0; i < r.breaker_log.size() && i < kMaxRows; ++i) {
    const auto& b = r.breaker_log[i];
    h += "<tr><td>" + esc(ms_text(to_ms(b.at))) + "</td><td>" + esc(b.endpoint_id) + "</td><td>" + esc(b.from) +
         "</td><td>" + esc(b.to) + "</td><td>" + esc(b.reason) + "</td></tr>\n";
  }
  h += "</table>\n";
  if (r.breaker_log.size() > kMaxRows) {
    h += "<p class=\"note\">… " + esc(u64(r.breaker_log.size() - kMaxRows)) + " more</p>\n";
  }
  return h + "</details>\n";
}

std::string section(const ScenarioResult& r, size_t index) {
  const bool ok = r.passed();
  size_t passed = 0;
  for (const auto& e : r.expectations) passed += e.passed ? 1 : 0;
  std::string h = "<section id=\"s" + u64(index) + "\" class=\"scenario " + (ok ? "pass" : "fail") + "\">\n";
  h += "<h2>" + esc(r.name.empty() ? std::string("(unnamed scenario)") : r.name) + " <span class=\"badge " +
       (ok ? "pass" : "fail") + "\">" + (ok ? "PASSED" : "FAILED") + "</span> <span class=\"note\">" +
       esc(u64(passed) + " of " + u64(r.expectations.size()) + " expectations hold") + "</span></h2>\n";
  if (!r.description.empty()) h += "<p class=\"description\">" + esc(r.description) + "</p>\n";
  h += "<div class=\"cols\"><div>\n<h3>Summary</h3>\n" + summary_table(r) + "</div><div>\n<h3>Expectations</h3>\n" +
       expectations_table(r) + "</div></div>\n";
  h += "<h3>Providers</h3>\n" + providers_table(r);
  const Series s = detail::build_series(r);
  h += "<h3>Charts</h3>\n";
  h += timeline_chart(r, s);
  h += latency_chart(s);
  h += queue_chart(r, s);
  h += stacked_chart(
      s, "Attempts and retries", "(attempts per " + ms_text(s.col_ms) + " at the wire)",
      [](const Column& c) { return c.attempts - std::min(c.attempts, c.retries); }, kFirstColor, "first attempts",
      [](const Column& c) { return c.retries; }, kRetryColor, "retries and fall-overs");
  h += stacked_chart(
      s, "Requests finished", "(per " + ms_text(s.col_ms) + ")", [](const Column& c) { return c.ok; }, kOkColor, "ok",
      [](const Column& c) { return c.failed; }, kErrColor, "failed");
  h += cost_chart(r, s);
  h += breaker_table(r);
  h += "</section>\n";
  return h;
}

constexpr const char* kStyle =
    "body{font-family:system-ui,sans-serif;margin:1.5em 2em;color:#222;max-width:1100px}"
    "h1{font-size:1.5em}h2{border-top:2px solid #ddd;padding-top:.6em;font-size:1.25em}h3{font-size:1.05em;margin:.9em 0 .4em}"
    "table{border-collapse:collapse;margin:.3em 0 .8em;font-size:.9em}"
    "td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}"
    "th{background:#f6f6f6;font-weight:600}"
    "tr.pass td.verdict{color:#1b5e20;font-weight:bold}tr.fail td.verdict{color:#b71c1c;font-weight:bold}"
    "tr.fail{background:#fdecea}"
    ".badge{font-size:.75em;padding:2px 8px;border-radius:3px;color:#fff}.badge.pass{background:#2e7d32}"
    ".badge.fail{background:#c62828}.note{color:#777;font-size:.85em;font-weight:normal}"
    ".tag{background:#eef;border-radius:3px;padding:0 5px}.unfired{color:#b71c1c}.fired{color:#1b5e20}"
    ".cols{display:flex;flex-wrap:wrap;gap:2em}"
    "figure.chart{margin:.6em 0 1.2em}figcaption{font-weight:600;margin-bottom:.2em}"
    "svg.chart-svg{max-width:100%;height:auto;background:#fff;border:1px solid #eee}"
    "code{font-size:.9em}";

}  // namespace

std::string render_html_report(const std::vector<ScenarioResult>& results) {
  size_t passed = 0;
  for (const auto& r : results) passed += r.passed() ? 1 : 0;
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
  h += results.size() == 1 ? "ploke-sim scenario report: " + esc(results[0].name) : std::string("ploke-sim scenario report");
  h += "</title>\n<style>";
  h += kStyle;
  h += "</style>\n</head>\n<body>\n<h1>ploke-sim scenario report</h1>\n";
  h += "<p>" + esc(u64(passed) + " of " + u64(results.size()) + " scenario(s) passed.") +
       (std::any_of(results.begin(), results.end(), [](const ScenarioResult& r) { return r.real_time(); })
            ? " Real-time runs (clock: real) took their times from the wall clock over loopback HTTP and carry no "
              "digest; virtual-time runs: offsets since the scenario start, the digest covers every deterministic "
              "field.</p>\n"
            : " Times are virtual (offsets since the scenario start); the digest covers every deterministic "
              "field.</p>\n");
  if (results.size() > 1) {
    h += "<table class=\"index\">\n<tr><th>scenario</th><th>result</th><th>expectations</th><th>requests</th>"
         "<th>success</th><th>p95</th><th>digest</th></tr>\n";
    for (size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      size_t ok_x = 0;
      for (const auto& e : r.expectations) ok_x += e.passed ? 1 : 0;
      const double rate = r.requests ? static_cast<double>(r.ok) / static_cast<double>(r.requests) : 1.0;
      h += std::string("<tr class=\"") + (r.passed() ? "pass" : "fail") + "\"><td><a href=\"#s" + u64(i) + "\">" +
           esc(r.name) + "</a></td><td class=\"verdict\">" + (r.passed() ? "PASS" : "FAIL") + "</td><td>" +
           esc(u64(ok_x) + " / " + u64(r.expectations.size())) + "</td><td>" + esc(u64(r.requests)) + "</td><td>" +
           esc(num(rate * 100, 2) + "%") + "</td><td>" + esc(ms_text(r.p95_ms)) + "</td><td><code>" +
           esc(r.real_time() ? std::string("(real clock)") : r.digest.substr(0, 16)) + "</code></td></tr>\n";
    }
    h += "</table>\n";
  }
  for (size_t i = 0; i < results.size(); ++i) h += section(results[i], i);
  h += "</body>\n</html>\n";
  return h;
}

std::string render_html_report(const ScenarioResult& result) {
  return render_html_report(std::vector<ScenarioResult>{result});
}

}  // namespace ploke::scenarios

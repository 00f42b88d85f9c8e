// File: ploke/dashboard/page.h
//
// The dashboard page alone (library ploke::dashboard_page, no dependency but the standard
// library), for servers that render their own dashboard JSON — the simulator. The gateway
// side (gateway_json()) is in ploke/dashboard/dashboard.h. See docs/dashboard.md.
#pragma once

#include <string_view>

namespace ploke::dashboard {

/// The dashboard page (UTF-8 HTML; inline CSS, JS and SVG, no external URL). It polls the
/// relative URL `dashboard.json` (GET /__admin/dashboard.json) every second
/// (`?interval=MS` changes that). Valid for the program's lifetime.
std::string_view page_html();

}  // namespace ploke::dashboard

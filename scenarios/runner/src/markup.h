// Internal to ploke_scenarios: text from a result made safe for the HTML and JUnit XML
// reports: redact_secrets() first, then the five markup escapes; control characters other
// than tab and newline (invalid in HTML text and in XML 1.0) become spaces.
#pragma once

#include <string>
#include <string_view>

namespace ploke::scenarios::detail {

std::string markup_escape(std::string_view raw);

}  // namespace ploke::scenarios::detail

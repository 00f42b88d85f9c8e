// File: ploke/core/markup.h
//
// markup_escape(): text bound for an HTML page or an XML file (the scenario and contract
// reports): redact_secrets() first (ploke/core/secret.h), then the five markup escapes
// (& < > " '); control characters other than tab and newline (invalid in HTML text and in
// XML 1.0) become spaces. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace ploke {

std::string markup_escape(std::string_view raw);

}  // namespace ploke

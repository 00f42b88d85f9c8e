// Private to core/src: the span arithmetic redaction by pattern (secret.cpp) and by value
// (secret_registry.cpp) share.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ploke/core/secret.h"

namespace ploke::detail {

/// `spans` sorted by start, overlapping spans merged into one.
std::vector<SecretSpan> merge_secret_spans(std::vector<SecretSpan> spans);

/// `text` with each of `spans` (sorted, non-overlapping) replaced by kRedacted.
std::string replace_secret_spans(std::string_view text, const std::vector<SecretSpan>& spans);

}  // namespace ploke::detail

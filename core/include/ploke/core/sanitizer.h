// File: ploke/core/sanitizer.h
//
// Whether this translation unit is built with a sanitizer whose runtime replaces malloc
// (AddressSanitizer or ThreadSanitizer). Such a runtime owns the heap: `malloc` resolves
// inside the executable, freed memory sits in a quarantine and shadow memory grows with the
// address space touched, so allocator names and RSS figures mean something else there.
#pragma once

namespace ploke {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitizerRuntime = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitizerRuntime = true;
#else
inline constexpr bool kSanitizerRuntime = false;
#endif
#else
inline constexpr bool kSanitizerRuntime = false;
#endif

}  // namespace ploke

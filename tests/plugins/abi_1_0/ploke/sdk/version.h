// File: ploke/sdk/version.h — FROZEN COPY of plugin ABI 1.0 (SDK 0.1.0; never edit).
//
// The versions of the adapter SDK a plugin is compiled against (docs/adding-an-adapter.md,
// "Versions and ABI policy"). Plain macros so that C and preprocessor code can read them.
//
//   PLOKE_SDK_VERSION_*    semver of the C++ SDK headers (ploke/core, ploke/adapters, ...):
//                          the project version.
//   PLOKE_PLUGIN_ABI_*     the plugin ABI: the entry point (ploke/sdk/plugin.h), the
//                          registrar, and the C++ types that cross the plugin boundary.
//                          A host refuses a plugin whose ABI major differs from its own, or
//                          whose ABI minor is newer than its own.
#pragma once

#define PLOKE_SDK_VERSION_MAJOR 0
#define PLOKE_SDK_VERSION_MINOR 1
#define PLOKE_SDK_VERSION_PATCH 0
#define PLOKE_SDK_VERSION "0.1.0"

#define PLOKE_PLUGIN_ABI_MAJOR 1
#define PLOKE_PLUGIN_ABI_MINOR 0

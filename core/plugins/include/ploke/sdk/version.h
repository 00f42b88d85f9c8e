// File: ploke/sdk/version.h
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
//   ABI 1.1 added PluginRegistrar::add_sim_protocol (a simulator protocol,
//   ploke/core/sim_protocol.h); a 1.0 plugin loads unchanged.
#pragma once

#define PLOKE_SDK_VERSION_MAJOR 0
#define PLOKE_SDK_VERSION_MINOR 2
#define PLOKE_SDK_VERSION_PATCH 0
#define PLOKE_SDK_VERSION "0.2.0"

#define PLOKE_PLUGIN_ABI_MAJOR 1
#define PLOKE_PLUGIN_ABI_MINOR 1

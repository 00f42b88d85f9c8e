// File: ploke/config/credentials.h
//
// Resolving a provider's API key. Precedence for provider P:
//
//   1. the active profile's credential for P   ([profiles.NAME.credentials] P = "cred")
//   2. the provider's credential               ([providers.P] credential = "cred")
//   3. the conventional environment variable   OPENAI_API_KEY / OPENROUTER_API_KEY /
//                                              ANTHROPIC_API_KEY / LLM_API_KEY (custom)
//
// A named credential's sources, first configured one wins:
//   env (variable set and non-empty) > file > command > inline key.
//   - file: must be a regular file with no group/other permission bits (0600 or 0400);
//     otherwise kPermission "…: mode 0644, expected 0600 (chmod 600 FILE)" and the key is
//     NOT read.
//   - command: run with /bin/sh -c, stdin /dev/null, stdout's first line is the key,
//     stderr captured (redacted) for the error message; killed after command_timeout_ms
//     (kTimeout). A non-zero exit or empty output is kAuth. The output is never logged.
//
// Every error message names the credential and the source, never the key.
// Thread-safety: free functions; run_key_command() forks a child and waits on it.
#pragma once

#include <string>
#include <string_view>

#include "ploke/config/config.h"
#include "ploke/core/clock.h"
#include "ploke/core/secret.h"
#include "ploke/core/status.h"

namespace ploke::config {

struct ResolvedKey {
  Secret key;
  std::string credential;  ///< credential name, or "" for the conventional env var
  std::string source;      ///< "env:OPENAI_API_KEY", "file:/path", "command", "inline"
};

/// The conventional env var for a provider kind ("OPENAI_API_KEY" …).
std::string conventional_key_env(std::string_view kind);

/// Resolves one named credential (see the order above). `clock` bounds the command.
Result<ResolvedKey> resolve_credential(const CredentialSpec& spec, const EnvLookup& env, Clock& clock);

/// Resolves the key for `provider` under the config's active profile.
/// kNotFound "no credential for provider P (set OPENAI_API_KEY or …)" when nothing is set.
Result<ResolvedKey> resolve_provider_key(const Config& config, std::string_view provider, const EnvLookup& env,
                                         Clock& clock);

/// Reads a key file after checking its mode (see above).
Result<Secret> read_key_file(const std::string& path);

/// Runs `command` (sh -c) with a timeout; returns stdout's first line.
Result<Secret> run_key_command(const std::string& command, Duration timeout, Clock& clock);

}  // namespace ploke::config

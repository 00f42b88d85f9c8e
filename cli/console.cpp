// ploke-sim console [--base-url http://127.0.0.1:4000] [--config FILE] [--master-key-env VAR]
//
// An interactive console attached to a running `ploke-sim gateway`: the design's slash
// commands, each running the one-shot verb's own code (parsed by the verb's own CLI11
// definition, so every flag of the verb works after the slash too):
//   /model use ID, /model promote ID, /models search|list|info|promote …  (config.toml, catalog)
//   /provider profile [NAME]                                             (config.toml)
//   /llm queue status                       GET  URL/__admin/queue  (the running gateway)
//   /provider health                        GET  URL/__admin/health (the running gateway)
//   /routing policy [NAME]                  GET/POST URL/__admin/routing/policy, then the verb
//   /help, /quit (or Ctrl-D)
// State the gateway holds (queue, health, the routing policy) is read and switched through
// its admin API; settings the gateway reads only at start (profile, default model, [models])
// are saved in config.toml by the verb and the console says they apply on restart.
// A line without a slash is not sent anywhere: a hint names `ploke-sim chat`.
// Input: console_input.h (libedit on a terminal; plain lines when piped).
// Exit codes: 0 at the end of input or /quit (piped: the code of the last command that
// failed, 0 when none did); 1 no gateway answered; 2 a bad --base-url or the gateway wants the
// master key.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "console_input.h"
#include "gateway_admin.h"
#include "ploke/config/config.h"
#include "ploke/core/secret.h"
#include "ploke/resilience/llm_client.h"

namespace ploke::cli {
namespace {

constexpr const char* kCmd = "ploke-sim console";

// What the console knows while it runs.
struct Session {
  const ConsoleArgs& args;
  GatewayAdmin admin;
  std::vector<std::string> policies;   ///< the gateway's registered routing policies
  std::vector<std::string> model_ids;  ///< loaded at the first completion that needs them
  bool models_loaded = false;
};

// One slash command: its name, the sub-words completion offers, usage and help.
struct SlashCommand {
  const char* name;
  std::vector<std::string> subs;
  const char* usage;
  const char* help;
};

const std::vector<SlashCommand>& slash_commands() {
  static const std::vector<SlashCommand> k = {
      {"/model", {"use", "promote", "search", "info"}, "/model use|promote ID", "check and switch the default model / add it to config.toml"},
      {"/models", {"search", "list", "info", "promote", "refresh"}, "/models search WORD...", "the model catalog (as `ploke-sim models`)"},
      {"/provider", {"profile", "health"}, "/provider profile [NAME] | health", "switch the profile / the gateway's endpoints"},
      {"/llm", {"queue"}, "/llm queue status", "the gateway's admission lanes"},
      {"/routing", {"policy"}, "/routing policy [NAME]", "show or switch the gateway's routing policy"},
      {"/help", {}, "/help", "this list"},
      {"/quit", {}, "/quit", "leave (also /exit, Ctrl-D)"},
  };
  return k;
}

// The verbs a slash command runs, with the console's --base-url, key and --config filled in
// before parsing (a flag typed after the slash still wins).
struct Verbs {
  ConfigArgs config;
  ModelsArgs models;
  RoutingArgs routing;
  LlmArgs llm;
};

// Parses `cmdline` (the line without its slash, e.g. "provider profile work") with the
// verbs' own definitions. nullopt when a verb was chosen; else the exit code (a parse
// error or --help was printed).
std::optional<int> parse_verbs(const Session& s, const std::string& cmdline, Verbs& v) {
  v.config.config = v.models.config = v.routing.config = s.args.config;
  v.llm.url = s.args.url;
  v.llm.master_key_env = s.args.master_key_env;
  v.llm.timeout_ms = s.args.timeout_ms;
  CLI::App app{"ploke-sim console command", "ploke-sim"};
  add_config_commands(app, v.config);
  add_models_command(app, v.models);
  add_routing_command(app, v.routing);
  add_llm_command(app, v.llm);
  try {
    app.parse(cmdline, false);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;  // --help, or the message printed
  }
  if (v.config.action.empty() && v.models.action.empty() && v.routing.action.empty() && v.llm.action.empty()) {
    std::fprintf(stderr, "%s: /%s: not a console command (/help lists them)\n", kCmd, redact_secrets(cmdline).c_str());
    return kExitUsage;
  }
  return std::nullopt;
}

int run_verbs(const Verbs& v) {
  if (!v.config.action.empty()) {
    const int rc = run_config(v.config);
    const bool changed = rc == kExitOk && ((v.config.action == "profile" && !v.config.profile.empty()) ||
                                          (v.config.action == "model-use" && !v.config.dry_run));
    if (changed) std::printf("note: the running gateway keeps its settings; this applies when it restarts\n");
    return rc;
  }
  if (!v.models.action.empty()) {
    const int rc = run_models(v.models);
    if (rc == kExitOk && v.models.action == "promote") {
      std::printf("note: the running gateway serves the models it started with; restart it to serve this one\n");
    }
    return rc;
  }
  if (!v.llm.action.empty()) return run_llm(v.llm);
  return run_routing(v.routing);
}

// /provider health: the running gateway's endpoints (GET /__admin/health), printed as
// `provider health` prints the façade's.
int gateway_health(const Session& s) {
  auto r = admin_call(s.admin, "GET", "/__admin/health");
  if (!r.ok() || r->status != 200) {
    std::fprintf(stderr, "%s: %s\n", kCmd, admin_failure(s.admin, "GET", "/__admin/health", r).c_str());
    return kExitFailed;
  }
  std::string policy;
  auto eps = parse_gateway_health(r->body, "GET " + shown_url(s.args.url) + "/__admin/health", &policy);
  if (!eps.ok()) {
    std::fprintf(stderr, "%s: %s\n", kCmd, eps.status().message().c_str());
    return kExitFailed;
  }
  std::printf("gateway %s: %zu endpoint%s, routing policy %s\n%s", shown_url(s.args.url).c_str(), eps->size(),
              eps->size() == 1 ? "" : "s", policy.c_str(), resilience::render_health_text(*eps).c_str());
  return kExitOk;
}

// The gateway's routing policy and the registered ones (GET /__admin/routing/policy);
// false (printed) when it did not answer.
bool gateway_policy(Session& s, std::string& policy) {
  auto r = admin_call(s.admin, "GET", "/__admin/routing/policy");
  nlohmann::json j;
  if (r.ok() && r->status == 200) {
    auto answer = read_admin_json(r->body, "GET /__admin/routing/policy");
    if (answer.ok()) j = std::move(answer).value();
  }
  if (!j.is_object() || !j.contains("policy") || !j["policy"].is_string()) {
    const std::string why = !r.ok() || r->status != 200 ? admin_failure(s.admin, "GET", "/__admin/routing/policy", r)
                                                        : "GET /__admin/routing/policy: not a routing policy answer";
    std::fprintf(stderr, "%s: %s\n", kCmd, why.c_str());
    return false;
  }
  policy = j["policy"].get<std::string>();
  if (j.contains("policies") && j["policies"].is_array()) {
    s.policies.clear();
    for (const auto& p : j["policies"]) {
      if (p.is_string()) s.policies.push_back(p.get<std::string>());
    }
  }
  return true;
}

// /routing policy [NAME]: the running gateway's policy, switched there first
// (POST /__admin/routing/policy) and then saved in config.toml by the verb (so a restart
// keeps it). Nothing is saved when the gateway refuses or does not answer.
int routing_policy(Session& s, const Verbs& v) {
  std::string current;
  if (!gateway_policy(s, current)) return kExitFailed;
  if (v.routing.name.empty()) {
    std::string known;
    for (const auto& n : s.policies) known += (known.empty() ? "" : ", ") + n;
    std::printf("gateway %s: routing policy %s (registered: %s)\n", shown_url(s.args.url).c_str(), current.c_str(),
                known.c_str());
    return run_routing(v.routing);
  }
  const std::string body = nlohmann::json{{"policy", v.routing.name}}.dump();
  auto r = admin_call(s.admin, "POST", "/__admin/routing/policy", body);
  if (!r.ok() || r->status != 200) {
    std::fprintf(stderr, "%s: %s\n", kCmd, admin_failure(s.admin, "POST", "/__admin/routing/policy", r).c_str());
    return r.ok() && r->status == 400 ? kExitUsage : kExitFailed;
  }
  std::printf("gateway %s: routing policy %s (was %s)\n", shown_url(s.args.url).c_str(), v.routing.name.c_str(),
              current.c_str());
  return run_routing(v.routing);
}

void print_help() {
  std::printf("commands (each takes the flags of its `ploke-sim` verb; add --help to see them):\n");
  for (const auto& c : slash_commands()) std::printf("  %-34s %s\n", c.usage, c.help);
  std::printf("lines without a slash are not sent: use `ploke-sim chat --base-url URL/v1 PROMPT` for prompts\n");
}

// One line: runs its command. The exit code of the command; nullopt for /quit.
std::optional<int> run_line(Session& s, const std::string& line) {
  const size_t start = line.find_first_not_of(" \t");
  if (start == std::string::npos) return kExitOk;
  const std::string text = line.substr(start);
  if (text[0] != '/') {
    std::fprintf(stderr, "%s: not a command: commands start with '/' (/help lists them); prompts go through "
                 "`ploke-sim chat --base-url %s/v1 PROMPT`\n", kCmd, shown_url(s.args.url).c_str());
    return kExitUsage;
  }
  std::istringstream words(text);
  std::string first, second;
  words >> first >> second;
  if (first == "/quit" || first == "/exit") return std::nullopt;
  if (first == "/help") {
    print_help();
    return kExitOk;
  }
  const auto& known = slash_commands();
  auto cmd = std::find_if(known.begin(), known.end(), [&first](const SlashCommand& c) { return first == c.name; });
  if (cmd == known.end()) {
    std::fprintf(stderr, "%s: unknown command '%s' (/help lists the commands)\n", kCmd, redact_secrets(first).c_str());
    return kExitUsage;
  }
  if (!cmd->subs.empty() && std::find(cmd->subs.begin(), cmd->subs.end(), second) == cmd->subs.end()) {
    std::string subs;
    for (const auto& w : cmd->subs) subs += (subs.empty() ? "" : ", ") + w;
    std::fprintf(stderr, "%s: %s needs one of: %s (usage: %s)\n", kCmd, first.c_str(), subs.c_str(), cmd->usage);
    return kExitUsage;
  }
  if (first == "/provider" && second == "health") return gateway_health(s);
  std::string cmdline = text.substr(1);
  if (first == "/model" && second != "use") cmdline = "models" + text.substr(6);  // promote, search, info: `models …` (as ploke's /model search)
  Verbs v;
  if (std::optional<int> rc = parse_verbs(s, cmdline, v)) return *rc;
  if (!v.routing.action.empty()) return routing_policy(s, v);
  return run_verbs(v);
}

// Completion candidates for the word after `before`.
std::vector<std::string> candidates(Session& s, const std::vector<std::string>& before) {
  std::vector<std::string> out;
  if (before.empty()) {
    for (const auto& c : slash_commands()) out.push_back(c.name);
    out.push_back("/exit");
    return out;
  }
  const std::string& cmd = before[0];
  if (before.size() == 1) {
    for (const auto& c : slash_commands()) {
      if (cmd == c.name) return c.subs;
    }
    return out;
  }
  if (before.size() != 2) return out;
  const std::string& sub = before[1];
  if (cmd == "/llm" && sub == "queue") return {"status"};
  if (cmd == "/routing" && sub == "policy") return s.policies;
  config::LoadOptions lo;
  lo.explicit_path = s.args.config;
  if (cmd == "/provider" && sub == "profile") {
    for (const auto& kv : config::load_config(lo).config.profiles) out.push_back(kv.first);
    return out;
  }
  const bool model_arg = (cmd == "/model" && (sub == "use" || sub == "promote" || sub == "info")) ||
                         (cmd == "/models" && (sub == "info" || sub == "promote"));
  if (!model_arg) return out;
  if (!s.models_loaded) s.model_ids = catalog_model_ids();
  s.models_loaded = true;
  if (cmd == "/model" && sub == "use") {
    for (const auto& kv : config::load_config(lo).config.models) out.push_back(kv.first);
  }
  out.insert(out.end(), s.model_ids.begin(), s.model_ids.end());
  return out;
}

// Start-up: the URL is http(s), a gateway answers /__admin/health (with the master key when
// it wants one). The exit code when not; the banner line otherwise.
std::optional<int> attach(Session& s, std::string& banner) {
  if (std::string why = check_gateway_url(s.args.url); !why.empty()) {
    std::fprintf(stderr, "%s: --base-url: %s\n", kCmd, why.c_str());
    return kExitUsage;
  }
  auto r = admin_call(s.admin, "GET", "/__admin/health");
  if (!r.ok() || r->status != 200) {
    std::fprintf(stderr, "%s: %s\n", kCmd, admin_failure(s.admin, "GET", "/__admin/health", r).c_str());
    return r.ok() && r->status == 401 ? kExitUsage : kExitFailed;
  }
  std::string policy;
  auto eps = parse_gateway_health(r->body, "GET " + shown_url(s.args.url) + "/__admin/health", &policy);
  if (!eps.ok()) {
    std::fprintf(stderr, "%s: %s (is %s a ploke-sim gateway?)\n", kCmd, eps.status().message().c_str(),
                 shown_url(s.args.url).c_str());
    return kExitFailed;
  }
  std::string ignored;
  if (!gateway_policy(s, ignored)) s.policies = config::builtin_policy_names();
  banner = "ploke-sim console: attached to " + shown_url(s.args.url) + " (" + std::to_string(eps->size()) +
           " endpoints, routing policy " + policy + "); /help lists the commands, /quit or Ctrl-D leaves";
  return std::nullopt;
}

}  // namespace

CLI::App* add_console_command(CLI::App& app, ConsoleArgs& args) {
  auto* c = app.add_subcommand("console", "Interactive console attached to a running gateway: slash commands, "
                                          "history, completion (piped: one command per line)");
  c->add_option("--base-url", args.url, "Gateway base URL")->capture_default_str();
  c->add_option("--config", args.config, "Config file the commands read and save (default $PLOKE_SIM_CONFIG, "
                                         "else $XDG_CONFIG_HOME/ploke-sim/config.toml)");
  c->add_option("--master-key-env", args.master_key_env,
                "Environment variable holding the gateway's master key (default: PLOKE_GATEWAY_MASTER_KEY when set)");
  c->add_option("--timeout-ms", args.timeout_ms, "Time limit of each request to the gateway, ms")
      ->capture_default_str()->check(CLI::Range(1, 600000));
  return c;
}

int run_console(const ConsoleArgs& args) {
  Session s{args, GatewayAdmin{args.url, args.master_key_env, args.timeout_ms}, {}, {}, false};
  std::string banner;
  if (std::optional<int> rc = attach(s, banner)) return *rc;
  ConsoleInput input(default_history_path(), [&s](const std::vector<std::string>& before) { return candidates(s, before); });
  std::fprintf(input.interactive() ? stdout : stderr, "%s\n", banner.c_str());
  int last_failure = kExitOk;
  bool quit = false;
  while (std::optional<std::string> line = input.read("ploke> ")) {
    input.remember(*line);
    std::optional<int> rc = run_line(s, *line);
    std::fflush(stdout);
    std::fflush(stderr);
    if (!rc) {
      quit = true;
      break;
    }
    if (*rc != kExitOk) last_failure = *rc;
  }
  if (!input.interactive()) return last_failure;
  if (!quit) std::printf("\n");  // Ctrl-D: end the prompt's line
  return kExitOk;
}

}  // namespace ploke::cli

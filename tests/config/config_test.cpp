// ploke::config: precedence, validation (every error with its path), env overrides,
// credentials (0600 files, commands incl. failing/slow ones, precedence), profiles,
// redaction in every sink (save, errors, warnings).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "ploke/catalog/catalog.h"
#include "ploke/config/config.h"
#include "ploke/config/credentials.h"
#include "ploke/core/clock.h"
#include "ploke/core/file_io.h"
#include "support/test_support.h"

namespace ploke::config {
namespace {

constexpr const char* kPlantedKey = "sk-or-v1-FAKE0123456789abcdef0123456789abcdef";  // fake key
constexpr const char* kPlantedKey2 = "sk-proj-FAKEabcdefghijklmnop0123456789";        // fake key

// A small catalog: one model without tools/json (max output 100), one with everything.
catalog::Catalog test_catalog() {
  const char* json = R"({"version":1,"models":[
    {"id":"test/no-tools","tools":false,"json_mode":false,"streaming":true,"max_output_tokens":100,
     "pricing":{"prompt":0.000001,"completion":0.000002}},
    {"id":"test/full","aliases":["full"],"tools":true,"json_mode":true,"streaming":true,"max_output_tokens":4096}]})";
  auto recs = catalog::parse_curated(json, "test.json");
  EXPECT_TRUE(recs.ok()) << recs.status().to_string();
  return catalog::Catalog(recs.ok() ? *recs : std::vector<catalog::ModelRecord>{}, {});
}

using ::ploke::testing::TempDir;

LoadResult parse(const std::string& text, std::map<std::string, std::string> env = {},
                 const catalog::Catalog* cat = nullptr) {
  LoadOptions o;
  o.env = fixed_env(std::move(env));
  o.catalog = cat;
  return parse_config(text, "cfg.toml", o);
}

bool has_error(const LoadResult& r, const std::string& path, int line, const std::string& needle) {
  for (const auto& e : r.errors) {
    if (e.path == path && (line == 0 || e.line == line) && e.message.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string all_errors(const LoadResult& r) { return r.status().message(); }

// --- precedence -------------------------------------------------------------------------

const char* kLayered = R"(
default_preset = "mine"
active_profile = "work"
[params]
temperature = 0.1
top_p = 0.5
max_tokens = 10
seed = 1
timeout_ms = 1000
stream = false
[providers.openrouter.params]
max_tokens = 20
presence_penalty = 0.3
[models.m]
id = "test/full"
[models.m.params]
max_tokens = 30
frequency_penalty = 0.4
[presets.mine]
max_tokens = 40
system_prompt = "be brief"
[profiles.work.params]
seed = 2
stream = true
)";

TEST(ConfigPrecedence, RequestBeatsPresetBeatsModelBeatsProviderBeatsGlobal) {
  auto r = parse(kLayered);
  ASSERT_TRUE(r.ok()) << all_errors(r);
  Params req;
  req.temperature = 0.9;
  auto p = resolve_params(r.config, "m", "", req);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p->values.temperature, 0.9);
  EXPECT_EQ(p->sources["temperature"], "request");
  EXPECT_EQ(*p->values.max_tokens, 40);
  EXPECT_EQ(p->sources["max_tokens"], "preset:mine");
  EXPECT_EQ(*p->values.frequency_penalty, 0.4);
  EXPECT_EQ(p->sources["frequency_penalty"], "model:m");
  EXPECT_EQ(*p->values.presence_penalty, 0.3);
  EXPECT_EQ(p->sources["presence_penalty"], "provider:openrouter");
  EXPECT_EQ(*p->values.top_p, 0.5);
  EXPECT_EQ(p->sources["top_p"], "global");
  EXPECT_EQ(*p->values.seed, 2);
  EXPECT_EQ(p->sources["seed"], "profile:work");
  EXPECT_TRUE(*p->values.stream);
  // Without the request, the preset's value wins; an explicit preset beats the default one.
  auto q = resolve_params(r.config, "m", "precise");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(*q->values.temperature, 0.2);
  EXPECT_EQ(q->sources["temperature"], "preset:precise");
  EXPECT_EQ(*q->values.max_tokens, 30);  // precise sets no max_tokens: the model's
  EXPECT_FALSE(resolve_params(r.config, "m", "nope").ok());
}

TEST(ConfigPrecedence, EnvOverridesTheGlobalLayerAndProfileButNotHigherLayers) {
  auto r = parse(kLayered, {{"PLOKE_SIM_TEMPERATURE", "1.5"}, {"PLOKE_SIM_MAX_TOKENS", "7"},
                            {"PLOKE_SIM_TIMEOUT_MS", "99"}, {"PLOKE_SIM_PRESET", "creative"}});
  ASSERT_TRUE(r.ok()) << all_errors(r);
  auto p = resolve_params(r.config, "unknown-model", "");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p->values.timeout_ms, 99);
  EXPECT_EQ(p->sources["timeout_ms"], "env:PLOKE_SIM_TIMEOUT_MS");
  // PLOKE_SIM_PRESET switched the default preset: creative's temperature beats env's.
  EXPECT_EQ(r.config.default_preset, "creative");
  EXPECT_EQ(*p->values.temperature, 1.0);
  EXPECT_EQ(p->sources["temperature"], "preset:creative");
  // max_tokens from env beats global (10) but provider (20) is higher in the chain.
  EXPECT_EQ(*p->values.max_tokens, 20);
  auto s = parse("[params]\nmax_tokens = 10\n", {{"PLOKE_SIM_MAX_TOKENS", "7"}});
  auto sp = resolve_params(s.config, "x", "");
  ASSERT_TRUE(sp.ok());
  EXPECT_EQ(*sp->values.max_tokens, 7);
  EXPECT_EQ(sp->sources["max_tokens"], "env:PLOKE_SIM_MAX_TOKENS");
  EXPECT_NE(std::find(r.config.env_overrides_applied.begin(), r.config.env_overrides_applied.end(),
                      "PLOKE_SIM_TEMPERATURE"), r.config.env_overrides_applied.end());
}

TEST(ConfigPrecedence, ProfileAndEnvChooseModelAndPreset) {
  const char* text = R"(
default_model = "test/full"
active_profile = "personal"
[profiles.personal]
model = "test/no-tools"
preset = "economical"
[profiles.work]
model = "full"
)";
  auto r = parse(text);
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.default_model, "test/no-tools");
  EXPECT_EQ(r.config.default_preset, "economical");
  auto e = parse(text, {{"PLOKE_SIM_PROFILE", "work"}, {"PLOKE_SIM_MODEL", "x/y"}});
  ASSERT_TRUE(e.ok()) << all_errors(e);
  EXPECT_EQ(e.config.active_profile, "work");
  EXPECT_EQ(e.config.default_model, "x/y");
  auto bad = parse(text, {{"PLOKE_SIM_PROFILE", "nope"}});
  EXPECT_TRUE(has_error(bad, "env PLOKE_SIM_PROFILE", 0, "unknown profile 'nope'")) << all_errors(bad);
}

TEST(ConfigPresets, BuiltinsExistAndUserPresetsReplaceThem) {
  auto r = parse("[presets.precise]\ntemperature = 0.0\n[presets.mine]\ndescription = \"x\"\ntop_p = 0.3\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  for (const char* n : {"creative", "precise", "economical", "mine"}) EXPECT_TRUE(r.config.presets.count(n)) << n;
  EXPECT_EQ(*r.config.presets["precise"].params.temperature, 0.0);
  EXPECT_FALSE(r.config.presets["precise"].params.top_p.has_value());
  EXPECT_EQ(*builtin_presets()["economical"].params.max_tokens, 512);
}

// --- validation -------------------------------------------------------------------------

TEST(ConfigValidation, ReportsEveryErrorWithPathAndLineAtOnce) {
  const std::string text =
      "colour = \"blue\"\n"                                  // 1: unknown top-level key
      "default_preset = \"missing\"\n"                       // 2: unknown preset
      "[params]\n"                                           // 3
      "temperature = 3.5\n"                                  // 4: out of range
      "top_p = \"high\"\n"                                   // 5: wrong type
      "bogus = 1\n"                                          // 6: unknown parameter
      "[providers.local]\n"                                  // 7
      "kind = \"weird\"\n"                                   // 8: unknown kind
      "base_url = \"ftp://x\"\n"                             // 9: bad URL
      "credential = \"nobody\"\n"                            // 10: unknown credential
      "[models.small]\n"                                     // 11
      "id = \"test/no-tools\"\n"                             // 12
      "preset = \"tooly\"\n"                                 // 13
      "temperature = 0.5\n"                                  // 14: params belong under .params
      "[models.small.params]\n"                              // 15
      "max_tokens = 500\n"                                   // 16: above the model's 100
      "json_mode = true\n"                                   // 17: model has no JSON mode
      "[presets.tooly]\n"                                    // 18
      "tools = true\n"                                       // 19: model has no tools
      "[models.ghost]\n"                                     // 20
      "id = \"nobody/nothing\"\n"                            // 21: not in the catalog
      "[credentials.empty]\n"                                // 22: no source
      "[[budgets]]\n"                                        // 23
      "scope = \"provider\"\n"                               // 24
      "period = \"week\"\n"                                  // 25: bad period
      "limit_usd = -1\n";                                    // 26: negative; name missing
  auto cat = test_catalog();
  auto r = parse(text, {}, &cat);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_error(r, "colour", 1, "unknown key")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "default_preset", 2, "unknown preset 'missing'")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "params.temperature", 4, "out of range [0, 2]")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "params.top_p", 5, "expected a number, got a string")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "params.bogus", 6, "unknown parameter")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "providers.local.kind", 8, "unknown kind 'weird'")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "providers.local.base_url", 9, "http")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "providers.local.credential", 10, "unknown credential 'nobody'")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "models.small.temperature", 14, "parameters go under models.small.params")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "models.small.params.max_tokens", 16, "exceeds")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "models.small.params.json_mode", 17, "does not support JSON mode")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "presets.tooly.tools", 19, "does not support tools")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "models.ghost.id", 21, "not in the catalog")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "credentials.empty", 22, "no key source")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "budgets[0].period", 25, "day or month")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "budgets[0].limit_usd", 26, "out of range")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "budgets[0].name", 23, "missing")) << all_errors(r);
  EXPECT_EQ(r.errors.size(), 17u) << all_errors(r);
  // Sorted by line; status() lists them all as file:line:col: path: message.
  for (size_t i = 1; i < r.errors.size(); ++i) EXPECT_LE(r.errors.list()[i - 1].line, r.errors.list()[i].line);
  const std::string msg = r.status().message();
  EXPECT_EQ(msg.rfind("config: 17 errors:", 0), 0u) << msg;
  EXPECT_NE(msg.find("cfg.toml:4:15: params.temperature: value 3.5 out of range [0, 2]"), std::string::npos) << msg;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidRequest);
}

TEST(ConfigValidation, ProfileAndReferenceErrors) {
  const char* text = R"(active_profile = "home"
[credentials.c1]
provider = "openai"
env = "X"
[profiles.work]
preset = "nope"
[profiles.work.credentials]
openrouter = "c1"
martian = "c2"
)";
  auto r = parse(text);
  EXPECT_TRUE(has_error(r, "active_profile", 1, "unknown profile 'home'")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "profiles.work.preset", 6, "unknown preset")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "profiles.work.credentials.openrouter", 8, "is for provider openai")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "profiles.work.credentials.martian", 9, "unknown provider 'martian'")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "profiles.work.credentials.martian", 9, "unknown credential 'c2'")) << all_errors(r);
}

TEST(ConfigModels, GroupsAndAliasesParseRenderAndReportErrors) {
  const char* ok = R"([models.smart]
aliases = ["gpt4", "default"]
deployments = [
  { provider = "openai", id = "gpt-4o", weight = 3 },
  { provider = "anthropic", id = "claude-sonnet-4-20250514" },
]
)";
  auto r = parse(ok);
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const ModelConfig& m = r.config.models.at("smart");
  EXPECT_EQ(m.aliases, (std::vector<std::string>{"gpt4", "default"}));
  ASSERT_EQ(m.deployments.size(), 2u);
  EXPECT_EQ(m.deployments[0], (ModelDeployment{"openai", "gpt-4o", 3.0}));
  EXPECT_EQ(m.deployments[1], (ModelDeployment{"anthropic", "claude-sonnet-4-20250514", std::nullopt}));
  EXPECT_EQ(m.provider, "openai");  // the first deployment, for single-model consumers
  EXPECT_EQ(m.id, "gpt-4o");
  auto again = parse(render_config(r.config));  // save writes them back
  ASSERT_TRUE(again.ok()) << all_errors(again);
  EXPECT_EQ(again.config.models.at("smart").deployments, m.deployments);
  EXPECT_EQ(again.config.models.at("smart").aliases, m.aliases);

  const char* bad = R"([models.a]
provider = "openai"
aliases = ["b", "x"]
[models.b]
provider = "openai"
aliases = ["x", 3]
deployments = [{ provider = "martian", id = "m", weight = 0 }, { id = "n", colour = "red" }]
)";
  auto e = parse(bad);
  EXPECT_TRUE(has_error(e, "models.a.aliases[0]", 0, "alias 'b' is also a model name")) << all_errors(e);
  EXPECT_TRUE(has_error(e, "models.b.aliases[0]", 0, "alias 'x' is already an alias of models.a")) << all_errors(e);
  EXPECT_TRUE(has_error(e, "models.b.aliases[1]", 0, "expected a string")) << all_errors(e);
  EXPECT_TRUE(has_error(e, "models.b.deployments[0].provider", 0, "unknown provider 'martian'")) << all_errors(e);
  EXPECT_TRUE(has_error(e, "models.b.deployments[0].weight", 7, "out of range")) << all_errors(e);
  EXPECT_TRUE(has_error(e, "models.b.deployments[1].provider", 0, "missing")) << all_errors(e);
  EXPECT_TRUE(has_error(e, "models.b.deployments[1].colour", 0, "unknown key")) << all_errors(e);
}

TEST(ConfigPlugins, LoadListResolvesPathsAndReportsErrors) {
  LoadOptions o;
  o.env = fixed_env({{"HOME", "/home/u"}});
  auto r = parse_config("[plugins]\nload = [\"p/acme.so\", \"/opt/x.so\", \"~/plugins\"]\n", "/etc/ploke/cfg.toml", o);
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.plugins_load, (std::vector<std::string>{"/etc/ploke/p/acme.so", "/opt/x.so", "/home/u/plugins"}));
  auto again = parse_config(render_config(r.config), "/etc/ploke/cfg.toml", o);
  EXPECT_EQ(again.config.plugins_load, r.config.plugins_load);
  auto e = parse("[plugins]\nload = [\"\", 3]\nautoload = true\n");
  EXPECT_TRUE(has_error(e, "plugins.load", 2, "empty string")) << all_errors(e);
  EXPECT_TRUE(has_error(e, "plugins.load[1]", 0, "expected a string")) << all_errors(e);
  EXPECT_TRUE(has_error(e, "plugins.autoload", 0, "unknown key")) << all_errors(e);
}

TEST(ConfigValidation, PresetAppliedToModelWithoutCapabilitiesViaDefaultModel) {
  auto cat = test_catalog();
  auto r = parse("default_model = \"test/no-tools\"\ndefault_preset = \"j\"\n[presets.j]\njson_mode = true\n", {}, &cat);
  EXPECT_TRUE(has_error(r, "presets.j.json_mode", 4, "test/no-tools")) << all_errors(r);
  auto ok = parse("default_model = \"full\"\ndefault_preset = \"j\"\n[presets.j]\njson_mode = true\n", {}, &cat);
  EXPECT_TRUE(ok.ok()) << all_errors(ok);
  auto unknown = parse("default_model = \"who/what\"\n", {}, &cat);
  EXPECT_TRUE(has_error(unknown, "default_model", 1, "unknown model")) << all_errors(unknown);
}

TEST(ConfigValidation, SyntaxErrorNamesFileLineColumn) {
  auto r = parse("[params]\ntemperature = = 2\n");
  ASSERT_EQ(r.errors.size(), 1u);
  const FieldError& e = r.errors.list()[0];
  EXPECT_EQ(e.line, 2);
  EXPECT_GT(e.column, 0);
  EXPECT_EQ(e.to_string().rfind("cfg.toml:2:", 0), 0u) << e.to_string();
  EXPECT_NE(e.to_string().find(": syntax error while parsing "), std::string::npos) << e.to_string();
  // One error renders as one line: the label, then file:line:col.
  EXPECT_EQ(r.status().message().rfind("config: cfg.toml:2:", 0), 0u) << r.status().message();
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos) << r.status().message();
}

TEST(ConfigValidation, BadEnvironmentValuesAreErrors) {
  auto r = parse("", {{"PLOKE_SIM_TEMPERATURE", "7"}, {"PLOKE_SIM_MAX_TOKENS", "lots"}, {"PLOKE_SIM_TOP_P", "0"}});
  EXPECT_TRUE(has_error(r, "env PLOKE_SIM_TEMPERATURE", 0, "out of range")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "env PLOKE_SIM_MAX_TOKENS", 0, "")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "env PLOKE_SIM_TOP_P", 0, "out of range (0, 1]")) << all_errors(r);
  EXPECT_EQ(r.errors.size(), 3u) << all_errors(r);
}

TEST(ConfigLoad, MissingDefaultFileIsEmptyButMissingExplicitFileIsAnError) {
  TempDir d;
  LoadOptions o;
  o.env = fixed_env({{"XDG_CONFIG_HOME", d.path()}});
  auto r = load_config(o);
  EXPECT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.path, "");
  EXPECT_EQ(r.config.presets.size(), 3u);
  EXPECT_EQ(default_config_path(o.env), d.path() + "/ploke-sim/config.toml");
  EXPECT_EQ(default_config_path(fixed_env({{"HOME", "/h"}})), "/h/.config/ploke-sim/config.toml");
  o.explicit_path = d.path() + "/nope.toml";
  auto m = load_config(o);
  EXPECT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("nope.toml"), std::string::npos);
  // PLOKE_SIM_CONFIG is explicit too; --config beats it.
  LoadOptions e;
  e.env = fixed_env({{"PLOKE_SIM_CONFIG", d.path() + "/also-missing.toml"}});
  EXPECT_FALSE(load_config(e).ok());
  EXPECT_EQ(config_path("/x.toml", e.env), "/x.toml");
}

TEST(ConfigLoad, BadFileIsAnErrorNotDefaults) {
  TempDir d;
  const std::string p = d.file("config.toml", "[params]\ntemperature = \"hot\"\n");
  LoadOptions o;
  o.explicit_path = p;
  o.env = fixed_env({});
  auto r = load_config(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(p + ":2:"), std::string::npos) << r.status().message();
}

// --- credentials ------------------------------------------------------------------------

TEST(Credentials, KeyFileMustBe0600) {
  TempDir d;
  const std::string open_file = d.file("open.key", std::string(kPlantedKey) + "\n", 0644);
  auto bad = read_key_file(open_file);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kPermission);
  EXPECT_NE(bad.status().message().find("mode 0644, expected 0600"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("chmod 600"), std::string::npos);
  EXPECT_EQ(bad.status().message().find("FAKE"), std::string::npos);
  const std::string group_file = d.file("group.key", kPlantedKey, 0640);
  EXPECT_EQ(read_key_file(group_file).status().code(), StatusCode::kPermission);
  const std::string good_file = d.file("good.key", std::string("  ") + kPlantedKey + "  \nsecond line\n", 0600);
  auto good = read_key_file(good_file);
  ASSERT_TRUE(good.ok()) << good.status().to_string();
  EXPECT_EQ(good->reveal(), kPlantedKey);
  const std::string ro_file = d.file("ro.key", kPlantedKey, 0400);
  EXPECT_TRUE(read_key_file(ro_file).ok());
  EXPECT_EQ(read_key_file(d.path() + "/none").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(read_key_file(d.path()).status().code(), StatusCode::kPermission);  // a directory
}





TEST(Credentials, ProfileBeatsProviderBeatsConventionalEnv) {
  const char* text = R"(active_profile = "work"
[providers.openrouter]
credential = "personal-or"
[credentials.personal-or]
env = "OR_PERSONAL"
[credentials.work-or]
provider = "openrouter"
env = "OR_WORK"
[profiles.work.credentials]
openrouter = "work-or"
[profiles.personal]
)";
  SimulatedClock clock;
  auto env = fixed_env({{"OR_PERSONAL", "sk-or-v1-FAKEpersonal0123456789"}, {"OR_WORK", "sk-or-v1-FAKEwork0123456789"},
                        {"OPENAI_API_KEY", "sk-FAKE-openai-0123456789"}});
  LoadOptions o;
  o.env = env;
  auto r = parse_config(text, "cfg.toml", o);
  ASSERT_TRUE(r.ok()) << all_errors(r);
  auto k = resolve_provider_key(r.config, "openrouter", env, clock);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->credential, "work-or");
  r.config.active_profile = "personal";
  k = resolve_provider_key(r.config, "openrouter", env, clock);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->credential, "personal-or");
  auto o2 = resolve_provider_key(r.config, "openai", env, clock);
  ASSERT_TRUE(o2.ok());
  EXPECT_EQ(o2->source, "env:OPENAI_API_KEY");
  auto none = resolve_provider_key(r.config, "anthropic", env, clock);
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("ANTHROPIC_API_KEY"), std::string::npos);
}

// --- redaction in every sink --------------------------------------------------------------

TEST(ConfigRedaction, SaveRedactsInlineKeysUnlessAsked) {
  TempDir d;
  const std::string text = std::string("active_profile = \"work\"\n[credentials.inline]\nkey = \"") + kPlantedKey +
                           "\"\n[profiles.work]\nmodel = \"full\"\n[[budgets]]\nlimit_usd = 5.0\naction = \"stop\"\n";
  auto r = parse(text);
  ASSERT_TRUE(r.ok()) << all_errors(r);
  ASSERT_EQ(r.config.credentials["inline"].key.reveal(), kPlantedKey);
  // Warnings never carry the key.
  for (const auto& w : r.warnings) EXPECT_EQ(w.find("FAKE"), std::string::npos) << w;
  const std::string shown = render_config(r.config);
  EXPECT_EQ(shown.find("FAKE"), std::string::npos) << shown;
  EXPECT_NE(shown.find("[REDACTED]"), std::string::npos);
  const std::string path = d.path() + "/sub/config.toml";
  ASSERT_TRUE(save_config(path, r.config).ok());
  auto saved = ploke::read_file(path);
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(saved->find("FAKE"), std::string::npos) << *saved;
  // The redacted file loads back: the placeholder is ignored with a warning, the rest kept.
  auto back = parse(*saved);
  ASSERT_TRUE(back.ok()) << all_errors(back);
  EXPECT_TRUE(back.config.credentials["inline"].key.empty());
  EXPECT_EQ(back.config.active_profile, "work");
  ASSERT_EQ(back.config.budgets.size(), 1u);
  EXPECT_EQ(back.config.budgets[0].action, "stop");
  // with_keys writes the key, mode 0600.
  ASSERT_TRUE(save_config(path, r.config, {true}).ok());
  auto with = ploke::read_file(path);
  EXPECT_NE(with->find(kPlantedKey), std::string::npos);
  struct stat st {};
  ::stat(path.c_str(), &st);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // No temp file left behind.
  EXPECT_EQ(std::system(("test $(ls -A '" + d.path() + "/sub' | wc -l) -eq 1").c_str()), 0);
}

TEST(ConfigRedaction, ErrorMessagesNeverCarryKeys) {
  const std::string text = std::string("[params]\ntemperature = \"") + kPlantedKey + "\"\n[providers.x]\nbase_url = \"" +
                           kPlantedKey2 + "\"\nkey = \"" + kPlantedKey + "\"\n";
  auto r = parse(text);
  ASSERT_FALSE(r.ok());
  const std::string m = r.status().message() + r.status().to_string();
  EXPECT_EQ(m.find("FAKE"), std::string::npos) << m;
  // A syntax error on a line holding a key.
  auto s = parse(std::string("[credentials.c]\nkey = \"") + kPlantedKey + "\" junk\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message().find("FAKE"), std::string::npos) << s.status().message();
}

TEST(ConfigRedaction, ResolvedKeysPrintRedacted) {
  SimulatedClock clock;
  auto env = fixed_env({{"OPENAI_API_KEY", kPlantedKey2}});
  auto r = parse("");
  auto k = resolve_provider_key(r.config, "openai", env, clock);
  ASSERT_TRUE(k.ok());
  std::ostringstream os;
  os << k->key;
  EXPECT_EQ(os.str().find("FAKE"), std::string::npos) << os.str();
}

}  // namespace
}  // namespace ploke::config

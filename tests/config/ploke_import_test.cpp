// import_ploke_config(): ploke's config.toml (fixture tests/config/data/ploke_config.toml,
// both registry shapes) → a ploke-sim config that parses and validates; keys never copied;
// errors with ploke's field path and line; the base-URL override; catalog records for
// models the catalog does not know.
#include "ploke/config/ploke_import.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "ploke/config/config.h"

namespace ploke::config {
namespace {

constexpr const char* kPlanted = "sk-or-v1-FAKE0000000000000000000000000000000000000000000000000000000000";

std::string fixture() {
  std::ifstream in(std::string(PLOKE_TEST_DATA_DIR) + "/ploke_config.toml");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

catalog::Catalog curated() {
  auto c = catalog::parse_curated(catalog::builtin_curated_json(), "builtin curated.json");
  return catalog::Catalog(c.ok() ? std::move(c).value() : std::vector<catalog::ModelRecord>{}, {});
}

bool has_note(const PlokeImport& im, const std::string& prefix) {
  for (const auto& n : im.notes) {
    if (n.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST(PlokeImport, FixtureBecomesAValidConfigWithEveryModel) {
  auto r = import_ploke_config(fixture(), "ploke.toml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Config& c = r->config;
  ASSERT_EQ(c.models.size(), 4u);
  const ModelConfig& k2 = c.models.at("kimi-k2");
  EXPECT_EQ(k2.id, "moonshotai/kimi-k2");
  EXPECT_EQ(k2.provider, "openrouter");
  EXPECT_EQ(k2.aliases, (std::vector<std::string>{"moonshotai/kimi-k2", "k2"}));
  const ModelConfig& gpt = c.models.at("gpt-4o");
  EXPECT_EQ(gpt.params.temperature, 0.7);
  EXPECT_EQ(gpt.params.max_tokens, 2048);
  EXPECT_EQ(gpt.params.json_mode, true);
  EXPECT_EQ(gpt.params.stop, (std::vector<std::string>{"\n\nUser:"}));
  EXPECT_EQ(gpt.params.system_prompt, "You are ploke.");
  // Its own key variable: its own OpenRouter provider reading it; the others keep the
  // built-in provider and OPENROUTER_API_KEY.
  EXPECT_EQ(gpt.provider, "ploke-gpt-4o");
  EXPECT_EQ(c.providers.at("ploke-gpt-4o").kind, "openrouter");
  EXPECT_EQ(c.providers.at("ploke-gpt-4o").base_url, "https://openrouter.ai/api/v1");
  EXPECT_EQ(c.providers.at("ploke-gpt-4o").credential, "ploke-my-openrouter-key");
  EXPECT_EQ(c.credentials.at("ploke-my-openrouter-key").env, "MY_OPENROUTER_KEY");
  EXPECT_TRUE(c.providers.at("openrouter").builtin);
  const ModelConfig& qwen = c.models.at("local-qwen");
  EXPECT_EQ(c.providers.at(qwen.provider).kind, "custom");
  EXPECT_EQ(c.providers.at(qwen.provider).base_url, "http://127.0.0.1:11434/v1");
  const ModelConfig& ds = c.models.at("deepseek/deepseek-chat-v3.1");
  EXPECT_EQ(ds.params.temperature, 0.2);
  EXPECT_EQ(ds.params.seed, 42);
  EXPECT_FALSE(ds.params.max_tokens) << "only the default profile is imported";
  EXPECT_EQ(c.default_model, "kimi-k2");
  EXPECT_EQ(c.params.timeout_ms, 45000);
  EXPECT_TRUE(has_note(*r, "registry.providers[0].api_key: the key in the file was not copied; ploke-sim reads it from $OPENROUTER_API_KEY"));
  EXPECT_TRUE(has_note(*r, "registry.providers[1].llm_params.tool_max_retries: not imported"));
  EXPECT_TRUE(has_note(*r, "registry.models.\"deepseek/deepseek-chat-v3.1\".profiles.long: not imported"));
  EXPECT_TRUE(has_note(*r, "registry.models.\"deepseek/deepseek-chat-v3.1\".profiles.default.params.top_k: not imported"));

  // The rendered file parses and validates against the catalog once the unknown models
  // are in its discovered pool; the planted key is nowhere.
  const std::string text = render_ploke_import(*r, "ploke.toml");
  EXPECT_EQ(text.find(kPlanted), std::string::npos) << text;
  for (const auto& n : r->notes) EXPECT_EQ(n.find(kPlanted), std::string::npos) << n;
  auto cat = curated();
  auto unknown = unknown_model_records(*r, cat);
  ASSERT_EQ(unknown.size(), 2u);  // qwen3-coder and deepseek-chat-v3.1 are not curated
  EXPECT_EQ(unknown[0].id, "deepseek/deepseek-chat-v3.1");
  EXPECT_EQ(unknown[1].display_name.value, "Qwen3 Coder (local)");
  catalog::Catalog full(catalog::parse_curated(catalog::builtin_curated_json(), "c").value(), unknown);
  LoadOptions lo;
  lo.env = fixed_env({});
  lo.catalog = &full;
  const LoadResult back = parse_config(text, "out.toml", lo);
  EXPECT_TRUE(back.ok()) << back.status().message() << "\n" << text;
  EXPECT_EQ(back.config.models.size(), 4u);
}

TEST(PlokeImport, BaseUrlOverridePointsOpenRouterAtTheSimulator) {
  PlokeImportOptions o;
  o.openrouter_base_url = "http://127.0.0.1:8080/api/v1/";
  auto r = import_ploke_config(fixture(), "ploke.toml", o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->config.providers.at("openrouter").base_url, "http://127.0.0.1:8080/api/v1");
  EXPECT_EQ(r->config.providers.at("ploke-gpt-4o").base_url, "http://127.0.0.1:8080/api/v1");
  const std::string text = render_ploke_import(*r, "ploke.toml");
  EXPECT_NE(text.find("http://127.0.0.1:8080/api/v1"), std::string::npos) << text;
  LoadOptions lo;
  lo.env = fixed_env({});
  EXPECT_EQ(parse_config(text, "out.toml", lo).config.providers.at("openrouter").base_url, "http://127.0.0.1:8080/api/v1");
}

TEST(PlokeImport, ErrorsNameTheFileThePathAndTheLine) {
  auto syntax = import_ploke_config("[registry]\nactive_provider = \n", "bad.toml");
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.status().message().find("bad.toml:2:"), std::string::npos) << syntax.status().message();
  EXPECT_NE(syntax.status().message().find("syntax error"), std::string::npos);

  const std::string typed =
      "[registry]\n[[registry.providers]]\nid = \"a\"\nmodel = \"x/y\"\napi_key = \"" + std::string(kPlanted) +
      "\"\n[registry.providers.llm_params]\ntemperature = \"hot\"\n[[registry.providers]]\nmodel = \"x/z\"\n"
      "[[registry.providers]]\nid = \"c\"\nprovider_type = \"Bedrock\"\n";
  auto r = import_ploke_config(typed, "typed.toml");
  ASSERT_FALSE(r.ok());
  const std::string msg = r.status().message();
  EXPECT_NE(msg.find("ploke config: 3 errors:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("typed.toml:7:15: registry.providers[0].llm_params.temperature: expected a number"), std::string::npos) << msg;
  EXPECT_NE(msg.find("registry.providers[1].id: missing"), std::string::npos) << msg;
  EXPECT_NE(msg.find("typed.toml:12:17: registry.providers[2].provider_type: unknown provider type 'Bedrock'"), std::string::npos) << msg;
  EXPECT_EQ(msg.find(kPlanted), std::string::npos);

  // A value ploke-sim refuses is named by ploke's path and position.
  auto range = import_ploke_config("[[registry.providers]]\nid = \"a\"\n[registry.providers.llm_params]\ntemperature = 3.5\n", "r.toml");
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.status().message().find("r.toml:4:15: registry.providers[0].llm_params.temperature: value 3.5 out of range"),
            std::string::npos)
      << range.status().message();
}

TEST(PlokeImport, EntriesWhoseIdsLookAlikeGetTheirOwnProviders) {
  auto r = import_ploke_config(
      "[[registry.providers]]\nid = \"a.b\"\nprovider_type = \"Custom\"\nbase_url = \"http://one/v1\"\n"
      "[[registry.providers]]\nid = \"a_b\"\nprovider_type = \"Custom\"\nbase_url = \"http://two/v1\"\n"
      "[[registry.providers]]\nid = \"c\"\nprovider_type = \"Custom\"\nbase_url = \"http://two/v1/\"\n",
      "same.toml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Config& c = r->config;
  EXPECT_EQ(c.providers.at(c.models.at("a.b").provider).base_url, "http://one/v1");
  EXPECT_EQ(c.providers.at(c.models.at("a_b").provider).base_url, "http://two/v1");
  EXPECT_NE(c.models.at("a.b").provider, c.models.at("a_b").provider);
  EXPECT_EQ(c.models.at("c").provider, c.models.at("a_b").provider) << "same kind, URL and key: one provider";
}

TEST(PlokeImport, DefaultPathFollowsXdg) {
  EXPECT_EQ(default_ploke_config_path(fixed_env({{"XDG_CONFIG_HOME", "/x"}, {"HOME", "/h"}})), "/x/ploke/config.toml");
  EXPECT_EQ(default_ploke_config_path(fixed_env({{"HOME", "/h"}})), "/h/.config/ploke/config.toml");
}

}  // namespace
}  // namespace ploke::config

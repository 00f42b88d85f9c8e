// register_builtin_adapters.
#include "ploke/adapters/register.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ploke/core/adapter.h"
#include "support/test_support.h"

namespace ploke {
namespace {

// The cassette matcher's default ignore paths come from the packages: OpenAI's volatile
// request members, then Anthropic's not already listed.
TEST(RegisterTest, CassetteIgnorePathsAreThePackagesVolatileFields) {
  EXPECT_EQ(adapters::builtin_cassette_ignore_paths(),
            (std::vector<std::string>{"user", "metadata", "request_id", "client_request_id", "safety_identifier"}));
}

TEST(RegisterTest, RegistersOpenAiAndCustom) {
  AdapterRegistry registry;
  ASSERT_OK(adapters::register_builtin_adapters(registry));
  EXPECT_TRUE(registry.contains("custom"));  // other adapters register too (openrouter, …)
  EXPECT_TRUE(registry.contains("openai"));
  auto openai = registry.create("openai");
  ASSERT_OK(openai);
  EXPECT_EQ((*openai)->name(), "openai");
  auto custom = registry.create("custom");
  ASSERT_OK(custom);
  EXPECT_EQ((*custom)->name(), "custom");
  EXPECT_EQ(adapters::register_builtin_adapters(registry).code(), StatusCode::kInvalidRequest);  // duplicates
}

}  // namespace
}  // namespace ploke

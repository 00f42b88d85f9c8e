// ploke::json::check_json_limits: depth at and past the limit, 100,000 nested arrays and
// objects, numbers out of range (and those that are not), strings and comments that look
// like structure, offsets and paths in the messages.
#include <gtest/gtest.h>

#include <string>

#include "ploke/json/limits.h"

namespace ploke::json {
namespace {

std::string nested(size_t depth, char open, char close) { return std::string(depth, open) + std::string(depth, close); }

TEST(JsonLimits, DepthAtTheLimitPassesOnePastFails) {
  JsonLimits l;
  l.max_depth = 8;
  EXPECT_TRUE(check_json_limits(nested(8, '[', ']'), l).ok());
  Status st = check_json_limits(nested(9, '[', ']'), l);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidRequest);
  EXPECT_NE(st.message().find("byte 8"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("nested deeper than 8 levels"), std::string::npos) << st.message();
}

TEST(JsonLimits, HundredThousandNestedArraysAndObjectsAreRefusedWithoutRecursion) {
  EXPECT_FALSE(check_json_limits(nested(100000, '[', ']')).ok());
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  objects += "1" + std::string(100000, '}');
  Status st = check_json_limits(objects);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("(a.a.a."), std::string::npos) << st.message().substr(0, 120);
  EXPECT_TRUE(check_json_limits(nested(256, '[', ']')).ok()) << "the default limit is 256";
}

TEST(JsonLimits, NumbersThatOverflowADoubleAreRefusedWithTheirPath) {
  Status st = check_json_limits(R"({"workload": {"arrival": {"rate_per_s": 1e400}}})");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "byte 40 (workload.arrival.rate_per_s): number out of range: 1e400");
  st = check_json_limits(R"({"xs": [1, 2, -1E+400]})");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("(xs[2])"), std::string::npos) << st.message();
  EXPECT_FALSE(check_json_limits("[" + std::string(400, '9') + "]").ok()) << "a 400-digit integer";
}

TEST(JsonLimits, InRangeAndUnderflowingNumbersPass) {
  EXPECT_TRUE(check_json_limits("[1e308, -1.7976931348623157e308, 1e-400, 0, -0.5, 18446744073709551616]").ok());
  EXPECT_TRUE(check_json_limits("[" + std::string(300, '9') + "]").ok());
}

TEST(JsonLimits, StringsAndCommentsThatLookLikeStructureAreSkipped) {
  EXPECT_TRUE(check_json_limits(R"({"a": "[[[[[[[[[[ 1e400 \" ]]]", "b": "\\"})", JsonLimits{2}).ok());
  EXPECT_TRUE(check_json_limits("// [[[[ 1e400\n{\"a\": 1 /* [[[[ 1e999 */}", JsonLimits{2}).ok());
  EXPECT_FALSE(check_json_limits("{\"a\": 1} // c\n[[[", JsonLimits{2}).ok());
}

TEST(JsonLimits, TopLevelProblemsSayTopLevel) {
  Status st = check_json_limits("1e999");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "byte 0 (top level): number out of range: 1e999");
}

}  // namespace
}  // namespace ploke::json

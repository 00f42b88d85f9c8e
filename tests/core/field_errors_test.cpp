#include "ploke/core/field_errors.h"

#include <gtest/gtest.h>

#include <string>

namespace ploke {
namespace {

TEST(FieldErrorsTest, EmptyIsOk) {
  FieldErrors e("fault plan 'p.json'");
  EXPECT_TRUE(e.empty());
  EXPECT_TRUE(e.to_status().ok());
  EXPECT_EQ(e.to_string(), "");
}

TEST(FieldErrorsTest, OneErrorIsOneLine) {
  FieldErrors e("fault plan 'p.json'");
  e.add(index_path("faults", 0) + ".status", "must be an HTTP error status in [400,599]");
  const Status st = e.to_status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidRequest);
  EXPECT_EQ(st.message(), "fault plan 'p.json': faults[0].status: must be an HTTP error status in [400,599]");
}

TEST(FieldErrorsTest, SeveralErrorsAreListedWithLocations) {
  FieldErrors e("scenario 's.json'");
  e.add(field_path(index_path("scenarios", 2), "name"), "required");
  e.add_at(37, "workload.rate", "number out of range: 1e400");
  e.add_at(3, "", "invalid JSON: syntax error");
  e.add("", "the top level must be an object");
  FieldError f;
  f.file = "bad.toml";
  f.line = 3;
  f.column = 15;
  f.path = "params.temperature";
  f.message = "value 9 out of range";
  e.add(f);
  EXPECT_EQ(e.to_string(),
            "scenario 's.json': 5 errors:\n"
            "  scenarios[2].name: required\n"
            "  byte 37 (workload.rate): number out of range: 1e400\n"
            "  byte 3: invalid JSON: syntax error\n"
            "  the top level must be an object\n"
            "  bad.toml:3:15: params.temperature: value 9 out of range");
}

TEST(FieldErrorsTest, LongListsAreCapped) {
  FieldErrors e("x");
  for (size_t i = 0; i < FieldErrors::kMaxListed + 3; ++i) e.add(index_path("a", i), "bad");
  const std::string s = e.to_string();
  EXPECT_NE(s.find("a[49]: bad"), std::string::npos);
  EXPECT_EQ(s.find("a[50]: bad"), std::string::npos);
  EXPECT_NE(s.find("and 3 more"), std::string::npos);
}

TEST(FieldErrorsTest, MergePrefixesPaths) {
  FieldErrors inner;
  inner.add("status", "bad");
  inner.add("[0].id", "dup");
  inner.add("", "whole");
  FieldErrors outer("o");
  outer.merge(inner, "faults[1]");
  ASSERT_EQ(outer.size(), 3u);
  EXPECT_EQ(outer.list()[0].path, "faults[1].status");
  EXPECT_EQ(outer.list()[1].path, "faults[1][0].id");
  EXPECT_EQ(outer.list()[2].path, "faults[1]");
}

TEST(FieldErrorsTest, SecretsAreRedactedInTheStatus) {
  FieldErrors e("config");
  const std::string key = std::string("sk-proj-") + "abcdefghijklmnopqrstuvwxyz0123456789";  // fake key, planted
  e.add("api_key", "unexpected value " + key);
  const Status st = e.to_status();
  EXPECT_EQ(st.message().find("abcdefghijklmnop"), std::string::npos) << st.message();
}

TEST(FieldErrorsTest, CodeIsKept) {
  FieldErrors e("x");
  e.add("a", "b");
  EXPECT_EQ(e.to_status(StatusCode::kNotFound).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ploke

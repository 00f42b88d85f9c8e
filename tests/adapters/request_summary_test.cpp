// The packages' plain-request summaries (ploke/adapters/{openai,anthropic}/request_summary.h),
// read in one JsonCursor pass: what they read equals what the DOM holds, everything they
// accept the API's checks accept, and what they must decline (shapes a DOM path handles,
// values the checks refuse, duplicate known keys, escaped keys, trailing bytes) they decline.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "ploke/adapters/anthropic/checks_json.h"
#include "ploke/adapters/anthropic/request_summary.h"
#include "ploke/adapters/openai/checks.h"
#include "ploke/adapters/openai/request_summary.h"

namespace ploke::adapters {
namespace {

using nlohmann::json;

uint64_t openai_prompt_chars(const json& b) {
  uint64_t n = 0;
  for (const json& m : b["messages"]) {
    if (m.contains("content")) n += m["content"].get_ref<const std::string&>().size();
  }
  return n;
}

TEST(OpenAiRequestSummary, ReadsWhatTheDomHoldsForPlainRequests) {
  const std::vector<std::string> plain = {
      R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})",
      R"({"model":"gpt-4o","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello there"}],"max_tokens":8,"n":3})",
      R"( { "messages" : [ {"content":"caf\u00e9 \"q\"","role":"developer","name":"x"}, {"role":"assistant"} ], "stream" : true, "model" : "gpt-4o-mini", "max_completion_tokens" : 5, "max_tokens": 9, "temperature": 2, "top_p": 0, "user": "\u00fc", "metadata": {"a": [1, {"b": null}]} } )",
      R"({"model":"m","messages":[{"role":"user","content":"\ud83d\ude00"}],"stream":null,"n":null,"max_tokens":null,"temperature":null})",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"caf\xC3\xA9\"}],\"n\":128}",
  };
  for (const std::string& body : plain) {
    openai::PlainChatRequest r;
    ASSERT_TRUE(openai::read_plain_chat_request(body, r)) << body;
    EXPECT_FALSE(openai::check_openai_chat_request(body).has_value()) << body;
    const json b = json::parse(body);
    EXPECT_EQ(r.model, b["model"].get<std::string>()) << body;
    EXPECT_EQ(r.stream, b.value("stream", json(false)).is_boolean() && b.value("stream", false)) << body;
    EXPECT_EQ(r.n, b.contains("n") && b["n"].is_number() ? b["n"].get<size_t>() : 1u) << body;
    std::optional<uint64_t> max;
    for (const char* k : {"max_completion_tokens", "max_tokens"}) {
      if (!max && b.contains(k) && b[k].is_number_integer()) max = b[k].get<uint64_t>();
    }
    EXPECT_EQ(r.max_tokens, max) << body;
    EXPECT_EQ(r.prompt_chars, openai_prompt_chars(b)) << body;
  }
}

TEST(OpenAiRequestSummary, DeclinesWhatTheDomPathHandles) {
  const std::vector<std::string> declined = {
      "", "[]", "{}", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} x",
      R"({"messages":[{"role":"user","content":"hi"}]})",
      R"({"model":"","messages":[{"role":"user","content":"hi"}]})",
      R"({"model":"m","messages":[]})",
      R"({"model":"m","messages":[{}]})",
      R"({"model":"m","messages":[{"role":"tool","content":"x","tool_call_id":"c"}]})",
      R"({"model":"m","messages":[{"role":"robot","content":"x"}]})",
      R"({"model":"m","messages":[{"role":"user","content":null}]})",
      R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]})",
      R"({"model":"m","messages":[{"role":"assistant","tool_calls":[]}]})",
      R"({"model":"m","model":"m","messages":[{"role":"user","content":"hi"}]})",
      R"({"model":"m","messages":[{"role":"user","role":"user","content":"hi"}]})",
      R"({"m\u006fdel":"m","messages":[{"role":"user","content":"hi"}]})",
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"n":0})",
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"n":129})",
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"n":2.0})",
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":0})",
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":-1})",
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":2.5})",
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"top_p":1.5})",
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"stream":"yes"})",
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"x":1e400})",
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[]})",
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"tool_choice":"none"})",
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"stream_options":null})",
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"text"}})",
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"logprobs":false})",
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"top_logprobs":0})",
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"seed":1})",
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"parallel_tool_calls":true})",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"\xC0\xAF\"}]}",
  };
  for (const std::string& body : declined) {
    openai::PlainChatRequest r;
    EXPECT_FALSE(openai::read_plain_chat_request(body, r)) << body;
  }
}

TEST(AnthropicRequestSummary, ReadsWhatTheDomHoldsForPlainRequests) {
  const std::vector<std::string> plain = {
      R"({"model":"claude-haiku-4-5","max_tokens":24,"system":"Terse.","messages":[{"role":"user","content":"Say hello"}]})",
      R"( { "stream" : true , "messages" : [ {"content":"a","role":"user"}, {"role":"assistant","content":"b","x":[1,{"y":null}]}, {"role":"user","content":"caf\u00e9 \"q\""} ], "max_tokens" : 1000, "model":"claude-opus-4-1", "system": null, "metadata":{"user_id":"u1"} } )",
      R"({"model":"claude-haiku-4-5","max_tokens":1,"messages":[{"role":"user","content":"\ud83d\ude00"}],"stream":null})",
  };
  for (const std::string& body : plain) {
    anthropic::PlainMessagesRequest r;
    ASSERT_TRUE(anthropic::read_plain_messages_request(body, r)) << body;
    const json b = json::parse(body);
    EXPECT_FALSE(anthropic::check_anthropic_request(b, false).has_value()) << body;
    EXPECT_EQ(r.model, b["model"].get<std::string>()) << body;
    EXPECT_EQ(r.max_tokens, b["max_tokens"].get<uint64_t>()) << body;
    EXPECT_EQ(r.stream, b.value("stream", json(false)).is_boolean() && b.value("stream", false)) << body;
    uint64_t chars = b.contains("system") && b["system"].is_string() ? b["system"].get_ref<const std::string&>().size() : 0;
    for (const json& m : b["messages"]) chars += m["content"].get_ref<const std::string&>().size();
    EXPECT_EQ(r.text_chars, chars) << body;
  }
}

TEST(AnthropicRequestSummary, DeclinesWhatTheDomPathHandles) {
  const std::string msgs = R"("messages":[{"role":"user","content":"hi"}])";
  const std::vector<std::string> declined = {
      "", "{}", "[]",
      R"({"model":"m",)" + msgs + "}",
      R"({"max_tokens":5,)" + msgs + "}",
      R"({"model":"m","max_tokens":0,)" + msgs + "}",
      R"({"model":"m","max_tokens":2.5,)" + msgs + "}",
      R"({"model":"m","max_tokens":5,"messages":[]})",
      R"({"model":"m","max_tokens":5,"messages":[{}]})",
      R"({"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":"hi"}]})",
      R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]})",
      R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":""}]})",
      R"({"model":"m","max_tokens":5,"messages":[{"role":"user"}]})",
      R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]})",
      R"({"model":"m","max_tokens":5,"system":[{"type":"text","text":"S"}],)" + msgs + "}",
      R"({"model":"m","max_tokens":5,"stream":"yes",)" + msgs + "}",
      R"({"model":"m","model":"m","max_tokens":5,)" + msgs + "}",
      R"({"model":"m","max_tokens":5,)" + msgs + "} x",
      R"({"model":"m","max_tokens":5,"x":-1e400,)" + msgs + "}",
      R"({"model":"m","max_tokens":5,"stop_sequences":["the"],)" + msgs + "}",
      R"({"model":"m","max_tokens":5,"temperature":null,)" + msgs + "}",
      R"({"model":"m","max_tokens":5,"top_p":0.5,)" + msgs + "}",
      R"({"model":"m","max_tokens":5,"top_k":5,)" + msgs + "}",
      R"({"model":"m","max_tokens":5,"tools":[],)" + msgs + "}",
      R"({"model":"m","max_tokens":5,"tool_choice":{"type":"auto"},)" + msgs + "}",
      R"({"model":"m","max_tokens":5,"output_config":{},)" + msgs + "}",
  };
  for (const std::string& body : declined) {
    anthropic::PlainMessagesRequest r;
    EXPECT_FALSE(anthropic::read_plain_messages_request(body, r)) << body;
  }
}

}  // namespace
}  // namespace ploke::adapters

// Inbound OpenRouter dialect and the client-facing error wording of the OpenAI-shaped
// routes: error bodies carry the HTTP status as an integer `code`, stream errors are
// OpenRouter's error chunk with the stream's id, upstream text never reaches `message`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ploke/adapters/inbound.h"

namespace ploke::inbound {
namespace {

using nlohmann::json;

Status upstream_status() {
  return ServerError("HTTP 502: in-band error: Bad gateway. (type=server_error)").with_provider("sim-b").with_http_status(502);
}

TEST(InboundOpenRouter, ErrorBodyHasIntegerCodeAndTypedMetadata) {
  const Reply r = render_openrouter_error(upstream_status());
  EXPECT_EQ(r.status, 502);
  const json j = json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], 502);
  EXPECT_EQ(j["error"]["metadata"]["error_type"], "provider_unavailable");
  const std::string msg = j["error"]["message"];
  EXPECT_EQ(msg.find("sim-b"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("Bad gateway"), std::string::npos) << msg;
  EXPECT_EQ(render_openrouter_error(InsufficientCreditsError("no credits")).status, 402);
}

TEST(InboundOpenRouter, ClientMessagesCarryNoUpstreamDetails) {
  const Reply r = render_openai_error(upstream_status());
  const std::string msg = json::parse(r.body)["error"]["message"];
  for (const char* leak : {"sim-b", "provider=", "upstream_http", "(type=", "HTTP 502"}) {
    EXPECT_EQ(msg.find(leak), std::string::npos) << leak << " in " << msg;
  }
  // The gateway's own request errors keep the field path.
  const Reply own = render_openai_error(InvalidRequestError("messages: at least one message is required"));
  EXPECT_EQ(json::parse(own.body)["error"]["message"], "messages: at least one message is required");
  EXPECT_EQ(json::parse(own.body)["error"]["param"], "messages");
}

TEST(InboundOpenRouter, RateLimitMessageAgreesWithRetryAfter) {
  const Reply r = render_openai_error(RateLimitedError("slow down").with_provider("x").with_retry_after(std::chrono::milliseconds(1500)));
  EXPECT_NE(std::string(json::parse(r.body)["error"]["message"]).find("try again in 1.5s"), std::string::npos) << r.body;
}

TEST(InboundOpenRouter, StreamAlwaysEndsWithUsageAndErrorsAreChunksWithTheStreamId) {
  OpenAiSseWriter w("gen-1", "m", 1, /*include_usage=*/false, ChatDialect::kOpenRouter);
  std::string wire = w.event(StreamEvent::TextDelta("hi"));
  EXPECT_EQ(wire.find("\"usage\":null"), std::string::npos) << wire;
  ChatResponse done;
  done.finish_reason = FinishReason::kStop;
  const std::string tail = w.finish(done);
  EXPECT_NE(tail.find("\"choices\":[],\"usage\":{"), std::string::npos) << tail;

  OpenAiSseWriter e("gen-2", "m", 1, false, ChatDialect::kOpenRouter);
  const std::string err = e.error(upstream_status());
  ASSERT_EQ(err.rfind("data: ", 0), 0u);
  const json chunk = json::parse(err.substr(6));
  EXPECT_EQ(chunk["id"], "gen-2");
  EXPECT_EQ(chunk["choices"][0]["finish_reason"], "error");
  EXPECT_EQ(chunk["error"]["code"], 502);
}

TEST(InboundOpenRouter, ModelsListHasTotalCountLinksAndRequiredKeys) {
  const json j = json::parse(render_openrouter_models({"a/b", "c"}, 7));
  EXPECT_EQ(j["total_count"], 2);
  EXPECT_TRUE(j["links"]["next"].is_null());
  for (const char* k : {"id", "canonical_slug", "name", "created", "pricing", "context_length", "architecture",
                        "top_provider", "per_request_limits", "supported_parameters", "default_parameters",
                        "supported_voices", "links"}) {
    EXPECT_TRUE(j["data"][0].contains(k)) << k;
  }
  EXPECT_EQ(j["data"][0]["links"]["details"], "/api/v1/models/a/b/endpoints");
  EXPECT_EQ(json::parse(render_openai_model("x", 3))["object"], "model");
}

}  // namespace
}  // namespace ploke::inbound

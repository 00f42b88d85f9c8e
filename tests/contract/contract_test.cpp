// The contract kit: every shipped suite passes with its adapter; a deliberately broken
// adapter fails exactly the rows that test what it broke; suite files with mistakes are
// rejected naming the field path.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/register.h"
#include "ploke/core/registry.h"
#include "ploke/simulator/contract.h"
#include "support/test_support.h"

namespace ploke::simulator {
namespace {

const std::string kContracts = std::string(PLOKE_SOURCE_DIR) + "/adapters/contracts/";

ContractSuite load(const std::string& name) {
  auto s = load_contract_suite(kContracts + name + ".json");
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return s.ok() ? *s : ContractSuite{};
}

std::set<std::string> failed_rows(const ContractReport& r) {
  std::set<std::string> out;
  for (const auto& c : r.cases)
    if (!c.passed) out.insert(c.name);
  return out;
}

std::string report_text(const ContractReport& r) { return contract_report_table(r); }

class ShippedSuiteTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ShippedSuiteTest, PassesWithItsAdapter) {
  AdapterRegistry registry;
  ASSERT_OK(adapters::register_builtin_adapters(registry));
  auto adapter = registry.create(GetParam());
  ASSERT_OK(adapter);
  ContractSuite suite = load(GetParam());
  EXPECT_EQ(suite.adapter, GetParam());
  ASSERT_GE(suite.cases.size(), 30u);
  ContractReport rep = run_contract_suite(suite, **adapter);
  EXPECT_TRUE(rep.ok()) << report_text(rep);
  EXPECT_EQ(rep.cases.size(), suite.cases.size());
  // Every fault kind is covered by at least one case.
  std::set<FaultKind> kinds;
  for (const auto& c : suite.cases)
    for (const auto& f : c.faults.faults) kinds.insert(f.kind);
  for (FaultKind k : {FaultKind::kHttpError, FaultKind::kHang, FaultKind::kDelay, FaultKind::kReset,
                      FaultKind::kEmptyReply, FaultKind::kMalformedJson, FaultKind::kStreamCut,
                      FaultKind::kMidStreamError, FaultKind::kSlowStream})
    EXPECT_TRUE(kinds.count(k)) << fault_kind_name(k);
}

INSTANTIATE_TEST_SUITE_P(Adapters, ShippedSuiteTest,
                         ::testing::Values("openai", "anthropic", "custom", "openrouter", "openai-responses"));

TEST(ContractRunnerTest, OpenAiSuiteIncludesCassetteAndDriftCases) {
  ContractSuite suite = load("openai");
  size_t cassette = 0, drift = 0;
  for (const auto& c : suite.cases) {
    cassette += !c.replay_cassettes.empty();
    drift += c.name.find("schema_drift") != std::string::npos;
  }
  EXPECT_GE(cassette, 6u);
  EXPECT_GE(drift, 2u);
}

TEST(ContractRunnerTest, SameSuiteSameReport) {
  auto adapter = adapters::openai::make_openai_adapter();
  ContractSuite suite = load("openai");
  EXPECT_EQ(contract_report_json(run_contract_suite(suite, *adapter)),
            contract_report_json(run_contract_suite(suite, *adapter)));
}

TEST(ContractRunnerTest, FilterRunsMatchingCasesOnly) {
  auto adapter = adapters::openai::make_openai_adapter();
  ContractReport rep = run_contract_suite(load("openai"), *adapter, "rate_limited");
  ASSERT_GE(rep.cases.size(), 3u);
  for (const auto& c : rep.cases) EXPECT_NE(c.name.find("rate_limited"), std::string::npos);
}

// ---- Deliberately broken adapters ----

// Forwards to the real OpenAI adapter; subclasses break one thing.
class WrappedAdapter : public ProviderAdapter {
 public:
  explicit WrappedAdapter(ProviderAdapterPtr inner = adapters::openai::make_openai_adapter()) : inner_(std::move(inner)) {}
  std::string_view name() const override { return "broken-openai"; }
  Result<HttpRequest> build_request(const ChatRequest& r, const Endpoint& e) const override {
    return inner_->build_request(r, e);
  }
  Result<ChatResponse> parse_response(const HttpResponse& r, const Endpoint& e) const override {
    return inner_->parse_response(r, e);
  }
  Status map_error(const HttpResponse& r, const Endpoint& e) const override { return inner_->map_error(r, e); }
  std::unique_ptr<StreamDecoder> new_stream_decoder(const Endpoint& e) const override {
    return inner_->new_stream_decoder(e);
  }
  std::span<const std::string_view> request_id_headers() const override { return inner_->request_id_headers(); }
  bool has_embeddings() const override { return inner_->has_embeddings(); }
  Result<HttpRequest> build_embedding_request(const EmbeddingRequest& r, const Endpoint& e) const override {
    return inner_->build_embedding_request(r, e);
  }
  Result<EmbeddingResponse> parse_embedding_response(const HttpResponse& r, const Endpoint& e) const override {
    return inner_->parse_embedding_response(r, e);
  }

 protected:
  ProviderAdapterPtr inner_;
};

// Maps 429 to a plain server error (and so loses retry_after's meaning).
class RateLimitAsServerError final : public WrappedAdapter {
 public:
  Status map_error(const HttpResponse& r, const Endpoint& e) const override {
    Status s = inner_->map_error(r, e);
    if (r.status == 429) return ServerError(s.message()).with_http_status(429);
    return s;
  }
};

TEST(ContractBrokenAdapterTest, MisMappedRateLimitFailsExactlyTheRateLimitRows) {
  RateLimitAsServerError broken;
  ContractReport rep = run_contract_suite(load("openai"), broken);
  EXPECT_EQ(rep.adapter, "broken-openai");
  EXPECT_EQ(failed_rows(rep), (std::set<std::string>{"rate_limited_429_retry_after_ms", "rate_limited_429_retry_after_s",
                                                     "rate_limited_429_stream", "cassette_rate_limited_429",
                                                     "embeddings_rate_limited_429"}))
      << report_text(rep);
  const std::string table = report_text(rep);
  EXPECT_NE(table.find("status: expected rate_limited, got server_error"), std::string::npos) << table;
  EXPECT_NE(table.find(std::to_string(rep.cases.size() - 5) + " passed, 5 failed"), std::string::npos) << table;
}

// Drops the retry-after hint.
class NoRetryAfter final : public WrappedAdapter {
 public:
  Status map_error(const HttpResponse& r, const Endpoint& e) const override {
    Status s = inner_->map_error(r, e);
    if (s.code() != StatusCode::kRateLimited) return s;
    return RateLimitedError(s.message()).with_http_status(s.http_status());
  }
};

TEST(ContractBrokenAdapterTest, LostRetryAfterFailsTheRetryAfterRows) {
  NoRetryAfter broken;
  ContractReport rep = run_contract_suite(load("openai"), broken);
  EXPECT_EQ(failed_rows(rep), (std::set<std::string>{"rate_limited_429_retry_after_ms", "rate_limited_429_retry_after_s",
                                                     "cassette_rate_limited_429", "embeddings_rate_limited_429"}))
      << report_text(rep);
  EXPECT_NE(report_text(rep).find("retry_after_ms: expected 250, got none"), std::string::npos);
}

// A stream decoder that accepts a body ending without [DONE] (silent truncation).
class AcceptsTruncatedStreams final : public WrappedAdapter {
 public:
  class Decoder final : public StreamDecoder {
   public:
    explicit Decoder(std::unique_ptr<StreamDecoder> d) : d_(std::move(d)) {}
    Status feed(std::string_view b, std::vector<StreamEvent>& out) override { return d_->feed(b, out); }
    Status finish(std::vector<StreamEvent>& out) override {
      (void)d_->finish(out);
      return Status::Ok();
    }
    bool terminated() const override { return true; }

   private:
    std::unique_ptr<StreamDecoder> d_;
  };
  std::unique_ptr<StreamDecoder> new_stream_decoder(const Endpoint& e) const override {
    return std::make_unique<Decoder>(inner_->new_stream_decoder(e));
  }
};

TEST(ContractBrokenAdapterTest, SilentTruncationFailsTheNoTerminatorRow) {
  // Resets are reported by the transport whatever the decoder says; a body that ends
  // cleanly without [DONE] is only caught by the decoder's finish().
  AcceptsTruncatedStreams broken;
  ContractReport rep = run_contract_suite(load("openai"), broken);
  EXPECT_EQ(failed_rows(rep), (std::set<std::string>{"stream_ends_without_done"})) << report_text(rep);
  EXPECT_NE(report_text(rep).find("status: expected stream_interrupted, got ok"), std::string::npos);
}

// Parses tool calls away.
class DropsToolCalls final : public WrappedAdapter {
 public:
  Result<ChatResponse> parse_response(const HttpResponse& r, const Endpoint& e) const override {
    auto res = inner_->parse_response(r, e);
    if (res.ok()) res->tool_calls.clear();
    return res;
  }
};

TEST(ContractBrokenAdapterTest, DroppedToolCallsFailTheNonStreamToolRows) {
  DropsToolCalls broken;
  ContractReport rep = run_contract_suite(load("openai"), broken);
  EXPECT_EQ(failed_rows(rep), (std::set<std::string>{"tool_call_forced", "tool_calls_parallel",
                                                     "tool_calls_single_when_not_parallel", "cassette_tool_calls"}))
      << report_text(rep);
}

// An Anthropic adapter that reports overloaded (529/503) answers as plain server errors.
class OverloadedAsServerError final : public WrappedAdapter {
 public:
  OverloadedAsServerError() : WrappedAdapter(adapters::anthropic::make_anthropic_adapter()) {}
  Status map_error(const HttpResponse& r, const Endpoint& e) const override {
    Status s = inner_->map_error(r, e);
    if (s.code() == StatusCode::kOverloaded) return ServerError(s.message()).with_http_status(s.http_status());
    return s;
  }
};

TEST(ContractBrokenAdapterTest, AnthropicOverloadedMisMappedFailsTheOverloadedRows) {
  OverloadedAsServerError broken;
  ContractReport rep = run_contract_suite(load("anthropic"), broken);
  EXPECT_EQ(failed_rows(rep), (std::set<std::string>{"overloaded_529", "unavailable_503"})) << report_text(rep);
}

// An Anthropic adapter that loses the thinking signatures (answers and stream marks): a
// conversation with tools would be refused by the API on its next turn.
class DropsSignatures final : public WrappedAdapter {
 public:
  DropsSignatures() : WrappedAdapter(adapters::anthropic::make_anthropic_adapter()) {}
  class Decoder final : public StreamDecoder {
   public:
    explicit Decoder(std::unique_ptr<StreamDecoder> d) : d_(std::move(d)) {}
    Status feed(std::string_view b, std::vector<StreamEvent>& out) override { return strip(d_->feed(b, out), out); }
    Status finish(std::vector<StreamEvent>& out) override { return strip(d_->finish(out), out); }
    bool terminated() const override { return d_->terminated(); }

   private:
    static Status strip(Status st, std::vector<StreamEvent>& out) {
      for (StreamEvent& e : out) e.signature.clear();
      return st;
    }
    std::unique_ptr<StreamDecoder> d_;
  };
  Result<ChatResponse> parse_response(const HttpResponse& r, const Endpoint& e) const override {
    auto res = inner_->parse_response(r, e);
    if (res.ok()) {
      for (ReasoningBlock& b : res->reasoning_blocks) b.signature.clear();
    }
    return res;
  }
  std::unique_ptr<StreamDecoder> new_stream_decoder(const Endpoint& e) const override {
    return std::make_unique<Decoder>(inner_->new_stream_decoder(e));
  }
};

TEST(ContractBrokenAdapterTest, LostThinkingSignaturesFailTheThinkingRows) {
  DropsSignatures broken;
  ContractReport rep = run_contract_suite(load("anthropic"), broken);
  EXPECT_EQ(failed_rows(rep), (std::set<std::string>{"thinking_signed", "thinking_signed_stream", "thinking_from_effort"}))
      << report_text(rep);
  EXPECT_NE(report_text(rep).find("reasoning_signed: expected every thinking block signed"), std::string::npos);
}

TEST(ContractRunnerTest, ReasoningExpectationsFailWhenTheAnswerHasNone) {
  auto suite = parse_contract_suite(R"({"format":"ploke-contract-suite","version":1,"adapter":"openrouter",
    "endpoint":{"base_url":"http://sim.invalid/api/v1"},
    "cases":[{"name":"not_asked","request":{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}]},
              "expect":{"status":"ok","reasoning_non_empty":true,"reasoning_tokens_min":1}}]})", "inline", "");
  ASSERT_OK(suite);
  AdapterRegistry registry;
  ASSERT_OK(adapters::register_builtin_adapters(registry));
  auto adapter = registry.create("openrouter");
  ASSERT_OK(adapter);
  ContractReport rep = run_contract_suite(*suite, **adapter);
  ASSERT_EQ(rep.cases.size(), 1u);
  EXPECT_FALSE(rep.cases[0].passed);
  EXPECT_NE(report_text(rep).find("reasoning_non_empty: expected reasoning, got 0 chars"), std::string::npos) << report_text(rep);
  EXPECT_NE(report_text(rep).find("reasoning_tokens_min: expected >= 1, got 0"), std::string::npos) << report_text(rep);
  auto bad = parse_contract_suite(R"({"format":"ploke-contract-suite","version":1,"adapter":"openrouter",
    "endpoint":{"base_url":"http://sim.invalid/api/v1"},
    "cases":[{"name":"x","request":{"model":"m","messages":[{"role":"user","content":"hi"}],
              "reasoning":{"mode":"deep","depth":3}},"expect":{"status":"ok"}}]})", "inline", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cases[0].request.reasoning.mode"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("cases[0].request.reasoning.depth"), std::string::npos) << bad.status().message();
}

// An OpenAI adapter that cuts every embedding vector short.
class TruncatesVectors final : public WrappedAdapter {
 public:
  Result<EmbeddingResponse> parse_embedding_response(const HttpResponse& r, const Endpoint& e) const override {
    auto res = inner_->parse_embedding_response(r, e);
    if (res.ok()) {
      for (auto& v : res->vectors) v.resize(std::min<size_t>(v.size(), 10));
    }
    return res;
  }
};

TEST(ContractBrokenAdapterTest, TruncatedVectorsFailTheEmbeddingsRows) {
  TruncatesVectors broken;
  ContractReport rep = run_contract_suite(load("openai"), broken);
  EXPECT_EQ(failed_rows(rep), (std::set<std::string>{"embeddings_batch", "embeddings_dimensions"})) << report_text(rep);
  EXPECT_NE(report_text(rep).find("dimensions: vector 0 has 10, expected 1536"), std::string::npos) << report_text(rep);
}

// ---- Runner checks that would otherwise pass silently ----

TEST(ContractRunnerTest, AFaultThatNeverFiresFailsTheCase) {
  auto suite = parse_contract_suite(R"({"format":"ploke-contract-suite","version":1,"adapter":"openai",
    "endpoint":{"base_url":"http://sim.invalid/v1"},
    "cases":[{"name":"wrong_path","request":{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]},
              "sim":{"faults":{"faults":[{"kind":"http_error","status":429,"match":{"path":"/v1/elsewhere"}}]}},
              "expect":{"status":"ok"}}]})", "inline", "");
  ASSERT_OK(suite);
  auto adapter = adapters::openai::make_openai_adapter();
  ContractReport rep = run_contract_suite(*suite, *adapter);
  ASSERT_EQ(rep.cases.size(), 1u);
  EXPECT_FALSE(rep.cases[0].passed);
  EXPECT_NE(report_text(rep).find("never fired"), std::string::npos) << report_text(rep);
}

TEST(ContractRunnerTest, JsonReportShape) {
  auto adapter = adapters::openai::make_openai_adapter();
  ContractReport rep = run_contract_suite(load("openai"), *adapter, "non_stream_text");
  ASSERT_EQ(rep.cases.size(), 1u);
  const std::string j = contract_report_json(rep);
  EXPECT_NE(j.find("\"adapter\": \"openai\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"passed\": 1"), std::string::npos) << j;
  EXPECT_NE(j.find("\"failed\": 0"), std::string::npos) << j;
}

// ---- Suite parsing errors name the field path ----

std::string parse_error(std::string_view text) {
  auto s = parse_contract_suite(text, "bad.json", "");
  EXPECT_FALSE(s.ok());
  return s.ok() ? "" : s.status().message();
}

TEST(ContractSuiteParseTest, ErrorsNameFileAndFieldPaths) {
  const std::string m = parse_error(R"({"format":"ploke-contract-suite","version":1,"adapter":"openai",
    "endpoint":{"base_url":"http://sim.invalid/v1"},
    "defaults":{"request":{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}},
    "cases":[{"name":"a","expect":{"status":"rate_limit"}},
             {"name":"b","sim":{"faults":{"faults":[{"kind":"explode"}]}},"expect":{"status":"ok"}},
             {"name":"c","request":{"messages":[{"role":"robot"}]},"expect":{"status":"ok","finish_reason":"done"}},
             {"name":"a","expect":{"status":"ok","colour":"red"}},
             {"name":"e","replay":{"cassette":"/nonexistent/x.json"},"expect":{"status":"ok"}}]})");
  EXPECT_NE(m.find("contract suite 'bad.json'"), std::string::npos) << m;
  EXPECT_NE(m.find("cases[0].expect.status: unknown status code 'rate_limit'"), std::string::npos) << m;
  EXPECT_NE(m.find("cases[1].sim.faults.faults[0].kind: unknown kind 'explode'"), std::string::npos) << m;
  EXPECT_NE(m.find("cases[2].request.messages[0].role: unknown role 'robot'"), std::string::npos) << m;
  EXPECT_NE(m.find("cases[2].expect.finish_reason: unknown finish reason 'done'"), std::string::npos) << m;
  EXPECT_NE(m.find("cases[3].name: duplicate case name 'a'"), std::string::npos) << m;
  EXPECT_NE(m.find("cases[3].expect.colour: unknown key"), std::string::npos) << m;
  EXPECT_NE(m.find("cases[4].replay.cassette: cannot load '/nonexistent/x.json'"), std::string::npos) << m;
}

TEST(ContractSuiteParseTest, TopLevelMistakes) {
  EXPECT_NE(parse_error("{").find("invalid JSON at byte"), std::string::npos);
  const std::string m = parse_error(R"({"format":"other","version":2,"cases":[]})");
  EXPECT_NE(m.find("format: expected \"ploke-contract-suite\""), std::string::npos) << m;
  EXPECT_NE(m.find("version: unsupported version 2"), std::string::npos) << m;
  EXPECT_NE(m.find("adapter: required"), std::string::npos) << m;
  EXPECT_NE(m.find("endpoint.base_url: required"), std::string::npos) << m;
  EXPECT_NE(m.find("cases: required"), std::string::npos) << m;
}

TEST(ContractSuiteParseTest, DefaultsMergeIntoCases) {
  auto s = parse_contract_suite(R"({"adapter":"openai","endpoint":{"base_url":"http://sim.invalid/v1"},
    "defaults":{"request":{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":0.5},
                "sim":{"seed":9,"n_tool_calls":2},"timeouts":{"first_byte_ms":100}},
    "cases":[{"name":"x","request":{"stream":true,"tool_choice":{"function":"f"}},"sim":{"seed":3},
              "timeouts":{"idle_ms":7},"expect":{"status":"ok"}}]})", "inline", "");
  ASSERT_OK(s);
  const ContractCase& c = s->cases.at(0);
  EXPECT_EQ(c.request.model, "gpt-4o");
  EXPECT_TRUE(c.request.stream);
  EXPECT_EQ(c.request.temperature, 0.5);
  EXPECT_EQ(c.request.tool_choice.mode, ToolChoice::Mode::kFunction);
  EXPECT_EQ(c.request.tool_choice.function_name, "f");
  EXPECT_EQ(c.seed, 3u);
  EXPECT_EQ(c.n_tool_calls, 2u);
  EXPECT_EQ(c.call.first_byte_timeout, Duration(std::chrono::milliseconds(100)));
  EXPECT_EQ(c.call.idle_timeout, Duration(std::chrono::milliseconds(7)));
}

}  // namespace
}  // namespace ploke::simulator

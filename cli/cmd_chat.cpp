// `ploke-sim chat`: one prompt through the core (adapter + HTTP transport) to a base URL.
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "ploke/adapters/http_transport.h"
#include "ploke/adapters/register.h"
#include "ploke/core/chat_client.h"
#include "ploke/core/clock.h"
#include "ploke/core/registry.h"

namespace ploke::cli {

namespace {

nlohmann::json response_json(const ChatResponse& r) {
  nlohmann::json j;
  j["id"] = r.id;
  j["request_id"] = r.request_id;
  j["provider"] = r.provider;
  j["model"] = r.model;
  j["content"] = r.content;
  j["finish_reason"] = std::string(finish_reason_name(r.finish_reason));
  j["tool_calls"] = nlohmann::json::array();
  for (const auto& tc : r.tool_calls) {
    j["tool_calls"].push_back({{"id", tc.id}, {"name", tc.name}, {"arguments", tc.arguments_json}});
  }
  if (r.usage) {
    j["usage"] = {{"prompt_tokens", r.usage->prompt_tokens},
                  {"completion_tokens", r.usage->completion_tokens},
                  {"total_tokens", r.usage->total_tokens},
                  {"cached_prompt_tokens", r.usage->cached_prompt_tokens},
                  {"reasoning_tokens", r.usage->reasoning_tokens}};
  }
  return j;
}

}  // namespace

int run_chat(const ChatArgs& args) {
  AdapterRegistry registry;
  if (Status st = register_builtin_adapters(registry); !st.ok()) {
    std::fprintf(stderr, "ploke-sim chat: %s\n", st.to_string().c_str());
    return kExitFailed;
  }
  auto adapter = registry.create(args.adapter);
  if (!adapter.ok()) {
    std::string names;
    for (const auto& n : registry.names()) names += (names.empty() ? "" : ", ") + n;
    std::fprintf(stderr, "ploke-sim chat: --adapter: unknown adapter '%s' (registered: %s)\n",
                 args.adapter.c_str(), names.c_str());
    return kExitUsage;
  }
  if (args.base_url.rfind("http://", 0) != 0 && args.base_url.rfind("https://", 0) != 0) {
    std::fprintf(stderr, "ploke-sim chat: --base-url: must start with http:// or https:// (got '%s')\n",
                 args.base_url.c_str());
    return kExitUsage;
  }
  Endpoint ep;
  ep.provider = args.adapter;
  ep.base_url = args.base_url;
  if (const char* key = std::getenv(args.api_key_env.c_str()); key != nullptr) ep.api_key = Secret(key);

  ChatRequest req;
  req.model = args.model;
  if (!args.system.empty()) req.messages.push_back(Message::System(args.system));
  req.messages.push_back(Message::User(args.prompt));
  if (args.max_tokens > 0) req.max_output_tokens = static_cast<uint32_t>(args.max_tokens);

  RealClock clock;
  HttpTransport transport(clock);
  CallOptions opts;
  opts.connect_timeout = std::chrono::seconds(10);
  opts.total_timeout = std::chrono::milliseconds(args.timeout_ms);
  ChatClient client(**adapter, ep, transport, clock, opts);

  Result<ChatResponse> r = Status::Ok();
  if (args.stream) {
    r = client.stream(req, [&](const StreamEvent& e) {
      if (!args.json && e.kind == StreamEvent::Kind::kTextDelta) {
        std::fwrite(e.text.data(), 1, e.text.size(), stdout);
        std::fflush(stdout);
      }
    });
  } else {
    r = client.complete(req);
  }
  if (!r.ok()) {
    if (args.stream && !args.json) std::fputc('\n', stdout);
    std::fprintf(stderr, "ploke-sim chat: %s\n", r.status().to_string().c_str());
    return kExitFailed;
  }
  if (args.json) {
    std::printf("%s\n", response_json(*r).dump(2).c_str());
    return kExitOk;
  }
  if (!args.stream) std::fwrite(r->content.data(), 1, r->content.size(), stdout);
  std::fputc('\n', stdout);
  for (const auto& tc : r->tool_calls) std::printf("tool_call %s %s(%s)\n", tc.id.c_str(), tc.name.c_str(), tc.arguments_json.c_str());
  std::fprintf(stderr, "[%s model=%s finish=%s tokens=%llu/%llu request_id=%s]\n", r->provider.c_str(),
               r->model.c_str(), std::string(finish_reason_name(r->finish_reason)).c_str(),
               static_cast<unsigned long long>(r->usage ? r->usage->prompt_tokens : 0),
               static_cast<unsigned long long>(r->usage ? r->usage->completion_tokens : 0),
               r->request_id.c_str());
  return kExitOk;
}

int run_adapters() {
  AdapterRegistry registry;
  if (Status st = register_builtin_adapters(registry); !st.ok()) {
    std::fprintf(stderr, "ploke-sim adapters: %s\n", st.to_string().c_str());
    return kExitFailed;
  }
  for (const auto& n : registry.names()) std::printf("%s\n", n.c_str());
  return kExitOk;
}

}  // namespace ploke::cli

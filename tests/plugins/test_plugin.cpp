// The test plugins, one source built several ways (tests/plugins/CMakeLists.txt):
//   PLUGIN_WRONG_ABI   entry point reporting plugin ABI 999.0
//   PLUGIN_NO_ENTRY    no entry point at all
//   PLUGIN_NEWER_MINOR entry point reporting this ABI major with a newer minor
//   PLUGIN_EMPTY       registers nothing
//   PLUGIN_DUPLICATE   registers "openai" (a built-in name)
//   PLUGIN_ADAPTER=N   registers adapter N: the built-in OpenAI adapter under another name
//                      (the benches' plugins)
//   PLUGIN_IGNORE=P    also registers P as a cassette ignore path
//   PLUGIN_PROTOCOL=N  also registers a simulator protocol named N (ABI 1.1; "openai": the
//                      duplicate-protocol refusal)
// Built with -I tests/plugins/abi_1_0 first, it compiles against the frozen ABI 1.0 headers
// (no add_sim_protocol): the "a 1.0 plugin loads on a 1.1 host" test.
#include <memory>
#include <string>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/sdk/plugin.h"

namespace {

// The OpenAI adapter under another registry name, forwarding every call.
class RenamedAdapter final : public ploke::ProviderAdapter {
 public:
  explicit RenamedAdapter(std::string name) : name_(std::move(name)), wire_(ploke::adapters::openai::make_openai_adapter()) {}
  std::string_view name() const override { return name_; }
  ploke::Result<ploke::HttpRequest> build_request(const ploke::ChatRequest& r, const ploke::Endpoint& e) const override {
    return wire_->build_request(r, e);
  }
  ploke::Result<ploke::ChatResponse> parse_response(const ploke::HttpResponse& r, const ploke::Endpoint& e) const override {
    return wire_->parse_response(r, e);
  }
  ploke::Status map_error(const ploke::HttpResponse& r, const ploke::Endpoint& e) const override { return wire_->map_error(r, e); }
  std::unique_ptr<ploke::StreamDecoder> new_stream_decoder(const ploke::Endpoint& e) const override {
    return wire_->new_stream_decoder(e);
  }
  std::span<const std::string_view> request_id_headers() const override { return wire_->request_id_headers(); }

 private:
  std::string name_;
  ploke::ProviderAdapterPtr wire_;
};

#if defined(PLUGIN_PROTOCOL)
// A protocol that claims nothing: only its name matters to the refusal tests.
class NamedProtocol final : public ploke::SimProtocol {
 public:
  std::string_view name() const override { return PLUGIN_PROTOCOL; }
  bool answers(std::string_view, std::string_view, const ploke::Headers&) const override { return false; }
  bool is_inference(std::string_view, std::string_view) const override { return false; }
  ploke::ScriptedResponse respond(const ploke::SimCall& call) const override { return call.answer_as("openai", call.request()); }
  ploke::ScriptedResponse error_response(const ploke::SimCall& call, const ploke::SimError& e) const override {
    return call.error_as("openai", e);
  }
};
#endif

#if defined(PLUGIN_DUPLICATE)
constexpr const char* kAdapter = "openai";
#elif defined(PLUGIN_ADAPTER)
constexpr const char* kAdapter = PLUGIN_ADAPTER;
#else
constexpr const char* kAdapter = "test";
#endif

int register_test(ploke::sdk::PluginRegistrar* registrar) {
#if defined(PLUGIN_EMPTY)
  (void)registrar;
  return 0;
#endif
#if defined(PLUGIN_IGNORE)
  if (!registrar->add_cassette_ignore_path(PLUGIN_IGNORE).ok()) return 1;
#endif
#if defined(PLUGIN_PROTOCOL)
  if (!registrar->add_sim_protocol(std::make_shared<NamedProtocol>()).ok()) return 1;
#endif
  return registrar->add_adapter(kAdapter, [] { return std::make_unique<RenamedAdapter>(kAdapter); }).ok() ? 0 : 1;
}

}  // namespace

#if defined(PLUGIN_WRONG_ABI)
extern "C" __attribute__((visibility("default"))) const PlokeSimPlugin* ploke_sim_plugin_entry(void) {
  static const PlokeSimPlugin plugin{999, 0, "wrong_abi", "9.9.9", "9.0.0", register_test};
  return &plugin;
}
#elif defined(PLUGIN_NEWER_MINOR)
extern "C" __attribute__((visibility("default"))) const PlokeSimPlugin* ploke_sim_plugin_entry(void) {
  static const PlokeSimPlugin plugin{PLOKE_PLUGIN_ABI_MAJOR, PLOKE_PLUGIN_ABI_MINOR + 1, "newer", "1.0.0", PLOKE_SDK_VERSION,
                                     register_test};
  return &plugin;
}
#elif defined(PLUGIN_NO_ENTRY)
extern "C" __attribute__((visibility("default"))) PlokeSimRegisterFn ploke_sim_not_an_entry(void) { return register_test; }
#else
PLOKE_SIM_PLUGIN(kAdapter, "0.0.1", register_test)
#endif

// PluginSet: dlopen, the ABI check and the staging registrar (ploke/plugins/loader.h).
#include "ploke/plugins/loader.h"

#include <dlfcn.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <utility>

#include "ploke/sdk/plugin.h"

namespace ploke::plugins {

uint32_t host_abi_major() { return PLOKE_PLUGIN_ABI_MAJOR; }
uint32_t host_abi_minor() { return PLOKE_PLUGIN_ABI_MINOR; }

struct PluginSet::Loaded {
  void* handle = nullptr;
  std::string canonical;
  std::vector<std::pair<std::string, sdk::AdapterFactory>> factories;
  std::map<std::string, std::string> suites;  // adapter → suite path
  std::vector<std::string> ignore_paths;       // cassette matching
  std::vector<SimProtocolPtr> protocols;       // simulator protocols (ABI 1.1)
  ~Loaded() {
    factories.clear();  // their code lives in the shared object
    protocols.clear();
    suites.clear();
    if (handle != nullptr) dlclose(handle);
  }
};

namespace {

// Collects what one plugin registers; the PluginSet keeps it only if everything is valid.
class StagingRegistrar final : public sdk::PluginRegistrar {
 public:
  StagingRegistrar(std::string dir, std::vector<std::string> taken, std::vector<std::string> taken_protocols)
      : dir_(std::move(dir)), taken_(std::move(taken)), taken_protocols_(std::move(taken_protocols)) {}

  Status add_adapter(const std::string& name, sdk::AdapterFactory factory) override {
    if (name.empty() || !factory) return record(InvalidRequestError("add_adapter: empty name or factory"));
    if (std::find(taken_.begin(), taken_.end(), name) != taken_.end()) {
      return record(InvalidRequestError("adapter '" + name + "' is already registered"));
    }
    taken_.push_back(name);
    factories.emplace_back(name, std::move(factory));
    return Status::Ok();
  }
  Status add_contract_suite(const std::string& adapter, const std::string& path) override {
    const bool mine = std::any_of(factories.begin(), factories.end(), [&](const auto& f) { return f.first == adapter; });
    if (!mine) return record(InvalidRequestError("add_contract_suite: '" + adapter + "' is not an adapter of this plugin"));
    suites[adapter] = path;
    return Status::Ok();
  }
  std::string plugin_dir() const override { return dir_; }
  Status add_cassette_ignore_path(const std::string& json_path) override {
    if (json_path.empty()) return record(InvalidRequestError("add_cassette_ignore_path: empty path"));
    ignore_paths.push_back(json_path);
    return Status::Ok();
  }
  Status add_sim_protocol(SimProtocolPtr protocol) override {
    if (protocol == nullptr || protocol->name().empty()) {
      return record(InvalidRequestError("add_sim_protocol: no protocol or an empty name"));
    }
    const std::string name(protocol->name());
    if (std::find(taken_protocols_.begin(), taken_protocols_.end(), name) != taken_protocols_.end()) {
      return record(InvalidRequestError("simulator protocol '" + name + "' is already registered"));
    }
    taken_protocols_.push_back(name);
    protocols.push_back(std::move(protocol));
    return Status::Ok();
  }

  Status first_error = Status::Ok();
  std::vector<std::pair<std::string, sdk::AdapterFactory>> factories;
  std::map<std::string, std::string> suites;
  std::vector<std::string> ignore_paths;
  std::vector<SimProtocolPtr> protocols;

 private:
  Status record(Status s) {
    if (first_error.ok()) first_error = s;
    return s;
  }
  std::string dir_;
  std::vector<std::string> taken_;
  std::vector<std::string> taken_protocols_;
};

std::string abi_text(uint32_t major, uint32_t minor) { return std::to_string(major) + "." + std::to_string(minor); }

// The entry point's answer, or why the plugin cannot be used.
Result<const PlokeSimPlugin*> entry_of(void* handle, const std::string& path) {
  dlerror();
  void* sym = dlsym(handle, PLOKE_SIM_PLUGIN_ENTRY_SYMBOL);
  if (sym == nullptr) {
    return InvalidRequestError("plugin " + path + ": no entry point " PLOKE_SIM_PLUGIN_ENTRY_SYMBOL
                               " (not a ploke-sim plugin, or it exports nothing)");
  }
  auto entry = reinterpret_cast<PlokeSimPluginEntry>(sym);
  const PlokeSimPlugin* p = entry();
  if (p == nullptr) return InvalidRequestError("plugin " + path + ": its entry point returned nothing");
  if (p->abi_major != PLOKE_PLUGIN_ABI_MAJOR || p->abi_minor > PLOKE_PLUGIN_ABI_MINOR) {
    return InvalidRequestError("plugin " + path + ": built for plugin ABI " + abi_text(p->abi_major, p->abi_minor) +
                               ", this ploke-sim has ABI " + abi_text(PLOKE_PLUGIN_ABI_MAJOR, PLOKE_PLUGIN_ABI_MINOR) +
                               " (rebuild the plugin against this SDK)");
  }
  if (p->register_plugin == nullptr || p->name == nullptr) {
    return InvalidRequestError("plugin " + path + ": its entry point has no name or register function");
  }
  return p;
}

std::string or_empty(const char* s) { return s != nullptr ? s : ""; }

}  // namespace

PluginSet::PluginSet() = default;

PluginSet::~PluginSet() {
  while (!loaded_.empty()) loaded_.pop_back();  // last loaded first
}

Status PluginSet::load(const std::string& path, const std::vector<std::string>& taken,
                       const std::vector<std::string>& taken_protocols) {
  std::error_code ec;
  const auto canonical = std::filesystem::canonical(path, ec);
  if (ec) return InvalidRequestError("plugin " + path + ": " + ec.message());
  for (const auto& l : loaded_) {
    if (l->canonical == canonical.string()) return Status::Ok();
  }
  auto loaded = std::make_unique<Loaded>();
  loaded->canonical = canonical.string();
  loaded->handle = dlopen(canonical.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (loaded->handle == nullptr) {
    const char* err = dlerror();
    return InvalidRequestError("plugin " + path + ": cannot load: " + (err != nullptr ? err : "unknown error"));
  }
  auto plugin = entry_of(loaded->handle, path);
  if (!plugin.ok()) return plugin.status();
  const PlokeSimPlugin& p = **plugin;
  std::vector<std::string> names = taken;
  std::vector<std::string> protocol_names = taken_protocols;
  for (const auto& l : loaded_) {
    for (const auto& f : l->factories) names.push_back(f.first);
    for (const auto& sp : l->protocols) protocol_names.emplace_back(sp->name());
  }
  StagingRegistrar reg(canonical.parent_path().string(), std::move(names), std::move(protocol_names));
  int rc = 1;
  try {
    rc = p.register_plugin(&reg);
  } catch (...) {
    return InvalidRequestError("plugin " + path + ": its register function threw");
  }
  if (!reg.first_error.ok()) return InvalidRequestError("plugin " + path + ": " + reg.first_error.message());
  if (rc != 0) return InvalidRequestError("plugin " + path + ": its register function failed (" + std::to_string(rc) + ")");
  if (reg.factories.empty() && reg.protocols.empty()) {
    return InvalidRequestError("plugin " + path + ": registered no adapter and no simulator protocol");
  }
  PluginInfo info{path, p.name, or_empty(p.version), or_empty(p.sdk_version), p.abi_major, p.abi_minor, {}, {}};
  for (const auto& f : reg.factories) info.adapters.push_back(f.first);
  for (const auto& sp : reg.protocols) info.sim_protocols.emplace_back(sp->name());
  loaded->factories = std::move(reg.factories);
  loaded->suites = std::move(reg.suites);
  loaded->ignore_paths = std::move(reg.ignore_paths);
  loaded->protocols = std::move(reg.protocols);
  loaded_.push_back(std::move(loaded));
  infos_.push_back(std::move(info));
  return Status::Ok();
}

std::vector<Status> PluginSet::load_dir(const std::string& dir, const std::vector<std::string>& taken,
                                        const std::vector<std::string>& taken_protocols) {
  std::error_code ec;
  std::vector<std::string> files;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".so" && it->is_regular_file(ec)) files.push_back(it->path().string());
  }
  if (ec) return {NotFoundError("plugin folder " + dir + ": " + ec.message())};
  std::sort(files.begin(), files.end());
  std::vector<Status> problems;
  for (const auto& f : files) {
    if (Status s = load(f, taken, taken_protocols); !s.ok()) problems.push_back(std::move(s));
  }
  return problems;
}

Status PluginSet::register_adapters(AdapterRegistry& registry) const {
  for (const auto& l : loaded_) {
    for (const auto& [name, factory] : l->factories) PLOKE_RETURN_IF_ERROR(registry.add(name, factory));
  }
  return Status::Ok();
}

const PluginInfo* PluginSet::origin(const std::string& adapter) const {
  for (const auto& i : infos_) {
    if (std::find(i.adapters.begin(), i.adapters.end(), adapter) != i.adapters.end()) return &i;
  }
  return nullptr;
}

std::optional<std::string> PluginSet::contract_suite(const std::string& adapter) const {
  for (const auto& l : loaded_) {
    if (auto it = l->suites.find(adapter); it != l->suites.end()) return it->second;
  }
  return std::nullopt;
}

std::vector<std::string> PluginSet::cassette_ignore_paths() const {
  std::vector<std::string> out;
  for (const auto& l : loaded_) {
    for (const auto& p : l->ignore_paths) {
      if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    }
  }
  return out;
}

std::vector<SimProtocolPtr> PluginSet::sim_protocols() const {
  std::vector<SimProtocolPtr> out;
  for (const auto& l : loaded_) out.insert(out.end(), l->protocols.begin(), l->protocols.end());
  return out;
}

const PluginInfo* PluginSet::protocol_origin(const std::string& name) const {
  for (const auto& i : infos_) {
    if (std::find(i.sim_protocols.begin(), i.sim_protocols.end(), name) != i.sim_protocols.end()) return &i;
  }
  return nullptr;
}

}  // namespace ploke::plugins

// The recorder module is built out in issue 3 (cassettes). This translation unit keeps
// the ploke::recorder target defined so the dependency graph is in place from the start.
namespace ploke::recorder {
int module_version() { return 0; }
}  // namespace ploke::recorder

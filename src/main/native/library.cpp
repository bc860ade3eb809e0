// Library-level entry points of the CPU backend: version, errors, threads, (absent) devices and
// profiler ranges.
#include <atomic>
#include <string>
#include <thread>

#include "parallel.h"
#include "status.h"

namespace ws {
namespace {
thread_local std::string last_error;
std::atomic<int> configured_threads{0};  // 0: hardware concurrency

// Read once: hardware_concurrency() reads /sys on every call (about 7-11 us, twice per peak call).
int hardware_threads() {
  static const int n = [] {
    unsigned h = std::thread::hardware_concurrency();
    return h == 0 ? 1 : static_cast<int>(h);
  }();
  return n;
}
}  // namespace

void set_last_error(const std::string &message) { last_error = message; }

int num_threads() {
  int n = configured_threads.load(std::memory_order_relaxed);
  return n > 0 ? n : hardware_threads();
}

void set_num_threads(int n) { configured_threads.store(n > 0 ? n : 0); }

}  // namespace ws

extern "C" {

int32_t ws_abi_version(void) { return WS_ABI_VERSION; }

const char *ws_last_error(void) { return ws::last_error.c_str(); }

const char *ws_backend_name(void) { return "cpu"; }

int32_t ws_set_num_threads(int32_t n) {
  ws::set_num_threads(n);
  return WS_OK;
}

int32_t ws_get_num_threads(void) { return ws::num_threads(); }

int32_t ws_device_count(int32_t *count) {
  return ws::guarded("ws_device_count", [&] {
    ws::require(count != nullptr, "count is null");
    *count = 0;
  });
}

int32_t ws_device_name(int32_t device, char *, int32_t) {
  return ws::guarded("ws_device_name", [&] {
    throw ws::ArgumentError("the CPU backend has no device " + std::to_string(device));
  });
}

int32_t ws_set_device(int32_t device) {
  return ws::guarded("ws_set_device", [&] {
    ws::require(device == 0, "the CPU backend accepts device 0 only");
  });
}

int32_t ws_synchronize(void *) { return WS_OK; }

// No profiler ranges without CUDA: Java only pushes them once a CUDA device exists.
int32_t ws_range_push(const char *name) {
  return ws::guarded("ws_range_push", [&] { ws::require(name != nullptr, "name is null"); });
}

int32_t ws_range_pop(void) { return WS_OK; }

}  // extern "C"

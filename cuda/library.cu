// Library-level entry points of the CUDA backend.
#include <cstring>
#include <string>

#include "cuda_util.h"

namespace ws {
namespace {
thread_local std::string last_error;
}
void set_last_error(const std::string &message) { last_error = message; }
}  // namespace ws

extern "C" {

int32_t ws_abi_version(void) { return WS_ABI_VERSION; }

const char *ws_last_error(void) { return ws::last_error.c_str(); }

const char *ws_backend_name(void) { return "cuda"; }

const char *ws_cpu_isa(void) { return "none"; }

int32_t ws_set_num_threads(int32_t) { return WS_OK; }

int32_t ws_get_num_threads(void) { return 1; }

int32_t ws_device_count(int32_t *count) {
  return ws::guarded("ws_device_count", [&] {
    ws::require(count != nullptr, "count is null");
    int n = 0;
    ws::cuda_check(cudaGetDeviceCount(&n), "cudaGetDeviceCount");
    *count = n;
  });
}

int32_t ws_device_name(int32_t device, char *buf, int32_t len) {
  return ws::guarded("ws_device_name", [&] {
    ws::require(buf != nullptr && len > 0, "buf is null or empty");
    cudaDeviceProp prop;
    ws::cuda_check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
    std::strncpy(buf, prop.name, static_cast<size_t>(len) - 1);
    buf[len - 1] = '\0';
  });
}

int32_t ws_set_device(int32_t device) {
  return ws::guarded("ws_set_device",
                     [&] { ws::cuda_check(cudaSetDevice(device), "cudaSetDevice"); });
}

int32_t ws_synchronize(void *stream) {
  return ws::guarded("ws_synchronize", [&] {
    ws::cuda_check(cudaStreamSynchronize(ws::as_stream(stream)), "cudaStreamSynchronize");
  });
}

}  // extern "C"

// The CUDA library's profiler ranges reach NVTX: run with NVTX_INJECTION64_PATH naming
// nvtx_recorder (as Nsight Systems names its own library), ws_range_push / ws_range_pop must arrive
// there as nvtxRangePushA / nvtxRangePop with the names, in order. NVTX needs no GPU, so this runs
// wherever the CUDA library builds.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "test_util.h"
#include "wiseseg_kernels.h"

using test::check;

namespace {

void *open_library(const char *path) {
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    std::fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
    std::exit(1);
  }
  return handle;
}

template <class F>
F lookup(void *handle, const char *name) {
  void *symbol = dlsym(handle, name);
  if (symbol == nullptr) {
    std::fprintf(stderr, "missing symbol %s\n", name);
    std::exit(1);
  }
  return reinterpret_cast<F>(symbol);
}

}  // namespace

int main() {
  const char *injection = std::getenv("NVTX_INJECTION64_PATH");
  if (injection == nullptr) {
    std::fprintf(stderr, "set NVTX_INJECTION64_PATH to the nvtx_recorder library (ctest does)\n");
    return 1;
  }
  void *cuda = open_library(WISESEG_CUDA_LIBRARY);
  auto abi_version = lookup<decltype(&ws_abi_version)>(cuda, "ws_abi_version");
  auto backend_name = lookup<decltype(&ws_backend_name)>(cuda, "ws_backend_name");
  auto last_error = lookup<decltype(&ws_last_error)>(cuda, "ws_last_error");
  auto push = lookup<decltype(&ws_range_push)>(cuda, "ws_range_push");
  auto pop = lookup<decltype(&ws_range_pop)>(cuda, "ws_range_pop");
  check(abi_version() == WS_ABI_VERSION, "abi version");
  check(std::strcmp(backend_name(), "cuda") == 0, "backend name");

  check(push("segment") == WS_OK, "push segment");
  check(push("rpn") == WS_OK, "push rpn");
  check(pop() == WS_OK, "pop rpn");
  check(push("roi heads") == WS_OK, "push roi heads");
  check(pop() == WS_OK, "pop roi heads");
  check(push(nullptr) == WS_ERR_ARGUMENT && std::strlen(last_error()) > 0, "push(NULL) is rejected");
  check(pop() == WS_OK, "pop segment");

  // NVTX loaded the recorder on the first push; opening it again gives the same copy.
  void *recorder = open_library(injection);
  const std::string log = lookup<const char *(*)()>(recorder, "nvtx_recorder_log")();
  const std::string expected = "push segment;push rpn;pop;push roi heads;pop;pop;";
  check(log == expected, "NVTX saw \"" + log + "\", expected \"" + expected + "\"");
  if (test::failures()) {
    std::fprintf(stderr, "%d check(s) failed\n", test::failures());
    return 1;
  }
  std::printf("test_cuda_ranges: NVTX saw %s\n", log.c_str());
  return 0;
}

// Profiler ranges: NVTX v3, header-only (nvtx3/ in the CUDA toolkit). Its first call looks for a
// tool (Nsight Systems sets NVTX_INJECTION64_PATH); without one every call returns at once.
#include <nvtx3/nvToolsExt.h>

#include "status.h"

extern "C" {

int32_t ws_range_push(const char *name) {
  return ws::guarded("ws_range_push", [&] {
    ws::require(name != nullptr, "name is null");
    nvtxRangePushA(name);  // returns the depth, or a negative value when no tool is attached
  });
}

int32_t ws_range_pop(void) {
  nvtxRangePop();
  return WS_OK;
}

}  // extern "C"

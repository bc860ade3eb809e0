// An NVTX injection library (what Nsight Systems loads through NVTX_INJECTION64_PATH) that only
// records the range pushes and pops it receives, for test_cuda_ranges to read back.
#include <nvtx3/nvToolsExt.h>

#include <string>

namespace {
std::string recorded;
int depth = 0;

int NVTX_API push(const char *message) {
  recorded += std::string("push ") + message + ";";
  return depth++;
}

int NVTX_API pop() {
  recorded += "pop;";
  return --depth;
}
}  // namespace

extern "C" {

// Called by NVTX at the process's first NVTX call; returns 0 on failure (NVTX then stays off).
__attribute__((visibility("default"))) int InitializeInjectionNvtx2(NvtxGetExportTableFunc_t table) {
  auto *callbacks = static_cast<const NvtxExportTableCallbacks *>(table(NVTX_ETID_CALLBACKS));
  if (callbacks == nullptr || callbacks->struct_size < sizeof(NvtxExportTableCallbacks)) return 0;
  NvtxFunctionTable core = nullptr;
  unsigned int last = 0;  // the highest valid index
  if (!callbacks->GetModuleFunctionTable(NVTX_CB_MODULE_CORE, &core, &last) || last < NVTX_CBID_CORE_RangePop)
    return 0;
  *core[NVTX_CBID_CORE_RangePushA] = reinterpret_cast<NvtxFunctionPointer>(&push);
  *core[NVTX_CBID_CORE_RangePop] = reinterpret_cast<NvtxFunctionPointer>(&pop);
  return 1;
}

// What was recorded so far, e.g. "push a;push b;pop;pop;".
__attribute__((visibility("default"))) const char *nvtx_recorder_log() { return recorded.c_str(); }

}  // extern "C"

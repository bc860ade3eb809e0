// Which multiversioned code path runs: the CPU's best, capped by WISESEG_MAX_CPU_ISA.
#include <cstdlib>
#include <cstring>

#include "multiversion.h"
#include "wiseseg_kernels.h"

namespace ws {
namespace {

CpuIsa detect() {
  CpuIsa best = CpuIsa::kDefault;
#if WS_HAVE_AVX2_PATH
  __builtin_cpu_init();
  // x86-64-v3 = AVX2 + FMA + BMI1/2 + F16C + MOVBE + LZCNT; the compiler may use any of them.
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2"))
    best = CpuIsa::kAvx2;
#endif
  const char *cap = std::getenv("WISESEG_MAX_CPU_ISA");
  if (cap != nullptr && (std::strcmp(cap, "default") == 0 || std::strcmp(cap, "DEFAULT") == 0))
    return CpuIsa::kDefault;
  return best;  // "avx2" or unset: the CPU's best (Java rejects any other value first)
}

}  // namespace

CpuIsa active_isa() {
  static const CpuIsa isa = detect();
  return isa;
}

const char *isa_name(CpuIsa isa) { return isa == CpuIsa::kAvx2 ? "avx2" : "default"; }

}  // namespace ws

extern "C" const char *ws_cpu_isa(void) { return ws::isa_name(ws::active_isa()); }

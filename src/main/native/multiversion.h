// The hot channel loops are compiled twice, for x86-64-v3 (AVX2, FMA off: see CMakeLists.txt)
// and for baseline x86-64, and one of them is picked per process: the best the CPU has, capped
// by the environment variable WISESEG_MAX_CPU_ISA (default | avx2), the way ONEDNN_MAX_CPU_ISA
// caps oneDNN. The cap lets one machine run the code path of an older CPU, so a test that passes
// only on the developer's CPU is caught (.ci/run runs the parity tests a second time that way).
// Explicit dispatch rather than GCC's target_clones: an ifunc resolver cannot be overridden.
// Define WISESEG_NO_MULTIVERSION to build the baseline only (e.g. for sanitizers).
#pragma once

namespace ws {

enum class CpuIsa { kDefault = 0, kAvx2 = 1 };

// The path the multiversioned kernels take in this process (decided once, on first use).
CpuIsa active_isa();
const char *isa_name(CpuIsa isa);

}  // namespace ws

#if defined(__x86_64__) && defined(__GNUC__) && !defined(WISESEG_NO_MULTIVERSION)
#define WS_HAVE_AVX2_PATH 1
#define WS_TARGET_AVX2 __attribute__((target("arch=x86-64-v3")))
#else
#define WS_HAVE_AVX2_PATH 0
#define WS_TARGET_AVX2
#endif

// A multiversioned kernel is an always-inline body plus two thin wrappers, one compiled with
// WS_TARGET_AVX2, and a dispatcher that asks active_isa() (see roi_align_forward.cpp).
#define WS_ALWAYS_INLINE inline __attribute__((always_inline))

// WS_MULTIVERSION: the hot channel loops are compiled for x86-64-v3 (AVX2) and for baseline
// x86-64, and the loader picks one per CPU (an ifunc), so the library still runs on any x86-64.
// Define WISESEG_NO_MULTIVERSION to opt out (e.g. ThreadSanitizer cannot run ifunc resolvers).
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(WISESEG_NO_MULTIVERSION)
#define WS_MULTIVERSION __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define WS_MULTIVERSION
#endif

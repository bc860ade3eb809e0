#!/usr/bin/env bash
# Issue #14 item 3: one command that verifies the CUDA side of wiseseg's kernels on a GPU machine
# (no JDK or Maven needed: CMake, a C++17 compiler, nvcc, and a python3 with torch and
# torchvision). It
#   1. builds the kernel libraries with CMake (CUDA on when torch sees a GPU and nvcc exists;
#      without a GPU the CPU library only) and runs the native ctest (test_cuda_vs_cpu included);
#   2. runs tests/gpu/compare.py: every kernel against torchvision's ops (PRM's max-pool peak
#      finding for peaks) on the same random inputs through ctypes, timed on both sides, RoIAlign
#      against the copy-bandwidth roofline; then the same checks with a fault injected into each
#      kernel's output, which must all fail (--no-self-test skips this);
#   3. prints the table and the targets, and leaves everything under $OUT (default: a temp dir):
#      build.log, ctest.log, compare.log, compare[-quick]-{cuda,cpu}.{txt,json},
#      self-test-{cuda,cpu}.{txt,json}.
# Without a GPU it runs the CPU half: the CPU library on CPU tensors, times from perf_counter.
# A global budget (WISESEG_CHECK_BUDGET_S, default 470 s) caps the whole run; each step gets
# what is left (the build at most 300 s, ctest 180 s), and compare.py stops starting new work
# 20 s before its share ends, so it still writes its report.
#
# usage: tests/gpu/check.sh [--quick] [--cpu | --gpu] [--build-dir DIR] [--no-ctest]
#                           [--no-self-test] [--budget-s N]
#   --quick          small shapes (the CPU half in CI takes ~15 s with --no-ctest)
#   --cpu / --gpu    force the CPU half / require a GPU (default: a GPU if torch sees one)
#   --build-dir DIR  CMake build folder (default target/gpu-check/{cuda,cpu}); one configured
#                    already (Maven's target/native) is only brought up to date, not reconfigured
#   --no-ctest       skip the native ctest (CI has just run it)
# Exit status: 0 every check agreed; 1 a check or ctest failed; 2 incomplete (budget, harness
# error) or missing tools; 3 the build failed. Targets are printed as met / not met and never
# change the exit status.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

quick=0 mode=auto build="" run_ctest=1 self_test=1 budget=${WISESEG_CHECK_BUDGET_S:-470}
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --cpu) mode=cpu ;;
    --gpu) mode=gpu ;;
    --build-dir) build=$2; shift ;;
    --no-ctest) run_ctest=0 ;;
    --no-self-test) self_test=0 ;;
    --budget-s) budget=$2; shift ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "check.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

start=$(date +%s)
left() { echo $(( budget - ($(date +%s) - start) )); }
min() { [ "$1" -lt "$2" ] && echo "$1" || echo "$2"; }
fail() { echo "check.sh: $*" >&2; exit 2; }

OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/wiseseg-gpu-check.XXXXXX")}
mkdir -p "$OUT" || fail "cannot create OUT=$OUT"
export OUT

# python3 with torch and torchvision: $PYTHON, else python3 on PATH, else Debian's /usr/bin/python3
# (where the PATH's python3 is another one, e.g. pyenv's); as root, Debian's packages are
# installed when none has them.
has_torch() { "$1" -c 'import torch, torchvision' >/dev/null 2>&1; }
py=""
for p in ${PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1 && has_torch "$p"; then py=$(command -v "$p"); break; fi
done
if [ -z "$py" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "== installing python3-torchvision (apt-get): no python3 here has torch and torchvision"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -q --no-install-recommends python3-torchvision ||
      { apt-get update -q && apt-get install -y -q --no-install-recommends python3-torchvision; }; } \
      >"$OUT/apt.log" 2>&1 || { tail -20 "$OUT/apt.log"; fail "apt-get install python3-torchvision failed"; }
    has_torch /usr/bin/python3 && py=/usr/bin/python3
  fi
  [ -n "$py" ] || fail "no python3 with torch and torchvision (set PYTHON, or apt-get install python3-torchvision)"
fi

gpu=0
if [ "$mode" != cpu ] && "$py" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  gpu=1
fi
[ "$mode" = gpu ] && [ "$gpu" -eq 0 ] && fail "--gpu: $py's torch sees no GPU"
nvcc=$(command -v nvcc || true)
[ -z "$nvcc" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc=/usr/local/cuda/bin/nvcc
[ "$gpu" -eq 1 ] && [ -z "$nvcc" ] && fail "torch sees a GPU but there is no nvcc to build the CUDA library"
side=$([ "$gpu" -eq 1 ] && echo cuda || echo cpu)
build=${build:-"$root/target/gpu-check/$side"}

echo "== wiseseg GPU check: $([ "$gpu" -eq 1 ] && echo "CUDA side on $("$py" -c 'import torch; print(torch.cuda.get_device_name(0))')" || echo "CPU half (no GPU)")$([ "$quick" -eq 1 ] && echo ", quick shapes"); budget ${budget} s; results in $OUT"
echo "   python $py ($("$py" -c 'import torch, torchvision; print("torch", torch.__version__, "torchvision", torchvision.__version__)')); cmake $(cmake --version | head -1 | awk '{print $3}')$([ -n "$nvcc" ] && echo "; nvcc $("$nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')")"
command -v nvidia-smi >/dev/null && [ "$gpu" -eq 1 ] &&
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem,temperature.gpu,utilization.gpu --format=csv,noheader |
  sed 's/^/   nvidia-smi: /'

# ---- 1. build
t=$(date +%s)
if [ -f "$build/CMakeCache.txt" ]; then
  echo "== build: bringing $build up to date"
  configure_ok=0
else
  echo "== build: configuring $build (WISESEG_CUDA=$([ "$gpu" -eq 1 ] && echo ON || echo OFF))"
  cuda_args=(-DWISESEG_CUDA=OFF)
  [ "$gpu" -eq 1 ] && cuda_args=(-DWISESEG_CUDA=ON "-DCMAKE_CUDA_COMPILER=$nvcc")
  timeout "$(min 120 "$(left)")" cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release "${cuda_args[@]}" >"$OUT/build.log" 2>&1
  configure_ok=$?
fi
if [ "$configure_ok" -eq 0 ]; then
  build_s=$(min 300 $(( $(left) - 150 )))
  [ "$build_s" -ge 30 ] || build_s=30
  timeout "$build_s" cmake --build "$build" -j"$(nproc)" >>"$OUT/build.log" 2>&1
  build_rc=$?
else
  build_rc=$configure_ok
fi
if [ "$build_rc" -ne 0 ]; then
  tail -30 "$OUT/build.log"
  echo "check.sh: the build failed (status $build_rc$([ "$build_rc" -eq 124 ] && echo ", timed out"); $OUT/build.log)" >&2
  exit 3
fi
libdir=$(sed -n 's/^WISESEG_LIB_OUTPUT_DIR:[A-Z]*=//p' "$build/CMakeCache.txt")
lib="$libdir/libwiseseg_$side.so"
[ -f "$lib" ] || { echo "check.sh: $lib was not built (see $OUT/build.log)" >&2; exit 3; }
echo "   built in $(( $(date +%s) - t )) s: $lib"

# ---- 2. native tests
ctest_rc=0
if [ "$run_ctest" -eq 1 ]; then
  t=$(date +%s)
  echo "== ctest (test_cpu_kernels on both code paths$([ "$gpu" -eq 1 ] && echo ", test_cuda_vs_cpu, test_cuda_ranges"))"
  per_test=$(min 180 $(( $(left) - 100 )))
  [ "$per_test" -gt 10 ] || { echo "check.sh: no time left for ctest" >&2; exit 2; }
  (cd "$build" && timeout "$per_test" ctest --output-on-failure --timeout "$per_test") >"$OUT/ctest.log" 2>&1
  ctest_rc=$?
  grep -E 'Test +#|tests passed|tests failed|device 0:|SKIP' "$OUT/ctest.log" | sed 's/^/   /'
  [ "$ctest_rc" -eq 0 ] || { tail -40 "$OUT/ctest.log"; echo "check.sh: ctest failed (status $ctest_rc)" >&2; }
  echo "   ctest took $(( $(date +%s) - t )) s"
fi

# ---- 3. the comparison with torchvision, then the fault-injection self-test
t=$(date +%s)
share=$(( $(left) - 10 - (self_test ? 25 : 0) ))
[ "$share" -gt 15 ] || { echo "check.sh: no time left for the comparison" >&2; exit 2; }
args=(--device "$side" --lib "$lib" --out "$OUT" --budget-s $(( share - 20 )))
[ "$quick" -eq 1 ] && args+=(--quick)
echo "== compare.py ${args[*]}"
PYTHONUNBUFFERED=1 timeout "$share" "$py" "$here/compare.py" "${args[@]}" 2>&1 | tee "$OUT/compare.log"
compare_rc=${PIPESTATUS[0]}
echo "   compare.py took $(( $(date +%s) - t )) s (status $compare_rc)"

self_rc=0
if [ "$self_test" -eq 1 ]; then
  echo "== compare.py --self-test (a fault injected into each kernel's output: every check must fail)"
  share=$(( $(left) - 5 ))
  [ "$share" -gt 10 ] || { echo "check.sh: no time left for the self-test" >&2; exit 2; }
  PYTHONUNBUFFERED=1 timeout "$share" "$py" "$here/compare.py" --device "$side" --lib "$lib" --out "$OUT" \
    --quick --self-test --budget-s $(( share - 5 )) >>"$OUT/compare.log" 2>&1
  self_rc=$?
  grep '^self-test:' "$OUT/compare.log" | tail -1 | sed 's/^/   /'
  [ "$self_rc" -eq 0 ] || echo "check.sh: the self-test failed (status $self_rc): a fault went unnoticed, see $OUT/compare.log" >&2
fi

echo "== done in $(( $(date +%s) - start )) s; results in $OUT"
[ "$compare_rc" -eq 124 ] && compare_rc=2
[ "$compare_rc" -eq 2 ] && exit 2
[ "$ctest_rc" -ne 0 ] || [ "$compare_rc" -ne 0 ] || [ "$self_rc" -ne 0 ] && exit 1
exit 0

#!/bin/sh
# The demo classifier's training speed under each CPU code path, with 1 and 2 LibTorch threads,
# OpenMP's wait policy active or passive, on a quiet machine and with one core kept busy by a
# single-threaded spinner (as on a shared machine). Prints a markdown table (ClassifierStepBench).
set -eu
cd "$(dirname "$0")/.."
bench/run.sh ClassifierStepBench 1 1 1 warm-up >/dev/null
echo "| load | CPU; LibTorch code paths | our kernels | threads | OMP_WAIT_POLICY | steps/s (median) | range |"
echo "|---|---|---|---:|---|---:|---|"
for load in quiet busy; do
  spinner=
  if [ $load = busy ]; then
    sh -c 'while :; do :; done' & spinner=$!
  fi
  for isa in best sse41; do
    for threads in 1 2; do
      for omp in unset PASSIVE; do
        (
          if [ $isa = sse41 ]; then export ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41 WISESEG_MAX_CPU_ISA=default; fi
          if [ $omp != unset ]; then export OMP_WAIT_POLICY=$omp; fi
          bench/run.sh ClassifierStepBench $threads 5 6 "$load, $isa" 2>/dev/null | grep '^|'
        )
      done
    done
  done
  if [ -n "$spinner" ]; then kill $spinner; fi
done

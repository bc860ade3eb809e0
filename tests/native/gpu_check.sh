#!/bin/sh
# Builds the native libraries with CUDA and runs the native tests, test_cuda_vs_cpu included
# (on a machine with a GPU, nvcc and CMake; no JDK or Maven needed). Usage: gpu_check.sh [build-dir]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-"$root/target/native-gpu-check"}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DWISESEG_CUDA=ON
cmake --build "$build" -j"$(nproc)"
cd "$build" && ctest --output-on-failure

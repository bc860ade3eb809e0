#!/usr/bin/env bash
# Issue #16's measurement: WISE end to end (`wiseseg run`) on each benchmark family and seed, with one
# set of flags for all, then the table of bench/wise_table.py (pseudo masks, WISE Mask R-CNN, each
# self-training round, GT-trained upper bound, diagnostics, targets). Resumable: a finished run is
# read back, an interrupted one continues (run's own resume).
#   bench/wise_families.sh [--families "simple hard hard-2k"] [--seeds "0 1"] [--root DIR] -- [run flags]
# e.g. bench/wise_families.sh --families hard --seeds 0 -- --tune-fraction 0.1 --rounds 1
# Families: simple = the demo's generator (1,000 images of 160x160, up to 4 objects, a tenth val);
# hard = `dataset synth --family hard` (520 images: 400 train / 120 val); hard-2k = the same with
# 2,000 images (1,540 / 460). Hours of CPU on 2 cores: a hard run is about an hour.
set -euo pipefail
cd "$(dirname "$0")/.."
families="simple hard hard-2k"
seeds="0 1"
root=target/wise-families
while [ $# -gt 0 ]; do
  case $1 in
    --families) families=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --root) root=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [--families LIST] [--seeds LIST] [--root DIR] -- [run flags]" >&2; exit 2 ;;
  esac
done
mkdir -p "$root"
runs=()
for family in $families; do
  for seed in $seeds; do
    data="$root/data-$family-s$seed"
    if [ ! -d "$data/ImageSets" ]; then
      case $family in
        simple) ./wiseseg dataset synth --out "$data" --images 1000 --size 160 --max-instances 4 \
                  --val-fraction 0.1 --seed "$seed" >/dev/null ;;
        hard) ./wiseseg dataset synth --family hard --out "$data" --seed "$seed" >/dev/null ;;
        hard-2k) ./wiseseg dataset synth --family hard --images 2000 --out "$data" --seed "$seed" >/dev/null ;;
        *) echo "unknown family $family (simple, hard, hard-2k)" >&2; exit 2 ;;
      esac
    fi
    run="$root/run-$family-s$seed"
    echo "== $family, seed $seed: $run (log $run.log)" >&2
    ./wiseseg run --dataset "$data" --out "$run" --seed "$seed" "$@" >"$run.log" 2>&1 \
      || { echo "   failed: see $run.log" >&2; tail -5 "$run.log" >&2; }
    runs+=("$run")
  done
done
/usr/bin/python3 bench/wise_table.py "${runs[@]}"

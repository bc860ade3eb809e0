#!/bin/bash
# Load test of `wiseseg serve` with a real HTTP client (Debian's `hey`, installed when missing),
# against 127.0.0.1 only, bounded by request counts: throughput and p50/p95/p99 latency at
# concurrency 1, 4 and 16, dynamic batching on (--max-batch 4) and off (--max-batch 1), for
#   - the small model: the demo's (SMALL_RUN=RUN_FOLDER SMALL_IMAGE=IMAGE, e.g. a `demo --quick`
#     run's maskrcnn-iou and one of its val images) or, by default, the small architecture on
#     formula weights with the formula image;
#   - torchvision's R50-FPN at 800 px on the formula weights and the 480x640 formula image (100
#     detections), and the same model and weights served by a minimal Python baseline
#     (bench/reference/serve_baseline.py: Debian's torchvision 0.14 behind ThreadingHTTPServer),
#     in the same run.
# The model's own latency is the server's wiseseg_model_seconds (its time in the model per batch)
# over the concurrency-1 run. Both servers get 2 threads (wiseseg: WORKERS × THREADS). Prints markdown tables.
#
# usage: bench/serve_load.sh [OUT]   (default OUT: target/serve-bench)
#   SERVERS="r50-off python" measures only those rows (small-on r50-on small-off r50-off python)
#   WORKERS=2 THREADS=1 serves with two model threads of one LibTorch thread each (default 1 and 2)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/serve-bench}
mkdir -p "$out"
out=$(cd "$out" && pwd)
if ! command -v hey >/dev/null; then
  echo "installing hey (Debian package)" >&2
  (apt-get install -y -qq hey >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq hey; }) >&2
fi
# Debian's torch finds its BLAS through the libblas.so.3 alternative: without OpenBLAS that is
# the unoptimised reference BLAS (netlib), which made the baseline's Mask R-CNN 5-10x slower here
if ! update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep -q '^Value: .*openblas'; then
  echo "installing OpenBLAS for the Python baseline's torch (Debian package libopenblas0-pthread)" >&2
  (apt-get install -y -qq libopenblas0-pthread >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq libopenblas0-pthread; }) >&2
fi
SERVERS=${SERVERS:-small-on r50-on small-off r50-off python}  # which rows to measure
SMALL_N=${SMALL_N:-100 200 400}   # requests at concurrency 1, 4, 16
WORKERS=${WORKERS:-1}             # wiseseg's model threads, each with THREADS LibTorch threads
THREADS=${THREADS:-2}
R50_N=${R50_N:-8 16 32}
./wiseseg version >/dev/null      # builds the jar if needed
bench/run.sh ServeModels "$out" --small >&2
small_run=${SMALL_RUN:-$out/small}
small_image=${SMALL_IMAGE:-$out/formula.png}
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

wait_ready() { # PORT
  for _ in $(seq 1 600); do
    if curl -sf "http://127.0.0.1:$1/v2/health/ready" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "server on port $1 never became ready" >&2; return 1
}

start_java() { # RUN MAX_BATCH PORT
  ./wiseseg serve --checkpoint "$1" --port "$3" --threads "$THREADS" --workers "$WORKERS" --max-batch "$2" --max-delay-ms 5 \
    --queue 256 --timeout-ms 600000 >"$out/java-$3.log" 2>&1 &
  pids+=($!)
  wait_ready "$3"
}

start_python() { # PORT
  /usr/bin/python3 bench/reference/serve_baseline.py "$1" 2 91 800 1333 >"$out/python-$1.log" 2>&1 &
  pids+=($!)
  wait_ready "$1"
}

stop_last() {
  local p=${pids[-1]}
  kill -TERM "$p"; wait "$p" 2>/dev/null || true
  unset 'pids[-1]'
}

# one row per concurrency: MODEL SERVER BATCHING PORT IMAGE TYPE N1 N4 N16
measure() {
  local model=$1 server=$2 batching=$3 port=$4 image=$5 type=$6; shift 6
  local url="http://127.0.0.1:$port/v1/segment" i=0 n1=$1
  for _ in 1 2 3; do curl -sf -X POST -H "Content-Type: $type" --data-binary @"$image" "$url" >/dev/null; done
  curl -sf -X POST -H "Content-Type: $type" --data-binary @"$image" "$url" >"$out/answer-$model-$server.json"
  for c in 1 4 16; do
    local n=$1; shift
    local before after model_ms="" batch=""
    if [ "$server" = wiseseg ]; then
      before=$(/usr/bin/python3 bench/serve_stats.py metrics "http://127.0.0.1:$port/metrics" wiseseg_model_seconds)
      bbefore=$(/usr/bin/python3 bench/serve_stats.py metrics "http://127.0.0.1:$port/metrics" wiseseg_batch_size)
    fi
    hey -n "$n" -c "$c" -m POST -T "$type" -D "$image" -t 0 -o csv "$url" >"$out/hey-$model-$server-$batching-$c.csv"
    read -r total ok errors rps p50 p95 p99 < <(/usr/bin/python3 bench/serve_stats.py hey "$out/hey-$model-$server-$batching-$c.csv")
    if [ "$server" = wiseseg ]; then
      after=$(/usr/bin/python3 bench/serve_stats.py metrics "http://127.0.0.1:$port/metrics" wiseseg_model_seconds)
      bafter=$(/usr/bin/python3 bench/serve_stats.py metrics "http://127.0.0.1:$port/metrics" wiseseg_batch_size)
      # mean time per model run, and mean images per run, over this load step
      model_ms=$(echo "$before $after" | awk '{ if ($3 > $1) printf "%.1f", 1000 * ($4 - $2) / ($3 - $1); else print "-" }')
      batch=$(echo "$bbefore $bafter" | awk '{ if ($3 > $1) printf "%.2f", ($4 - $2) / ($3 - $1); else print "-" }')
    fi
    echo "| $model | $server | $batching | $c | $total | $errors | $rps | $p50 | $p95 | $p99 | ${model_ms:--} | ${batch:--} |"
  done
  if [ "$server" = wiseseg ]; then paired "$model" "$batching" "$url" "$image" "$type" "$n1"; fi
}

# Concurrency 1 once more, request by request with curl, pairing each request's latency with the
# model time its Server-Timing header reports: p99 of requests against p99 of the model itself.
paired() { # MODEL BATCHING URL IMAGE TYPE N
  local file="$out/paired-$1-$2.txt"
  : >"$file"
  for _ in $(seq 1 "$6"); do
    curl -s -o /dev/null -D "$out/headers.txt" -w '%{time_total}\n' -X POST -H "Content-Type: $5" \
      --data-binary @"$4" "$3" | awk -v h="$out/headers.txt" '{ t = $1 * 1000 }
        END { while ((getline line < h) > 0) if (line ~ /^[Ss]erver-[Tt]iming:/) { match(line, /model;dur=[0-9.]+/);
              m = substr(line, RSTART + 10, RLENGTH - 10) } printf "%.2f %s\n", t, m }' >>"$file"
  done
  paired_rows+=("| $1 | $2 | $(/usr/bin/python3 bench/serve_stats.py paired "$file") |")
}
paired_rows=()

echo "| model | server | batching | concurrency | requests | errors | throughput (req/s) | p50 (ms) | p95 (ms) | p99 (ms) | model run (ms, mean) | images per run (mean) |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
small_type=image/jpeg; case "$small_image" in *.png) small_type=image/png;; esac
read -r s1 s4 s16 <<<"$SMALL_N"
read -r r1 r4 r16 <<<"$R50_N"
port=18500
want() { case " $SERVERS " in *" $1 "*) return 0;; esac; return 1; }
for batch in 4 1; do
  label=on; [ $batch = 1 ] && label=off
  if want small-$label; then
    port=$((port + 1)); start_java "$small_run" $batch $port
    measure small wiseseg $label $port "$small_image" "$small_type" $s1 $s4 $s16
    stop_last
  fi
  if want r50-$label; then
    port=$((port + 1)); start_java "$out/r50" $batch $port
    measure r50-800 wiseseg $label $port "$out/formula.png" image/png $r1 $r4 $r16
    stop_last
  fi
done
if want python; then
  port=$((port + 1)); start_python $port
  measure r50-800 python off $port "$out/formula.png" image/png $r1 $r4 $r16
  stop_last
fi
if [ ${#paired_rows[@]} -gt 0 ]; then
  echo
  echo "Concurrency 1 request by request (curl), each request's latency against the model time in its Server-Timing header:"
  echo
  echo "| model | batching | requests | request p50 (ms) | request p99 (ms) | model p50 (ms) | model p99 (ms) | p99 request / p99 model | p99 of (request - model) (ms) |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${paired_rows[@]}"
fi
if [ -f "$out/answer-r50-800-wiseseg.json" ] && [ -f "$out/answer-r50-800-python.json" ]; then
  echo
  echo "detections (wiseseg, python; same weights and image): $(/usr/bin/python3 bench/serve_stats.py same "$out/answer-r50-800-wiseseg.json" "$out/answer-r50-800-python.json")"
fi

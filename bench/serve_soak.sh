#!/bin/bash
# Soak of `wiseseg serve`: steady load for DURATION seconds (default 600) from `hey` at
# concurrency 4 against 127.0.0.1 (batching on), sampling the server's resident memory (VmRSS)
# and open file descriptors every 10 s. Prints the samples, the status codes hey saw, and a
# summary line. Model and image as in bench/serve_load.sh (SMALL_RUN / SMALL_IMAGE, default the
# small architecture on formula weights).
#
# usage: bench/serve_soak.sh [OUT]   (default OUT: target/serve-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/serve-bench}
mkdir -p "$out"
out=$(cd "$out" && pwd)
duration=${DURATION:-600}
command -v hey >/dev/null || apt-get install -y -qq hey >/dev/null
./wiseseg version >/dev/null
[ -n "${SMALL_RUN:-}" ] || bench/run.sh ServeModels "$out" --small >&2
run=${SMALL_RUN:-$out/small}
image=${SMALL_IMAGE:-$out/formula.png}
type=image/jpeg; case "$image" in *.png) type=image/png;; esac
port=18601
./wiseseg serve --checkpoint "$run" --port $port --threads 2 --max-batch 4 --max-delay-ms 5 >"$out/soak-server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf http://127.0.0.1:$port/v2/health/ready >/dev/null 2>&1 && break; sleep 0.5; done
url=http://127.0.0.1:$port/v1/segment
hey -z "${duration}s" -c 4 -m POST -T "$type" -D "$image" -t 30 "$url" >"$out/soak-hey.txt" &
load=$!
echo "| t (s) | RSS (MiB) | open fds | requests answered |"
echo "|---:|---:|---:|---:|"
start=$(date +%s)
while kill -0 $load 2>/dev/null; do
  t=$(( $(date +%s) - start ))
  rss=$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' /proc/$server/status)
  fds=$(ls /proc/$server/fd | wc -l)
  answered=$(/usr/bin/python3 bench/serve_stats.py metrics http://127.0.0.1:$port/metrics wiseseg_request_seconds | cut -d' ' -f1)
  echo "| $t | $rss | $fds | $answered |"
  sleep 10
done
heyrc=0; wait $load || heyrc=$?
echo
if [ $heyrc != 0 ] || ! grep -q "Status code distribution" "$out/soak-hey.txt"; then
  echo "hey failed (exit $heyrc):"; cat "$out/soak-hey.txt"; exit 1
fi
grep -E "Requests/sec|Average|Slowest" "$out/soak-hey.txt"
sed -n '/Status code distribution/,/^$/p' "$out/soak-hey.txt"
grep -A5 "Error distribution" "$out/soak-hey.txt" || echo "no errors reported by hey"
kill -TERM $server; rc=0; wait $server || rc=$?; echo "server exit status after SIGTERM: $rc"

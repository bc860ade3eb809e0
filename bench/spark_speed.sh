#!/usr/bin/env bash
# Issue #15's measurement: images/s of the Spark prediction job with local[1] and local[2] against
# the single-process `wiseseg predict` on the same images, and the per-executor start-up cost
# (LibTorch + model load, as the job reports it). The job runs the way a user runs it:
# spark-submit's own entry point (org.apache.spark.deploy.SparkSubmit, Spark's jars from ~/.m2 on
# the class path, as $SPARK_HOME/jars would be) with the shaded jar of spark/.
#   bench/spark_speed.sh [--images N] [--size PX] [--checkpoint RUN]
# Without --checkpoint it trains a small Mask R-CNN first (4 images, 10 epochs, about 2 minutes).
# Every run is one JVM from start to exit: wall times include JVM start, Spark start (the jobs) and
# the model load. Prints a Markdown table for bench/RESULTS.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. .mvn/find-jdk.sh
images=96 size=128 checkpoint=
while [ $# -gt 0 ]; do
  case "$1" in
    --images) images=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --checkpoint) checkpoint=$2; shift 2 ;;
    *) echo "usage: $0 [--images N] [--size PX] [--checkpoint RUN]" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

shaded=$(ls spark/target/wiseseg-spark-*-spark-submit.jar 2>/dev/null | head -n 1 || true)
if [ -z "$shaded" ] || [ ! -f spark/target/spark-classpath.txt ]; then
  echo "== building spark/ (./mvnw install at the root, then the shaded jar)" >&2
  ./mvnw -B -q -DskipTests install
  ./mvnw -B -q -f spark/pom.xml -DskipTests package
  ./mvnw -B -q -f spark/pom.xml dependency:build-classpath -Dmdep.includeScope=provided \
    -Dmdep.outputFile=target/spark-classpath.txt
  shaded=$(ls spark/target/wiseseg-spark-*-spark-submit.jar | head -n 1)
fi
sparkcp=$(cat spark/target/spark-classpath.txt)

./wiseseg dataset synth --out "$work/data" --images $((images + 4)) --size "$size" --max-instances 3 \
  --classes disc,square --noise 0.02 --val-fraction "$(awk -v n=$images -v m=$((images + 4)) 'BEGIN{printf "%.6f", n/m}')" \
  --jpeg >/dev/null
n=$(wc -l <"$work/data/ImageSets/Segmentation/val.txt")
if [ -z "$checkpoint" ]; then
  echo "== training a small Mask R-CNN on the 4 train images" >&2
  checkpoint="$work/mrcnn"
  ./wiseseg train-maskrcnn --dataset "$work/data" --out "$checkpoint" --model small --min-size "$size" \
    --max-size "$size" --epochs 10 --batch-size 2 --lr 0.01 --warmup 10 --threads 1 >"$work/train.log" 2>&1 \
    || { tail -20 "$work/train.log"; exit 1; }
fi
flags="--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow"

seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
echo "== wiseseg predict (one process, --threads 1)" >&2
t0=$(date +%s%N)
./wiseseg predict --checkpoint "$checkpoint" --dataset "$work/data" --split val --out "$work/single.json" \
  --threads 1 >/dev/null 2>&1
single=$(seconds "$t0" "$(date +%s%N)")

declare -A wall load
for m in 1 2; do
  echo "== spark-submit --master local[$m]" >&2
  t0=$(date +%s%N)
  "$JAVA_HOME/bin/java" $flags -Xmx3g -cp "$sparkcp" org.apache.spark.deploy.SparkSubmit --master "local[$m]" \
    --conf spark.ui.enabled=false --class io.wiseseg.spark.PredictJob "$shaded" --checkpoint "$checkpoint" \
    --dataset "$work/data" --split val --out "$work/local$m.json" >"$work/local$m.log" 2>&1 \
    || { tail -30 "$work/local$m.log"; exit 1; }
  wall[$m]=$(seconds "$t0" "$(date +%s%N)")
  load[$m]=$(sed -n 's/^model loads (LibTorch + weights, per executor JVM): \[\(.*\)\]/\1/p' "$work/local$m.log" \
    | awk -F', ' '{ for (i = 1; i <= NF; i++) printf "%s%.1f", (i > 1 ? ", " : ""), $i }')
  grep '^wrote' "$work/local$m.log" >&2
  cmp -s <(tr -d ' \n' <"$work/local$m.json") <(tr -d ' \n' <"$work/single.json") \
    && echo "   same bytes as wiseseg predict (whitespace aside)" >&2 || echo "   differs in bytes from wiseseg predict (see SparkJobsTest for the tolerance check)" >&2
done

rate() { awk -v n="$n" -v s="$1" 'BEGIN { printf "%.2f", n / s }'; }
cat <<TABLE
$(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores;
$n images of ${size}x${size}, Mask R-CNN \`--model small\`; wall time of one JVM from start to exit.

| run | wall (s) | images/s | model load per executor JVM (s) |
|---|---:|---:|---:|
| \`wiseseg predict --threads 1\` | $single | $(rate "$single") | (in the wall time) |
| spark-submit \`local[1]\` (1 task, 1 LibTorch thread) | ${wall[1]} | $(rate "${wall[1]}") | ${load[1]} |
| spark-submit \`local[2]\` (2 tasks, 1 LibTorch thread each) | ${wall[2]} | $(rate "${wall[2]}") | ${load[2]} |
TABLE

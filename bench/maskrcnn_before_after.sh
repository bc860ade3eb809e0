#!/bin/sh
# Our Mask R-CNN inference latency on the CPU, before and after: a base commit against the
# current tree (bench/java/.../MaskRcnnLatency.java compiled against each side's classes), one
# fresh JVM per side per round (model load and warm-up, then one timed inference), the side that
# goes first alternating; prints markdown tables of the medians, overall and per stage.
#
#   bench/maskrcnn_before_after.sh [runs] [base-commit] [model...]
#
# runs: rounds per model (default 5); base-commit: default the merge-base with main; models:
# r50 (torchvision's R50-FPN, 800-pixel short side; default) and/or small. The base is checked
# out as a temporary git worktree under /tmp, built (CMake kernels included) and removed at the
# end; BEFORE_TREE=<dir> uses an already built checkout instead (kept).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
. ./.mvn/find-jdk.sh
runs=${1:-5}
base=${2:-$(git merge-base HEAD main)}
[ $# -ge 2 ] && shift 2 || shift $#
models=${*:-r50}

work=$(mktemp -d /tmp/wiseseg-before-after.XXXXXX)
tree=${BEFORE_TREE:-$work/before}
cleanup() {
  if [ -z "${BEFORE_TREE:-}" ] && [ -d "$tree" ]; then
    git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

build() { # $1: checkout; writes $1/target/bench.classpath
  (cd "$1" && ./mvnw -B -q -o -DskipTests test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/bench.classpath >&2)
}
if [ -z "${BEFORE_TREE:-}" ]; then
  echo "before: $(git log -1 --format='%h %s' "$base")" >&2
  git worktree add --detach "$tree" "$base" >&2
fi
build "$tree"
build "$root"

harness() { # $1: checkout, $2: output folder → prints the run classpath
  cp="$1/target/test-classes:$1/target/classes:$(cat "$1/target/bench.classpath")"
  mkdir -p "$2"
  "$JAVA_HOME/bin/javac" -nowarn -d "$2" -cp "$cp" "$root/bench/java/io/wiseseg/bench/MaskRcnnLatency.java" >&2
  echo "$2:$cp"
}
before_cp=$(harness "$tree" "$work/harness-before")
after_cp=$(harness "$root" "$work/harness-after")

echo "before: $(git -C "$tree" log -1 --format='%h %s')"
echo "after:  $(git log -1 --format='%h %s')$(git diff --quiet HEAD -- src || echo ' + uncommitted changes')"
echo "machine: $(nproc) cores, $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -n 1)," \
  "$(grep -o -w -e avx512f -e avx2 /proc/cpuinfo | sort -u | tr '\n' ' ')"
# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" -cp "$root/target/test-classes" io.wiseseg.bench.BeforeAfter \
  "$JAVA_HOME/bin/java" "$before_cp" "$after_cp" "$runs" $models

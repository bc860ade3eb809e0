#!/usr/bin/env bash
# Issue #12's promise, checked as a user would meet it: `./mvnw install` gives a jar that another
# Maven project depends on with nothing else set up. This script
#   1. installs io.wiseseg:wiseseg into ~/.m2 (-DskipTests: .ci/run ran the tests just before);
#   2. trains a tiny run with the CLI (4 synthetic 64x64 images, about a minute on 2 cores);
#   3. builds tests/consumer (its own pom, one dependency on the installed version) offline;
#   4. runs it from a folder outside the repository with an empty JavaCPP cache, and checks that
#      it segmented the image, that wiseseg's classes came from the installed jar, that the
#      kernel library was extracted from that jar (not target/), and that no test-scoped
#      dependency of wiseseg reached the consumer's class path.
# Everything it makes goes to a temp folder, removed at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
. .mvn/find-jdk.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "tests/consumer/run.sh: FAILED: $*" >&2; exit 1; }
start=$SECONDS

echo "== install io.wiseseg:wiseseg"
./mvnw -B -q -DskipTests install
version=$(sed -n 's/^version=//p' target/maven-archiver/pom.properties)
[ -n "$version" ] || fail "target/maven-archiver/pom.properties names no version"

echo "== a tiny trained run (wiseseg dataset synth + train-maskrcnn)"
./wiseseg dataset synth --out "$work/synth" --images 4 --size 64 --max-instances 2 --classes disc,square \
  --noise 0.02 --val-fraction 0 --jpeg >/dev/null 2>&1 || fail "dataset synth"
./wiseseg train-maskrcnn --dataset "$work/synth" --out "$work/run" --model small --min-size 64 --max-size 64 \
  --epochs 30 --batch-size 2 --lr 0.01 --warmup 10 --threads 1 >"$work/train.log" 2>&1 \
  || { tail -20 "$work/train.log"; fail "train-maskrcnn"; }
image=$(ls "$work/synth/JPEGImages/"*.jpg | head -n 1)

echo "== build tests/consumer against wiseseg $version (offline)"
./mvnw -B -q -o -f tests/consumer/pom.xml -Dwiseseg.version="$version" -Dconsumer.build.dir="$work/consumer" package
classpath=$(cat "$work/consumer/classpath.txt")
case ":$classpath:" in
  *junit*|*archunit*) fail "a test-scoped dependency reached the consumer's class path: $classpath" ;;
esac
case ":$classpath:" in
  *"/io/wiseseg/wiseseg/$version/wiseseg-$version.jar:"*) ;;
  *) fail "the consumer's class path lacks the installed wiseseg-$version.jar: $classpath" ;;
esac

echo "== run it outside the repository, on an empty JavaCPP cache"
cache="$work/javacpp-cache"
mkdir -p "$cache" "$work/cwd"
# JAVA_TOOL_OPTIONS (set by .ci/run) would name another cache: this run's flags are its own
(cd "$work/cwd" && env -u JAVA_TOOL_OPTIONS "$JAVA_HOME/bin/java" \
  --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Dorg.bytedeco.javacpp.cachedir="$cache" \
  -cp "$work/consumer/wiseseg-consumer-1.jar:$classpath" io.wiseseg.consumer.SegmentOne "$work/run" "$image") \
  >"$work/out.txt" 2>"$work/err.txt" || { cat "$work/out.txt" "$work/err.txt"; fail "the consumer exited with an error"; }
cat "$work/out.txt"

field() { sed -n "s/^$1: //p" "$work/out.txt"; }
classes=$(field "wiseseg classes")
case "$classes" in
  "$root"/*) fail "wiseseg's classes came from the build tree ($classes), not the installed jar" ;;
  */io/wiseseg/wiseseg/"$version"/wiseseg-"$version".jar) ;;
  *) fail "wiseseg's classes came from $classes, not the installed wiseseg-$version.jar" ;;
esac
lib=$(field "kernel library")
mapped=$(field "mapped kernel library")
[ "$lib" = "$mapped" ] || fail "wiseseg says it loaded $lib but the process mapped $mapped"
case "$mapped" in
  "$cache"/wiseseg/linux-x86_64-*/libwiseseg_cpu.so) ;;
  *) fail "the kernel library was loaded from $mapped, not extracted from the jar into $cache/wiseseg/" ;;
esac
mkdir "$work/unpacked"
(cd "$work/unpacked" && "$JAVA_HOME/bin/jar" xf "$classes" io/wiseseg/kernels/native/linux-x86_64/libwiseseg_cpu.so)
cmp -s "$work/unpacked/io/wiseseg/kernels/native/linux-x86_64/libwiseseg_cpu.so" "$mapped" \
  || fail "$mapped differs from the libwiseseg_cpu.so inside $classes"
count=$(field "instances")
[ -n "$count" ] && [ "$count" -ge 1 ] || fail "no instance found in $image (instances: '$count')"
known="|$(tr '\n' '|' <"$work/synth/classes.txt")|"
tail -n "$count" "$work/out.txt" | while read -r label score _; do
  case "$known" in *"|$label|"*) ;; *) fail "instance label '$label' is not a class of the run ($known)" ;; esac
  awk -v s="$score" 'BEGIN { exit !(s > 0 && s <= 1) }' || fail "instance score '$score' is not in (0, 1]"
done
echo "tests/consumer/run.sh: ok: the installed wiseseg $version segmented $(basename "$image") ($count instances) in a separate Maven project ($((SECONDS - start)) s)"

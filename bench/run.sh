#!/bin/sh
# Runs a benchmark harness from bench/java: bench/run.sh KernelBench [args...]
# Builds the test classpath (kernels included) first; prints a markdown table.
set -eu
cd "$(dirname "$0")/.."
. ./.mvn/find-jdk.sh
./mvnw -B -q -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath >&2
cp="target/test-classes:target/classes:$(cat target/bench.classpath)"
main=$1; shift
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Xmx8g -cp "$cp" "io.wiseseg.bench.$main" "$@"

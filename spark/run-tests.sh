#!/usr/bin/env bash
# The Spark jobs' tests (issue #15), outside the main build: installs io.wiseseg:wiseseg into ~/.m2
# when the installed jar is older than the sources (./mvnw install -DskipTests at the root), then
# runs spark/'s JUnit tests with local[2]. Spark 4.2 comes from Maven Central on first use.
#   spark/run-tests.sh            install if needed, then the tests
#   spark/run-tests.sh --install  always install first
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. .mvn/find-jdk.sh
start=$SECONDS
jar="$HOME/.m2/repository/io/wiseseg/wiseseg/0.1.0-SNAPSHOT/wiseseg-0.1.0-SNAPSHOT.jar"
stale=$( [ "${1-}" = "--install" ] || [ ! -f "$jar" ] && echo yes || true)
if [ -z "$stale" ] && [ -n "$(find src/main pom.xml CMakeLists.txt cmake cuda -newer "$jar" -type f -print -quit 2>/dev/null)" ]; then
  stale=yes
fi
if [ -n "$stale" ]; then
  echo "== ./mvnw install -DskipTests (io.wiseseg:wiseseg into ~/.m2)"
  ./mvnw -B -q -DskipTests install
fi
echo "== spark/: mvn test (local[2])"
./mvnw -B -q -f spark/pom.xml test
echo "spark/run-tests.sh: ok ($((SECONDS - start)) s)"

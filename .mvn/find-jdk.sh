# Sourced by ./mvnw and ./wiseseg: point JAVA_HOME at a JDK >= 22.
# Order: $JAVA_HOME if new enough, then `java` on PATH, then the newest under /usr/lib/jvm.
wiseseg_jdk_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
wiseseg_find_jdk() {
  if [ -n "${JAVA_HOME-}" ] && [ -x "$JAVA_HOME/bin/javac" ] && [ "$(wiseseg_jdk_major "$JAVA_HOME")" -ge 22 ] 2>/dev/null; then
    return 0
  fi
  if command -v javac >/dev/null 2>&1; then
    wiseseg_cand=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    if [ "$(wiseseg_jdk_major "$wiseseg_cand")" -ge 22 ] 2>/dev/null; then JAVA_HOME=$wiseseg_cand; export JAVA_HOME; return 0; fi
  fi
  wiseseg_best=; wiseseg_best_v=0
  set +f
  for wiseseg_cand in /usr/lib/jvm/* /opt/java/* /opt/jdk*; do
    [ -x "$wiseseg_cand/bin/javac" ] || continue
    wiseseg_v=$(wiseseg_jdk_major "$wiseseg_cand")
    if [ "${wiseseg_v:-0}" -ge 22 ] 2>/dev/null && [ "$wiseseg_v" -gt "$wiseseg_best_v" ]; then
      wiseseg_best=$wiseseg_cand; wiseseg_best_v=$wiseseg_v
    fi
  done
  if [ -n "$wiseseg_best" ]; then JAVA_HOME=$wiseseg_best; export JAVA_HOME; return 0; fi
  echo "wiseseg: no JDK 22 or newer found (looked at \$JAVA_HOME, javac on PATH, /usr/lib/jvm)." >&2
  echo "wiseseg: install one (e.g. Temurin 25) or set JAVA_HOME to it." >&2
  return 1
}
wiseseg_find_jdk || exit 1

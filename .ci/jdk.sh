# Sourced by ./segloss, bench/run, bench/edt-vs-scipy and .ci/run: the one rule for finding the JDK.
# segloss_jdk prints the home of a JDK >= 25 (JAVA_HOME when it qualifies, else the newest under
# /usr/lib/jvm; a JDK has both java and javac), or returns 1.

segloss_java_major() {   # the major version of $1/bin/java, or 0
  local v
  v=$("$1/bin/java" -version 2>&1 | sed -nE '1s/.*version "([0-9]+).*/\1/p') || true
  echo "${v:-0}"
}

segloss_jdk() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" && -x "$JAVA_HOME/bin/javac" \
        && $(segloss_java_major "$JAVA_HOME") -ge 25 ]]; then
    echo "$JAVA_HOME"
    return 0
  fi
  local best="" best_v=0 d v
  for d in /usr/lib/jvm/*; do
    [[ -x "$d/bin/java" && -x "$d/bin/javac" ]] || continue
    v=$(segloss_java_major "$d")
    if (( v >= 25 && v > best_v )); then best=$d; best_v=$v; fi
  done
  [[ -n "$best" ]] || return 1
  echo "$best"
}

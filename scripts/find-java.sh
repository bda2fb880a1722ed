#!/usr/bin/env bash
# Prints the home of a JDK >= 21 (JAVA_HOME first, then the usual install folders), or fails with how to fix it.
# Reads each JDK's `release` file rather than starting a JVM, so it costs a few milliseconds.
set -u
major_of() {
  local home="$1" v=""
  if [ -f "$home/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release" | head -1)
  fi
  if [ -z "$v" ] && [ -x "$home/bin/java" ]; then
    v=$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
  fi
  echo "$v"
}
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  v=$(major_of "$JAVA_HOME")
  if [ -n "$v" ] && [ "$v" -ge 21 ]; then echo "$JAVA_HOME"; exit 0; fi
fi
candidates=()
for dir in /usr/lib/jvm/* /opt/java/* /opt/*jdk* /usr/local/*jdk* "$HOME"/.sdkman/candidates/java/*; do
  [ -x "$dir/bin/java" ] && candidates+=("$dir")
done
if command -v java >/dev/null 2>&1; then
  candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
fi
best=""; best_version=0
for home in "${candidates[@]}"; do
  v=$(major_of "$home"); [ -n "$v" ] || continue
  if [ "$v" -ge 21 ] && [ "$v" -gt "$best_version" ]; then best="$home"; best_version=$v; fi
done
if [ -z "$best" ]; then
  echo "pilotfish: no JDK 21 or newer found (looked at JAVA_HOME and /usr/lib/jvm). Install one, e.g. Temurin 21, and set JAVA_HOME." >&2
  exit 1
fi
echo "$best"

#!/usr/bin/env bash
# Prints the home of a JDK >= 21 (JAVA_HOME first, then the usual install folders), or fails with how to fix it.
set -u
version_of() { "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
candidates=()
[ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
for dir in /usr/lib/jvm/* /opt/java/* /opt/*jdk* /usr/local/*jdk* "$HOME"/.sdkman/candidates/java/*; do
  [ -x "$dir/bin/java" ] && candidates+=("$dir")
done
if command -v java >/dev/null 2>&1; then
  candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
fi
best=""; best_version=0
for home in "${candidates[@]}"; do
  [ -x "$home/bin/javac" ] || [ -x "$home/bin/java" ] || continue
  v=$(version_of "$home"); [ -n "$v" ] || continue
  if [ "$v" -ge 21 ] && [ "$v" -gt "$best_version" ]; then best="$home"; best_version=$v; fi
done
if [ -z "$best" ]; then
  echo "pilotfish: no JDK 21 or newer found (looked at JAVA_HOME and /usr/lib/jvm). Install one, e.g. Temurin 21, and set JAVA_HOME." >&2
  exit 1
fi
echo "$best"

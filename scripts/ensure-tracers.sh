#!/usr/bin/env bash
# Makes sure the real Datadog tracers the APM integration tests drive are installed, at their pinned versions, with
# the tracer apps (integration-tests/src/test/tracer-apps/) built against them:
#   dd-java-agent (Maven Central) into <dir>/java: dd-java-agent.jar, lib/ (dd-trace-api and OpenTracing, which the
#                                  app's spans go through) and classes/ (TracerApp, compiled for release 21)
#   dd-trace      (npm)           into <dir>/node: node_modules (npm install --prefix) and app.js
#   ddtrace       (PyPI)          into <dir>/python: a venv, and app.py
#   dd-trace-go   (Go modules)    into <dir>/go: tracer-app, the app built with that version (the module and build
#                                  caches are Go's own: go env GOMODCACHE, GOCACHE)
# Usage: ensure-tracers.sh [<dir> [<dd-java-agent> [<dd-trace-js> [<ddtrace-py> [<dd-trace-go>]]]]]
# The defaults are the pins of the root pom.xml (dd-java-agent.version, dd-trace-js.version, ddtrace-py.version,
# dd-trace-go.version): change both together. The Go app's go.mod/go.sum pin dd-trace-go too.
# Reuses what is there when it is already the pinned version, loads, and was built from the current app sources;
# otherwise (re)installs or rebuilds it. Fails loudly (non-zero exit, a message that says what to fix) when an install
# or a build does not work: the tests never skip a tracer.
set -euo pipefail
java_agent_version="${2:-1.40.0}"
js_version="${3:-6.21.0}"
py_version="${4:-4.16.0}"
go_version="${5:-2.12.0}"
go_version="${go_version#v}"
dir="${1:-$HOME/.cache/pilotfish/tracers-java-$java_agent_version-js-$js_version-py-$py_version-go-$go_version}"
# The OpenTracing API the Java app makes its spans with; dd-java-agent registers its tracer as its GlobalTracer.
opentracing_version=0.33.0

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
apps="$repo/integration-tests/src/test/tracer-apps"
java_dir="$dir/java"
node_dir="$dir/node"
venv="$dir/python"
go_dir="$dir/go"

fail() {
  echo "ensure-tracers: FAILED - $*" >&2
  exit 1
}

[ -d "$apps" ] || fail "the tracer app sources are not in $apps"
mkdir -p "$dir" || fail "cannot create $dir"

# The sha256 of the given files and strings: what a build was made from.
stamp_of() {
  {
    for item in "$@"; do
      if [ -f "$item" ]; then sha256sum "$item" | cut -d' ' -f1; else echo "$item"; fi
    done
  } | sha256sum | cut -d' ' -f1
}

# ------------------------------------------------------------------ dd-java-agent (Maven Central)

java_home="$("$repo/scripts/find-java.sh")" || fail "no JDK 21+ found; the Java tracer app needs one (javac, java)"
java_libs=(dd-trace-api opentracing-api opentracing-util opentracing-noop)
java_stamp="$(stamp_of "$apps/java/TracerApp.java" "$java_agent_version" "$opentracing_version")"

java_agent_works() {
  [ -f "$java_dir/dd-java-agent.jar" ] &&
    [ "$("$java_home/bin/java" -jar "$java_dir/dd-java-agent.jar" 2>/dev/null | head -1 | cut -d'~' -f1)" = "$java_agent_version" ]
}

java_app_built() {
  local lib
  for lib in "${java_libs[@]}"; do [ -f "$java_dir/lib/$lib.jar" ] || return 1; done
  [ -f "$java_dir/classes/TracerApp.class" ] && [ "$(cat "$java_dir/classes/.stamp" 2>/dev/null)" = "$java_stamp" ]
}

# Copies one artifact from Maven Central (through the local repository) to <dir>/java/<where>/<artifactId>.jar.
maven_copy() {
  local coordinates="$1" where="$2"
  (cd "$repo" && JAVA_HOME="$java_home" ./mvnw -B -ntp -q -N dependency:copy -Dartifact="$coordinates" \
      -DoutputDirectory="$where" -Dmdep.stripVersion=true -Dmdep.overWriteReleases=true) >&2
}

if ! java_agent_works; then
  echo "ensure-tracers: fetching dd-java-agent $java_agent_version into $java_dir" >&2
  if ! rm -f "$java_dir/dd-java-agent.jar" || ! mkdir -p "$java_dir" ||
     ! maven_copy "com.datadoghq:dd-java-agent:$java_agent_version" "$java_dir"; then
    fail "Maven could not fetch com.datadoghq:dd-java-agent:$java_agent_version into $java_dir; check its access to Maven Central (./mvnw dependency:copy)"
  fi
  java_agent_works || fail "dd-java-agent $java_agent_version fetched into $java_dir but 'java -jar dd-java-agent.jar' does not print that version"
  echo "ensure-tracers: dd-java-agent $java_agent_version ready in $java_dir" >&2
fi

if ! java_app_built; then
  echo "ensure-tracers: building the Java tracer app in $java_dir" >&2
  rm -rf "${java_dir:?}/lib" "${java_dir:?}/classes"
  mkdir -p "$java_dir/lib" "$java_dir/classes"
  maven_copy "com.datadoghq:dd-trace-api:$java_agent_version" "$java_dir/lib" ||
    fail "Maven could not fetch com.datadoghq:dd-trace-api:$java_agent_version; check its access to Maven Central"
  for lib in opentracing-api opentracing-util opentracing-noop; do
    maven_copy "io.opentracing:$lib:$opentracing_version" "$java_dir/lib" ||
      fail "Maven could not fetch io.opentracing:$lib:$opentracing_version; check its access to Maven Central"
  done
  classpath="$(printf "$java_dir/lib/%s.jar:" "${java_libs[@]}")"
  "$java_home/bin/javac" --release 21 -cp "${classpath%:}" -d "$java_dir/classes" \
      "$apps/java/TracerApp.java" >&2 ||
    fail "javac ($java_home) could not compile $apps/java/TracerApp.java against dd-trace-api $java_agent_version"
  echo "$java_stamp" > "$java_dir/classes/.stamp"
  echo "ensure-tracers: Java tracer app ready in $java_dir/classes" >&2
fi

# ------------------------------------------------------------------ dd-trace (npm)

node_works() {
  [ -f "$node_dir/node_modules/dd-trace/package.json" ] &&
    [ "$(cd "$node_dir" && node -p 'require("dd-trace/package.json").version' 2>/dev/null)" = "$js_version" ] &&
    (cd "$node_dir" && node -e 'if (typeof require("dd-trace").init !== "function") process.exit(1)') >/dev/null 2>&1
}

# dd-trace 6 declares "engines": node >=22 and 6.21.0 runs on Node 20 too (its version guard is only in
# dd-trace/init, the -r preload; the app requires dd-trace and calls init()).
if ! node_works; then
  command -v node >/dev/null 2>&1 || fail "no node on PATH; the tracer tests need Node.js for dd-trace $js_version"
  command -v npm >/dev/null 2>&1 || fail "no npm on PATH; the tracer tests install dd-trace $js_version with it"
  echo "ensure-tracers: installing dd-trace@$js_version into $node_dir" >&2
  if ! rm -rf "$node_dir" || ! mkdir -p "$node_dir" ||
     ! npm install --prefix "$node_dir" --save-exact --no-audit --no-fund --loglevel=error "dd-trace@$js_version" >&2; then
    fail "npm could not install dd-trace@$js_version into $node_dir; check npm's access to the npm registry"
  fi
  node_works || fail "dd-trace@$js_version installed into $node_dir but require('dd-trace') does not load it"
  echo "ensure-tracers: dd-trace $js_version ready in $node_dir" >&2
fi
cp "$apps/node/app.js" "$node_dir/app.js" || fail "cannot copy the Node tracer app into $node_dir"

# ------------------------------------------------------------------ ddtrace (PyPI)

python_works() {
  [ -x "$venv/bin/python" ] &&
    [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("ddtrace"))' 2>/dev/null)" = "$py_version" ] &&
    "$venv/bin/python" -c 'from ddtrace.trace import tracer' >/dev/null 2>&1
}

if ! python_works; then
  python=""
  for candidate in python3 python; do
    if command -v "$candidate" >/dev/null 2>&1; then python="$candidate"; break; fi
  done
  [ -n "$python" ] || fail "no python3 on PATH; the tracer tests need it for ddtrace==$py_version"
  echo "ensure-tracers: installing ddtrace==$py_version into $venv" >&2
  if ! rm -rf "$venv" || ! "$python" -m venv "$venv" ||
     ! "$venv/bin/pip" install --quiet --disable-pip-version-check "ddtrace==$py_version" >&2; then
    fail "pip could not install ddtrace==$py_version into $venv; check pip's access to PyPI (ddtrace ships wheels: no compiler needed on Linux x86_64/arm64)"
  fi
  python_works || fail "ddtrace==$py_version installed into $venv but 'from ddtrace.trace import tracer' fails"
  echo "ensure-tracers: ddtrace $py_version ready in $venv" >&2
fi
cp "$apps/python/app.py" "$venv/app.py" || fail "cannot copy the Python tracer app into $venv"

# ------------------------------------------------------------------ dd-trace-go (Go module proxy)

go=""
if command -v go >/dev/null 2>&1; then go="$(command -v go)"; elif [ -x /usr/local/go/bin/go ]; then go=/usr/local/go/bin/go; fi
go_stamp="$(stamp_of "$apps/go/main.go" "$apps/go/go.mod" "$apps/go/go.sum" "$go_version")"

go_built() {
  [ -x "$go_dir/tracer-app" ] && [ "$(cat "$go_dir/.stamp" 2>/dev/null)" = "$go_stamp" ] &&
    { [ -z "$go" ] || "$go" version -m "$go_dir/tracer-app" 2>/dev/null |
        grep -qE "^[[:space:]]+dep[[:space:]]+github.com/DataDog/dd-trace-go/v2[[:space:]]+v${go_version}[[:space:]]"; }
}

if ! go_built; then
  [ -n "$go" ] || fail "no go on PATH (nor /usr/local/go/bin/go); the tracer tests build their Go app with dd-trace-go v$go_version, which needs Go 1.26+"
  echo "ensure-tracers: building the Go tracer app with dd-trace-go v$go_version into $go_dir" >&2
  rm -rf "$go_dir"
  mkdir -p "$go_dir/src"
  cp "$apps/go/main.go" "$apps/go/go.mod" "$apps/go/go.sum" "$go_dir/src/"
  # GOFLAGS=-mod=mod lets go add what a version other than go.mod's needs to the copy's go.mod and go.sum (checked
  # against sum.golang.org); GOTOOLCHAIN=local: no toolchain download, the Go on this machine builds it.
  if ! (cd "$go_dir/src" &&
        export GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local &&
        "$go" mod edit -require="github.com/DataDog/dd-trace-go/v2@v$go_version" &&
        "$go" build -trimpath -o "$go_dir/tracer-app" .) >&2; then
    rm -f "$go_dir/tracer-app"
    fail "go ($("$go" version 2>/dev/null || echo "$go")) could not build $apps/go with dd-trace-go v$go_version; check its access to the Go module proxy ($("$go" env GOPROXY 2>/dev/null)) and that it is Go 1.26+"
  fi
  echo "$go_stamp" > "$go_dir/.stamp"
  go_built || fail "the Go tracer app built into $go_dir/tracer-app but does not link dd-trace-go v$go_version"
  echo "ensure-tracers: Go tracer app (dd-trace-go v$go_version) ready in $go_dir" >&2
fi

#!/usr/bin/env bash
# Makes sure the real Fluentd forward clients the logs integration tests drive are installed, at their pinned
# versions, with the fluent apps (integration-tests/src/test/fluent-apps/) built against them:
#   fluent-logger-golang (Go modules)   into <dir>/go: fluent-app, the app built with that version (the module and
#                                        build caches are Go's own: go env GOMODCACHE, GOCACHE)
#   fluency-fluentd      (Maven Central) into <dir>/java: lib/ (fluency-fluentd, fluency-core and their runtime
#                                        dependencies, versions in the file names) and classes/ (FluentApp, compiled
#                                        for release 21)
#   @fluent-org/logger   (npm)           into <dir>/node: node_modules (npm install --prefix) and app.js
#   fluent-logger        (PyPI)          into <dir>/python: a venv, and app.py
# Usage: ensure-fluent-clients.sh [<dir> [<fluent-logger-golang> [<fluency> [<@fluent-org/logger> [<fluent-logger>]]]]]
# The defaults are the pins of the root pom.xml (fluent-logger-golang.version, fluency.version,
# fluent-org-logger.version, fluent-logger-py.version): change both together. The Go app's go.mod/go.sum pin
# fluent-logger-golang too.
# Reuses what is there when it is already the pinned version, loads, and was built from the current app sources;
# otherwise (re)installs or rebuilds it. Fails loudly (non-zero exit, a message that says what to fix) when an install
# or a build does not work: the tests never skip a client.
set -euo pipefail
go_version="${2:-1.10.2}"
go_version="${go_version#v}"
fluency_version="${3:-2.7.0}"
js_version="${4:-1.0.10}"
py_version="${5:-0.11.1}"
dir="${1:-$HOME/.cache/pilotfish/fluent-clients-go-$go_version-fluency-$fluency_version-js-$js_version-py-$py_version}"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
apps="$repo/integration-tests/src/test/fluent-apps"
go_dir="$dir/go"
java_dir="$dir/java"
node_dir="$dir/node"
venv="$dir/python"

fail() {
  echo "ensure-fluent-clients: FAILED - $*" >&2
  exit 1
}

[ -d "$apps" ] || fail "the fluent app sources are not in $apps"
mkdir -p "$dir" || fail "cannot create $dir"

# The sha256 of the given files and strings: what a build was made from.
stamp_of() {
  {
    for item in "$@"; do
      if [ -f "$item" ]; then sha256sum "$item" | cut -d' ' -f1; else echo "$item"; fi
    done
  } | sha256sum | cut -d' ' -f1
}

# ------------------------------------------------------------------ fluent-logger-golang (Go module proxy)

go=""
if command -v go >/dev/null 2>&1; then go="$(command -v go)"; elif [ -x /usr/local/go/bin/go ]; then go=/usr/local/go/bin/go; fi
go_stamp="$(stamp_of "$apps/go/main.go" "$apps/go/go.mod" "$apps/go/go.sum" "$go_version")"

go_built() {
  [ -x "$go_dir/fluent-app" ] && [ "$(cat "$go_dir/.stamp" 2>/dev/null)" = "$go_stamp" ] &&
    { [ -z "$go" ] || "$go" version -m "$go_dir/fluent-app" 2>/dev/null |
        grep -qE "^[[:space:]]+dep[[:space:]]+github.com/fluent/fluent-logger-golang[[:space:]]+v${go_version}[[:space:]]"; }
}

if ! go_built; then
  [ -n "$go" ] || fail "no go on PATH (nor /usr/local/go/bin/go); the logs tests build their Go app with fluent-logger-golang v$go_version"
  echo "ensure-fluent-clients: building the Go fluent app with fluent-logger-golang v$go_version into $go_dir" >&2
  rm -rf "$go_dir"
  mkdir -p "$go_dir/src"
  cp "$apps/go/main.go" "$apps/go/go.mod" "$apps/go/go.sum" "$go_dir/src/"
  # GOFLAGS=-mod=mod lets go add what a version other than go.mod's needs to the copy's go.mod and go.sum (checked
  # against sum.golang.org); GOTOOLCHAIN=local: no toolchain download, the Go on this machine builds it.
  if ! (cd "$go_dir/src" &&
        export GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local &&
        "$go" mod edit -require="github.com/fluent/fluent-logger-golang@v$go_version" &&
        "$go" build -trimpath -o "$go_dir/fluent-app" .) >&2; then
    rm -f "$go_dir/fluent-app"
    fail "go ($("$go" version 2>/dev/null || echo "$go")) could not build $apps/go with fluent-logger-golang v$go_version; check its access to the Go module proxy ($("$go" env GOPROXY 2>/dev/null)) and that it is at least the go.mod's Go version"
  fi
  echo "$go_stamp" > "$go_dir/.stamp"
  go_built || fail "the Go fluent app built into $go_dir/fluent-app but does not link fluent-logger-golang v$go_version"
  echo "ensure-fluent-clients: Go fluent app (fluent-logger-golang v$go_version) ready in $go_dir" >&2
fi

# ------------------------------------------------------------------ fluency (Maven Central)

java_home="$("$repo/scripts/find-java.sh")" || fail "no JDK 21+ found; the Java fluent app needs one (javac, java)"
java_stamp="$(stamp_of "$apps/java/FluentApp.java" "$fluency_version")"

java_app_built() {
  [ -f "$java_dir/lib/fluency-fluentd-$fluency_version.jar" ] && [ -f "$java_dir/lib/fluency-core-$fluency_version.jar" ] &&
    [ -f "$java_dir/classes/FluentApp.class" ] && [ "$(cat "$java_dir/classes/.stamp" 2>/dev/null)" = "$java_stamp" ]
}

if ! java_app_built; then
  echo "ensure-fluent-clients: fetching fluency-fluentd $fluency_version and its runtime dependencies into $java_dir/lib" >&2
  rm -rf "${java_dir:?}"
  mkdir -p "$java_dir/lib" "$java_dir/classes"
  # A pom of one dependency: Maven resolves fluency's runtime dependencies (msgpack, jackson, slf4j-api...) as a
  # user's build would, and copies them with their versions in the file names.
  cat > "$java_dir/deps-pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.pilotfish.it</groupId>
  <artifactId>fluent-app-java-deps</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.komamitsu</groupId>
      <artifactId>fluency-fluentd</artifactId>
      <version>$fluency_version</version>
    </dependency>
  </dependencies>
</project>
EOF
  if ! (cd "$repo" && JAVA_HOME="$java_home" ./mvnw -B -ntp -q -f "$java_dir/deps-pom.xml" \
          dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$java_dir/lib") >&2; then
    fail "Maven could not fetch org.komamitsu:fluency-fluentd:$fluency_version and its dependencies into $java_dir/lib; check its access to Maven Central (./mvnw dependency:copy-dependencies)"
  fi
  [ -f "$java_dir/lib/fluency-fluentd-$fluency_version.jar" ] ||
    fail "Maven ran but $java_dir/lib holds no fluency-fluentd-$fluency_version.jar: $(find "$java_dir/lib" -maxdepth 1 -type f -printf '%f ')"
  "$java_home/bin/javac" --release 21 -cp "$java_dir/lib/*" -d "$java_dir/classes" "$apps/java/FluentApp.java" >&2 ||
    fail "javac ($java_home) could not compile $apps/java/FluentApp.java against fluency $fluency_version"
  echo "$java_stamp" > "$java_dir/classes/.stamp"
  java_app_built || fail "the Java fluent app built into $java_dir but its files are not all there"
  echo "ensure-fluent-clients: Java fluent app (fluency $fluency_version) ready in $java_dir" >&2
fi

# ------------------------------------------------------------------ @fluent-org/logger (npm)

node_works() {
  [ -f "$node_dir/node_modules/@fluent-org/logger/package.json" ] &&
    [ "$(cd "$node_dir" && node -p 'require("@fluent-org/logger/package.json").version' 2>/dev/null)" = "$js_version" ] &&
    (cd "$node_dir" && node -e 'if (typeof require("@fluent-org/logger").FluentClient !== "function") process.exit(1)') \
      >/dev/null 2>&1
}

if ! node_works; then
  command -v node >/dev/null 2>&1 || fail "no node on PATH; the logs tests need Node.js for @fluent-org/logger $js_version"
  command -v npm >/dev/null 2>&1 || fail "no npm on PATH; the logs tests install @fluent-org/logger $js_version with it"
  echo "ensure-fluent-clients: installing @fluent-org/logger@$js_version into $node_dir" >&2
  if ! rm -rf "$node_dir" || ! mkdir -p "$node_dir" ||
     ! npm install --prefix "$node_dir" --save-exact --no-audit --no-fund --loglevel=error \
         "@fluent-org/logger@$js_version" >&2; then
    fail "npm could not install @fluent-org/logger@$js_version into $node_dir; check npm's access to the npm registry"
  fi
  node_works || fail "@fluent-org/logger@$js_version installed into $node_dir but require('@fluent-org/logger') does not give its FluentClient"
  echo "ensure-fluent-clients: @fluent-org/logger $js_version ready in $node_dir" >&2
fi
cp "$apps/node/app.js" "$node_dir/app.js" || fail "cannot copy the Node fluent app into $node_dir"

# ------------------------------------------------------------------ fluent-logger (PyPI)

python_works() {
  [ -x "$venv/bin/python" ] &&
    [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("fluent-logger"))' 2>/dev/null)" = "$py_version" ] &&
    "$venv/bin/python" -c 'from fluent.sender import FluentSender' >/dev/null 2>&1
}

if ! python_works; then
  python=""
  for candidate in python3 python; do
    if command -v "$candidate" >/dev/null 2>&1; then python="$candidate"; break; fi
  done
  [ -n "$python" ] || fail "no python3 on PATH; the logs tests need it for fluent-logger==$py_version"
  echo "ensure-fluent-clients: installing fluent-logger==$py_version into $venv" >&2
  if ! rm -rf "$venv" || ! "$python" -m venv "$venv" ||
     ! "$venv/bin/pip" install --quiet --disable-pip-version-check "fluent-logger==$py_version" >&2; then
    fail "pip could not install fluent-logger==$py_version into $venv; check pip's access to PyPI"
  fi
  python_works || fail "fluent-logger==$py_version installed into $venv but 'from fluent.sender import FluentSender' fails"
  echo "ensure-fluent-clients: fluent-logger $py_version ready in $venv" >&2
fi
cp "$apps/python/app.py" "$venv/app.py" || fail "cannot copy the Python fluent app into $venv"

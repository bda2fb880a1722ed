#!/usr/bin/env bash
# Makes sure the real DogStatsD clients the integration tests drive are installed, at their pinned versions:
#   hot-shots (npm)  into <dir>/node   (npm install --prefix)
#   datadog  (PyPI)  into <dir>/python (a venv; the tests use its datadog.dogstatsd module)
# Usage: ensure-statsd-clients.sh [<dir> [<hot-shots version> [<datadog version>]]]
# The defaults are the pins of the root pom.xml (hot-shots.version, datadog-py.version): change both together.
# Reuses what is there when it is already the pinned version and loads; otherwise (re)installs it. Fails loudly
# (non-zero exit, a message that says what to fix) when an install does not work: the tests never skip a client.
set -euo pipefail
hot_shots_version="${2:-17.1.1}"
datadog_version="${3:-0.56.0}"
dir="${1:-$HOME/.cache/pilotfish/statsd-clients-hot-shots-$hot_shots_version-datadog-$datadog_version}"
node_dir="$dir/node"
venv="$dir/python"

fail() {
  echo "ensure-statsd-clients: FAILED - $*" >&2
  exit 1
}

# ------------------------------------------------------------------ hot-shots (npm)

node_works() {
  [ -f "$node_dir/node_modules/hot-shots/package.json" ] &&
    [ "$(cd "$node_dir" && node -p 'require("hot-shots/package.json").version' 2>/dev/null)" = "$hot_shots_version" ] &&
    (cd "$node_dir" && node -e 'const { StatsD } = require("hot-shots"); if (typeof StatsD !== "function") process.exit(1)') \
      >/dev/null 2>&1
}

if ! node_works; then
  command -v node >/dev/null 2>&1 || fail "no node on PATH; the DogStatsD client tests need Node.js 18+ for hot-shots $hot_shots_version"
  command -v npm >/dev/null 2>&1 || fail "no npm on PATH; the DogStatsD client tests install hot-shots $hot_shots_version with it"
  echo "ensure-statsd-clients: installing hot-shots@$hot_shots_version into $node_dir" >&2
  # --omit=optional: hot-shots' only optional dependency, unix-dgram, is a native addon for its Unix-socket
  # transport; the tests use hot-shots over UDP, so no compiler is needed.
  if ! rm -rf "$node_dir" || ! mkdir -p "$node_dir" ||
     ! npm install --prefix "$node_dir" --save-exact --no-audit --no-fund --omit=optional --loglevel=error \
         "hot-shots@$hot_shots_version" >&2; then
    fail "npm could not install hot-shots@$hot_shots_version into $node_dir; check npm's access to the npm registry"
  fi
  node_works || fail "hot-shots@$hot_shots_version installed into $node_dir but require('hot-shots') does not load it"
  echo "ensure-statsd-clients: hot-shots $hot_shots_version ready in $node_dir" >&2
fi

# ------------------------------------------------------------------ datadog (PyPI)

python_works() {
  [ -x "$venv/bin/python" ] &&
    [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("datadog"))' 2>/dev/null)" = "$datadog_version" ] &&
    "$venv/bin/python" -c 'from datadog.dogstatsd import DogStatsd' >/dev/null 2>&1
}

if ! python_works; then
  python=""
  for candidate in python3 python; do
    if command -v "$candidate" >/dev/null 2>&1; then python="$candidate"; break; fi
  done
  [ -n "$python" ] || fail "no python3 on PATH; the DogStatsD client tests need it for datadog==$datadog_version"
  echo "ensure-statsd-clients: installing datadog==$datadog_version into $venv" >&2
  if ! rm -rf "$venv" || ! mkdir -p "$dir" || ! "$python" -m venv "$venv" ||
     ! "$venv/bin/pip" install --quiet "datadog==$datadog_version" >&2; then
    fail "pip could not install datadog==$datadog_version into $venv; check pip's access to PyPI"
  fi
  python_works || fail "datadog==$datadog_version installed into $venv but 'from datadog.dogstatsd import DogStatsd' fails"
  echo "ensure-statsd-clients: datadog $datadog_version ready in $venv" >&2
fi

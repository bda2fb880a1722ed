#!/usr/bin/env bash
# Makes sure a working moto server (a real SSM / Secrets Manager implementation) is installed for the tests.
# Usage: ensure-moto.sh [<venv dir> [<moto version>]] (defaults: ~/.cache/pilotfish/moto-5.2.5, 5.2.5). Shared by
# every module whose tests start moto (through io.pilotfish.testkit.MotoServer). Reuses the venv when it already
# works; fails loudly otherwise.
set -euo pipefail
version="${2:-5.2.5}"
venv="${1:-$HOME/.cache/pilotfish/moto-$version}"

works() {
  [ -x "$venv/bin/moto_server" ] &&
    [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null)" = "$version" ] &&
    "$venv/bin/python" -c 'import moto.server, flask' 2>/dev/null
}

if works; then
  exit 0
fi

echo "ensure-moto: installing moto[server]==$version into $venv" >&2
python=""
for candidate in python3 python; do
  if command -v "$candidate" >/dev/null 2>&1; then python="$candidate"; break; fi
done
if [ -z "$python" ]; then
  echo "ensure-moto: FAILED - no python3 on PATH; the SSM tests need moto (pip install 'moto[server]==$version')" >&2
  exit 1
fi
if ! rm -rf "$venv" || ! mkdir -p "$(dirname "$venv")" || ! "$python" -m venv "$venv" || ! "$venv/bin/pip" install --quiet "moto[server]==$version"; then
  echo "ensure-moto: FAILED to install moto[server]==$version into $venv; check pip's access to PyPI" >&2
  exit 1
fi
if ! works; then
  echo "ensure-moto: FAILED - moto installed but 'moto_server' does not start from $venv" >&2
  exit 1
fi
echo "ensure-moto: moto $version ready in $venv" >&2

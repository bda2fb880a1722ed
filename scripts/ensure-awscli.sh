#!/usr/bin/env bash
# Makes sure a working AWS CLI (v1, from PyPI) is installed for the tests that run deploy/ssm-setup.sh as a user
# does (integration-tests, SsmSetupScriptIT). Usage: ensure-awscli.sh [<venv dir> [<awscli version>]] (defaults:
# ~/.cache/pilotfish/awscli-1.46.2, 1.46.2). Reuses the venv when it already works; fails loudly otherwise.
set -euo pipefail
version="${2:-1.46.2}"
venv="${1:-$HOME/.cache/pilotfish/awscli-$version}"

works() {
  [ -x "$venv/bin/aws" ] && case "$("$venv/bin/aws" --version 2>&1)" in "aws-cli/$version "*) true ;; *) false ;; esac
}

if works; then
  exit 0
fi

echo "ensure-awscli: installing awscli==$version into $venv" >&2
python=""
for candidate in python3 python; do
  if command -v "$candidate" >/dev/null 2>&1; then python="$candidate"; break; fi
done
if [ -z "$python" ]; then
  echo "ensure-awscli: FAILED - no python3 on PATH; SsmSetupScriptIT needs the AWS CLI (pip install 'awscli==$version')" >&2
  exit 1
fi
if ! rm -rf "$venv" || ! mkdir -p "$(dirname "$venv")" || ! "$python" -m venv "$venv" || ! "$venv/bin/pip" install --quiet "awscli==$version"; then
  echo "ensure-awscli: FAILED to install awscli==$version into $venv; check pip's access to PyPI" >&2
  exit 1
fi
if ! works; then
  echo "ensure-awscli: FAILED - awscli installed but '$venv/bin/aws --version' does not report aws-cli/$version" >&2
  exit 1
fi
echo "ensure-awscli: AWS CLI $version ready in $venv" >&2

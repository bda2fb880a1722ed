#!/usr/bin/env bash
# Makes sure the task tests have what they run on: podman's Docker-compatible API service at <socket> and the image
# of this build, tagged <image>. Used by task-tests/pom.xml before the tests; fails loudly, never skips.
#
#   scripts/ensure-podman.sh [<socket>] [<image>]   defaults: /run/podman/podman.sock, localhost/pilotfish:0.1.0
#
# The service outlives the build (as Docker's daemon would); `podman system service` stops with its process.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
socket="${1:-/run/podman/podman.sock}"
image="${2:-localhost/pilotfish:0.1.0}"
export CONTAINERS_CONF="$root/deploy/image/containers.conf"
for tool in podman mmdebstrap strip; do
  if ! command -v "$tool" >/dev/null; then
    echo "ensure-podman: FAILED - $tool is not installed; the task tests build the image and run it on podman" \
      "(apt-get install podman buildah runc mmdebstrap binutils; .ci/run installs them)" >&2
    exit 1
  fi
done
answers() { podman --remote --url "unix://$socket" version >/dev/null 2>&1; }
if ! answers; then
  mkdir -p "$(dirname "$socket")"
  rm -f "$socket"
  log="${TMPDIR:-/tmp}/pilotfish-podman-service.log"
  echo "ensure-podman: starting podman system service at $socket (log: $log)" >&2
  # From /: the service outlives this checkout, and conmon fails every container start once the service's working
  # directory is deleted ("Failed to get working directory"). The redirections are the subshell's own, so that
  # nothing left running holds the caller's output open (Maven's exec waits for its end).
  (cd / && exec setsid nohup podman system service --time=0 "unix://$socket") >"$log" 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    answers && break
    sleep 0.5
  done
  if ! answers; then
    echo "ensure-podman: FAILED - podman system service does not answer at $socket; its log:" >&2
    tail -20 "$log" >&2 || true
    exit 1
  fi
fi
# Containers left by an interrupted run (Ryuk is off on podman): remove them by Testcontainers' label.
leftovers="$(podman ps -aq --filter label=org.testcontainers=true)"
if [ -n "$leftovers" ]; then
  echo "ensure-podman: removing $(echo "$leftovers" | wc -l) containers left by an earlier run" >&2
  # shellcheck disable=SC2086
  podman rm -f $leftovers >/dev/null
fi
# Always rebuilt, so the image holds the agent this build packaged.
"$root/scripts/build-image.sh" --tag "$image" >&2

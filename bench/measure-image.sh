#!/usr/bin/env bash
# The Pilotfish image as a container: its size, the time from `podman run` to a healthy /health, idle RSS of the
# agent and the container's memory by the cgroup's count, and the cost of one `pilotfish health` run inside it.
#
#   bench/measure-image.sh [--tag TAG] [--runs N] [--env VAR=VALUE]...   defaults: localhost/pilotfish:0.1.0, 5 runs
#     --env  passed to the agent's container, e.g. PILOTFISH_JAVA_OPTS=-XX:TieredStopAtLevel=4 to compare JVM flags
#
# Builds the image with scripts/build-image.sh when it is missing. Each run starts a container with the host's network
# namespace (loopback only; the intake URL points at a closed local port, so nothing leaves the machine), read-only
# root file system without podman's writable /tmp (as ECS's readonlyRootFilesystem) and a 256 MiB memory limit; waits
# for /health to answer 200 (polled every 10 ms from the host); after 30 s idle reads the agent's VmRSS and the
# container's memory cgroup (usage, and usage less inactive file pages: what `docker stats` and ECS show); times
# `podman exec <container> pilotfish health` (wall clock, podman's own exec overhead included: that is what a
# container health check costs). Prints a Markdown table.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
tag="localhost/pilotfish:0.1.0"
runs=5
env_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --env) env_args+=(-e "$2"); shift 2 ;;
    *) echo "measure-image: unknown option $1" >&2; exit 2 ;;
  esac
done
export CONTAINERS_CONF="$root/deploy/image/containers.conf"
podman image exists "$tag" || "$root/scripts/build-image.sh" --tag "$tag" >&2
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
statsd=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
name="pilotfish-measure-$$"
cleanup() { podman rm -f "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT
size=$(podman image inspect --format '{{.Size}}' "$tag")
ready_ms=(); rss_kib=(); probe_ms=(); cg_kib=(); cg_active_kib=()
# The container's memory cgroup, v1 (memory.usage_in_bytes) or v2 (memory.current); prints "usage active" in KiB.
cgroup_memory() {
  local pid="$1" dir usage inactive
  if dir=$(awk -F: '$2 == "memory" {print $3}' "/proc/$pid/cgroup") && [ -n "$dir" ] \
      && [ -f "/sys/fs/cgroup/memory$dir/memory.usage_in_bytes" ]; then
    usage=$(cat "/sys/fs/cgroup/memory$dir/memory.usage_in_bytes")
    inactive=$(awk '$1 == "total_inactive_file" {print $2}' "/sys/fs/cgroup/memory$dir/memory.stat")
  else
    dir=$(awk -F: '$1 == "0" {print $3}' "/proc/$pid/cgroup")
    usage=$(cat "/sys/fs/cgroup$dir/memory.current")
    inactive=$(awk '$1 == "inactive_file" {print $2}' "/sys/fs/cgroup$dir/memory.stat")
  fi
  echo "$(( usage / 1024 )) $(( (usage - inactive) / 1024 ))"
}
for _ in $(seq 1 "$runs"); do
  cleanup
  start=$(date +%s%N)
  podman run -d --name "$name" --network host --read-only --read-only-tmpfs=false --memory 256m \
    -e DD_API_KEY=fake-key-for-local-measurement -e DD_DD_URL=http://127.0.0.1:9 \
    -e DD_DOGSTATSD_PORT="$statsd" -e PILOTFISH_STATUS_PORT="$port" ${env_args[@]+"${env_args[@]}"} "$tag" >/dev/null
  deadline=$(( $(date +%s) + 60 ))
  until curl -fs -o /dev/null "http://127.0.0.1:$port/health"; do
    [ "$(date +%s)" -lt "$deadline" ] || { podman logs "$name" >&2; echo "measure-image: not healthy within 60 s" >&2; exit 1; }
    sleep 0.01
  done
  ready_ms+=( $(( ($(date +%s%N) - start) / 1000000 )) )
  sleep 30
  pid=$(podman inspect --format '{{.State.Pid}}' "$name")
  rss_kib+=( "$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")" )
  read -r cg cg_active <<<"$(cgroup_memory "$pid")"
  cg_kib+=( "$cg" ); cg_active_kib+=( "$cg_active" )
  pstart=$(date +%s%N)
  podman exec -e PILOTFISH_JAVA_OPTS="-Dpilotfish.status.port=$port" "$name" pilotfish health >/dev/null
  probe_ms+=( $(( ($(date +%s%N) - pstart) / 1000000 )) )
  cleanup # the figures are taken: no need to wait for the sinks to give up on the closed intake port
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
range() { printf '%s\n' "$@" | sort -n | awk 'NR==1 {lo=$1} {hi=$1} END {print lo "–" hi}'; }
echo "## The image $tag as a container ($runs runs, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo
echo "| figure | median | range |"
echo "|---|---|---|"
echo "| image size (uncompressed) | $(awk -v b="$size" 'BEGIN {printf "%.1f MB", b/1e6}') | |"
echo "| podman run to /health 200 (ms) | $(median "${ready_ms[@]}") | $(range "${ready_ms[@]}") |"
echo "| agent RSS after 30 s idle (MiB) | $(median "${rss_kib[@]}" | awk '{printf "%.1f", $1/1024}') | $(range "${rss_kib[@]}") KiB |"
echo "| container memory cgroup after 30 s idle, usage (MiB) | $(median "${cg_kib[@]}" | awk '{printf "%.1f", $1/1024}') | $(range "${cg_kib[@]}") KiB |"
echo "| the same less inactive file pages, as docker stats / ECS (MiB) | $(median "${cg_active_kib[@]}" | awk '{printf "%.1f", $1/1024}') | $(range "${cg_active_kib[@]}") KiB |"
echo "| podman exec pilotfish health (ms, wall) | $(median "${probe_ms[@]}") | $(range "${probe_ms[@]}") |"

#!/usr/bin/env bash
# File tail end to end: an app appending 200-byte lines to a file (FileLoad: as fast as it can, or at --rate-mib
# MiB/s, rotated by rename to app.log.1 every --rotate-mib MiB) while the packaged agent in JVM mode follows it with a
# file-tail collector (paths = that file only, as a user's *.log glob would) into a local logs intake (LogsIntake)
# that counts every line and every repeat.
#
#   bench/measure-file-tail.sh [--duration S] [--rate-mib M] [--rotate-mib M] [--poll-interval D] [--jfr FILE]
#                              [--agent-env VAR=VALUE]... [--agent-cpus LIST] [--out DIR]
#   defaults: 30 s, no rate limit, 100 MiB a file, the collector's own poll-interval, the launcher's flags, APM off
#             (DD_APM_ENABLED=false; --agent-env DD_APM_ENABLED=true for the packaged default),
#             out = bench/target/measure-file-tail (the log files go to OUT/logs and are deleted at the end);
#             --agent-cpus 1 runs the agent on CPU 1 alone, the writer and the intake on the others
#
# Measured from the first line written until the agent has read every line (or stopped reading for 15 s): lines and
# MiB per second read, the agent's CPU over that time (utime + stime), its RSS at the end and its peak (VmHWM); then,
# once the logs sink's queue is empty, SIGTERM (the agent flushes) and the intake's count: distinct lines, repeats,
# and lost = written - distinct. --jfr records a JFR profile of the agent (settings=profile) into FILE.
set -euo pipefail
export LC_ALL=C
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
duration=30; rate=0; rotate=100; poll=""; jfr=""; out="$here/target/measure-file-tail"; agent_env=(); agent_cpus=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --rate-mib) rate="$2"; shift 2 ;;
    --rotate-mib) rotate="$2"; shift 2 ;;
    --poll-interval) poll="$2"; shift 2 ;;
    --jfr) jfr="$2"; shift 2 ;;
    --agent-env) agent_env+=("$2"); shift 2 ;;
    --agent-cpus) agent_cpus="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "measure-file-tail: unknown argument $1" >&2; exit 2 ;;
  esac
done
bench_jar="$here/target/pilotfish-bench.jar"
[ -f "$bench_jar" ] || { echo "measure-file-tail: build $bench_jar first: ./mvnw -q -B -pl bench package" >&2; exit 2; }
[ -f "$root/runtime/agent/target/quarkus-app/quarkus-run.jar" ] \
  || { echo "measure-file-tail: package the agent first: ./mvnw -q -B -DskipTests -pl runtime/agent -am install" >&2; exit 2; }
JAVA_HOME="$("$root/scripts/find-java.sh")"; java="$JAVA_HOME/bin/java"
mkdir -p "$out"; out="$(cd "$out" && pwd)"; rm -f "$out"/*.log "$out"/*.txt; rm -rf "$out/logs"; mkdir -p "$out/logs"
# shellcheck disable=SC2034 # read by lib.sh
script=measure-file-tail; stop_timeout=40
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
pin_split "$agent_cpus"
trap 'cleanup; rm -rf "$out/logs"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks_of() { awk '{ sub(/.*\) /, ""); split($0, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
kib_of() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
figure() { # sample-prefix label-substring: the sum of the matching samples on the agent's /metrics
  curl -s "http://127.0.0.1:$status_port/metrics" | awk -v p="$1" -v l="$2" \
    'index($0, p) == 1 && index($0, l) > 0 { s += $NF } END { printf "%.0f\n", s + 0 }'
}
key="0123456789abcdef0123456789abcdef"

: >"$out/intake.log"; : >"$out/agent.log"   # there before the children write, for wait_for_line
${pin_rest[@]+"${pin_rest[@]}"} "$java" -XX:+UseSerialGC -Xmx512m -cp "$bench_jar" io.pilotfish.bench.LogsIntake --key "$key" \
  --out "$out/intake.txt" >"$out/intake.log" 2>&1 &
intake_pid="$!"; started_pids+=("$intake_pid")
line="$(wait_for_line "$out/intake.log" '^intake recorder listening on ' "$intake_pid" 30)" \
  || { echo "measure-file-tail: the intake did not start" >&2; exit 1; }
intake_uri="${line#intake recorder listening on }"; intake_port="${intake_uri##*:}"; intake_port="${intake_port%%/*}"

status_port="$(free_port)"
java_opts=""
[ -n "$poll" ] && java_opts+=" -Dpilotfish.collectors.applogs.poll-interval=$poll"
[ -n "$jfr" ] && java_opts+=" -XX:StartFlightRecording=filename=$jfr,settings=profile,dumponexit=true"
vars=(DD_API_KEY="$key" DD_DD_URL="http://127.0.0.1:9" DD_APM_DD_URL="http://127.0.0.1:9" DD_LOGS_ENABLED=true
      DD_LOGS_CONFIG_LOGS_DD_URL="127.0.0.1:$intake_port" DD_LOGS_CONFIG_LOGS_NO_SSL=true DD_APM_ENABLED=false
      PILOTFISH_COLLECTORS_FLUENT_FORWARD_PORT="$(free_port)" PILOTFISH_COLLECTORS_FLUENT_FORWARD_SOCKET=
      PILOTFISH_COLLECTORS_APPLOGS_TYPE=file-tail PILOTFISH_COLLECTORS_APPLOGS_PATHS="$out/logs/app.log"
      DD_APM_RECEIVER_PORT="$(free_port)" DD_DOGSTATSD_PORT="$(free_port)" PILOTFISH_SSM_ENABLED=false
      PILOTFISH_STATUS_PORT="$status_port" PILOTFISH_JAVA_OPTS="$java_opts")
vars+=(${agent_env[@]+"${agent_env[@]}"})
${pin_agent[@]+"${pin_agent[@]}"} env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 JAVA_HOME="$JAVA_HOME" "${vars[@]}" \
  "$root/pilotfish" run \
  >"$out/agent.log" 2>&1 &
agent_pid="$!"; started_pids+=("$agent_pid")
wait_for_line "$out/agent.log" " ready in " "$agent_pid" 90 >/dev/null \
  || { echo "measure-file-tail: the agent did not start; see $out/agent.log" >&2; exit 1; }
nap 3
idle_kib="$(kib_of "$agent_pid" VmRSS)"
ticks0="$(ticks_of "$agent_pid")"
clock; start_ms="$now_ms"
${pin_rest[@]+"${pin_rest[@]}"} "$java" -XX:+UseSerialGC -Xmx64m -cp "$bench_jar" io.pilotfish.bench.FileLoad --file "$out/logs/app.log" \
  --duration "$duration" --rate-mib "$rate" --rotate-mib "$rotate" --out "$out/load.txt" >"$out/load.log" 2>&1 \
  || { echo "measure-file-tail: the load failed; see $out/load.log" >&2; exit 1; }
written="$(awk -F= '$1 == "lines" { print $2 }' "$out/load.txt")"
# Until the agent has read every line written, or read nothing new for 15 s.
last=-1; still=0; read_ms="$start_ms"
while :; do
  n="$(figure pilotfish_lines_read 'applogs')"
  if [ "$n" != "$last" ]; then last="$n"; still=0; clock; read_ms="$now_ms"; else still=$((still + 1)); fi
  [ "$n" -ge "$written" ] && break
  [ "$still" -ge 150 ] && break
  nap 0.1
done
ticks1="$(ticks_of "$agent_pid")"
end_kib="$(kib_of "$agent_pid" VmRSS)"; peak_kib="$(kib_of "$agent_pid" VmHWM)"
for _ in $(seq 1 120); do   # the logs sink's queue empty
  [ "$(figure pilotfish_sink_queue_items 'sink="datadog-logs"')" = 0 ] && break
  nap 1
done
stop_pid "$agent_pid"; forget_pid "$agent_pid"
stop_pid "$intake_pid"; forget_pid "$intake_pid"
distinct="$(awk -F= '$1 == "distinct_lines" { print $2 }' "$out/intake.txt")"
{
  cat "$out/load.txt"
  cat "$out/intake.txt"
  awk -v n="$last" -v ms="$(( read_ms - start_ms ))" -v lb=200 'BEGIN {
    printf "agent_read_lines=%d\nagent_read_seconds=%.2f\nagent_lines_per_s=%.0f\nagent_mib_per_s=%.1f\n",
      n, ms / 1000, n / (ms / 1000), n * lb / (ms / 1000) / 1048576 }'
  echo "lost=$(( written - distinct ))"
  echo "agent_cpu_percent=$(awk -v t="$(( ticks1 - ticks0 ))" -v ms="$(( read_ms - start_ms ))" \
    -v h="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", 100 * t / h / (ms / 1000) }')"
  echo "agent_rss_idle_mib=$(( idle_kib / 1024 ))"
  echo "agent_rss_end_mib=$(( end_kib / 1024 ))"
  echo "agent_rss_peak_mib=$(( peak_kib / 1024 ))"
  echo "poll_interval=${poll:-default} rate_mib=$rate rotate_mib=$rotate agent_env=${agent_env[*]-} agent_cpus=${agent_cpus:-any}"
} | tee "$out/summary.txt"

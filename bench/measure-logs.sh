#!/usr/bin/env bash
# Logs end to end on loopback: a FireLens-like forward load (ForwardLoad: PackedForward frames of 200-byte lines, an
# ack per frame, as fast as the agent takes them) against the packaged agent in JVM mode, every line counted at a
# local logs intake (LogsIntake).
#
#   bench/measure-logs.sh [--duration S] [--connections N] [--batch RECORDS] [--agent-env VAR=VALUE]...
#                         [--agent-cpus LIST] [--out DIR]
#   defaults: 60 s, 4 connections, 500 records a frame, the agent of this checkout with its launcher's flags,
#             out = bench/target/measure-logs; --agent-cpus 1 runs the agent on CPU 1 alone (taskset) and the load
#             and the intake on the other CPUs, so "on one core" is what the machine enforces
#
# The agent gets DD_LOGS_ENABLED=true, DD_LOGS_CONFIG_LOGS_DD_URL = the intake (plain HTTP), the forward receiver on a
# free port and no socket, no SSM, no ECS metadata; APM stays on as packaged unless --agent-env DD_APM_ENABLED=false.
# Measured: lines and MiB/s the load achieved, lines at the intake (distinct, repeats), the agent's CPU over the load
# (utime + stime), its RSS at the end and its peak (VmHWM). After the load it waits for the logs sink's queue to
# empty, then SIGTERM (the agent flushes) and the intake's report. Output: OUT/summary.txt and the logs.
set -euo pipefail
export LC_ALL=C
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
duration=60; connections=4; batch=500; out="$here/target/measure-logs"; agent_env=(); agent_cpus=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --agent-env) agent_env+=("$2"); shift 2 ;;
    --agent-cpus) agent_cpus="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "measure-logs: unknown argument $1" >&2; exit 2 ;;
  esac
done
bench_jar="$here/target/pilotfish-bench.jar"
[ -f "$bench_jar" ] || { echo "measure-logs: build $bench_jar first: ./mvnw -q -B -pl bench package" >&2; exit 2; }
[ -f "$root/runtime/agent/target/quarkus-app/quarkus-run.jar" ] \
  || { echo "measure-logs: package the agent first: ./mvnw -q -B -DskipTests -pl runtime/agent -am install" >&2; exit 2; }
JAVA_HOME="$("$root/scripts/find-java.sh")"; java="$JAVA_HOME/bin/java"
mkdir -p "$out"; out="$(cd "$out" && pwd)"; rm -f "$out"/*.log "$out"/*.txt
# shellcheck disable=SC2034 # read by lib.sh
script=measure-logs; stop_timeout=40
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
pin_split "$agent_cpus"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks_of() { awk '{ sub(/.*\) /, ""); split($0, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
kib_of() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
key="0123456789abcdef0123456789abcdef"

: >"$out/intake.log"; : >"$out/agent.log"   # there before the children write, for wait_for_line
${pin_rest[@]+"${pin_rest[@]}"} "$java" -XX:+UseSerialGC -Xmx512m -cp "$bench_jar" io.pilotfish.bench.LogsIntake --key "$key" \
  --out "$out/intake.txt" >"$out/intake.log" 2>&1 &
intake_pid="$!"; started_pids+=("$intake_pid")
line="$(wait_for_line "$out/intake.log" '^intake recorder listening on ' "$intake_pid" 30)" \
  || { echo "measure-logs: the intake did not start" >&2; exit 1; }
intake_uri="${line#intake recorder listening on }"; intake_port="${intake_uri##*:}"; intake_port="${intake_port%%/*}"

forward_port="$(free_port)"; status_port="$(free_port)"
vars=(DD_API_KEY="$key" DD_DD_URL="http://127.0.0.1:9" DD_APM_DD_URL="http://127.0.0.1:9" DD_LOGS_ENABLED=true
      DD_LOGS_CONFIG_LOGS_DD_URL="127.0.0.1:$intake_port" DD_LOGS_CONFIG_LOGS_NO_SSL=true
      PILOTFISH_COLLECTORS_FLUENT_FORWARD_PORT="$forward_port" PILOTFISH_COLLECTORS_FLUENT_FORWARD_SOCKET=
      DD_APM_RECEIVER_PORT="$(free_port)" DD_DOGSTATSD_PORT="$(free_port)" PILOTFISH_SSM_ENABLED=false
      PILOTFISH_STATUS_PORT="$status_port")
vars+=(${agent_env[@]+"${agent_env[@]}"})
${pin_agent[@]+"${pin_agent[@]}"} env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 JAVA_HOME="$JAVA_HOME" "${vars[@]}" \
  "$root/pilotfish" run \
  >"$out/agent.log" 2>&1 &
agent_pid="$!"; started_pids+=("$agent_pid")
wait_for_line "$out/agent.log" "forward receiver listening on tcp 127\\.0\\.0\\.1:$forward_port" "$agent_pid" 90 \
  >/dev/null || { echo "measure-logs: the agent did not listen; see $out/agent.log" >&2; exit 1; }
nap 3
idle_kib="$(kib_of "$agent_pid" VmRSS)"
ticks0="$(ticks_of "$agent_pid")"
${pin_rest[@]+"${pin_rest[@]}"} "$java" -XX:+UseSerialGC -Xmx256m -cp "$bench_jar" io.pilotfish.bench.ForwardLoad --port "$forward_port" \
  --connections "$connections" --duration "$duration" --batch "$batch" --out "$out/load.txt" >"$out/load.log" 2>&1 \
  || { echo "measure-logs: the load failed; see $out/load.log" >&2; exit 1; }
ticks1="$(ticks_of "$agent_pid")"
end_kib="$(kib_of "$agent_pid" VmRSS)"; peak_kib="$(kib_of "$agent_pid" VmHWM)"
for _ in $(seq 1 120); do   # the logs sink's queue empty
  q="$(curl -s "http://127.0.0.1:$status_port/metrics" \
    | awk '/^pilotfish_sink_queue_items\{.*sink="datadog-logs"/ { s += $NF } END { print s + 0 }')"
  [ "$q" = 0 ] && break
  nap 1
done
stop_pid "$agent_pid"; forget_pid "$agent_pid"
stop_pid "$intake_pid"; forget_pid "$intake_pid"
seconds="$(awk -F= '$1 == "seconds" { print $2 }' "$out/load.txt")"
{
  cat "$out/load.txt"
  cat "$out/intake.txt"
  echo "agent_cpu_percent=$(awk -v t="$(( ticks1 - ticks0 ))" -v s="$seconds" -v h="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.0f", 100 * t / h / s }')"
  echo "agent_rss_idle_mib=$(( idle_kib / 1024 ))"
  echo "agent_rss_end_mib=$(( end_kib / 1024 ))"
  echo "agent_rss_peak_mib=$(( peak_kib / 1024 ))"
  echo "agent_env=${agent_env[*]-}"
  echo "agent_cpus=${agent_cpus:-any}"
} | tee "$out/summary.txt"

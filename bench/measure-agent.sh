#!/usr/bin/env bash
# Measures the packaged agent in JVM mode: time-to-ready and idle RSS, over several runs.
#
#   bench/measure-agent.sh [--runs N] [--idle SECONDS] [--agent-root DIR] [--agent-env VAR=VALUE]... [--out DIR]
#
#   --agent-root  a directory holding a copy of the launcher `pilotfish`, scripts/find-java.sh and
#                 runtime/agent/target/quarkus-app (default: this checkout), so that rebuilds do not change the agent
#                 between runs
#   --agent-env   a variable for the agent, e.g. DD_APM_ENABLED=false (repeatable)
#
# Starts the testkit's EcsMetadataSimulator (the 3-container Fargate demo task) and IntakeRecorder once, as plain
# java processes on the benchmarks jar (it bundles the testkit and its dependencies), both bound to 127.0.0.1. Then,
# N times, starts `./pilotfish run` (the launcher and JVM flags a user gets) against them, with a clean environment
# (the metadata URIs, a throwaway API key, DD_DD_URL and DD_APM_DD_URL = the recorder, DD_APM_RECEIVER_PORT and
# DD_DOGSTATSD_PORT on free ports unless --agent-env sets them, so that an agent already on 8126/8125 does not fail
# the run, and the --agent-env variables):
#   time-to-ready  from spawning ./pilotfish until the timestamp of its "pilotfish <version> ready in" log line
#                  (includes the launcher's JDK lookup, measured on its own as well); Quarkus' "started in" and the
#                  agent's own "ready in N ms" are recorded beside it
#   idle RSS       VmRSS (and the peak, VmHWM) of the JVM from /proc/<pid>/status, IDLE seconds after ready, while it
#                  scrapes every 10 s and ships to the recorder as usual
# Each run is checked: the agent must still be alive and have had series accepted by the recorder.
# Output: a Markdown summary on stdout and in OUT/summary.md, per-run figures in OUT/runs.csv, all logs in OUT.
# Every process it starts is stopped on exit (SIGTERM, then SIGKILL after 25 s), including on Ctrl-C or an error.
# Each wait is bounded, so a run takes at most about 30 + IDLE + 25 s.
set -euo pipefail
export LC_ALL=C   # EPOCHREALTIME and awk use "." as the decimal point

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
runs=5
idle=30
out="$here/target/measure-agent"
agent_root="$root"
agent_env=()
ready_timeout=30
stop_timeout=25   # above the agent's 20 s shutdown deadline, so a slow final flush is not cut short
api_key="pilotfish-bench-key-0000"   # not a secret: only the local recorder accepts it

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --idle) idle="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --agent-root) agent_root="$(cd "$2" && pwd)"; shift 2 ;;
    --agent-env) agent_env+=("$2"); shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "measure-agent: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "measure-agent: --runs needs a whole number >= 1" >&2; exit 2; }
[[ "$idle" =~ ^[0-9]+$ ]] || { echo "measure-agent: --idle needs whole seconds" >&2; exit 2; }
for kv in ${agent_env[@]+"${agent_env[@]}"}; do
  [[ "$kv" =~ ^[A-Z_][A-Z0-9_]*=.*$ ]] || { echo "measure-agent: --agent-env needs VAR=VALUE, got $kv" >&2; exit 2; }
done

bench_jar="$here/target/pilotfish-bench.jar"
launcher="$agent_root/pilotfish"
agent_jar="$agent_root/runtime/agent/target/quarkus-app/quarkus-run.jar"
if [ ! -f "$bench_jar" ]; then
  echo "measure-agent: $bench_jar is missing; build it: ./mvnw -q -B -pl bench package" >&2; exit 2
fi
if [ ! -x "$launcher" ] || [ ! -f "$agent_jar" ]; then
  # ./pilotfish would build it, but that build must not land inside the first measured start.
  echo "measure-agent: the packaged agent is missing under $agent_root; build it: ./mvnw -q -B -DskipTests -pl runtime/agent -am install" >&2
  exit 2
fi
JAVA_HOME="$("$root/scripts/find-java.sh")"
java="$JAVA_HOME/bin/java"

mkdir -p "$out"
rm -f "$out"/agent-*.log "$out/simulator.log" "$out/intake.log" "$out/runs.csv" "$out/summary.md" "$out/.nap"

# ---------------------------------------------------------------- processes and cleanup
script=measure-agent
source "$here/lib.sh"

start_helper() { # name class args...: a testkit server on the benchmarks jar, small and C1-only so it stays out of the way
  local name="$1" class="$2"; shift 2
  : >"$out/$name.log"
  "$java" -XX:+UseSerialGC -Xmx64m -XX:TieredStopAtLevel=1 -cp "$bench_jar" "$class" "$@" >"$out/$name.log" 2>&1 &
  started_pids+=("$!")
  helper_pid="$!"
}

# ---------------------------------------------------------------- the task and the intake
start_helper simulator io.pilotfish.testkit.EcsMetadataSimulator
sim_pid="$helper_pid"
line="$(wait_for_line "$out/simulator.log" '^ECS_CONTAINER_METADATA_URI=' "$sim_pid" 30)" \
  || { echo "measure-agent: the ECS metadata simulator did not start; see $out/simulator.log" >&2; exit 1; }
v3_uri="${line#*=}"
v4_uri="$(sed -n 's/^ECS_CONTAINER_METADATA_URI_V4=//p' "$out/simulator.log")"

start_helper intake io.pilotfish.testkit.IntakeRecorder --key "$api_key"
intake_pid="$helper_pid"
line="$(wait_for_line "$out/intake.log" '^intake recorder listening on ' "$intake_pid" 30)" \
  || { echo "measure-agent: the intake recorder did not start; see $out/intake.log" >&2; exit 1; }
intake_uri="${line#intake recorder listening on }"
for uri in "$v4_uri" "$v3_uri" "$intake_uri"; do
  [[ "$uri" =~ ^http://127\.0\.0\.1:[0-9]+(/|$) ]] || { echo "measure-agent: $uri is not loopback; stopping" >&2; exit 1; }
done

# The launcher's own cost: scripts/find-java.sh runs `java -version` on each installed JDK.
lookup_ms=()
for _ in 1 2 3; do
  clock; t="$now_ms"; "$root/scripts/find-java.sh" >/dev/null; clock; lookup_ms+=($(( now_ms - t )))
done

# ---------------------------------------------------------------- the runs
started_at="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
read -r load_before _ </proc/loadavg
log_epoch_ms() { # the ISO-8601 timestamp that starts a log line, in epoch ms
  date -d "${1%% *}" +%s%3N
}
# The agent gets a clean environment (no stray DD_* can point it off the machine); only JVM options pass through.
# Quarkus' own "started in" line is off by default (its INFO lines would go to every CLI command); turn it on here.
quarkus_started='-Dquarkus.log.category."io.quarkus".level=INFO'
passed_env=("PILOTFISH_JAVA_OPTS=${PILOTFISH_JAVA_OPTS:+$PILOTFISH_JAVA_OPTS }$quarkus_started")
series_accepted() { grep -c 'POST /api/v2/series -> 2' "$out/intake.log" || true; }
free_port() { # udp|tcp: a free port on 127.0.0.1 (bound and released)
  python3 -c 'import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}

echo "run,spawn_to_ready_ms,quarkus_started_ms,agent_ready_ms,rss_kib,hwm_kib,series_requests,verdict" >"$out/runs.csv"
for run in $(seq 1 "$runs"); do
  log="$out/agent-$run.log"
  : >"$log"
  accepted_before="$(series_accepted)"
  run_env=(DD_APM_RECEIVER_PORT="$(free_port tcp)" DD_DOGSTATSD_PORT="$(free_port udp)" DD_APM_DD_URL="$intake_uri")
  run_env+=(${agent_env[@]+"${agent_env[@]}"})   # later wins: env keeps the last of a repeated name
  clock; spawn_ms="$now_ms"
  env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 JAVA_HOME="$JAVA_HOME" "${passed_env[@]}" \
      ECS_CONTAINER_METADATA_URI_V4="$v4_uri" ECS_CONTAINER_METADATA_URI="$v3_uri" \
      DD_API_KEY="$api_key" DD_DD_URL="$intake_uri" "${run_env[@]}" \
      "$launcher" run >"$log" 2>&1 &
  agent_pid="$!"   # the launcher execs java, so this becomes the JVM's pid
  started_pids+=("$agent_pid")

  status=0
  ready_line="$(wait_for_line "$log" ' ready in [0-9]+ ms' "$agent_pid" "$ready_timeout")" || status=$?
  if [ "$status" -ne 0 ]; then
    if [ "$status" -eq 1 ]; then
      reap "$agent_pid"; reason="exited before ready with status $exit_code"
    else
      reason="not ready within ${ready_timeout}s"
    fi
    echo "run $run: the agent $reason; see $log" >&2
    echo "$run,,,,,,,$reason" >>"$out/runs.csv"
    stop_pid "$agent_pid"; started_pids=("$sim_pid" "$intake_pid")
    continue
  fi
  ready_ms=$(( $(log_epoch_ms "$ready_line") - spawn_ms ))
  agent_ready="$(sed -E 's/.* ready in ([0-9]+) ms.*/\1/' <<<"$ready_line")"
  quarkus_line="$(grep -m1 -E 'started in [0-9.]+s' "$log" || true)"
  quarkus_ms="$(sed -E 's/.*started in ([0-9.]+)s.*/\1/' <<<"$quarkus_line" | awk '{ if ($1 != "") printf "%d", $1 * 1000 }')"

  sleep "$idle"   # one fork, after start-up: nothing to disturb any more
  if ! alive "$agent_pid"; then
    reap "$agent_pid"; reason="exited while idle with status $exit_code"
    echo "run $run: the agent $reason; see $log" >&2
    echo "$run,$ready_ms,$quarkus_ms,$agent_ready,,,,$reason" >>"$out/runs.csv"
    stop_pid "$agent_pid"; started_pids=("$sim_pid" "$intake_pid")
    continue
  fi
  rss="$(awk '/^VmRSS:/ { print $2 }' "/proc/$agent_pid/status")"
  hwm="$(awk '/^VmHWM:/ { print $2 }' "/proc/$agent_pid/status")"
  shipped=$(( $(series_accepted) - accepted_before ))
  stop_pid "$agent_pid"; started_pids=("$sim_pid" "$intake_pid")
  verdict="ok"
  [ "$shipped" -gt 0 ] || verdict="no series reached the intake"
  echo "$run,$ready_ms,$quarkus_ms,$agent_ready,$rss,$hwm,$shipped,$verdict" >>"$out/runs.csv"
  echo "run $run: ready ${ready_ms} ms after spawn (Quarkus started in ${quarkus_ms} ms, agent start ${agent_ready} ms);" \
       "RSS $(( (rss + 512) / 1024 )) MiB after ${idle}s idle (peak $(( (hwm + 512) / 1024 )) MiB); $shipped series requests accepted; $verdict" >&2
done

# ---------------------------------------------------------------- summary
stats() { # column of runs.csv (ok runs only) -> "median min max", scaled by divisor
  local column="$1" divisor="${2:-1}"
  awk -F, -v c="$column" 'NR > 1 && $8 == "ok" { print $c }' "$out/runs.csv" | sort -n | awk -v d="$divisor" '
    { v[NR] = $1 }
    END {
      if (NR == 0) { print "n/a n/a n/a"; exit }
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.0f %.0f %.0f\n", m / d, v[1] / d, v[NR] / d
    }'
}
ok_runs="$(awk -F, 'NR > 1 && $8 == "ok"' "$out/runs.csv" | wc -l)"
read -r ready_med ready_min ready_max <<<"$(stats 2)"
read -r quarkus_med quarkus_min quarkus_max <<<"$(stats 3)"
read -r agent_med agent_min agent_max <<<"$(stats 4)"
read -r rss_med rss_min rss_max <<<"$(stats 5 1024)"
read -r hwm_med hwm_min hwm_max <<<"$(stats 6 1024)"
read -r lookup_med lookup_min lookup_max <<<"$(printf '%s\n' "${lookup_ms[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "%d %d %d\n", v[2], v[1], v[3] }')"
{
  echo "## Packaged agent, JVM mode: $ok_runs of $runs runs ok (idle ${idle}s)"
  echo
  echo "JDK: $("$java" -version 2>&1 | head -1); launcher: $launcher run${PILOTFISH_JAVA_OPTS:+ (PILOTFISH_JAVA_OPTS=$PILOTFISH_JAVA_OPTS)}$(for kv in ${agent_env[@]+"${agent_env[@]}"}; do printf ' %s' "$kv"; done)"
  echo "Started $started_at; load average before: $load_before"
  echo
  echo "| figure | median | min | max |"
  echo "|---|---|---|---|"
  echo "| time-to-ready, spawn of ./pilotfish to \"ready in\" line (ms) | $ready_med | $ready_min | $ready_max |"
  echo "| Quarkus \"started in\" (ms) | $quarkus_med | $quarkus_min | $quarkus_max |"
  echo "| agent's own \"ready in\" (agent start only, ms) | $agent_med | $agent_min | $agent_max |"
  echo "| launcher JDK lookup, scripts/find-java.sh alone (ms, 3 runs) | $lookup_med | $lookup_min | $lookup_max |"
  echo "| idle RSS after ${idle}s, VmRSS (MiB) | $rss_med | $rss_min | $rss_max |"
  echo "| peak RSS, VmHWM (MiB) | $hwm_med | $hwm_min | $hwm_max |"
  echo
  echo "Per run (runs.csv):"
  echo
  echo '```'
  cat "$out/runs.csv"
  echo '```'
} | tee "$out/summary.md"
[ "$ok_runs" -eq "$runs" ]

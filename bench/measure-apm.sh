#!/usr/bin/env bash
# APM traces end to end on loopback: a tracer-like load of v0.4 payloads against the packaged agent in JVM mode, its
# traces counted at a local trace intake.
#
#   bench/measure-apm.sh [--rate SPANS_PER_S] [--duration S] [--warmup S] [--connections N] [--interval-ms MS]
#                        [--client-stats] [--agent-root DIR] [--agent-env VAR=VALUE]... [--out DIR]
#   defaults: 130000 spans/s for 60 s, no warm-up, 10 connections each flushing a payload every 100 ms (1,300 spans),
#             the agent of this checkout (--agent-root: a directory holding a copy of the launcher `pilotfish`,
#             scripts/find-java.sh and runtime/agent/target/quarkus-app, so that rebuilds of the checkout do not change
#             the agent under a run), out = bench/target/measure-apm
#
# The load is io.pilotfish.bench.ApmLoad (a java process on the benchmarks jar): PUT /v0.4/traces over HTTP/1.1
# keep-alive connections, 10-span traces shaped like dd-trace-java's (bench/README.md), every root with
# _sampling_priority_v1 1 (the agent keeps them all), unique trace ids; it counts the answers (200, 429, other).
# The intake is io.pilotfish.bench.ApmIntake (the testkit's IntakeRecorder), which counts the spans, chunks and
# distinct trace ids of every AgentPayload at /api/v0.2/traces, and the /api/v0.2/stats payloads.
# The agent is `<agent-root>/pilotfish run` (the launcher's JVM flags) with a clean environment: DD_API_KEY (a key
# only the intake accepts), DD_DD_URL and DD_APM_DD_URL = the intake, DD_APM_RECEIVER_PORT, DD_DOGSTATSD_PORT and
# PILOTFISH_STATUS_PORT on free ports, no SSM, no ECS metadata, --agent-env variables and PILOTFISH_JAVA_OPTS if set.
# Measured over the load: RSS (VmRSS every second, VmHWM), CPU (utime + stime of the agent, per thread too, with
# names from jcmd Thread.print), jstat -gc before and after, the CPU of the load, the intake and every other process;
# the agent's own counters from GET /metrics on its status port (every 10 s, after the load, after the drain); where
# its RSS is at the end of the load (OUT/smaps-rollup.txt, and the largest mappings in OUT/smaps-top.txt). After
# the load the script waits for the agent's trace sink to drain, sends SIGTERM (the agent flushes), then stops the
# intake, whose report gives what arrived.
# Output: a Markdown summary on stdout and in OUT/summary.md; OUT/apm.env (every figure), OUT/samples.txt (one line a
# second), OUT/threads.txt, OUT/metrics-*.txt, and the logs.
# Every process it starts is stopped on exit (SIGTERM, then SIGKILL after 25 s); every wait is bounded.
set -euo pipefail
export LC_ALL=C

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
rate=130000
duration=60
warmup=0
connections=10
interval_ms=100
client_stats=""
agent_root="$root"
agent_env=()
out="$here/target/measure-apm"
ready_timeout=60
stop_timeout=25
drain_timeout=60
api_key="pilotfish-bench-key-0000"   # not a secret: only the local intake accepts it

while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --interval-ms) interval_ms="$2"; shift 2 ;;
    --client-stats) client_stats="--client-stats"; shift ;;
    --agent-root) agent_root="$(cd "$2" && pwd)"; shift 2 ;;
    --agent-env) agent_env+=("$2"); shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "measure-apm: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for n in rate duration connections interval_ms; do
  [[ "${!n}" =~ ^[1-9][0-9]*$ ]] || { echo "measure-apm: --${n//_/-} needs a whole number >= 1" >&2; exit 2; }
done
[[ "$warmup" =~ ^[0-9]+$ ]] || { echo "measure-apm: --warmup needs whole seconds" >&2; exit 2; }
for kv in ${agent_env[@]+"${agent_env[@]}"}; do
  [[ "$kv" =~ ^[A-Z_][A-Z0-9_]*=.*$ ]] || { echo "measure-apm: --agent-env needs VAR=VALUE, got $kv" >&2; exit 2; }
done

bench_jar="$here/target/pilotfish-bench.jar"
launcher="$agent_root/pilotfish"
agent_jar="$agent_root/runtime/agent/target/quarkus-app/quarkus-run.jar"
if [ ! -f "$bench_jar" ]; then
  echo "measure-apm: $bench_jar is missing; build it: ./mvnw -q -B -pl bench package" >&2; exit 2
fi
if [ ! -x "$launcher" ] || [ ! -f "$agent_jar" ]; then
  echo "measure-apm: no packaged agent under $agent_root (the launcher pilotfish and runtime/agent/target/quarkus-app);" \
       "build it: ./mvnw -q -B -DskipTests -pl runtime/agent -am install" >&2
  exit 2
fi
JAVA_HOME="$("$root/scripts/find-java.sh")"
java="$JAVA_HOME/bin/java"

mkdir -p "$out"
rm -f "$out"/*.log "$out"/*.env "$out"/*.txt "$out/summary.md" "$out/.nap"
env_file="$out/apm.env"
: >"$env_file"

script=measure-apm
source "$here/lib.sh"

free_port() { # udp|tcp: a free port on 127.0.0.1 (bound and released)
  python3 -c 'import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}

# ---------------------------------------------------------------- /proc readers (bash only, no forks)
clk_tck="$(getconf CLK_TCK)"
proc_ticks() { # pid: sets ticks = utime + stime of the whole process
  local line f
  ticks=0
  read -r line 2>/dev/null <"/proc/$1/stat" || return 1
  read -r -a f <<<"${line##*) }"
  ticks=$(( f[11] + f[12] ))
}
proc_mem() { # pid: sets rss_kib and hwm_kib
  local line
  rss_kib=0; hwm_kib=0
  while read -r line; do
    case "$line" in
      VmRSS:*) line="${line#VmRSS:}"; rss_kib="${line//[!0-9]/}" ;;
      VmHWM:*) line="${line#VmHWM:}"; hwm_kib="${line//[!0-9]/}" ;;
    esac
  done 2>/dev/null <"/proc/$1/status"
}
procs_snapshot() { # file: "pid ticks name" for every process (children reaped count in their parent)
  local f line fields pid name
  for f in /proc/[0-9]*/stat; do
    read -r line 2>/dev/null <"$f" || continue
    pid="${f#/proc/}"; pid="${pid%/stat}"
    read -r -a fields <<<"${line##*) }"
    name="${line#*(}"; name="${name%)*}"
    printf '%s %s %s\n' "$pid" $(( fields[11] + fields[12] + fields[13] + fields[14] )) "${name// /_}"
  done >"$1"
}
thread_snapshot() { # pid file: "tid ticks name voluntary involuntary" per thread
  local d line f name vol invol
  for d in /proc/"$1"/task/*; do
    read -r line 2>/dev/null <"$d/stat" || continue
    name="${line#*(}"; name="${name%)*}"
    read -r -a f <<<"${line##*) }"
    vol=0; invol=0
    while read -r line; do
      case "$line" in
        voluntary_ctxt_switches:*) vol="${line//[!0-9]/}" ;;
        nonvoluntary_ctxt_switches:*) invol="${line//[!0-9]/}" ;;
      esac
    done 2>/dev/null <"$d/status"
    printf '%s %s %s %s %s\n' "${d##*/}" $(( f[11] + f[12] )) "${name// /_}" "$vol" "$invol"
  done >"$2"
}
metrics_get() { # port file: the agent's GET /metrics (OpenMetrics text) into file, through bash's /dev/tcp
  local fd line
  exec {fd}<>"/dev/tcp/127.0.0.1/$1" 2>/dev/null || return 1
  printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&"$fd"
  while IFS= read -r -t 5 -u "$fd" line; do
    line="${line%$'\r'}"
    case "$line" in pilotfish_*) printf '%s\n' "$line" ;; esac
  done >"$2"
  exec {fd}>&-
  [ -s "$2" ]
}
metric() { # file regex: the sum of the samples whose name and labels match (awk: only outside the hot loops)
  awk -v re="$2" '$0 ~ re { s += $NF } END { printf "%.0f\n", s }' "$1"
}
sampler() { # pid status_port file: one line a second until killed: epoch_ms rss_kib hwm_kib ticks; /metrics every 10 s
  local pid="$1" port="$2" file="$3" n=0
  while alive "$pid"; do
    clock; proc_mem "$pid"; proc_ticks "$pid" || true
    printf '%s %s %s %s\n' "$now_ms" "$rss_kib" "$hwm_kib" "$ticks" >>"$file"
    if (( n % 10 == 0 )); then metrics_get "$port" "$out/metrics-t$(printf '%03d' "$n").txt" || true; fi
    n=$(( n + 1 ))
    nap 1
  done
}

# ---------------------------------------------------------------- the intake and the agent
: >"$out/intake.log"
"$java" -XX:+UseSerialGC -Xmx768m -cp "$bench_jar" io.pilotfish.bench.ApmIntake --key "$api_key" \
  --out "$out/intake.txt" >"$out/intake.log" 2>&1 &
intake_pid="$!"; started_pids+=("$intake_pid")
line="$(wait_for_line "$out/intake.log" '^intake recorder listening on ' "$intake_pid" 30)" \
  || { echo "measure-apm: the intake did not start; see $out/intake.log" >&2; exit 1; }
intake_uri="${line#intake recorder listening on }"
[[ "$intake_uri" =~ ^http://127\.0\.0\.1:[0-9]+(/|$) ]] || { echo "measure-apm: $intake_uri is not loopback" >&2; exit 1; }

apm_port="$(free_port tcp)"; statsd_port="$(free_port udp)"; status_port="$(free_port tcp)"
agent_vars=(DD_API_KEY="$api_key" DD_DD_URL="$intake_uri" DD_APM_DD_URL="$intake_uri" DD_APM_RECEIVER_PORT="$apm_port"
            DD_DOGSTATSD_PORT="$statsd_port" PILOTFISH_SSM_ENABLED=false PILOTFISH_STATUS_PORT="$status_port")
agent_vars+=(${agent_env[@]+"${agent_env[@]}"})
[ -n "${PILOTFISH_JAVA_OPTS:-}" ] && agent_vars+=("PILOTFISH_JAVA_OPTS=$PILOTFISH_JAVA_OPTS")
printf 'agent_env=%s\n' "$(printf '%s ' "${agent_vars[@]}" | sed "s/$api_key/<key>/")" >>"$env_file"
echo "agent_root=$agent_root" >>"$env_file"
log="$out/agent.log"
: >"$log"
clock; spawn_ms="$now_ms"
env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 JAVA_HOME="$JAVA_HOME" "${agent_vars[@]}" \
  "$launcher" run >"$log" 2>&1 &
agent_pid="$!"; started_pids+=("$agent_pid")   # the launcher execs java: this is the JVM's pid
wait_for_line "$log" ' ready in [0-9]+ ms' "$agent_pid" "$ready_timeout" >/dev/null \
  || { echo "measure-apm: the agent did not get ready; see $log" >&2; exit 1; }
wait_for_line "$log" "APM receiver listening on tcp 127\\.0\\.0\\.1:$apm_port" "$agent_pid" 10 >/dev/null \
  || { echo "measure-apm: the agent does not listen on tcp $apm_port; see $log" >&2; exit 1; }
clock; echo "ready_ms=$(( now_ms - spawn_ms ))" >>"$env_file"
echo "version=$(sed -nE 's/.*pilotfish ([^ ]+) ready in.*/\1/p' "$log" | head -1)" >>"$env_file"
nap 3   # let it settle after its start
proc_mem "$agent_pid"; echo "idle_rss_kib=$rss_kib" >>"$env_file"
read -r loadavg _ </proc/loadavg; echo "loadavg_before=$loadavg" >>"$env_file"
metrics_get "$status_port" "$out/metrics-0-before.txt" || echo "measure-apm: no /metrics from the agent" >&2

# ---------------------------------------------------------------- the load
gen_log="$out/load.log"
: >"$gen_log"
"$java" -XX:+UseSerialGC -Xms64m -Xmx256m -cp "$bench_jar" io.pilotfish.bench.ApmLoad --port "$apm_port" \
  --rate "$rate" --duration "$duration" --warmup "$warmup" --connections "$connections" --interval-ms "$interval_ms" \
  $client_stats --out "$out/load.env" >"$gen_log" 2>&1 &
gen_pid="$!"; started_pids+=("$gen_pid")
if [ "$warmup" -gt 0 ]; then
  wait_for_line "$gen_log" '^warmup done' "$gen_pid" $(( warmup + 60 )) >/dev/null \
    || { echo "measure-apm: the load's warm-up did not finish; see $gen_log" >&2; exit 1; }
  metrics_get "$status_port" "$out/metrics-1-after-warmup.txt" || true
fi
"$JAVA_HOME/bin/jstat" -gc "$agent_pid" >"$out/gc.txt" 2>&1 || true
clock; t0="$now_ms"; proc_ticks "$agent_pid"; ticks0="$ticks"
proc_ticks "$intake_pid"; intake0="$ticks"
procs_snapshot "$out/procs-0.txt"
thread_snapshot "$agent_pid" "$out/threads-0.txt"
: >"$out/samples.txt"
sampler "$agent_pid" "$status_port" "$out/samples.txt" &
sampler_pid="$!"; started_pids+=("$sampler_pid")

clock; deadline=$(( now_ms + (duration + warmup + 120) * 1000 ))
while alive "$gen_pid"; do
  clock; [ "$now_ms" -lt "$deadline" ] || { echo "measure-apm: the load did not end in time" >&2; break; }
  nap 0.2
done
clock; t1="$now_ms"
proc_ticks "$agent_pid"; ticks1="$ticks"
proc_ticks "$intake_pid"; intake1="$ticks"
procs_snapshot "$out/procs-1.txt"
thread_snapshot "$agent_pid" "$out/threads-1.txt"
"$JAVA_HOME/bin/jstat" -gc "$agent_pid" | tail -1 >>"$out/gc.txt" 2>&1 || true
"$JAVA_HOME/bin/jcmd" "$agent_pid" Thread.print 2>/dev/null \
  | sed -nE 's/^"([^"]*)".* nid=(0x[0-9a-f]+|[0-9]+) .*/\2 \1/p' \
  | while read -r nid tname; do printf '%d %s\n' "$nid" "${tname// /_}"; done >"$out/thread-names.txt" || true
{ "$JAVA_HOME/bin/jcmd" "$agent_pid" GC.heap_info; "$JAVA_HOME/bin/jcmd" "$agent_pid" VM.native_memory summary; } \
  >"$out/jvm.txt" 2>&1 || true
# Where the RSS is at the end of the load: anonymous memory (heap, metaspace, malloc arenas, stacks) against file
# mappings (libjvm.so, the CDS archive, the JDK's modules image), the largest mappings first.
cat "/proc/$agent_pid/smaps_rollup" >"$out/smaps-rollup.txt" 2>/dev/null || true
awk '/^[0-9a-f]+-[0-9a-f]+ / { name = (NF >= 6) ? $6 : "[anon]"; size = $1 } /^Rss:/ { rss[name] += $2; if ($2 > 0) n[name]++ }
     END { for (k in rss) if (rss[k] >= 256) printf "%8d KiB  %4d mappings  %s\n", rss[k], n[k], k }' \
  "/proc/$agent_pid/smaps" 2>/dev/null | sort -rn | head -25 >"$out/smaps-top.txt" || true
metrics_get "$status_port" "$out/metrics-2-after-load.txt" || true
stop_pid "$sampler_pid"; forget_pid "$sampler_pid"
reap "$gen_pid"; forget_pid "$gen_pid"
[ "$exit_code" = 0 ] || { echo "measure-apm: the load exited with $exit_code; see $gen_log" >&2; exit 1; }
read -r loadavg _ </proc/loadavg; echo "loadavg_after=$loadavg" >>"$env_file"

# Drain: the trace sink has sent everything it was given (queue empty, received = sent + dropped).
drained=no
clock; drain_deadline=$(( now_ms + drain_timeout * 1000 ))
while alive "$agent_pid" && [ "$now_ms" -lt "$drain_deadline" ]; do
  if metrics_get "$status_port" "$out/metrics-3-drained.txt"; then
    q="$(metric "$out/metrics-3-drained.txt" '^pilotfish_sink_queue_items\{.*sink="datadog-traces"')"
    r="$(metric "$out/metrics-3-drained.txt" '^pilotfish_sink_received_total\{.*sink="datadog-traces"')"
    s="$(metric "$out/metrics-3-drained.txt" '^pilotfish_sink_sent_total\{.*sink="datadog-traces"')"
    d="$(metric "$out/metrics-3-drained.txt" '^pilotfish_sink_dropped_total\{.*sink="datadog-traces"')"
    if [ "$q" = 0 ] && [ "$r" = $(( s + d )) ]; then drained=yes; break; fi
  fi
  nap 0.5; clock
done
clock; echo "drain_ms=$(( now_ms - t1 ))" >>"$env_file"; echo "drained=$drained" >>"$env_file"
proc_ticks "$agent_pid"; echo "ticks_drained=$(( ticks - ticks0 ))" >>"$env_file"
proc_mem "$agent_pid"
{
  echo "window_ms=$(( t1 - t0 ))"
  echo "ticks=$(( ticks1 - ticks0 ))"
  echo "intake_ticks=$(( intake1 - intake0 ))"
  echo "clk_tck=$clk_tck"
  echo "hwm_kib=$hwm_kib"
  echo "end_rss_kib=$rss_kib"
} >>"$env_file"
awk 'NF == 4 { n++; s += $2; if ($2 > m) m = $2 } END { printf "rss_max_kib=%d\nrss_mean_kib=%d\nrss_samples=%d\n", m, n ? s / n : 0, n }' \
  "$out/samples.txt" >>"$env_file"
awk -v hz="$clk_tck" -v ms="$(( t1 - t0 ))" -v server="$agent_pid" -v load="$gen_pid" -v intake="$intake_pid" -v self="$$" '
  FNR == NR { before[$1] = $2; next }
  $1 != server && $1 != load && $1 != intake && $1 != self { d = $2 - (($1 in before) ? before[$1] : 0); total += d
                               if (d > 0) top = top sprintf(" %s(%d):%.1f%%", $3, $1, 100 * d / hz / (ms / 1000)) }
  END { printf "others_cpu_percent=%.0f\nothers=%s\n", 100 * total / hz / (ms / 1000), top }' \
  "$out/procs-0.txt" "$out/procs-1.txt" >>"$env_file"
awk -v hz="$clk_tck" -v ms="$(( t1 - t0 ))" '
  FILENAME ~ /thread-names/ { full[$1] = $2; next }
  FILENAME ~ /threads-0/ { before[$1] = $2; vol[$1] = $4; invol[$1] = $5; next }
  { d = $2 - before[$1]; n = ($1 in full) ? full[$1] : $3; s = ms / 1000
    if (d > 0) printf "%6.1f %%  %-44s tid %-7s %8.0f voluntary + %6.0f involuntary switches/s\n",
                      100 * d / hz / s, n, $1, ($4 - vol[$1]) / s, ($5 - invol[$1]) / s }' \
  "$out/thread-names.txt" "$out/threads-0.txt" "$out/threads-1.txt" | sort -rn | head -20 >"$out/threads.txt"

# SIGTERM: the agent stops taking payloads, flushes what it holds and its stats, and sends them.
clock; t="$now_ms"
kill -TERM "$agent_pid" 2>/dev/null || true
waited=0
while alive "$agent_pid" && [ "$waited" -lt $(( stop_timeout * 10 )) ]; do nap 0.1; waited=$(( waited + 1 )); done
if alive "$agent_pid"; then
  echo "measure-apm: the agent ignored SIGTERM for ${stop_timeout}s; killing it" >&2
  kill -KILL "$agent_pid" 2>/dev/null || true
fi
reap "$agent_pid"; forget_pid "$agent_pid"
clock; echo "stop_ms=$(( now_ms - t ))" >>"$env_file"; echo "agent_exit=$exit_code" >>"$env_file"
grep -q 'pipeline stopped' "$log" || echo "measure-apm: the agent's log has no 'pipeline stopped' line" >&2
stop_pid "$intake_pid"; forget_pid "$intake_pid"
[ -s "$out/intake.txt" ] || { echo "measure-apm: the intake wrote no report; see $out/intake.log" >&2; exit 1; }
sed 's/^requests \(.*\)=/request_\1=/; s/ /_/g; s/^/intake_/' "$out/intake.txt" >>"$env_file"
sed 's/^/load_/' "$out/load.env" >>"$env_file"

# ---------------------------------------------------------------- summary
get() { sed -n "s/^$1=//p" "$env_file" | tail -1; }
m="$out/metrics-3-drained.txt"
[ -s "$m" ] || m="$out/metrics-2-after-load.txt"
mb="$out/metrics-0-before.txt"
[ "$warmup" = 0 ] || mb="$out/metrics-1-after-warmup.txt"
delta() { # regex: the counter's growth from before the measured window to the drained agent
  echo $(( $(metric "$m" "$1") - $(metric "$mb" "$1") ))
}
labelled() { # regex label: "value:count ..." of the counter's growth by one label
  awk -v re="$1" -v label="$2" 'FNR == 1 { f++ } $0 ~ re { v = $0; sub(".*" label "=\"", "", v); sub("\".*", "", v)
       if (f == 1) b[v] += $NF; else a[v] += $NF }
       END { for (k in a) if (a[k] - b[k] != 0) printf "%s%s:%.0f", (n++ ? " " : ""), k, a[k] - b[k]; if (!n) printf "none" }' "$mb" "$m"
}
mib() { awk -v k="$1" 'BEGIN { if (k != "") printf "%.1f", k / 1024 }'; }
pct() { awk -v t="$1" -v hz="$clk_tck" -v w="$2" 'BEGIN { if (w > 0) printf "%.0f", 100 * t / hz / (w / 1000) }'; }
sent="$(get load_spans)"; dur="$(get load_duration_s)"
recv="$(delta '^pilotfish_apm_spans_received_total')"
at_intake="$(get intake_measured_spans)"
{
  echo "## APM over HTTP on loopback: $(get load_rate_target) spans/s for ${duration}s$( [ "$warmup" = 0 ] || echo ", after a ${warmup}s warm-up")"
  echo
  echo "Started $(date -u -d "@$(( t0 / 1000 ))" +%Y-%m-%dT%H:%M:%SZ). Machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r). Load average before: $(get loadavg_before)."
  echo "Load: ApmLoad, $connections connections, a payload of $(get load_spans_per_payload) spans ($(get load_payload_bytes) bytes of msgpack) every $interval_ms ms on each$( [ -z "$client_stats" ] || echo ", Datadog-Client-Computed-Stats")."
  echo "Agent: $launcher run, pilotfish $(get version); JDK: $("$java" -version 2>&1 | head -1)."
  echo "Command: \`bench/measure-apm.sh --rate $rate --duration $duration$( [ "$warmup" = 0 ] || echo " --warmup $warmup") --connections $connections --interval-ms $interval_ms${client_stats:+ $client_stats}$( [ "$agent_root" = "$root" ] || echo " --agent-root $agent_root")$(for kv in ${agent_env[@]+"${agent_env[@]}"}; do printf ' --agent-env %s' "$kv"; done)\`${PILOTFISH_JAVA_OPTS:+ with PILOTFISH_JAVA_OPTS=$PILOTFISH_JAVA_OPTS}"
  echo
  echo "| figure | value |"
  echo "|---|---|"
  echo "| sent by the load | $sent spans, $(get load_traces) traces, $(get load_payloads) payloads in $dur s |"
  echo "| spans/s sent (average; slowest and fastest second) | **$(get load_rate)** ($(get load_rate_min_1s); $(get load_rate_max_1s)) |"
  echo "| answers: 200 / 429 / other / failed (payloads) | $(get load_answered_200) / $(get load_answered_429) / $(get load_answered_other) / $(get load_failed)$( [ -z "$(get load_first_problem)" ] || echo " (first: $(get load_first_problem))") |"
  echo "| spans refused at the door (429, other, failed) | $(( $(get load_spans_429) + $(get load_spans_other) + $(get load_spans_failed) )) |"
  echo "| answer latency p50 / p99 / max (ms); latest a flush started (ms) | $(get load_latency_ms_p50) / $(get load_latency_ms_p99) / $(get load_latency_ms_max); $(get load_max_late_ms) |"
  echo "| spans the agent received (pilotfish_apm_spans_received_total) | $recv |"
  echo "| payload errors (pilotfish_apm_payload_errors_total, by reason) | $(labelled '^pilotfish_apm_payload_errors_total' reason) |"
  echo "| traces / spans dropped in the agent (by reason) | $(labelled '^pilotfish_apm_traces_dropped_total' reason) / $(labelled '^pilotfish_apm_spans_dropped_total' reason) |"
  echo "| sampling: kept / dropped (traces) | $(delta '^pilotfish_apm_sampling_total\{.*decision="kept"') / $(delta '^pilotfish_apm_sampling_total\{.*decision="dropped"') |"
  echo "| datadog-traces sink: received / sent / dropped (chunks, by reason) / retried | $(delta '^pilotfish_sink_received_total\{.*sink="datadog-traces"') / $(delta '^pilotfish_sink_sent_total\{.*sink="datadog-traces"') / $(labelled '^pilotfish_sink_dropped_total\{.*sink="datadog-traces"' reason) / $(delta '^pilotfish_sink_retried_total\{.*sink="datadog-traces"') |"
  echo "| sink drops, every sink (pilotfish_sink_dropped_total, by sink) | $(labelled '^pilotfish_sink_dropped_total' sink) |"
  echo "| drained after the load (sink queue empty) | $(get drained) in $(get drain_ms) ms |"
  echo "| **spans at the intake** (the load's trace ids), of $sent sent | **$at_intake** ($(get intake_measured_distinct_traces) distinct traces of $(get load_traces); $(get intake_repeated_chunks) chunks repeated) |"
  echo "| **lost** (sent − at the intake) | **$(( sent - at_intake ))** |"
  echo "| intake: trace payloads, bytes as sent (gzip) / protobuf; stats payloads | $(get intake_trace_payloads), $(get intake_wire_bytes) / $(get intake_protobuf_bytes); $(get intake_stats_payloads) |"
  echo "| agent CPU over the load, % of one core (utime + stime) | **$(pct "$(get ticks)" "$(get window_ms)")** |"
  echo "| agent CPU per span received (µs) | $(awk -v t="$(get ticks)" -v hz="$clk_tck" -v n="$recv" 'BEGIN { if (n > 0) printf "%.2f", 1e6 * t / hz / n }') |"
  echo "| agent RSS under load, max / mean (MiB, VmRSS every second) | **$(mib "$(get rss_max_kib)")** / $(mib "$(get rss_mean_kib)") |"
  echo "| agent peak RSS since start, VmHWM (MiB) | $(mib "$(get hwm_kib)") |"
  echo "| agent RSS before the load (MiB) | $(mib "$(get idle_rss_kib)") |"
  echo "| the load's CPU / the intake's CPU, % of one core | $(get load_cpu_percent_of_one_core) / $(pct "$(get intake_ticks)" "$(get window_ms)") |"
  echo "| every other process during the load, CPU % of one core | $(get others_cpu_percent) |"
  echo
  echo "Agent threads over the load (% of one core):"
  echo
  echo '```'
  cat "$out/threads.txt"
  echo '```'
  echo
  echo "Second by second (the load's spans per second; the agent's CPU and RSS between samples):"
  echo
  echo '```'
  awk -v hz="$clk_tck" -v per="$(get load_per_second)" '
    BEGIN { n = split(per, sent, ","); print "  s  spans sent  agent CPU %  RSS MiB" }
    NF == 4 { if (have) { dt = ($1 - t) / 1000; i++
                printf "%3d  %10s  %11.0f  %7.1f\n", i, (i <= n ? sent[i] : "-"), 100 * ($4 - k) / hz / dt, $2 / 1024 }
              have = 1; t = $1; k = $4 }' "$out/samples.txt"
  echo '```'
  echo
  echo "jstat -gc at the start and at the end of the load:"
  echo
  echo '```'
  cat "$out/gc.txt"
  echo '```'
  echo
  echo "The agent's APM counters every 10 s (spans received, payload errors, sink queue items):"
  echo
  echo '```'
  for f in "$out"/metrics-t*.txt; do
    [ -s "$f" ] || continue
    printf '%s spans_received=%s payload_errors=%s traces_sink_queue_items=%s traces_sink_sent=%s\n' "${f##*/}" \
      "$(metric "$f" '^pilotfish_apm_spans_received_total')" "$(metric "$f" '^pilotfish_apm_payload_errors_total')" \
      "$(metric "$f" '^pilotfish_sink_queue_items\{.*sink="datadog-traces"')" \
      "$(metric "$f" '^pilotfish_sink_sent_total\{.*sink="datadog-traces"')"
  done
  echo '```'
} | tee "$out/summary.md"

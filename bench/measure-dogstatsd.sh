#!/usr/bin/env bash
# DogStatsD over UDP on loopback, end to end: Pilotfish and npm's statsd daemon under the same load, one after the
# other in the same invocation.
#
#   bench/measure-dogstatsd.sh [--rate LINES_PER_S] [--duration S] [--warmup S] [--rcvbuf BYTES] [--only pilotfish|statsd]
#                              [--threads N] [--queue-size N] [--agent-env VAR=VALUE]... [--out DIR]
#   defaults: 500000 lines/s for 60 s, no warm-up, the OS's receive buffer (--rcvbuf 0), both servers,
#             1 sender thread, out = bench/target/measure-dogstatsd
#
# The load is io.pilotfish.bench.DogStatsdLoad (a java process on the benchmarks jar): a fixed-rate sender of a
# DogStatsD mix over 2,000 contexts (counters with tags, sampled counters, gauges, timers, distributions, sets and
# the check counter bench.check), packed into packets of at most 1,432 bytes. With --warmup it first sends the same
# mix for S seconds with bench.warmup in place of bench.check.
#   pilotfish  the testkit's IntakeRecorder (io.pilotfish.bench.DogStatsdIntake) and `./pilotfish run` (the launcher's
#              JVM flags) with DD_API_KEY/DD_DD_URL pointing at it, DD_DOGSTATSD_PORT on a free port,
#              DD_DOGSTATSD_SO_RCVBUF=--rcvbuf (0 = the OS default, not the agent's 4 MiB), no SSM, no status port, no ECS metadata,
#              PILOTFISH_TELEMETRY_SHIP=true (its own figures go to the intake, where they are read). Lines received =
#              the sum of its pilotfish.dogstatsd.messages self-telemetry at the intake; agent-side loss =
#              pilotfish.dogstatsd.dropped by reason; bench.check at the intake (sum of value x interval) against
#              the lines sent. The agent gets SIGTERM after the load (it flushes every bucket), then the intake
#              writes its report.
#   statsd     statsd@STATSD_VERSION from npm (installed into bench/target/statsd, pinned), flushInterval 10 s, no
#              output backend but bench/statsd-totals-backend.js, which sums statsd.metrics_received (its count of
#              lines) and bench.check over the flushes; read from its management port after the socket is drained
#              and one more flush has happened. Its socket gets the same --rcvbuf (bench/statsd-udp-server.js).
# For each: kernel drops of the server's socket from /proc/net/udp before and after, RSS (VmRSS every second during
# the load, VmHWM), CPU (utime + stime of the process over the load, and per thread), the generator's own CPU, and
# the CPU of every other process over the load (from their /proc/<pid>/stat; /proc/stat undercounts on this VM).
# Output: a Markdown summary on stdout and in OUT/summary.md; OUT/<server>.env (every figure), OUT/<server>-samples.txt
# (one line a second), OUT/<server>-threads.txt, the load's, intake's and servers' logs.
# Every process it starts is stopped on exit (SIGTERM, then SIGKILL after 25 s); every wait is bounded.
set -euo pipefail
export LC_ALL=C

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
STATSD_VERSION="0.9.0"   # the latest statsd on npm; pinned so both columns stay comparable between runs
rate=500000
duration=60
warmup=0
rcvbuf=0
only=""
threads=1
queue_size=""
agent_env=()
out="$here/target/measure-dogstatsd"
ready_timeout=60
stop_timeout=25
drain_timeout=60
api_key="pilotfish-bench-key-0000"   # not a secret: only the local recorder accepts it

while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --rcvbuf) rcvbuf="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --queue-size) queue_size="$2"; shift 2 ;;
    --agent-env) agent_env+=("$2"); shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "measure-dogstatsd: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for n in rate duration threads; do
  [[ "${!n}" =~ ^[1-9][0-9]*$ ]] || { echo "measure-dogstatsd: --$n needs a whole number >= 1" >&2; exit 2; }
done
[[ "$warmup" =~ ^[0-9]+$ ]] || { echo "measure-dogstatsd: --warmup needs whole seconds" >&2; exit 2; }
[ "$rcvbuf" = default ] && rcvbuf=0
[[ "$rcvbuf" =~ ^[0-9]+$ ]] || { echo "measure-dogstatsd: --rcvbuf needs bytes (0 = the OS default)" >&2; exit 2; }
[ -z "$queue_size" ] || [[ "$queue_size" =~ ^[1-9][0-9]*$ ]] || { echo "measure-dogstatsd: --queue-size needs a number" >&2; exit 2; }
case "$only" in ""|pilotfish|statsd) ;; *) echo "measure-dogstatsd: --only takes pilotfish or statsd" >&2; exit 2 ;; esac
for kv in ${agent_env[@]+"${agent_env[@]}"}; do
  [[ "$kv" =~ ^[A-Z_][A-Z0-9_]*=.*$ ]] || { echo "measure-dogstatsd: --agent-env needs VAR=VALUE, got $kv" >&2; exit 2; }
done
servers=()
[ "$only" = statsd ] || servers+=(pilotfish)
[ "$only" = pilotfish ] || servers+=(statsd)

bench_jar="$here/target/pilotfish-bench.jar"
agent_jar="$root/runtime/agent/target/quarkus-app/quarkus-run.jar"
if [ ! -f "$bench_jar" ]; then
  echo "measure-dogstatsd: $bench_jar is missing; build it: ./mvnw -q -B -pl bench package" >&2; exit 2
fi
if [[ " ${servers[*]} " == *" pilotfish "* ]] && [ ! -f "$agent_jar" ]; then
  echo "measure-dogstatsd: the packaged agent is missing; build it: ./mvnw -q -B -DskipTests -pl runtime/agent -am install" >&2
  exit 2
fi
JAVA_HOME="$("$root/scripts/find-java.sh")"
java="$JAVA_HOME/bin/java"

mkdir -p "$out"
rm -f "$out"/*.log "$out"/*.env "$out"/*.txt "$out/summary.md" "$out/statsd-config.js" "$out/.nap"

# statsd, pinned. A failed install stops the run: a missing column would hide the comparison.
statsd_dir="$here/target/statsd"
statsd_js="$statsd_dir/node_modules/statsd/stats.js"
if [[ " ${servers[*]} " == *" statsd "* ]]; then
  command -v node >/dev/null || { echo "measure-dogstatsd: node is not installed (statsd needs it)" >&2; exit 2; }
  installed="$(node -p "require('$statsd_dir/node_modules/statsd/package.json').version" 2>/dev/null || true)"
  if [ "$installed" != "$STATSD_VERSION" ]; then
    echo "measure-dogstatsd: installing statsd@$STATSD_VERSION into $statsd_dir" >&2
    mkdir -p "$statsd_dir"
    if ! npm install --prefix "$statsd_dir" --omit=optional --no-audit --no-fund --save-exact \
        "statsd@$STATSD_VERSION" >"$out/npm-install.log" 2>&1; then
      echo "measure-dogstatsd: npm install statsd@$STATSD_VERSION FAILED; see $out/npm-install.log" >&2
      cat "$out/npm-install.log" >&2
      exit 1
    fi
    installed="$(node -p "require('$statsd_dir/node_modules/statsd/package.json').version")"
    [ "$installed" = "$STATSD_VERSION" ] || { echo "measure-dogstatsd: installed statsd is $installed, not $STATSD_VERSION" >&2; exit 1; }
  fi
fi

# ---------------------------------------------------------------- processes and cleanup
script=measure-dogstatsd
source "$here/lib.sh"

free_port() { # udp|tcp: a free port on 127.0.0.1 (bound and released; nothing else here picks ports)
  python3 -c 'import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}

# ---------------------------------------------------------------- /proc readers (bash only, no forks)
clk_tck="$(getconf CLK_TCK)"
udp_socket() { # port: sets sock_rxq (bytes queued) and sock_drops (kernel drops) of the UDP sockets on the port
  local port_hex table f found=0
  printf -v port_hex '%04X' "$1"
  sock_rxq=0; sock_drops=0
  for table in /proc/net/udp /proc/net/udp6; do
    [ -r "$table" ] || continue
    while read -r -a f; do
      [[ "${f[1]}" == *":$port_hex" ]] || continue
      sock_rxq=$(( sock_rxq + 16#${f[4]#*:} )); sock_drops=$(( sock_drops + f[12] )); found=1
    done <"$table"
  done
  [ "$found" = 1 ]
}
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
machine_ticks() { # sets busy_ticks and all_ticks from /proc/stat
  local cpu user nice system idle iowait irq softirq steal rest
  read -r cpu user nice system idle iowait irq softirq steal rest </proc/stat
  busy_ticks=$(( user + nice + system + irq + softirq + steal )); all_ticks=$(( busy_ticks + idle + iowait ))
}
# file: "pid ticks name" for every process, ticks = utime + stime + cutime + cstime (children that exited and were
# reaped count in their parent, so short-lived processes are not lost)
procs_snapshot() {
  local f line fields pid name
  for f in /proc/[0-9]*/stat; do
    read -r line 2>/dev/null <"$f" || continue
    pid="${f#/proc/}"; pid="${pid%/stat}"
    read -r -a fields <<<"${line##*) }"
    name="${line#*(}"; name="${name%)*}"
    printf '%s %s %s\n' "$pid" $(( fields[11] + fields[12] + fields[13] + fields[14] )) "${name// /_}"
  done >"$1"
}
thread_snapshot() { # pid file: one line per thread, "tid ticks name voluntary_switches involuntary_switches"
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
gc_snapshot() { # pid file: for a JVM server, appends `jstat -gc` (collections and their time so far)
  [ -n "${jvm_pid:-}" ] && [ "$jvm_pid" = "$1" ] || return 0
  "$JAVA_HOME/bin/jstat" -gc "$1" >>"$2" 2>&1 || true
}
sampler() { # pid port file: one line a second until killed: epoch_ms rss_kib hwm_kib ticks rxq_bytes drops
  local pid="$1" port="$2" file="$3"
  while alive "$pid"; do
    clock; proc_mem "$pid"; proc_ticks "$pid" || true; udp_socket "$port" || true
    printf '%s %s %s %s %s %s\n' "$now_ms" "$rss_kib" "$hwm_kib" "$ticks" "$sock_rxq" "$sock_drops" >>"$file"
    nap 1
  done
}

# ---------------------------------------------------------------- one server under the load
# measure NAME PID PORT: runs the load against PORT while PID serves it; writes the figures to OUT/NAME.env
measure() {
  local name="$1" pid="$2" port="$3" env="$out/$1.env" gen_log="$out/$1-load.log" gen_pid sampler_pid deadline
  local t0 t1 ticks0 ticks1 busy0 all0 drops0 drops1
  : >"$out/$name-samples.txt"
  nap 2   # let the server settle after its start
  proc_mem "$pid"; echo "idle_rss_kib=$rss_kib" >>"$env"
  udp_socket "$port" || { echo "measure-dogstatsd: no UDP socket on port $port for $name" >&2; return 1; }
  drops0="$sock_drops"
  ss -u -a -m -n "sport = :$port" >"$out/$name-socket.txt" 2>&1 || true
  read -r loadavg _ </proc/loadavg; echo "loadavg_before=$loadavg" >>"$env"

  # The warm-up, if any, is not part of the measured window: the snapshots are taken when it ends (the load
  # prints that line), so only the measured seconds count.
  : >"$gen_log"
  "$java" -XX:+UseSerialGC -Xms64m -Xmx256m -cp "$bench_jar" io.pilotfish.bench.DogStatsdLoad \
    --port "$port" --rate "$rate" --duration "$duration" --warmup "$warmup" --threads "$threads" \
    --out "$out/$name-load.env" >"$gen_log" 2>&1 &
  gen_pid="$!"; started_pids+=("$gen_pid")
  if [ "$warmup" -gt 0 ]; then
    wait_for_line "$gen_log" '^warmup done' "$gen_pid" $(( warmup + 60 )) >/dev/null \
      || { echo "measure-dogstatsd: the load's warm-up did not finish; see $gen_log" >&2; return 1; }
  fi
  gc_snapshot "$pid" "$out/$name-gc.txt"
  clock; t0="$now_ms"; proc_ticks "$pid"; ticks0="$ticks"; machine_ticks; busy0="$busy_ticks"; all0="$all_ticks"
  procs_snapshot "$out/$name-procs-0.txt"
  thread_snapshot "$pid" "$out/$name-threads-0.txt"
  sampler "$pid" "$port" "$out/$name-samples.txt" &
  sampler_pid="$!"; started_pids+=("$sampler_pid")

  clock; deadline=$(( now_ms + (duration + warmup + 90) * 1000 ))
  while alive "$gen_pid"; do
    clock; [ "$now_ms" -lt "$deadline" ] || { echo "measure-dogstatsd: the load did not end in time" >&2; break; }
    nap 0.2
  done
  clock; t1="$now_ms"
  proc_ticks "$pid"; ticks1="$ticks"; machine_ticks
  procs_snapshot "$out/$name-procs-1.txt"
  thread_snapshot "$pid" "$out/$name-threads-1.txt"
  gc_snapshot "$pid" "$out/$name-gc.txt"
  if [ -n "${jvm_pid:-}" ] && [ "$jvm_pid" = "$pid" ]; then   # where a JVM's RSS goes (NMT only with -XX:NativeMemoryTracking)
    { "$JAVA_HOME/bin/jcmd" "$pid" GC.heap_info; "$JAVA_HOME/bin/jcmd" "$pid" VM.native_memory summary; } \
      >"$out/$name-jvm.txt" 2>&1 || true
  fi
  echo "machine_busy_percent=$(( 100 * (busy_ticks - busy0) / (all_ticks - all0 > 0 ? all_ticks - all0 : 1) ))" >>"$env"
  echo "machine_ticks=busy $busy0..$busy_ticks all $all0..$all_ticks" >>"$env"
  echo "pids=server $pid load $gen_pid" >>"$env"
  # /proc/stat undercounts on this VM while the servers park and wake thousands of times a second (its "all" ticks
  # advanced at 150 instead of 200 a second), so the other processes' CPU is summed from their own counters instead.
  # This script is left out: bash reaps the load as soon as it exits, which moves its CPU into our cutime.
  awk -v hz="$clk_tck" -v ms="$(( t1 - t0 ))" -v server="$pid" -v load="$gen_pid" -v self="$$" '
    FNR == NR { before[$1] = $2; next }
    $1 != server && $1 != load && $1 != self { d = $2 - (($1 in before) ? before[$1] : 0); total += d
                                 if (d > 0) top = top sprintf(" %s(%d):%.1f%%", $3, $1, 100 * d / hz / (ms / 1000)) }
    END { printf "others_cpu_percent=%.0f\nothers=%s\n", 100 * total / hz / (ms / 1000), top }' \
    "$out/$name-procs-0.txt" "$out/$name-procs-1.txt" >>"$env"
  stop_pid "$sampler_pid"; forget_pid "$sampler_pid"
  reap "$gen_pid"; forget_pid "$gen_pid"
  [ "$exit_code" = 0 ] || { echo "measure-dogstatsd: the load exited with $exit_code; see $gen_log" >&2; return 1; }
  read -r loadavg _ </proc/loadavg; echo "loadavg_after=$loadavg" >>"$env"

  # Drain: the server has read everything once its socket's receive queue is empty.
  local drained=no
  clock; deadline=$(( now_ms + drain_timeout * 1000 ))
  while alive "$pid" && [ "$now_ms" -lt "$deadline" ]; do
    udp_socket "$port" || break
    if [ "$sock_rxq" = 0 ]; then drained=yes; break; fi
    nap 0.1; clock
  done
  clock; echo "drain_ms=$(( now_ms - t1 ))" >>"$env"; echo "drained=$drained" >>"$env"
  drained_at_ms="$now_ms"
  proc_ticks "$pid"; echo "ticks_drained=$(( ticks - ticks0 ))" >>"$env"
  udp_socket "$port" || true; drops1="$sock_drops"
  ss -u -a -m -n "sport = :$port" >>"$out/$name-socket.txt" 2>&1 || true
  proc_mem "$pid"
  {
    echo "window_ms=$(( t1 - t0 ))"
    echo "ticks=$(( ticks1 - ticks0 ))"
    echo "clk_tck=$clk_tck"
    echo "kernel_drops_proc=$(( drops1 - drops0 ))"
    echo "hwm_kib=$hwm_kib"
    echo "end_rss_kib=$rss_kib"
  } >>"$env"
  awk 'NF == 6 { n++; s += $2; if ($2 > m) m = $2 } END { printf "rss_max_kib=%d\nrss_mean_kib=%d\nrss_samples=%d\n", m, n ? s / n : 0, n }' \
    "$out/$name-samples.txt" >>"$env"
  # Threads: CPU over the window, busiest first. The kernel keeps 15 characters of a thread's name; for a JVM the
  # full names come from jcmd Thread.print (nid = the thread's id in hex), taken after the load.
  : >"$out/$name-thread-names.txt"
  if [ -n "${jvm_pid:-}" ] && [ "$jvm_pid" = "$pid" ]; then
    "$JAVA_HOME/bin/jcmd" "$pid" Thread.print 2>/dev/null \
      | sed -nE 's/^"([^"]*)".* nid=(0x[0-9a-f]+|[0-9]+) .*/\2 \1/p' \
      | while read -r nid tname; do printf '%d %s\n' "$nid" "${tname// /_}"; done >"$out/$name-thread-names.txt" || true
  fi
  awk -v hz="$clk_tck" -v ms="$(( t1 - t0 ))" '
    FILENAME ~ /thread-names/ { full[$1] = $2; next }
    FILENAME ~ /threads-0/ { before[$1] = $2; vol[$1] = $4; invol[$1] = $5; next }
    { d = $2 - before[$1]; n = ($1 in full) ? full[$1] : $3; s = ms / 1000
      if (d > 0) printf "%6.1f %%  %-40s tid %-7s %8.0f voluntary + %6.0f involuntary switches/s\n",
                        100 * d / hz / s, n, $1, ($4 - vol[$1]) / s, ($5 - invol[$1]) / s }' \
    "$out/$name-thread-names.txt" "$out/$name-threads-0.txt" "$out/$name-threads-1.txt" \
    | sort -rn | head -15 >"$out/$name-threads.txt"
  sed 's/^/load_/' "$out/$name-load.env" >>"$env"
}

# ---------------------------------------------------------------- Pilotfish
run_pilotfish() {
  local env="$out/pilotfish.env" port intake_pid agent_pid line intake_uri log="$out/pilotfish-agent.log"
  : >"$env"
  : >"$out/pilotfish-intake.log"
  "$java" -XX:+UseSerialGC -Xmx512m -XX:TieredStopAtLevel=1 -cp "$bench_jar" io.pilotfish.bench.DogStatsdIntake \
    --key "$api_key" --out "$out/pilotfish-intake.txt" >"$out/pilotfish-intake.log" 2>&1 &
  intake_pid="$!"; started_pids+=("$intake_pid")
  line="$(wait_for_line "$out/pilotfish-intake.log" '^intake recorder listening on ' "$intake_pid" 30)" \
    || { echo "measure-dogstatsd: the intake recorder did not start; see $out/pilotfish-intake.log" >&2; return 1; }
  intake_uri="${line#intake recorder listening on }"
  [[ "$intake_uri" =~ ^http://127\.0\.0\.1:[0-9]+(/|$) ]] || { echo "measure-dogstatsd: $intake_uri is not loopback" >&2; return 1; }

  port="$(free_port udp)"
  # The agent's own figures (lines received, drops) are read at the intake, so it ships them here (off by default);
  # the figures of earlier runs were taken with them shipped too.
  local agent_vars=(DD_API_KEY="$api_key" DD_DD_URL="$intake_uri" DD_DOGSTATSD_PORT="$port"
                    PILOTFISH_SSM_ENABLED=false PILOTFISH_STATUS_PORT=0 PILOTFISH_TELEMETRY_SHIP=true)
  agent_vars+=(DD_DOGSTATSD_SO_RCVBUF="$rcvbuf")   # always: 0 is the OS default, as for statsd
  [ -z "$queue_size" ] || agent_vars+=(DD_DOGSTATSD_QUEUE_SIZE="$queue_size")
  agent_vars+=(${agent_env[@]+"${agent_env[@]}"})
  [ -n "${PILOTFISH_JAVA_OPTS:-}" ] && agent_vars+=("PILOTFISH_JAVA_OPTS=$PILOTFISH_JAVA_OPTS")
  printf 'agent_env=%s\n' "$(printf '%s ' "${agent_vars[@]}" | sed "s/$api_key/<key>/")" >>"$env"
  : >"$log"
  env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 JAVA_HOME="$JAVA_HOME" "${agent_vars[@]}" \
    "$root/pilotfish" run >"$log" 2>&1 &
  agent_pid="$!"; started_pids+=("$agent_pid")   # the launcher execs java: this is the JVM's pid
  wait_for_line "$log" ' ready in [0-9]+ ms' "$agent_pid" "$ready_timeout" >/dev/null \
    || { echo "measure-dogstatsd: the agent did not get ready; see $log" >&2; return 1; }
  wait_for_line "$log" "dogstatsd listening: udp 127\\.0\\.0\\.1:$port" "$agent_pid" 10 >/dev/null \
    || { echo "measure-dogstatsd: the agent does not listen on udp $port; see $log" >&2; return 1; }

  jvm_pid="$agent_pid"
  measure pilotfish "$agent_pid" "$port"

  # SIGTERM: the agent parses what is queued, flushes every bucket and its last self-telemetry, and sends them.
  clock; local t="$now_ms"
  stop_pid "$agent_pid"; forget_pid "$agent_pid"
  clock; echo "stop_ms=$(( now_ms - t ))" >>"$env"
  grep -q 'pipeline stopped' "$log" || echo "measure-dogstatsd: the agent's log has no 'pipeline stopped' line" >&2
  stop_pid "$intake_pid"; forget_pid "$intake_pid"
  [ -s "$out/pilotfish-intake.txt" ] || { echo "measure-dogstatsd: the intake wrote no report; see $out/pilotfish-intake.log" >&2; return 1; }
  grep -v '^timeline ' "$out/pilotfish-intake.txt" | sed 's/^requests \(.*\)=/request_\1=/; s/ /_/g; s/^/intake_/' >>"$env"
  echo "version=$(sed -nE 's/.*pilotfish ([^ ]+) ready in.*/\1/p' "$log" | head -1)" >>"$env"
}

# ---------------------------------------------------------------- statsd
statsd_stats() { # mgmt port: the answer to the management console's `stats`, up to END
  local fd line
  exec {fd}<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'stats\n' >&"$fd"
  while IFS= read -r -t 5 -u "$fd" line; do
    line="${line%$'\r'}"
    [ "$line" = END ] && break
    printf '%s\n' "$line"
  done
  exec {fd}>&-
}
run_statsd() {
  local env="$out/statsd.env" port mgmt statsd_pid log="$out/statsd.log" config="$out/statsd-config.js" answer
  : >"$env"
  port="$(free_port udp)"; mgmt="$(free_port tcp)"
  cat >"$config" <<EOF
{
  servers: [{ server: "$here/statsd-udp-server.js", address: "127.0.0.1", port: $port, recvBufferSize: $rcvbuf }],
  mgmt_address: "127.0.0.1",
  mgmt_port: $mgmt,
  flushInterval: 10000,
  percentThreshold: [95],
  deleteIdleStats: true,
  automaticConfigReload: false,
  backends: ["$here/statsd-totals-backend.js"]
}
EOF
  : >"$log"
  node "$statsd_js" "$config" >"$log" 2>&1 &
  statsd_pid="$!"; started_pids+=("$statsd_pid")
  wait_for_line "$log" 'server is up' "$statsd_pid" 30 >/dev/null \
    || { echo "measure-dogstatsd: statsd did not start; see $log" >&2; return 1; }

  measure statsd "$statsd_pid" "$port"

  # Every datagram has been read (receive queue empty); the next flush adds the last interval to the totals.
  local deadline flush_ms
  clock; deadline=$(( now_ms + 25000 ))
  while :; do
    answer="$(statsd_stats "$mgmt" || true)"
    flush_ms="$(sed -n 's/^bench.flush_epoch_ms: //p' <<<"$answer")"
    [ -n "$flush_ms" ] && [ "$flush_ms" -gt "$drained_at_ms" ] && break
    clock; [ "$now_ms" -lt "$deadline" ] || { echo "measure-dogstatsd: no statsd flush after the drain" >&2; break; }
    nap 0.5
  done
  printf '%s\n' "$answer" >"$out/statsd-stats.txt"
  sed -n 's/^bench\.\([a-z_]*\): /statsd_\1=/p; s/^messages\.bad_lines_seen: /statsd_messages_bad_lines_seen=/p' \
    <<<"$answer" >>"$env"
  stop_pid "$statsd_pid"; forget_pid "$statsd_pid"
  echo "version=$STATSD_VERSION" >>"$env"
}

# ---------------------------------------------------------------- the runs
warm_note=""
[ "$warmup" = 0 ] || warm_note=", warm-up ${warmup}s"
read -r load_start _ </proc/loadavg
started_at="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
status=0
for server in "${servers[@]}"; do
  echo "measure-dogstatsd: $server: $rate lines/s for ${duration}s${warm_note}, rcvbuf $rcvbuf" >&2
  if ! "run_$server"; then
    echo "measure-dogstatsd: the $server run FAILED" >&2; status=1
    cleanup; trap cleanup EXIT   # stop what that run left, then go on with the next server
    mkfifo "$out/.nap" 2>/dev/null || true; exec {nap_fd}<>"$out/.nap"
  fi
done

# ---------------------------------------------------------------- summary
get() { sed -n "s/^$2=//p" "$out/$1.env" 2>/dev/null | tail -1; }
fig() { # server: sets the figures used in the table
  local s="$1"
  f_sent="$(get "$s" load_lines)"; f_dur="$(get "$s" load_duration_s)"; f_rate="$(get "$s" load_rate)"
  f_min="$(get "$s" load_rate_min_1s)"; f_packets="$(get "$s" load_packets)"; f_check="$(get "$s" load_check_lines)"
  f_kdrops="$(get "$s" kernel_drops_proc)"; f_gencpu="$(get "$s" load_cpu_percent_of_one_core)"
  f_rssmax="$(get "$s" rss_max_kib)"; f_rssmean="$(get "$s" rss_mean_kib)"; f_hwm="$(get "$s" hwm_kib)"
  f_idle="$(get "$s" idle_rss_kib)"; f_machine="$(get "$s" others_cpu_percent)"
  local t="$(get "$s" ticks)" w="$(get "$s" window_ms)"
  f_cpu="$(awk -v t="$t" -v hz="$clk_tck" -v w="$w" 'BEGIN { if (w > 0) printf "%.0f", 100 * t / hz / (w / 1000) }')"
  if [ "$s" = pilotfish ]; then
    f_recv="$(get "$s" intake_messages)"; f_loss="$(get "$s" intake_dropped)"
    f_loss_detail="$(grep '^intake_dropped_' "$out/$s.env" | sed 's/^intake_dropped_//' | paste -sd' ' - || true)"
    f_got_check="$(get "$s" intake_check_total)"; f_telemetry_kdrops="$(get "$s" intake_kernel_drops)"
  else
    f_recv="$(get "$s" statsd_metrics_received)"; f_loss="0"; f_loss_detail="(no queue: statsd parses in its read callback)"
    f_got_check="$(get "$s" statsd_check)"; f_telemetry_kdrops="n/a (bad lines: $(get "$s" statsd_bad_lines_seen))"
  fi
  # Without a warm-up the servers' counters cover exactly the measured lines. With one, they also hold the warm-up's
  # lines and losses, which cannot be told apart from theirs (the agent reports every 10 s): the totals are shown
  # for the whole run, and the measured window's share of lines processed is estimated from bench.check, which
  # only the window sends (4 % of the lines, spread over the packets), and is exact for that counter.
  f_warm="$(get "$s" load_warmup_lines)"; f_warm="${f_warm:-0}"
  f_lost="$(( ${f_sent:-0} + f_warm - ${f_recv:-0} ))"
  if [ "$f_warm" = 0 ]; then
    f_recv_window="$f_recv"; f_note=""
  else
    f_recv_window="$(awk -v s="$f_sent" -v g="$f_got_check" -v c="$f_check" 'BEGIN { if (c > 0) printf "%.0f", s * g / c }')"
    f_note=" ≈ (from bench.check)"
    f_recv="$f_recv (whole run: $f_warm warm-up lines + the window)"
    f_lost="$f_lost (whole run); in the window ≈ $(( f_sent - f_recv_window ))"
  fi
  f_proc_rate="$(awk -v n="$f_recv_window" -v d="$f_dur" 'BEGIN { if (d > 0) printf "%.0f", n / d }')"
  f_cpu_per_line="$(awk -v t="$(get "$s" ticks)" -v hz="$clk_tck" -v n="$f_recv_window" 'BEGIN { if (n > 0) printf "%.2f", 1e6 * t / hz / n }')"
}
mib() { awk -v k="$1" 'BEGIN { if (k != "") printf "%.1f", k / 1024 }'; }
{
  echo "## DogStatsD over UDP on loopback: $rate lines/s for ${duration}s${warm_note}"
  echo
  echo "Started $started_at. Machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)."
  echo "Load average before: $load_start; net.core.rmem_max = $(cat /proc/sys/net/core/rmem_max), rmem_default = $(cat /proc/sys/net/core/rmem_default); --rcvbuf $rcvbuf${queue_size:+; queue-size $queue_size}."
  echo "Load: DogStatsdLoad, $threads sender thread(s), packets <= 1432 bytes. JDK: $("$java" -version 2>&1 | head -1)$(command -v node >/dev/null && echo "; node $(node --version)")."
  echo "Command: \`bench/measure-dogstatsd.sh --rate $rate --duration $duration$( [ "$warmup" = 0 ] || echo " --warmup $warmup") --rcvbuf $rcvbuf${only:+ --only $only}${queue_size:+ --queue-size $queue_size}$(for kv in ${agent_env[@]+"${agent_env[@]}"}; do printf ' --agent-env %s' "$kv"; done)\`${PILOTFISH_JAVA_OPTS:+ with PILOTFISH_JAVA_OPTS=$PILOTFISH_JAVA_OPTS}"
  echo
  header="| figure |"; rule="|---|"
  for s in "${servers[@]}"; do
    [ -s "$out/$s.env" ] || continue
    if [ "$s" = pilotfish ]; then header+=" Pilotfish $(get pilotfish version) |"; else header+=" statsd $(get statsd version) (npm) |"; fi
    rule+="---|"
  done
  both=no
  [ -s "$out/pilotfish.env" ] && [ -s "$out/statsd.env" ] && both=yes
  [ "$both" = yes ] && { header+=" Pilotfish / statsd |"; rule+="---|"; }
  echo "$header"; echo "$rule"
  declare -A row
  keys=(sent rate min recv prate lost loss kdrops tkdrops check cpu cpul rss hwm idle gencpu machine)
  for s in "${servers[@]}"; do
    [ -s "$out/$s.env" ] || continue
    fig "$s"
    row[sent,$s]="$f_sent lines, $f_packets packets in ${f_dur} s"
    row[rate,$s]="$f_rate"
    row[min,$s]="$f_min"
    row[recv,$s]="$f_recv"
    row[prate,$s]="**$f_proc_rate**$f_note"
    row[lost,$s]="$f_lost"
    row[loss,$s]="$f_loss${f_loss_detail:+ ($f_loss_detail)}"
    row[kdrops,$s]="$f_kdrops"
    row[tkdrops,$s]="$f_telemetry_kdrops"
    row[check,$s]="$f_got_check of $f_check"
    row[cpu,$s]="$f_cpu"
    row[cpul,$s]="$f_cpu_per_line"
    row[rss,$s]="**$(mib "$f_rssmax")** / $(mib "$f_rssmean")"
    row[hwm,$s]="$(mib "$f_hwm")"
    row[idle,$s]="$(mib "$f_idle")"
    row[gencpu,$s]="$f_gencpu"
    row[machine,$s]="$f_machine"
    declare "v_${s}_prate=$f_proc_rate" "v_${s}_cpul=$f_cpu_per_line" "v_${s}_rss=$f_rssmax" "v_${s}_cpu=$f_cpu"
  done
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
  if [ "$both" = yes ]; then
    row[prate,ratio]="$(ratio "$v_pilotfish_prate" "$v_statsd_prate")"
    row[cpu,ratio]="$(ratio "$v_pilotfish_cpu" "$v_statsd_cpu")"
    row[cpul,ratio]="$(ratio "$v_pilotfish_cpul" "$v_statsd_cpul")"
    row[rss,ratio]="$(ratio "$v_pilotfish_rss" "$v_statsd_rss")"
  fi
  label() {
    case "$1" in
      sent) echo "sent by the load" ;;
      rate) echo "lines/s sent (average)" ;;
      min) echo "lines/s sent, slowest second" ;;
      recv) echo "lines processed (Pilotfish: Σ pilotfish.dogstatsd.messages; statsd: Σ statsd.metrics_received)" ;;
      prate) echo "lines/s processed in the measured window" ;;
      lost) echo "lines sent but not processed" ;;
      loss) echo "server-side loss, packets (Pilotfish: pilotfish.dogstatsd.dropped by reason)$( [ "$warmup" = 0 ] || echo ", whole run")" ;;
      kdrops) echo "kernel receive-buffer drops, packets (/proc/net/udp)" ;;
      tkdrops) echo "kernel drops as the agent reports them (pilotfish.dogstatsd.kernel_drops)" ;;
      check) echo "bench.check total at the far end, of lines sent" ;;
      cpu) echo "server CPU, % of one core (utime + stime over the load)" ;;
      cpul) echo "server CPU per line processed (µs)" ;;
      rss) echo "RSS under load, max / mean (MiB, VmRSS every second)" ;;
      hwm) echo "peak RSS since start, VmHWM (MiB)" ;;
      idle) echo "RSS before the load (MiB)" ;;
      gencpu) echo "load generator CPU, % of one core" ;;
      machine) echo "every other process during the load, CPU % of one core" ;;
    esac
  }
  for k in "${keys[@]}"; do
    line="| $(label "$k") |"
    for s in "${servers[@]}"; do [ -s "$out/$s.env" ] && line+=" ${row[$k,$s]:-} |"; done
    [ "$both" = yes ] && line+=" ${row[$k,ratio]:-} |"
    echo "$line"
  done
  for s in "${servers[@]}"; do
    [ -s "$out/$s.env" ] || continue
    echo
    echo "$s: busiest threads over the load (% of one core):"
    echo
    echo '```'
    cat "$out/$s-threads.txt"
    echo '```'
  done
  for s in "${servers[@]}"; do
    [ -s "$out/$s.env" ] && [ -s "$out/$s-samples.txt" ] || continue
    echo
    echo "$s, second by second (the load's count per second; the server's CPU, kernel drops and receive queue between samples):"
    echo
    echo '```'
    awk -v hz="$clk_tck" -v per="$(get "$s" load_per_second)" '
      BEGIN { n = split(per, sent, ","); print "  s  lines sent  server CPU %  kernel drops  rx queue KiB  RSS MiB" }
      NF == 6 { if (have) { dt = ($1 - t) / 1000; i++
                  printf "%3d  %10s  %12.0f  %12d  %12.0f  %7.1f\n", i, (i <= n ? sent[i] : "-"),
                         100 * ($4 - k) / hz / dt, $6 - d, $5 / 1024, $2 / 1024 }
                have = 1; t = $1; k = $4; d = $6 }' "$out/$s-samples.txt"
    echo '```'
    if [ -s "$out/$s-gc.txt" ]; then
      echo
      echo "$s: jstat -gc at the start and at the end of the load:"
      echo
      echo '```'
      cat "$out/$s-gc.txt"
      echo '```'
    fi
  done
  if [ -s "$out/pilotfish-intake.txt" ]; then
    echo
    echo "Pilotfish self-telemetry, one line per 10 s report (counts are per interval):"
    echo
    echo '```'
    grep '^timeline ' "$out/pilotfish-intake.txt" | sed 's/ collector:dogstatsd//g'
    echo '```'
  fi
  if [ -s "$out/statsd-stats.txt" ]; then
    echo
    echo "statsd lines per 10 s flush (epoch s:statsd.metrics_received): $(sed -n 's/^bench.per_flush: //p' "$out/statsd-stats.txt")"
  fi
} | tee "$out/summary.md"
exit "$status"

#!/usr/bin/env bash
# Measures `pilotfish health` in JVM mode, as ECS runs it every 30 s: wall time, peak RSS and CPU time of each check.
#
#   bench/measure-health.sh [--runs N] [--old-runs N] [--port PORT] [--out DIR]
#
# Unless --port names the status port of an agent already running, starts the testkit's EcsMetadataSimulator (the
# 3-container Fargate demo task) and IntakeRecorder on the benchmarks jar, then the packaged agent with
# `./pilotfish run` (a clean environment; status endpoint and DogStatsD on free ports), and waits for its
# "ready in" line. Then, each check a separate process spawned and reaped by python3 (wall time from spawn to
# exit; peak RSS is the child's ru_maxrss from wait4, which covers the launcher's bash and its JDK lookup too;
# CPU is user + system time):
#   launcher, agent up     ./pilotfish health --port P                        N runs
#   launcher, no agent     ./pilotfish health --port Q, Q a closed port       N runs (connection refused)
#   probe JVM alone        java <the launcher's probe flags> -cp <probe jar>  N runs (no bash, no JDK lookup)
#   probe, other flags     the probe JVM with -Xshare:off, and with C1 instead of -Xint   N runs each
#   old way                java <the launcher's agent flags> -jar quarkus-run.jar health --port P   OLD_RUNS runs
#                          (the Quarkus command: a full Quarkus start, as ./pilotfish health was before the probe)
# Machine-wide CPU use (from /proc/stat) is recorded over each batch: on a shared machine, a busy batch says so.
# Output: a Markdown summary on stdout and in OUT/summary.md, every run in OUT/runs.csv, logs in OUT.
# Every process it starts is stopped on exit (SIGTERM, then SIGKILL after 25 s), including on Ctrl-C or an error.
set -euo pipefail
export LC_ALL=C

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
runs=30
old_runs=5
port=""
out="$here/target/measure-health"
ready_timeout=60
stop_timeout=25   # above the agent's 20 s shutdown deadline
api_key="pilotfish-bench-key-0000"   # not a secret: only the local recorder accepts it

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --old-runs) old_runs="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "measure-health: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "measure-health: --runs needs a whole number >= 1" >&2; exit 2; }
[[ "$old_runs" =~ ^[0-9]+$ ]] || { echo "measure-health: --old-runs needs a whole number" >&2; exit 2; }
[ -z "$port" ] || [[ "$port" =~ ^[1-9][0-9]*$ ]] || { echo "measure-health: --port needs a port number" >&2; exit 2; }
command -v python3 >/dev/null || { echo "measure-health: python3 is required" >&2; exit 2; }

app="$root/runtime/agent/target/quarkus-app"
agent_jar="$app/quarkus-run.jar"
bench_jar="$here/target/pilotfish-bench.jar"
probe_jar="$(compgen -G "$app/lib/main/io.pilotfish.pilotfish-health-probe-*.jar" | head -1 || true)"
if [ ! -f "$agent_jar" ] || [ -z "$probe_jar" ]; then
  # ./pilotfish would build it, but that build must not land inside the first measured check.
  echo "measure-health: the packaged agent (with its health probe) is missing; build it:" \
       "./mvnw -q -B -DskipTests -pl runtime/agent -am install" >&2
  exit 2
fi
if [ -z "$port" ] && [ ! -f "$bench_jar" ]; then
  echo "measure-health: $bench_jar is missing; build it: ./mvnw -q -B -pl bench package (or give --port)" >&2; exit 2
fi
JAVA_HOME="$("$root/scripts/find-java.sh")"
java="$JAVA_HOME/bin/java"

# The probe's JVM flags, read from the launcher so this measures what it runs.
probe_flags="$(sed -n 's/^ *exec "\$JAVA_HOME\/bin\/java" \(-Xint.*\) \\$/\1/p' "$root/pilotfish")"
[ -n "$probe_flags" ] || { echo "measure-health: could not read the probe's JVM flags from ./pilotfish" >&2; exit 2; }
# The launcher's agent flags (the old `./pilotfish health` ran the Quarkus command with them).
agent_flags="-XX:+UseSerialGC -Xms16m -Xmx48m -Xss512k -XX:MaxMetaspaceSize=96m -XX:ReservedCodeCacheSize=32m
  -XX:+UnlockExperimentalVMOptions -XX:TrimNativeHeapInterval=5000 -XX:+ExitOnOutOfMemoryError -Xshare:auto"

mkdir -p "$out"
rm -f "$out"/*.log "$out/runs.csv" "$out/summary.md"

# ---------------------------------------------------------------- processes and cleanup
script=measure-health
source "$here/lib.sh"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
free_udp_port() { python3 -c 'import socket; s = socket.socket(type=socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# ---------------------------------------------------------------- the agent
if [ -z "$port" ]; then
  start_helper() { # name class args...: small and C1-only so it stays out of the way
    local name="$1" class="$2"; shift 2
    : >"$out/$name.log"   # exists before the wait reads it
    "$java" -XX:+UseSerialGC -Xmx64m -XX:TieredStopAtLevel=1 -cp "$bench_jar" "$class" "$@" >"$out/$name.log" 2>&1 &
    started_pids+=("$!"); helper_pid="$!"
  }
  start_helper simulator io.pilotfish.testkit.EcsMetadataSimulator
  line="$(wait_for_line "$out/simulator.log" '^ECS_CONTAINER_METADATA_URI_V4=' "$helper_pid" 30)" \
    || { echo "measure-health: the ECS metadata simulator did not start; see $out/simulator.log" >&2; exit 1; }
  v4_uri="${line#*=}"
  start_helper intake io.pilotfish.testkit.IntakeRecorder --key "$api_key"
  line="$(wait_for_line "$out/intake.log" '^intake recorder listening on ' "$helper_pid" 30)" \
    || { echo "measure-health: the intake recorder did not start; see $out/intake.log" >&2; exit 1; }
  intake_uri="${line#intake recorder listening on }"
  port="$(free_port)"
  : >"$out/agent.log"
  env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 JAVA_HOME="$JAVA_HOME" \
      ECS_CONTAINER_METADATA_URI_V4="$v4_uri" DD_API_KEY="$api_key" DD_DD_URL="$intake_uri" \
      PILOTFISH_STATUS_PORT="$port" DD_DOGSTATSD_PORT="$(free_udp_port)" \
      "$root/pilotfish" run >"$out/agent.log" 2>&1 &
  started_pids+=("$!")
  wait_for_line "$out/agent.log" ' ready in [0-9]+ ms' "$!" "$ready_timeout" >/dev/null \
    || { echo "measure-health: the agent was not ready within ${ready_timeout}s; see $out/agent.log" >&2; exit 1; }
  agent_source="started here (./pilotfish run against the testkit's simulated Fargate task and intake)"
else
  agent_source="already running on 127.0.0.1:$port"
fi
closed_port="$(free_port)"

# ---------------------------------------------------------------- the checks
env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 JAVA_HOME="$JAVA_HOME" \
  python3 - "$out" "$runs" "$old_runs" "$port" "$closed_port" "$root/pilotfish" "$java" "$probe_jar" "$agent_jar" \
  "$probe_flags" "$agent_flags" <<'PY'
import os, statistics, sys, time

out, runs, old_runs, port, closed, launcher, java, probe_jar, agent_jar, probe_flags, agent_flags = sys.argv[1:]
runs, old_runs = int(runs), int(old_runs)
probe_flags, agent_flags = probe_flags.split(), agent_flags.split()
main = "io.pilotfish.health.HealthProbe"
c1_flags = [f for f in probe_flags if f != "-Xint"] + ["-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1",
                                                       "-XX:ReservedCodeCacheSize=8m"]
no_cds_flags = [f if f != "-Xshare:auto" else "-Xshare:off" for f in probe_flags]
batches = [
    ("launcher, agent up", [launcher, "health", "--port", port], runs),
    ("launcher, no agent (refused)", [launcher, "health", "--port", closed], runs),
    ("probe JVM alone, agent up", [java] + probe_flags + ["-cp", probe_jar, main, "--port", port], runs),
    ("probe JVM, -Xshare:off", [java] + no_cds_flags + ["-cp", probe_jar, main, "--port", port], runs),
    ("probe JVM, C1 instead of -Xint", [java] + c1_flags + ["-cp", probe_jar, main, "--port", port], runs),
    ("old way: Quarkus `health`", [java] + agent_flags + ["-jar", agent_jar, "health", "--port", port], old_runs),
]

def cpu_jiffies():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)

def run_once(argv, stdout_path):
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
        (os.POSIX_SPAWN_OPEN, 1, stdout_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, stdout_path + ".err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)])
    _, status, usage = os.wait4(pid, 0)
    wall = (time.perf_counter() - start) * 1000
    with open(stdout_path) as f:
        line = f.read().strip().splitlines()
    return wall, usage.ru_maxrss, (usage.ru_utime + usage.ru_stime) * 1000, os.waitstatus_to_exitcode(status), \
        (line[0] if line else "")

def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]

rows, summary = [], []
for name, argv, n in batches:
    if n == 0:
        continue
    run_once(argv, os.path.join(out, "warm.out"))   # page cache and CDS archive warm, as on a running task
    busy0, total0 = cpu_jiffies()
    results = [run_once(argv, os.path.join(out, "check.out")) for _ in range(n)]
    busy1, total1 = cpu_jiffies()
    busy = 100.0 * (busy1 - busy0) / max(1, total1 - total0)
    for i, (wall, rss, cpu, code, line) in enumerate(results, 1):
        rows.append(f'"{name}",{i},{wall:.1f},{rss},{cpu:.1f},{code},"{line}"')
    walls = [r[0] for r in results]; rss = [r[1] / 1024 for r in results]; cpus = [r[2] for r in results]
    codes = sorted({r[3] for r in results}); lines = sorted({r[4] for r in results})
    summary.append((name, n, statistics.median(walls), percentile(walls, 0.9), max(walls), statistics.median(rss),
                    max(rss), statistics.median(cpus), busy, codes, lines))

with open(os.path.join(out, "runs.csv"), "w") as f:
    f.write("batch,run,wall_ms,maxrss_kib,cpu_ms,exit_code,stdout\n" + "\n".join(rows) + "\n")
with open(os.path.join(out, "batches.tsv"), "w") as f:
    for s in summary:
        f.write("\t".join([s[0], str(s[1])] + [f"{v:.1f}" for v in s[2:9]] + [",".join(map(str, s[9])),
                                                                             " | ".join(s[10])]) + "\n")
PY

# ---------------------------------------------------------------- summary
{
  echo "## pilotfish health, JVM mode: $runs checks per batch ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "Agent: $agent_source. JDK: $("$java" -version 2>&1 | head -1). Machine: nproc $(nproc)," \
       "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)."
  echo "Probe flags (from ./pilotfish): \`$probe_flags\`."
  echo
  echo "| batch | runs | wall median (ms) | p90 | max | peak RSS median (MiB) | max | CPU median (ms) | machine busy | exit | stdout |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  while IFS=$'\t' read -r name n wmed wp90 wmax rmed rmax cmed busy codes lines; do
    echo "| $name | $n | $wmed | $wp90 | $wmax | $rmed | $rmax | $cmed | ${busy} % | $codes | $lines |"
  done <"$out/batches.tsv"
} | tee "$out/summary.md"

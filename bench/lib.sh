# Process helpers shared by the measuring scripts (source it after setting `script`, `out` and `stop_timeout`):
# children are started with their pid in `started_pids`, stopped newest first on exit; polling sleeps without forking,
# so it does not steal CPU from the JVM being measured on a small machine.
# shellcheck shell=bash

started_pids=()

# Whether a child still runs. kill -0 alone also succeeds on an exited child nobody has waited for (a zombie), so
# the state is read too; when in doubt, it says "alive", so a mistake costs a bounded wait, never a hang in `wait`.
# Explicit return statuses: a bare `return` in a trap handler (cleanup) returns the status from before the trap.
alive() {
  local lines line
  kill -0 "$1" 2>/dev/null || return 1
  mapfile -t -n 8 lines 2>/dev/null <"/proc/$1/status" || return 0
  for line in "${lines[@]}"; do
    [[ "$line" == State:* ]] || continue
    if [[ "$line" =~ ^State:[[:space:]]*[ZX] ]]; then return 1; fi
    return 0
  done
  return 0
}
stop_pid() { # pid: SIGTERM, then SIGKILL if it outlives stop_timeout
  local pid="$1" waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while alive "$pid" && [ "$waited" -lt $((stop_timeout * 10)) ]; do nap 0.1; waited=$((waited + 1)); done
  if alive "$pid"; then
    echo "$script: process $pid ignored SIGTERM for ${stop_timeout}s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
forget_pid() { # pid: no longer ours to stop
  local kept=() p
  for p in ${started_pids[@]+"${started_pids[@]}"}; do [ "$p" = "$1" ] || kept+=("$p"); done
  started_pids=(${kept[@]+"${kept[@]}"})
}
cleanup() {
  local i
  # Newest first: the agent flushes to the intake on its way out, so the intake must outlive it.
  for (( i = ${#started_pids[@]} - 1; i >= 0; i-- )); do stop_pid "${started_pids[i]}"; done
  started_pids=()
  [ -n "${nap_fd:-}" ] && exec {nap_fd}>&-
  rm -f "$out/.nap"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A sleep that forks nothing (a read that times out on a FIFO nobody writes to).
mkdir -p "$out"
rm -f "$out/.nap"
mkfifo "$out/.nap"
exec {nap_fd}<>"$out/.nap"
nap() { read -r -t "$1" -u "$nap_fd" _ || true; }

# Sets now_ms to the wall clock in epoch ms, without a subshell.
clock() { local t="$EPOCHREALTIME"; now_ms=$(( ${t%.*} * 1000 + 10#${t#*.} / 1000 )); }

# file regex pid timeout: prints the first line of FILE matching REGEX; 1 if PID exited first, 2 after TIMEOUT
# seconds. Reads the file as it grows through one descriptor, in bash alone.
wait_for_line() {
  local file="$1" regex="$2" pid="$3" timeout="$4" fd line partial="" deadline
  clock; deadline=$(( now_ms + timeout * 1000 ))
  exec {fd}<"$file"
  while :; do
    if IFS= read -r -u "$fd" line; then
      line="$partial$line"; partial=""
      if [[ "$line" =~ $regex ]]; then exec {fd}<&-; printf '%s\n' "$line"; return 0; fi
    else
      partial+="$line"   # an unfinished last line: keep it and read on later
      alive "$pid" || { exec {fd}<&-; return 1; }
      clock; [ "$now_ms" -lt "$deadline" ] || { exec {fd}<&-; return 2; }
      nap 0.02
    fi
  done
}

reap() { # pid: sets exit_code of an exited child (143 = SIGTERM, 137 = SIGKILL); no subshell, which could not wait
  exit_code=0
  wait "$1" 2>/dev/null || exit_code=$?
}

# pin_split CPUS: with a CPU list (--agent-cpus), sets pin_agent to run the agent on those CPUs alone (taskset) and
# pin_rest to run the load and the intake on the others, so that "on one core" is what the machine enforces; without
# one, both stay empty. Use as ${pin_agent[@]+"${pin_agent[@]}"} command ...
pin_split() {
  pin_agent=(); pin_rest=()
  [ -n "$1" ] || return 0
  local rest
  rest="$(python3 -c 'import os, sys; mine = {int(c) for c in sys.argv[1].split(",")}
print(",".join(str(c) for c in sorted(os.sched_getaffinity(0)) if c not in mine))' "$1")"
  [ -n "$rest" ] || { echo "$script: --agent-cpus $1 leaves no CPU for the load" >&2; exit 2; }
  pin_agent=(taskset -c "$1"); pin_rest=(taskset -c "$rest")
}
